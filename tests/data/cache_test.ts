import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { type Batch, iterateBatches, resolveCache } from "../../lib/data/batches.ts";
import { SampleCache } from "../../lib/data/cache.ts";
import { derivedDir } from "../../lib/data/data_root.ts";
import { openDataset } from "../../lib/data/open_dataset.ts";
import { openNciIsbi } from "../../lib/data/nci_isbi.ts";
import { prepareSample } from "../../lib/data/preprocess.ts";
import type { Dataset } from "../../lib/data/types.ts";
import { buildDicom, encodeJpegRaster, rgbRaster, writePng, writeTinyKvasir } from "./fixtures.ts";

function counting(ds: Dataset): Dataset & { loads: number } {
  const wrapped = { ...ds, loads: 0 } as Dataset & { loads: number };
  wrapped.load = (id: string) => {
    wrapped.loads++;
    return ds.load(id);
  };
  return wrapped;
}

async function epoch(ds: Dataset, cache: SampleCache | "off"): Promise<Batch[]> {
  const out = [];
  for await (const b of iterateBatches(ds, ds.ids("train"), { size: 16, batchSize: 2, cache })) out.push(b);
  return out;
}

Deno.test("cache: the second epoch reads the cache, decodes nothing and gives identical batches", async () => {
  const root = await Deno.makeTempDir();
  try {
    await writeTinyKvasir(root, { n: 4, nTrain: 3 });
    const ds = counting(await openDataset("kvasir", { root }));
    const cache = new SampleCache(join(root, "c"));
    const first = await epoch(ds, cache);
    assertEquals([ds.loads, cache.counters.misses, cache.counters.writes, cache.counters.hits], [3, 3, 3, 0]);
    const second = await epoch(ds, cache);
    assertEquals([ds.loads, cache.counters.hits], [3, 3], "no decode in the second epoch");
    assertEquals(second, first);
    assertEquals(await epoch(ds, "off"), first, "cached and uncached pipelines agree");
    assertEquals(ds.loads, 6);
    // a changed source is decoded again
    await new Promise((r) => setTimeout(r, 20));
    await Deno.writeFile(join(root, "kvasir-seg/images/img1.jpg"), encodeJpegRaster(rgbRaster(48, 34, () => 200)));
    const third = await epoch(ds, cache);
    assertEquals(ds.loads, 7, "only the changed image is decoded again");
    const img1 = third[0].images.subarray(16 * 16 * 3, 2 * 16 * 16 * 3); // second sample of the first batch
    const want = [0, 1, 2].map((c) => (200 / 255 - [0.485, 0.456, 0.406][c]) / [0.229, 0.224, 0.225][c]);
    assert(img1.every((v, i) => Math.abs(v - want[i % 3]) < 0.05), "the new (flat 200) image is what the batch holds");
    // a damaged entry is a miss, then rewritten
    const entry = cache.pathOf("img2");
    const bytes = await Deno.readFile(entry);
    await Deno.writeFile(entry, bytes.subarray(0, 40));
    await epoch(ds, cache);
    assertEquals(ds.loads, 8);
    assertEquals((await Deno.readFile(entry)).length, bytes.length);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cache: default location is derivedDir(root, dataset, cache-<size>); synthetic is not cached", async () => {
  const root = await Deno.makeTempDir();
  try {
    await writeTinyKvasir(root);
    const ds = await openDataset("kvasir", { root });
    assertEquals(resolveCache(ds, 224)!.dir, derivedDir(root, "kvasir", "cache-224"));
    assertEquals(resolveCache(ds, 224, "off"), undefined);
    const syn = await openDataset("synthetic", { synthetic: { train: 1, test: 0, size: 16 } });
    assertEquals(resolveCache(syn, 224), undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cache: an unwritable cache folder is reported once and loading goes on", async () => {
  const root = await Deno.makeTempDir();
  try {
    await writeTinyKvasir(root);
    await Deno.writeTextFile(join(root, "plainfile"), "x");
    const ds = await openDataset("kvasir", { root });
    const cache = new SampleCache(join(root, "plainfile", "cache")); // a folder under a file cannot be made
    const bs = await epoch(ds, cache);
    assertEquals(bs.flatMap((b) => b.ids), ds.ids("train"));
    assertEquals(cache.counters.writes, 0);
    assert(cache.disabled !== undefined);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("cache: float32 DICOM images and their stats round-trip exactly", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "nci-isbi/images"), { recursive: true });
    await Deno.mkdir(join(root, "nci-isbi/masks"), { recursive: true });
    await Deno.mkdir(join(root, "gazemedseg-splits/NCI-ISBI-2013"), { recursive: true });
    const pixels = Array.from({ length: 36 }, (_, i) => (i * 37) % 1000);
    await Deno.writeFile(
      join(root, "nci-isbi/images/C_1.dcm"),
      buildDicom({ rows: 6, cols: 6, pixels, spacing: "0.5\\0.5" }),
    );
    await writePng(join(root, "nci-isbi/masks/C_1.png"), {
      width: 6,
      height: 6,
      channels: 1,
      data: new Uint8Array(36).fill(1),
    });
    await Deno.writeTextFile(join(root, "gazemedseg-splits/NCI-ISBI-2013/train.txt"), "C_1\n");
    await Deno.writeTextFile(join(root, "gazemedseg-splits/NCI-ISBI-2013/test.txt"), "");
    const ds = await openNciIsbi({ root });
    const cache = new SampleCache(join(root, "c"));
    const a = await prepareSample(ds, "C_1", { size: 4, cache });
    const b = await prepareSample(ds, "C_1", { size: 4, cache });
    assertEquals(cache.counters.hits, 1);
    assert(b.image.data instanceof Float32Array);
    assertEquals(b, a);
    assertEquals(b.info.spacing, [0.5, 0.5]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
