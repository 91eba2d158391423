/**
 * Bench cases of the data pipeline:
 * - `data-kvasir-decode`: Kvasir-SEG images/s for decode (image + mask JPEG) +
 *   resize to 224 + ImageNet normalisation, with the time of each stage;
 * - `data-kvasir-cached`: images/s for the same images read back from the disk
 *   cache (the second epoch), plus normalisation;
 * - `data-synthetic`: synthetic samples generated per second at 128 px.
 *
 * @module
 */
import { join } from "node:path";
import { SampleCache } from "../../lib/data/cache.ts";
import { normaliseImage } from "../../lib/data/normalise.ts";
import { openDataset } from "../../lib/data/open_dataset.ts";
import { inputImage, prepareSample, resizeSample } from "../../lib/data/preprocess.ts";
import { syntheticSample } from "../../lib/data/synthetic.ts";
import type { Dataset } from "../../lib/data/types.ts";
import type { BenchCase, BenchContext } from "./types.ts";

const SIZE = 224;

async function kvasirOrSkip(ctx: BenchContext): Promise<Dataset | { skipped: string }> {
  try {
    return await openDataset("kvasir", { root: ctx.dataRoot });
  } catch (err) {
    return { skipped: `no Kvasir-SEG under ${ctx.dataRoot} (${(err as Error).message})` };
  }
}

const round = (x: number, d = 2) => +x.toFixed(d);

/** Decode + resize + normalise throughput on Kvasir-SEG (50 test images; 10 with --quick). */
export const dataKvasirDecodeCase: BenchCase = {
  name: "data-kvasir-decode",
  description: "Kvasir-SEG decode (image+mask JPEG) + resize 224 + normalise, images/s and ms per stage",
  async run(ctx) {
    const ds = await kvasirOrSkip(ctx);
    if ("skipped" in ds) return ds;
    const ids = ds.ids("test").slice(0, ctx.quick ? 10 : 50);
    await ds.load(ids[0]); // warm-up (JIT, decoder init)
    let decode = 0, resize = 0, norm = 0, pixels = 0;
    for (const id of ids) {
      const t0 = performance.now();
      const s = await ds.load(id);
      const t1 = performance.now();
      const p = resizeSample(s, SIZE);
      const t2 = performance.now();
      normaliseImage(p.image, { method: "imagenet" });
      const t3 = performance.now();
      decode += t1 - t0;
      resize += t2 - t1;
      norm += t3 - t2;
      pixels += s.info.width * s.info.height;
    }
    const total = (decode + resize + norm) / 1000;
    return {
      images: ids.length,
      size: SIZE,
      images_per_s: round(ids.length / total),
      decode_ms_per_image: round(decode / ids.length),
      resize_ms_per_image: round(resize / ids.length),
      normalise_ms_per_image: round(norm / ids.length),
      mean_source_megapixels: round(pixels / ids.length / 1e6, 3),
    };
  },
};

/** Cached-load throughput: the same images through the disk cache, second pass timed. */
export const dataKvasirCachedCase: BenchCase = {
  name: "data-kvasir-cached",
  description: "Kvasir-SEG second epoch: resized samples read from the disk cache + normalise, images/s",
  async run(ctx) {
    const ds = await kvasirOrSkip(ctx);
    if ("skipped" in ds) return ds;
    const ids = ds.ids("test").slice(0, ctx.quick ? 10 : 50);
    const dir = await Deno.makeTempDir({ prefix: "gaze-bench-cache-" });
    try {
      const cache = new SampleCache(join(dir, `cache-${SIZE}`));
      for (const id of ids) await prepareSample(ds, id, { size: SIZE, cache }); // fill (first epoch)
      const t0 = performance.now();
      for (const id of ids) {
        inputImage(await prepareSample(ds, id, { size: SIZE, cache }), { normalisation: "imagenet" });
      }
      const s = (performance.now() - t0) / 1000;
      let bytes = 0;
      for await (const e of Deno.readDir(cache.dir)) bytes += (await Deno.stat(join(cache.dir, e.name))).size;
      return {
        images: ids.length,
        size: SIZE,
        images_per_s: round(ids.length / s),
        ms_per_image: round((1000 * s) / ids.length),
        hits: cache.counters.hits,
        entry_kib: round(bytes / ids.length / 1024, 1),
      };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
};

/** Synthetic sample generation rate. */
export const dataSyntheticCase: BenchCase = {
  name: "data-synthetic",
  description: "synthetic lesion images generated per second at 128 px",
  run(ctx) {
    const n = ctx.quick ? 8 : 48;
    syntheticSample("train", 0);
    const t0 = performance.now();
    for (let i = 0; i < n; i++) syntheticSample("train", i);
    const s = (performance.now() - t0) / 1000;
    return Promise.resolve({ images: n, size: 128, images_per_s: round(n / s), ms_per_image: round((1000 * s) / n) });
  },
};

/** All data bench cases, in run order. */
export const DATA_BENCH_CASES: BenchCase[] = [dataKvasirDecodeCase, dataKvasirCachedCase, dataSyntheticCase];
