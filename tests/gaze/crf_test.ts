import { assert, assertAllClose, assertEquals, assertThrows } from "../assert.ts";
import { bilateralFeatures, crfGuideImage, crfUnary, denseCrf } from "../../lib/gaze/mod.ts";
import { Rng } from "../../lib/core/rng.ts";

const W = 40, H = 20, EDGE = 20;

/** Dark left half (x < 20), bright right half, with mild noise. */
function twoRegions(seed = 0) {
  const rng = new Rng(seed), data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const base = x < EDGE ? 60 : 190;
      for (let c = 0; c < 3; c++) data[3 * (y * W + x) + c] = Math.round(base + rng.normal(0, 3));
    }
  }
  return { width: W, height: H, channels: 3, data };
}

/** A heatmap that ramps across 0.5 at column `at` (an ambiguous band around it). */
function ramp(at: number) {
  const data = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) data[y * W + x] = Math.min(0.95, Math.max(0.05, 0.5 + (x - at) * 0.03));
  }
  return { width: W, height: H, channels: 1, data };
}

function columnsAbove(q: Float32Array, t: number): number[] {
  const cols: number[] = [];
  for (let x = 0; x < W; x++) {
    let all = true;
    for (let y = 0; y < H; y++) if (!(q[y * W + x] > t)) all = false;
    if (all) cols.push(x);
  }
  return cols;
}

Deno.test("crf: an ambiguous heatmap boundary moves to the image edge, from either side", () => {
  const image = twoRegions();
  for (const at of [23, 17]) {
    const prob = ramp(at);
    // before: the 0.5 crossing is 3 px off the edge and the map rises by 0.03 per column everywhere
    assertEquals(columnsAbove(prob.data, 0.5)[0], at + 1);
    const { q1 } = denseCrf(image, prob);
    const fg = columnsAbove(q1.data, 0.5);
    assertEquals(fg[0], EDGE, `boundary from ${at}`);
    assertEquals(fg.length, W - EDGE);
    // after: the largest rise along a row is across the image edge (between columns 19 and 20)
    for (const y of [0, 10, H - 1]) {
      let best = 0;
      for (let x = 1; x < W; x++) {
        if (
          q1.data[y * W + x] - q1.data[y * W + x - 1] > q1.data[y * W + best] - q1.data[y * W + best - 1] || best === 0
        ) best = x;
      }
      assertEquals(best, EDGE, `row ${y}, boundary from ${at}`);
    }
  }
});

Deno.test("crf: a uniform image with a uniform unary stays uniform and keeps its label", () => {
  const image = { width: W, height: H, channels: 3, data: new Uint8Array(W * H * 3).fill(128) };
  for (const h of [0.3, 0.7]) {
    const { q1 } = denseCrf(image, { width: W, height: H, channels: 1, data: new Float32Array(W * H).fill(h) });
    const lo = Math.min(...q1.data), hi = Math.max(...q1.data);
    // no structure appears: the spread (from the symmetric normalisation at the borders) is under a tenth
    // of the uniform shift that mean field applies
    assert(hi - lo < 0.1 * Math.abs((hi + lo) / 2 - h), `spread ${hi - lo} vs shift ${(hi + lo) / 2 - h}`);
    // mean field with a Potts term sharpens toward the label the unary prefers, but never flips it
    if (h < 0.5) assert(hi < h, `q1 ${hi} should move below ${h}`);
    else assert(lo > h, `q1 ${lo} should move above ${h}`);
  }
  // exactly ambiguous stays exactly 0.5
  const { q1 } = denseCrf(image, { width: W, height: H, channels: 1, data: new Float32Array(W * H).fill(0.5) });
  assertAllClose(q1.data, new Float32Array(W * H).fill(0.5), 0);
});

Deno.test("crf: zero iterations (or zero weight) return the clipped unary probability", () => {
  const image = twoRegions(1), prob = ramp(20);
  prob.data[0] = 0;
  prob.data[1] = 1;
  const expected = Float32Array.from(prob.data, (h) => Math.min(1 - 1e-5, Math.max(1e-5, h)));
  assertAllClose(denseCrf(image, prob, { iterations: 0 }).q1.data, expected, 1e-6);
  assertAllClose(denseCrf(image, prob, { weight: 0 }).q1.data, expected, 1e-6);
  const u = crfUnary(prob);
  assertAllClose([u[0], u[1], u[2], u[3]], [0, -Math.log(1e-5), -Math.log(1e-5), 0], 1e-5);
});

Deno.test("crf: MRI guide image is min-max to 0..255, truncated, repeated to RGB", () => {
  const g = crfGuideImage({ width: 4, height: 1, channels: 1, data: new Float32Array([100, 150, 299.9, 300]) });
  assertEquals(Array.from(g.data), [0, 0, 0, 63, 63, 63, 254, 254, 254, 255, 255, 255]);
  assertThrows(() => crfGuideImage({ width: 1, height: 1, channels: 2, data: new Uint8Array(2) }), Error, "2 channels");
  assertThrows(
    () => denseCrf(twoRegions(), { width: 3, height: 3, channels: 1, data: new Float32Array(9) }),
    Error,
    "probability map is 3x3, image is 40x20",
  );
});

/**
 * Reference: mean field of the fully connected CRF with the EXACT Gaussian kernel k_ij = exp(-|f_i - f_j|^2 / 2)
 * (j = i included), symmetric normalisation n_i = (sum_j k_ij)^-1/2, Potts weight 1, in float64, O(N^2).
 */
function exactMeanField(f: Float32Array, u: Float32Array, n: number, iterations = 10): Float64Array {
  const k = new Float64Array(n * n), norm = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let c = 0; c < 5; c++) s += (f[5 * i + c] - f[5 * j + c]) ** 2;
      k[i * n + j] = Math.exp(-0.5 * s);
    }
  }
  for (let i = 0; i < n; i++) norm[i] = 1 / Math.sqrt(k.subarray(i * n, (i + 1) * n).reduce((a, b) => a + b, 0));
  let q = Float64Array.from({ length: n }, (_, i) => 1 / (1 + Math.exp(u[2 * i + 1] - u[2 * i])));
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let m0 = 0, m1 = 0;
      for (let j = 0; j < n; j++) {
        const w = k[i * n + j] * norm[j];
        m1 += w * q[j];
        m0 += w * (1 - q[j]);
      }
      const a = -u[2 * i] + norm[i] * m0, b = -u[2 * i + 1] + norm[i] * m1;
      next[i] = 1 / (1 + Math.exp(a - b));
    }
    q = next;
  }
  return q;
}

Deno.test("crf: the lattice CRF matches exact O(N^2) mean field within the lattice's error", () => {
  const w = 28, h = 20, n = w * h, rng = new Rng(4);
  const data = new Uint8Array(n * 3), p = new Float32Array(n);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x, inside = (x - 16) ** 2 + (y - 10) ** 2 < 49;
      for (let c = 0; c < 3; c++) data[3 * i + c] = Math.round((inside ? 180 : 70) + rng.normal(0, 4));
      p[i] = Math.min(0.95, Math.max(0.05, Math.exp(-((x - 14) ** 2 + (y - 9) ** 2) / 60) + rng.normal(0, 0.05)));
    }
  }
  const image = { width: w, height: h, channels: 3, data }, prob = { width: w, height: h, channels: 1, data: p };
  for (const thetaXY of [5, 80]) {
    const { q1 } = denseCrf(image, prob, { thetaXY });
    const exact = exactMeanField(bilateralFeatures(image, { thetaXY }), crfUnary(prob), n);
    let worst = 0, mean = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.abs(q1.data[i] - exact[i]);
      worst = Math.max(worst, d);
      mean += d / n;
    }
    assert(worst < 0.03 && mean < 0.005, `theta_xy ${thetaXY}: max ${worst}, mean ${mean}`);
    // and the CRF did something: it differs from its input by much more than from the exact CRF
    let moved = 0;
    for (let i = 0; i < n; i++) moved += Math.abs(q1.data[i] - p[i]) / n;
    assert(moved > 10 * mean, `moved ${moved}`);
  }
});
