/**
 * The EXACT Euclidean distance transform (not a chamfer approximation), by the
 * separable lower-envelope-of-parabolas algorithm of Felzenszwalb & Huttenlocher
 * ("Distance Transforms of Sampled Functions", Theory of Computing 2012): linear time,
 * one 1-D pass per column then one per row, with anisotropic pixel spacing.
 *
 * @module
 */
import { checkMask, type Mask } from "./mask.ts";

/**
 * Pixel spacing as `[row, column]` (the distance between row centres, i.e. along y,
 * then between column centres, along x), in mm when known, else `[1, 1]` pixels. Same
 * order as DICOM PixelSpacing, `SampleInfo.spacing` and scipy's `sampling`.
 */
export type Spacing = readonly [row: number, column: number];

/** Options for {@link distanceTransform}. */
export interface DistanceTransformOptions {
  /** Pixel spacing `[row, column]`; default `[1, 1]`. */
  spacing?: Spacing;
  /** Return squared distances (skips the square root). Default false. */
  squared?: boolean;
}

/** Check a spacing pair, naming it in the error. */
export function checkSpacing(spacing: Spacing | undefined): Spacing {
  const s = spacing ?? [1, 1];
  if (s.length !== 2 || !(s[0] > 0 && s[1] > 0 && Number.isFinite(s[0]) && Number.isFinite(s[1]))) {
    throw new Error(`spacing must be two positive finite numbers [row, column], got ${JSON.stringify(s)}`);
  }
  return s;
}

/**
 * 1-D squared distance transform of `f` (length n, Infinity = no seed) sampled at
 * positions i * step, written to `out`: out[q] = min_i ((q - i) * step)^2 + f[i].
 * `v` and `z` are scratch buffers of length n and n + 1.
 */
function dt1d(
  f: Float64Array,
  n: number,
  step: number,
  out: Float64Array,
  v: Int32Array,
  z: Float64Array,
): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q];
    if (fq === Infinity) continue;
    const pq = q * step;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    let s: number;
    for (;;) {
      const vk = v[k], pv = vk * step;
      s = (fq + pq * pq - (f[vk] + pv * pv)) / (2 * (pq - pv));
      if (s <= z[k]) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) {
    out.fill(Infinity, 0, n);
    return;
  }
  let j = 0;
  for (let q = 0; q < n; q++) {
    const pq = q * step;
    while (z[j + 1] < pq) j++;
    const d = pq - v[j] * step;
    out[q] = d * d + f[v[j]];
  }
}

/**
 * Distance from every pixel to the nearest SEED pixel (non-zero in `seeds`), in units
 * of `spacing`. Seeds get 0. With no seed at all every pixel is `Infinity`.
 * Equivalent to scipy's `distance_transform_edt(seeds == 0, sampling=spacing)`.
 *
 * Returns a row-major Float64Array of width * height distances (squared when
 * `options.squared`). Exact: on an integer grid with unit spacing the squared
 * distances are exact integers.
 *
 * @example
 * ```ts
 * import { distanceTransform } from "../../mod.ts";
 * const d = distanceTransform({ width: 3, height: 1, data: new Uint8Array([1, 0, 0]) });
 * // [0, 1, 2]
 * ```
 */
export function distanceTransform(seeds: Mask, options: DistanceTransformOptions = {}): Float64Array {
  checkMask(seeds, "distanceTransform seeds");
  const [sy, sx] = checkSpacing(options.spacing);
  const { width: W, height: H, data } = seeds;
  const n = Math.max(W, H);
  const f = new Float64Array(n), g = new Float64Array(n), v = new Int32Array(n), z = new Float64Array(n + 1);
  const out = new Float64Array(W * H);
  // columns (along y, spacing sy)
  for (let x = 0; x < W; x++) {
    for (let y = 0; y < H; y++) f[y] = data[y * W + x] !== 0 ? 0 : Infinity;
    dt1d(f, H, sy, g, v, z);
    for (let y = 0; y < H; y++) out[y * W + x] = g[y];
  }
  // rows (along x, spacing sx)
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) f[x] = out[row + x];
    dt1d(f, W, sx, g, v, z);
    const root = !options.squared;
    for (let x = 0; x < W; x++) out[row + x] = root ? Math.sqrt(g[x]) : g[x];
  }
  return out;
}
