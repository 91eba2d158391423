/**
 * Percentiles with numpy's default rule (`np.percentile(a, q)`, method "linear").
 *
 * @module
 */

/**
 * The q-th percentile (q in [0, 100]) of `values` with linear interpolation between
 * closest ranks, as `np.percentile(values, q)`: position (n - 1) * q / 100 in the sorted
 * values. Pass `{ sorted: true }` when `values` is already ascending. Throws on an empty
 * input or a non-finite value.
 *
 * @example
 * ```ts
 * import { percentile } from "../../mod.ts";
 * const p = percentile([1, 2, 3, 4], 95); // 3.85
 * ```
 */
export function percentile(
  values: ArrayLike<number>,
  q: number,
  options: { sorted?: boolean } = {},
): number {
  const n = values.length;
  if (n === 0) throw new Error("percentile: no values");
  if (!(q >= 0 && q <= 100)) throw new Error(`percentile: q must be in [0, 100], got ${q}`);
  let s: ArrayLike<number>;
  if (options.sorted) s = values;
  else {
    const c = Float64Array.from(values);
    c.sort();
    s = c;
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(s[i])) throw new Error(`percentile: value ${i} is ${s[i]}, expected a finite number`);
  }
  const pos = ((n - 1) * q) / 100;
  const lo = Math.floor(pos), hi = Math.min(lo + 1, n - 1), t = pos - lo;
  const a = s[lo], b = s[hi];
  // numpy's _lerp: interpolate from the nearer end, so t = 1 gives exactly b
  return t >= 0.5 ? b - (b - a) * (1 - t) : a + (b - a) * t;
}
