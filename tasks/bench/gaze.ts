/**
 * Bench cases of lib/gaze: the dense CRF (seconds per image at Kvasir
 * resolution, and per megapixel; one core, the calling thread) and the gaze
 * heatmap (ms per image). Real Kvasir-SEG images and fixations are used when
 * the data root has them; otherwise a generated 622 x 529 scene with 27
 * fixations (the median Kvasir image size and the mean fixation count).
 *
 * @module
 */
import { openDataset } from "../../lib/data/open_dataset.ts";
import type { Raster } from "../../lib/data/raster.ts";
import { denseCrf, dequantiseMap, type Fixation, gazeHeatmap, quantiseMap, readFixations } from "../../lib/gaze/mod.ts";
import { Rng } from "../../lib/core/rng.ts";
import { type BenchCase, median } from "./types.ts";

interface GazeInput {
  id: string;
  image: Raster;
  fixations: Pick<Fixation, "x" | "y" | "duration">[];
}

function generated(): GazeInput {
  const w = 622, h = 529, rng = new Rng(0), data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const inside = (x - 0.55 * w) ** 2 + (y - 0.45 * h) ** 2 < (0.2 * h) ** 2;
      for (let c = 0; c < 3; c++) {
        data[3 * (y * w + x) + c] = Math.round((inside ? [200, 110, 90] : [150, 90, 80])[c] + rng.normal(0, 6));
      }
    }
  }
  const fixations = Array.from({ length: 27 }, () => ({
    x: 0.55 + rng.normal(0, 0.1),
    y: 0.45 + rng.normal(0, 0.1),
    duration: Math.round(Math.exp(rng.normal(5.7, 0.45))),
  })).map((f) => ({ ...f, x: Math.min(1, Math.max(0, f.x)), y: Math.min(1, Math.max(0, f.y)) }));
  return { id: "generated-622x529", image: { width: w, height: h, channels: 3, data }, fixations };
}

async function inputs(dataRoot: string, n: number): Promise<{ source: string; items: GazeInput[] }> {
  try {
    const ds = await openDataset("kvasir", { root: dataRoot, quiet: true });
    const table = await readFixations(dataRoot, "kvasir");
    const items: GazeInput[] = [];
    for (const id of ds.ids("test").slice(0, n)) {
      const s = await ds.load(id);
      items.push({ id, image: s.image, fixations: table.images.get(id)?.fixations ?? [] });
    }
    if (items.every((i) => i.fixations.length)) return { source: "kvasir test images (real gaze)", items };
  } catch { /* no real data: fall back */ }
  return { source: "generated 622x529 scene, 27 fixations", items: [generated()] };
}

const crfCase: BenchCase = {
  name: "gaze-crf",
  description:
    "dense CRF (permutohedral, 10 iterations) s per image at Kvasir resolution, and s per megapixel, one core",
  async run(ctx) {
    const { source, items } = await inputs(ctx.dataRoot, ctx.quick ? 1 : 5);
    const secs: number[] = [];
    let mp = 0, vertices = 0;
    for (const it of items) {
      const h = dequantiseMap(
        quantiseMap(gazeHeatmap(it.fixations, { width: it.image.width, height: it.image.height, sigma: 70 })),
      );
      if (secs.length === 0) denseCrf(it.image, h, { iterations: 1 }); // warm-up (JIT)
      const t = performance.now();
      vertices += denseCrf(it.image, h).vertices;
      secs.push((performance.now() - t) / 1000);
      mp += (it.image.width * it.image.height) / 1e6;
    }
    const total = secs.reduce((a, b) => a + b, 0);
    return {
      source,
      images: items.length,
      mean_megapixels: +(mp / items.length).toFixed(4),
      crf_s_per_image_mean: +(total / items.length).toFixed(4),
      crf_s_per_image_median: +median(secs).toFixed(4),
      crf_s_per_megapixel: +(total / mp).toFixed(4),
      lattice_vertices_mean: Math.round(vertices / items.length),
    };
  },
};

const heatmapCase: BenchCase = {
  name: "gaze-heatmap",
  description: "gaze heatmap (768 canvas, sigma 70, bicubic resize, 8-bit) ms per image",
  async run(ctx) {
    const { source, items } = await inputs(ctx.dataRoot, ctx.quick ? 1 : 5);
    const reps = ctx.quick ? 2 : 5, ms: number[] = [];
    for (const it of items) {
      const opts = { width: it.image.width, height: it.image.height, sigma: 70 };
      quantiseMap(gazeHeatmap(it.fixations, opts)); // warm-up
      for (let r = 0; r < reps; r++) {
        const t = performance.now();
        quantiseMap(gazeHeatmap(it.fixations, opts));
        ms.push(performance.now() - t);
      }
    }
    return {
      source,
      images: items.length,
      heatmap_ms_median: +median(ms).toFixed(2),
      heatmap_ms_max: +Math.max(...ms).toFixed(2),
    };
  },
};

/** The gaze cases, in run order. */
export const GAZE_BENCH_CASES: BenchCase[] = [heatmapCase, crfCase];
