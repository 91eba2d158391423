/**
 * The Gaussian blur of the gaze canvas, with the semantics of
 * `scipy.ndimage.gaussian_filter(x, sigma)` (what GazeMedSeg calls): a
 * separable correlation, axis 0 (down the columns) first, then axis 1, with
 * float32 storage between and after the passes and float64 accumulation;
 * the 1-D kernel is exp(-x^2 / (2 sigma^2)) for integer x in [-r, r],
 * r = floor(truncate * sigma + 0.5), normalised to sum 1; borders use scipy's
 * `reflect` mode, the half-sample symmetric extension (d c b a | a b c d | d c b a),
 * repeated as often as needed for kernels wider than the line.
 *
 * Two implementations: {@link gaussianFilter2d} for any dense image, and
 * {@link blurPoints} for a canvas that is zero except at a few points (the
 * fixation canvas), which gives the same numbers in O(points x pixels) instead
 * of O(kernel x pixels).
 *
 * @module
 */

/** Options of the Gaussian filters. */
export interface GaussianOptions {
  /** Standard deviation in pixels (> 0). */
  sigma: number;
  /** Kernel half-width in standard deviations (scipy's `truncate`, default 4). */
  truncate?: number;
}

/**
 * The normalised 1-D Gaussian kernel scipy uses, of length 2r + 1 with
 * r = floor(truncate * sigma + 0.5).
 *
 * @example
 * ```ts
 * import { gaussianKernel1d } from "../../mod.ts";
 * const k = gaussianKernel1d({ sigma: 1 }); // radius 4, 9 taps, sums to 1
 * if (k.length !== 9) throw new Error("bad radius");
 * ```
 */
export function gaussianKernel1d(options: GaussianOptions): Float64Array {
  const { sigma } = options;
  const truncate = options.truncate ?? 4;
  if (!(sigma > 0)) throw new Error(`gaussianKernel1d: sigma must be > 0, got ${sigma}`);
  if (!(truncate > 0)) throw new Error(`gaussianKernel1d: truncate must be > 0, got ${truncate}`);
  const r = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * r + 1);
  let sum = 0;
  for (let x = -r; x <= r; x++) sum += k[x + r] = Math.exp((-0.5 / (sigma * sigma)) * x * x);
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * scipy's `reflect` boundary: map any integer position to [0, n) by
 * half-sample symmetric extension with period 2n.
 */
export function reflectIndex(p: number, n: number): number {
  const period = 2 * n;
  let m = p % period;
  if (m < 0) m += period;
  return m < n ? m : period - 1 - m;
}

function filterLines(
  src: Float32Array,
  dst: Float32Array,
  lineLen: number,
  lines: number,
  stride: number,
  lineStep: number,
  k: Float64Array,
): void {
  const r = (k.length - 1) >> 1;
  const idx = new Int32Array(lineLen + 2 * r);
  for (let p = -r; p < lineLen + r; p++) idx[p + r] = reflectIndex(p, lineLen) * stride;
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    for (let i = 0; i < lineLen; i++) {
      let acc = 0;
      for (let t = 0; t < k.length; t++) acc += k[t] * src[base + idx[i + t]];
      dst[base + i * stride] = acc;
    }
  }
}

/**
 * Dense separable Gaussian filter of a single-channel `width` x `height`
 * float32 image (row-major), scipy `gaussian_filter(..., mode="reflect")` semantics.
 *
 * @example
 * ```ts
 * import { gaussianFilter2d } from "../../mod.ts";
 * const img = new Float32Array(25); img[12] = 1;
 * const out = gaussianFilter2d(img, 5, 5, { sigma: 1 });
 * if (!(out[12] > out[11] && out[11] > out[10])) throw new Error("not a bump");
 * ```
 */
export function gaussianFilter2d(
  data: Float32Array,
  width: number,
  height: number,
  options: GaussianOptions,
): Float32Array {
  if (data.length !== width * height) {
    throw new Error(`gaussianFilter2d: data has ${data.length} values, expected ${width}x${height}`);
  }
  const k = gaussianKernel1d(options);
  const tmp = new Float32Array(data.length), out = new Float32Array(data.length);
  // axis 0: each column is a line of `height` values with stride `width`
  filterLines(data, tmp, height, width, width, 1, k);
  // axis 1: each row is a line of `width` values with stride 1
  filterLines(tmp, out, width, height, 1, width, k);
  return out;
}

/**
 * Response at every position of a line of length n to a unit impulse at `at`,
 * reflect boundary: R[i] = sum of k[t] over taps t with reflect(i + t - r) = at.
 */
function impulseResponse(at: number, n: number, k: Float64Array): Float64Array {
  const r = (k.length - 1) >> 1, period = 2 * n;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = 0;
    // positions p in [i - r, i + r] with reflect(p) = at: p = at + m*period or p = period - 1 - at + m*period
    for (const base of [at, period - 1 - at]) {
      const lo = i - r, hi = i + r;
      let p = base + Math.ceil((lo - base) / period) * period;
      for (; p <= hi; p += period) acc += k[p - i + r];
    }
    out[i] = acc;
  }
  return out;
}

/** A weighted point on the canvas. */
export interface CanvasPoint {
  /** Row (0-based, < height). */
  row: number;
  /** Column (0-based, < width). */
  col: number;
  /** Value added at that pixel. */
  weight: number;
}

/**
 * Gaussian filter of a canvas that is zero except at `points` (values at the
 * same pixel add up), equal to {@link gaussianFilter2d} on the dense canvas up
 * to float64 summation order. Returns a `width` x `height` float32 image.
 *
 * @example
 * ```ts
 * import { blurPoints, gaussianFilter2d } from "../../mod.ts";
 * const dense = new Float32Array(64); dense[9] = 2;
 * const a = blurPoints([{ row: 1, col: 1, weight: 2 }], 8, 8, { sigma: 2 });
 * const b = gaussianFilter2d(dense, 8, 8, { sigma: 2 });
 * if (Math.abs(a[0] - b[0]) > 1e-7) throw new Error("mismatch");
 * ```
 */
export function blurPoints(
  points: CanvasPoint[],
  width: number,
  height: number,
  options: GaussianOptions,
): Float32Array {
  const k = gaussianKernel1d(options);
  // canvas values per (col -> row -> summed float32 value), as the dense float32 canvas would hold them
  const byCol = new Map<number, Map<number, number>>();
  for (const p of points) {
    if (!(p.row >= 0 && p.row < height && p.col >= 0 && p.col < width) || !Number.isInteger(p.row + p.col)) {
      throw new Error(`blurPoints: point (${p.row}, ${p.col}) is outside the ${width}x${height} canvas`);
    }
    let col = byCol.get(p.col);
    if (!col) byCol.set(p.col, col = new Map());
    col.set(p.row, Math.fround((col.get(p.row) ?? 0) + p.weight));
  }
  const cols = [...byCol.keys()].sort((a, b) => a - b);
  // axis 0: the filtered columns (only columns with points are non-zero), float32 like scipy's output array
  const colResp = new Map<number, Float64Array>();
  const tmp: Float32Array[] = cols.map((c) => {
    const out = new Float64Array(height);
    for (const [row, v] of byCol.get(c)!) {
      let resp = colResp.get(row);
      if (!resp) colResp.set(row, resp = impulseResponse(row, height, k));
      for (let i = 0; i < height; i++) out[i] += v * resp[i];
    }
    return Float32Array.from(out);
  });
  // axis 1: each row mixes the non-zero columns
  const rowResp = cols.map((c) => impulseResponse(c, width, k));
  const out = new Float32Array(width * height);
  const acc = new Float64Array(width);
  for (let y = 0; y < height; y++) {
    acc.fill(0);
    for (let j = 0; j < cols.length; j++) {
      const v = tmp[j][y];
      if (v === 0) continue;
      const resp = rowResp[j];
      for (let x = 0; x < width; x++) acc[x] += v * resp[x];
    }
    out.set(acc, y * width);
  }
  return out;
}
