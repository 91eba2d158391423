import { assert, assertAllClose, assertEquals, assertNotEquals, assertRejects, assertThrows } from "../assert.ts";
import { Rng } from "../../lib/core/rng.ts";
import { type Batch, batchCount, iterateBatches } from "../../lib/data/batches.ts";
import { normaliseImage } from "../../lib/data/normalise.ts";
import type { Raster } from "../../lib/data/raster.ts";
import { resize } from "../../lib/data/resize.ts";
import type { Dataset, Sample } from "../../lib/data/types.ts";

/**
 * In-memory dataset: image i is W x H RGB, all pixels 10*i except a marker pixel (value 250) at the
 * top-left; its mask is 1 only at the top-left; ids `s0..s{n-1}`.
 */
function markerDataset(n: number, W: number, H: number, withMask = (_i: number) => true): Dataset {
  const ids = Array.from({ length: n }, (_, i) => `s${i}`);
  return {
    name: "synthetic",
    channels: 3,
    root: "mem",
    ids: () => [...ids],
    load(id: string): Promise<Sample> {
      const i = Number(id.slice(1));
      const img = new Uint8Array(W * H * 3).fill(10 * i);
      img.set([250, 250, 250], 0);
      const mask = new Uint8Array(W * H);
      mask[0] = 1;
      return Promise.resolve({
        id,
        image: { width: W, height: H, channels: 3, data: img },
        mask: withMask(i) ? { width: W, height: H, channels: 1, data: mask } : null,
        info: { dataset: "synthetic", width: W, height: H, source: `mem:${id}` },
      });
    },
  };
}

async function collect(it: AsyncGenerator<Batch>): Promise<Batch[]> {
  const out = [];
  for await (const b of it) out.push(b);
  return out;
}

Deno.test("batches: last partial batch kept, NHWC shapes, batchCount", async () => {
  const ds = markerDataset(5, 4, 4);
  const bs = await collect(iterateBatches(ds, ds.ids("train"), { size: 4, batchSize: 2 }));
  assertEquals(bs.map((b) => b.shape), [[2, 4, 4, 3], [2, 4, 4, 3], [1, 4, 4, 3]]);
  assertEquals(bs.map((b) => b.ids), [["s0", "s1"], ["s2", "s3"], ["s4"]]);
  assertEquals(bs[2].images.length, 1 * 4 * 4 * 3);
  assertEquals(bs[2].masks!.length, 16);
  assertEquals([batchCount(5, 2), batchCount(4, 2), batchCount(0, 8), batchCount(900, 8)], [3, 2, 0, 113]);
  assertThrows(() => batchCount(5, 0));
  // no shuffle, no flip: images are the ImageNet-normalised pixels in order
  const want = normaliseImage((await ds.load("s3")).image, { method: "imagenet" }).data;
  assertAllClose(bs[1].images.subarray(48, 96), want, 1e-6);
  assertEquals(bs[1].flips, [{ horizontal: false, vertical: false }, { horizontal: false, vertical: false }]);
});

Deno.test("batches: seeded shuffle is rng.shuffle of the ids; same seed same order, other seed other order", async () => {
  const ds = markerDataset(7, 2, 2);
  const order = async (seed: number) =>
    (await collect(iterateBatches(ds, ds.ids("train"), { size: 2, batchSize: 3, rng: new Rng(seed), shuffle: true })))
      .flatMap((b) => b.ids);
  const a = await order(1);
  assertEquals(a, new Rng(1).shuffle(ds.ids("train")));
  assertEquals(await order(1), a);
  assertNotEquals(await order(2), a);
  assertEquals([...a].sort(), ds.ids("train"));
  await assertRejects(
    () => collect(iterateBatches(ds, ds.ids("train"), { size: 2, batchSize: 3, shuffle: true })),
    Error,
    "need options.rng",
  );
});

Deno.test("batches: flips move image, mask and every map together", async () => {
  const W = 4, H = 4, ds = markerDataset(8, W, H);
  const maps = () => {
    const m = new Float32Array(W * H);
    m[0] = 1; // same top-left marker
    const two = new Float32Array(W * H * 2);
    two[0] = 5;
    two[1] = 6;
    return {
      crf: { width: W, height: H, channels: 1, data: m },
      pair: { width: W, height: H, channels: 2, data: two },
    };
  };
  const bs = await collect(
    iterateBatches(ds, ds.ids("train"), { size: 4, batchSize: 8, rng: new Rng(5), flip: true, maps }),
  );
  const b = bs[0];
  assertEquals(b.maps.crf.shape, [8, 4, 4, 1]);
  assertEquals(b.maps.pair.shape, [8, 4, 4, 2]);
  const seen = new Set<string>();
  for (let k = 0; k < 8; k++) {
    const f = b.flips[k];
    seen.add(`${f.horizontal}${f.vertical}`);
    const x = f.horizontal ? W - 1 : 0, y = f.vertical ? H - 1 : 0, px = y * W + x;
    assertEquals(b.masks![k * 16 + px], 1, `mask marker of sample ${k}`);
    assertEquals(b.masks!.subarray(k * 16, k * 16 + 16).reduce((s, v) => s + v), 1);
    assertEquals(b.maps.crf.data[k * 16 + px], 1, `map marker of sample ${k}`);
    assertEquals(Array.from(b.maps.pair.data.subarray((k * 16 + px) * 2, (k * 16 + px) * 2 + 2)), [5, 6]);
    assertAllClose(b.images.subarray((k * 16 + px) * 3, (k * 16 + px) * 3 + 1), [(250 / 255 - 0.485) / 0.229], 1e-5);
  }
  assert(seen.size >= 3, `8 draws should give several flip combinations, got ${[...seen]}`);
  // the flips are the documented draws: two rng.next() per sample in batch order
  const rng = new Rng(5);
  for (const f of b.flips) assertEquals(f, { horizontal: rng.next() < 0.5, vertical: rng.next() < 0.5 });
});

Deno.test("batches: maps at original size are resized bilinearly like the image; bad map sizes are errors", async () => {
  const ds = markerDataset(2, 8, 6);
  const map: Raster<Float32Array> = {
    width: 8,
    height: 6,
    channels: 1,
    data: Float32Array.from({ length: 48 }, (_, i) => i),
  };
  const bs = await collect(iterateBatches(ds, ["s0", "s1"], { size: 4, batchSize: 2, maps: () => ({ gaze: map }) }));
  const want = resize(map, { width: 4, height: 4, mode: "bilinear" }).data;
  assertAllClose(bs[0].maps.gaze.data.subarray(16, 32), want, 1e-6);
  await assertRejects(
    () =>
      collect(iterateBatches(ds, ["s0"], {
        size: 4,
        batchSize: 1,
        maps: () => ({ gaze: { width: 5, height: 5, channels: 1, data: new Float32Array(25) } }),
      })),
    Error,
    "map 'gaze' of 's0' is 5x5",
  );
  await assertRejects(
    () =>
      collect(
        iterateBatches(ds, ["s0", "s1"], {
          size: 4,
          batchSize: 2,
          maps: (p): Record<string, Raster> => (p.id === "s0" ? { a: map } : { b: map }),
        }),
      ),
    Error,
    "maps for 's1' are [b]",
  );
});

Deno.test("batches: masks is null when a sample of the batch has no ground truth", async () => {
  const ds = markerDataset(4, 2, 2, (i) => i !== 1);
  const bs = await collect(iterateBatches(ds, ds.ids("train"), { size: 2, batchSize: 2 }));
  assertEquals(bs[0].masks, null);
  assert(bs[1].masks !== null);
});
