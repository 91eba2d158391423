/**
 * Exact Euclidean distance maps (Felzenszwalb & Huttenlocher 2012, two 1-D
 * passes of the lower envelope of parabolas), used by the scanpath simulator
 * to place fixations by depth inside a lesion and by distance outside it.
 * Unit spacing, pixel centres. (lib/metrics has its own, spacing-aware copy
 * for surface distances; the layering keeps gaze from importing metrics.)
 *
 * @module
 */

const INF = 1e20;

function edt1d(f: Float64Array, n: number, d: Float64Array, v: Int32Array, z: Float64Array): void {
  let k = 0;
  v[0] = 0;
  z[0] = -INF;
  z[1] = INF;
  for (let q = 1; q < n; q++) {
    let s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    while (s <= z[k]) {
      k--;
      s = (f[q] + q * q - (f[v[k]] + v[k] * v[k])) / (2 * q - 2 * v[k]);
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = INF;
  }
  k = 0;
  for (let q = 0; q < n; q++) {
    while (z[k + 1] < q) k++;
    d[q] = (q - v[k]) * (q - v[k]) + f[v[k]];
  }
}

/**
 * Distance from every pixel to the nearest pixel where `seed[i] !== 0`
 * (0 on seeds), for a `width` x `height` row-major mask. With no seed at all
 * every distance is Infinity.
 *
 * @example
 * ```ts
 * import { distanceMap } from "../../mod.ts";
 * const d = distanceMap(new Uint8Array([1, 0, 0, 0]), 4, 1);
 * if (d[3] !== 3) throw new Error(String(d[3]));
 * ```
 */
export function distanceMap(seed: Uint8Array, width: number, height: number): Float64Array {
  if (seed.length !== width * height) throw new Error(`distanceMap: ${seed.length} values for ${width}x${height}`);
  const n = Math.max(width, height);
  const f = new Float64Array(n), d = new Float64Array(n), v = new Int32Array(n), z = new Float64Array(n + 1);
  const g = new Float64Array(width * height);
  let any = false;
  for (let i = 0; i < seed.length; i++) {
    g[i] = seed[i] ? 0 : INF;
    if (seed[i]) any = true;
  }
  if (!any) return g.fill(Infinity);
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) f[y] = g[y * width + x];
    edt1d(f, height, d, v, z);
    for (let y = 0; y < height; y++) g[y * width + x] = d[y];
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) f[x] = g[y * width + x];
    edt1d(f, width, d, v, z);
    for (let x = 0; x < width; x++) g[y * width + x] = Math.sqrt(d[x]);
  }
  return g;
}

/** Depth of each foreground pixel: distance to the nearest background pixel (0 on background). */
export function depthMap(mask: Uint8Array, width: number, height: number): Float64Array {
  const bg = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) bg[i] = mask[i] ? 0 : 1;
  const d = distanceMap(bg, width, height);
  // a mask that fills the whole image has no background: depth = distance to the image border instead
  if (!Number.isFinite(d[0])) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) d[y * width + x] = 1 + Math.min(x, y, width - 1 - x, height - 1 - y);
    }
  }
  return d;
}
