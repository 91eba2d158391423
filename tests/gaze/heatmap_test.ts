import { assert, assertAllClose, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import {
  blurPoints,
  canvasIndex,
  fixationCanvasPoints,
  gaussianFilter2d,
  gaussianKernel1d,
  gazeHeatmap,
  HEATMAP_SIGMA,
  heatmapSigma,
  normalisedCanvas,
  reflectIndex,
  roundHalfEven,
} from "../../lib/gaze/mod.ts";
import { Rng } from "../../lib/core/rng.ts";

Deno.test("heatmap: canvas indices use Python's round (halves to even) minus 1", () => {
  // hand-computed: 0.5*768 = 384 -> 383; 0.0791015625*768 = 60.75 -> 61 -> 60;
  // 1537/3072*768 = 384.25 -> 383; exact halves: 4.5 -> 4, 5.5 -> 6, 0.5 -> 0
  assertEquals(canvasIndex(0.5, 768), 383);
  assertEquals(canvasIndex(0.0791015625, 768), 60);
  assertEquals(canvasIndex(4.5 / 768, 768), 3);
  assertEquals(canvasIndex(5.5 / 768, 768), 5);
  assertEquals(canvasIndex(1, 768), 767);
  assertEquals([roundHalfEven(2.5), roundHalfEven(3.5), roundHalfEven(-1.5), roundHalfEven(2.4999)], [2, 4, -2, 2]);
  // round(v*768) = 0 -> index -1: clamped to 0 by default, numpy's wrap-around to the last index on request
  assertEquals(canvasIndex(0.0005, 768), 0);
  assertEquals(canvasIndex(0.0005, 768, "wrap"), 767);
  assertThrows(() => canvasIndex(1.01, 768), Error, "outside [0, 1]");
});

Deno.test("heatmap: reflect borders are scipy's half-sample symmetric extension", () => {
  // n = 3: ... 1 2 2 1 0 | 0 1 2 | 2 1 0 0 1 ...
  assertEquals([-5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7].map((p) => reflectIndex(p, 3)), [
    1,
    2,
    2,
    1,
    0,
    0,
    1,
    2,
    2,
    1,
    0,
    0,
    1,
  ]);
});

Deno.test("heatmap: one fixation on a 3x3 canvas equals the hand-computed canvas", () => {
  // sigma 0.5, truncate 4 -> radius floor(2.5) = 2, taps exp(-2 x^2): w0 = 1/S, w1 = e^-2/S, w2 = e^-8/S.
  // Impulse at the centre (x = y = 0.5: round(1.5) = 2 -> index 1). Along a line of 3 with reflect borders,
  // the response is R(0) = R(2) = w1 + w2 (direct tap + the tap reflected from -2), R(1) = w0.
  // Canvas = d R(i) R(j); min-max: centre 1, corners 0, edge centres (w1 + w2) / (w0 + w1 + w2).
  const e2 = Math.exp(-2), e8 = Math.exp(-8);
  const edge = (e2 + e8) / (1 + e2 + e8);
  const expected = [0, edge, 0, edge, 1, edge, 0, edge, 0];
  const got = normalisedCanvas([{ x: 0.5, y: 0.5, duration: 300 }], { sigma: 0.5, canvas: 3 });
  assertAllClose(got, expected, 1e-6);
  assertAlmostEquals(edge, 0.1194635, 1e-6);
});

Deno.test("heatmap: durations weight the canvas and fixations on one pixel add up", () => {
  const pts = fixationCanvasPoints([
    { x: 0.25, y: 0.5, duration: 100 },
    { x: 0.25, y: 0.5, duration: 50 },
    { x: 0.75, y: 0.5, duration: 150 },
  ], { canvas: 8 });
  assertEquals(pts.map((p) => [p.row, p.col, p.weight]), [[3, 1, 100], [3, 1, 50], [3, 5, 150]]);
  // two equal total weights at mirror-symmetric columns (1 and 5 are not symmetric on 8: 1 <-> 6) -> compare directly
  const a = normalisedCanvas([{ x: 0.25, y: 0.5, duration: 150 }, { x: 0.75, y: 0.5, duration: 150 }], {
    sigma: 1,
    canvas: 8,
  });
  const b = normalisedCanvas([
    { x: 0.25, y: 0.5, duration: 100 },
    { x: 0.25, y: 0.5, duration: 50 },
    { x: 0.75, y: 0.5, duration: 150 },
  ], { sigma: 1, canvas: 8 });
  assertAllClose(b, a, 1e-7);
  // a heavier fixation makes its own peak the maximum (value 1 after min-max)
  const c = normalisedCanvas([{ x: 0.25, y: 0.5, duration: 400 }, { x: 0.75, y: 0.5, duration: 100 }], {
    sigma: 1,
    canvas: 8,
  });
  assertEquals(c[3 * 8 + 1], 1);
  assert(c[3 * 8 + 5] < 0.5);
});

Deno.test("heatmap: the sparse blur equals a brute-force 2-D reflect-mode Gaussian of the dense canvas", () => {
  const rng = new Rng(3);
  const W = 23, H = 17, sigma = 4.2; // radius 17 > H: needs repeated reflection
  const pts = Array.from(
    { length: 6 },
    () => ({ row: rng.int(0, H - 1), col: rng.int(0, W - 1), weight: rng.int(50, 900) }),
  );
  const dense = new Float32Array(W * H);
  for (const p of pts) dense[p.row * W + p.col] += p.weight;
  // brute force: explicit double sum over the (2r+1)^2 window with reflected source indices
  const k = gaussianKernel1d({ sigma });
  const r = (k.length - 1) / 2;
  const brute = new Float64Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let acc = 0;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          acc += k[dy + r] * k[dx + r] * dense[reflectIndex(y + dy, H) * W + reflectIndex(x + dx, W)];
        }
      }
      brute[y * W + x] = acc;
    }
  }
  const scale = Math.max(...brute);
  const sparse = blurPoints(pts, W, H, { sigma });
  const full = gaussianFilter2d(dense, W, H, { sigma });
  assertAllClose(
    Array.from(sparse, (v) => v / scale),
    Array.from(brute, (v) => v / scale),
    1e-6,
    "sparse vs brute force",
  );
  assertAllClose(Array.from(full, (v) => v / scale), Array.from(brute, (v) => v / scale), 1e-6, "dense vs brute force");
});

Deno.test("heatmap: kernel radius is floor(truncate * sigma + 0.5) and the kernel sums to 1", () => {
  assertEquals(gaussianKernel1d({ sigma: 70 }).length, 2 * 280 + 1);
  assertEquals(gaussianKernel1d({ sigma: 50 }).length, 2 * 200 + 1);
  assertAlmostEquals(gaussianKernel1d({ sigma: 70 }).reduce((a, b) => a + b, 0), 1, 1e-12);
});

Deno.test("heatmap: at the canvas size the bicubic resize is the identity; other sizes keep the peak", () => {
  const fix = [{ x: 0.3, y: 0.6, duration: 400 }, { x: 0.7, y: 0.4, duration: 200 }];
  const canvas = normalisedCanvas(fix, { sigma: 70 });
  const same = gazeHeatmap(fix, { width: 768, height: 768, sigma: 70 });
  assertAllClose(same.data, canvas, 1e-6);
  const small = gazeHeatmap(fix, { width: 200, height: 150, sigma: 70 });
  assertEquals([small.width, small.height, small.channels], [200, 150, 1]);
  let best = 0;
  for (let i = 1; i < small.data.length; i++) if (small.data[i] > small.data[best]) best = i;
  // the heavier fixation (x 0.3, y 0.6) is the peak: near column 60, row 90
  assert(Math.abs((best % 200) - 60) <= 2 && Math.abs(Math.floor(best / 200) - 90) <= 2, `peak at ${best}`);
  assertThrows(() => gazeHeatmap([], { width: 10, height: 10, sigma: 70 }), Error, "no fixations");
});

Deno.test("heatmap: sigma may be a dataset name; a record or a bad value fails naming what is accepted", () => {
  assertEquals([heatmapSigma("kvasir"), heatmapSigma("nci-isbi"), heatmapSigma("isic"), heatmapSigma(3.5)], [
    70,
    50,
    70,
    3.5,
  ]);
  const fix = [{ x: 0.3, y: 0.6, duration: 250 }, { x: 0.7, y: 0.4, duration: 400 }];
  const byName = gazeHeatmap(fix, { width: 24, height: 16, sigma: "nci-isbi" });
  const byNumber = gazeHeatmap(fix, { width: 24, height: 16, sigma: HEATMAP_SIGMA["nci-isbi"] });
  assertEquals(byName.data, byNumber.data);
  // the mistake the old doc invited: passing the whole per-dataset record
  const record = HEATMAP_SIGMA as unknown as number;
  const err = assertThrows(() => gazeHeatmap(fix, { width: 24, height: 16, sigma: record }));
  assert((err as Error).message.includes('"kvasir":70'), (err as Error).message);
  assert((err as Error).message.includes("HEATMAP_SIGMA[dataset] or the dataset name"), (err as Error).message);
  assertThrows(() => heatmapSigma("kvasr" as "kvasir"), Error, 'unknown dataset "kvasr"');
  assertThrows(() => heatmapSigma(0), Error, "got 0");
  assertThrows(() => heatmapSigma(Number.NaN), Error, "> 0");
});
