import { assertAllClose, assertEquals, assertThrows } from "../assert.ts";
import { drawFlip, flipRaster } from "../../lib/data/flip.ts";
import { binariseMask } from "../../lib/data/mask.ts";
import { imageStats, normalisationFor, normaliseImage } from "../../lib/data/normalise.ts";
import { inputImage, resizeSample } from "../../lib/data/preprocess.ts";
import type { Sample } from "../../lib/data/types.ts";

function sample(image: Sample["image"], mask: Sample["mask"]): Sample {
  return { id: "s", image, mask, info: { dataset: "kvasir", width: image.width, height: image.height, source: "mem" } };
}

Deno.test("resizeSample: bilinear image rounded to uint8 (hand-worked 2x2 -> 4x4), nearest mask", () => {
  const s = sample(
    { width: 2, height: 2, channels: 1, data: new Uint8Array([0, 100, 200, 255]) },
    { width: 2, height: 2, channels: 1, data: new Uint8Array([1, 0, 0, 1]) },
  );
  const p = resizeSample(s, 4);
  // half-pixel centres: source x = (dst + 0.5) / 2 - 0.5 -> -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped to the last pixel)
  // row 0 = [0, 25, 75, 100]; row 3 = [200, 213.75, 241.25, 255]; rows 1, 2 mix them 3:1 and 1:3
  assertEquals(Array.from(p.image.data), [
    ...[0, 25, 75, 100],
    ...[50, 72, 117, 139], // 0.75*row0 + 0.25*row3 = 50, 72.19, 116.56, 138.75
    ...[150, 167, 200, 216], // 0.25*row0 + 0.75*row3 = 150, 166.56, 199.69, 216.25
    ...[200, 214, 241, 255],
  ]);
  assertEquals(p.image.data instanceof Uint8Array, true);
  assertEquals(Array.from(p.mask!.data), [1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
  assertEquals(p.stats, { mean: 138.75, std: Math.sqrt((138.75 ** 2 + 38.75 ** 2 + 61.25 ** 2 + 116.25 ** 2) / 4) });
});

Deno.test("resizeSample: float images stay float (no rounding); same-size images are copied", () => {
  const f = sample({ width: 2, height: 2, channels: 1, data: new Float32Array([0, 1, 2, 3]) }, null);
  const p = resizeSample(f, 4);
  assertAllClose(p.image.data.subarray(0, 4), [0, 0.25, 0.75, 1], 1e-6);
  assertEquals(p.mask, null);
  const same = resizeSample(f, 2);
  assertEquals(Array.from(same.image.data), [0, 1, 2, 3]);
  same.image.data[0] = 9;
  assertEquals(f.image.data[0], 0, "the original is not aliased");
  assertThrows(() => resizeSample(f, 0), Error, "positive integer");
});

Deno.test("normalise: ImageNet per channel on x/255, z-score with population std, constant slice -> 0", () => {
  const rgb = { width: 1, height: 1, channels: 3, data: new Uint8Array([255, 0, 128]) };
  assertAllClose(normaliseImage(rgb, { method: "imagenet" }).data, [
    (1 - 0.485) / 0.229,
    (0 - 0.456) / 0.224,
    (128 / 255 - 0.406) / 0.225,
  ], 1e-5);
  assertThrows(() => normaliseImage({ ...rgb, channels: 1, width: 3 }, { method: "imagenet" }), Error, "3 channels");
  const g = { width: 4, height: 1, channels: 1, data: new Float32Array([1, 3, 1, 3]) };
  assertEquals(imageStats(g), { mean: 2, std: 1 });
  assertEquals(Array.from(normaliseImage(g, { method: "zscore" }).data), [-1, 1, -1, 1]);
  assertEquals(Array.from(normaliseImage(g, { method: "zscore", stats: { mean: 1, std: 2 } }).data), [0, 1, 0, 1]);
  const flat = { width: 2, height: 1, channels: 1, data: new Float32Array([5, 5]) };
  assertEquals(Array.from(normaliseImage(flat, { method: "zscore" }).data), [0, 0]);
  assertEquals([normalisationFor("kvasir"), normalisationFor("isic"), normalisationFor("synthetic")], [
    "imagenet",
    "imagenet",
    "imagenet",
  ]);
  assertEquals(normalisationFor("nci-isbi"), "zscore");
});

Deno.test("flip: each axis, both, none; multi-channel pixels stay together; drawFlip uses two draws", () => {
  // 3 wide, 2 high, 2 channels: pixel (x, y) = [10y + x, -(10y + x)]
  const d = new Float32Array(12);
  for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) d.set([10 * y + x, -(10 * y + x)], (y * 3 + x) * 2);
  const r = { width: 3, height: 2, channels: 2, data: d };
  const first = (f: Float32Array) => Array.from(f).filter((_, i) => i % 2 === 0);
  assertEquals(first(flipRaster(r, { horizontal: true, vertical: false }).data), [2, 1, 0, 12, 11, 10]);
  assertEquals(first(flipRaster(r, { horizontal: false, vertical: true }).data), [10, 11, 12, 0, 1, 2]);
  assertEquals(first(flipRaster(r, { horizontal: true, vertical: true }).data), [12, 11, 10, 2, 1, 0]);
  assertEquals(flipRaster(r, { horizontal: true, vertical: true }).data[1], -12);
  assertEquals(flipRaster(r, { horizontal: false, vertical: false }), r);
  const draws = [0.2, 0.7, 0.9, 0.1];
  const rng = { next: () => draws.shift()! };
  assertEquals(drawFlip(rng), { horizontal: true, vertical: false });
  assertEquals(drawFlip(rng), { horizontal: false, vertical: true });
});

Deno.test("mask: grey/255 > 0.5 strictly; 3-channel masks use BT.601 luminance; label >= 1", () => {
  const rgb = { width: 3, height: 1, channels: 3, data: new Uint8Array([128, 128, 128, 127, 127, 127, 255, 0, 0]) };
  // red 255 has luminance 76 -> background; grey 128 -> foreground; grey 127 -> background
  assertEquals(Array.from(binariseMask(rgb, { threshold: 127.5 }).data), [1, 0, 0]);
  const lab = { width: 4, height: 1, channels: 1, data: new Uint8Array([0, 1, 2, 255]) };
  assertEquals(Array.from(binariseMask(lab, { threshold: 1, inclusive: true }).data), [0, 1, 1, 1]);
  const rgbLab = { width: 1, height: 1, channels: 3, data: new Uint8Array([1, 1, 1]) };
  assertEquals(Array.from(binariseMask(rgbLab, { threshold: 1, inclusive: true }).data), [1]);
  assertThrows(() => binariseMask({ width: 1, height: 1, channels: 2, data: new Uint8Array(2) }, { threshold: 1 }));
});

Deno.test("inputImage: normalises with the ORIGINAL image's stats, then flips", () => {
  const s = sample({ width: 2, height: 1, channels: 1, data: new Float32Array([0, 4]) }, null);
  const p = resizeSample(s, 1); // the resized pixel is 2 (mean of both); original mean 2, std 2
  assertEquals(Array.from(inputImage(p, { normalisation: "zscore" }).data), [0]);
  const q = resizeSample(s, 2); // 2x2: [[0, 4], [0, 4]]
  const flipped = inputImage(q, { normalisation: "zscore", flip: { horizontal: true, vertical: false } });
  assertEquals(Array.from(flipped.data), [1, -1, 1, -1]);
});
