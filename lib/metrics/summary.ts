/**
 * Summaries of per-image scores over a test set: mean, standard deviation, median,
 * extremes and a seeded bootstrap confidence interval of the mean.
 *
 * Undefined scores (`null`, e.g. HD95 of an empty prediction under the "null" policy)
 * are left out of every statistic and COUNTED (`nUndefined`), so a table can show them;
 * a non-finite number (NaN, Infinity) is an error, never averaged silently.
 *
 * Standard deviation: POPULATION std (ddof = 0) by default, as `np.std` and as
 * "mean ± std over test images" is usually computed in PyTorch/numpy evaluation code;
 * pass `{ ddof: 1 }` for the sample std (`np.std(ddof=1)`, `torch.std` default).
 *
 * @module
 */
import { Rng } from "../core/rng.ts";
import { percentile } from "./percentile.ts";

/** Summary of one metric over images. Statistics are null when no value is defined. */
export interface Summary {
  /** Number of images (defined + undefined). */
  n: number;
  /** Images with a defined value (those the statistics use). */
  nDefined: number;
  /** Images whose value was null (e.g. empty prediction for HD95); left out of the statistics. */
  nUndefined: number;
  /** Arithmetic mean of the defined values. */
  mean: number | null;
  /** Standard deviation with `ddof` (0 = population, the default); null when nDefined <= ddof. */
  std: number | null;
  /** Degrees of freedom subtracted in `std`'s denominator. */
  ddof: number;
  /** Median (numpy rule: mean of the two middle values for even counts). */
  median: number | null;
  /** Smallest defined value. */
  min: number | null;
  /** Largest defined value. */
  max: number | null;
  /** Bootstrap percentile interval of the mean, `[lo, hi]` at `level`; null when nDefined = 0. */
  ci: [number, number] | null;
  /** Confidence level of `ci` (default 0.95). */
  level: number;
  /** Bootstrap resamples used for `ci`. */
  resamples: number;
  /** Seed of the bootstrap's Rng. */
  seed: number;
}

/** Options of {@link summarize}. */
export interface SummaryOptions {
  /** Std denominator n - ddof; default 0 (population std, as np.std). */
  ddof?: number;
  /** Bootstrap resamples for the interval; default 2000. */
  resamples?: number;
  /** Seed of the bootstrap; default 0. */
  seed?: number;
  /** Confidence level of the interval; default 0.95. */
  level?: number;
}

function checkFinite(values: readonly number[], what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new Error(`${what}: value ${i} is ${values[i]}, expected a finite number`);
  }
}

/** Split values into the defined numbers and the count of nulls; throws on NaN/Infinity/undefined. */
export function definedValues(values: readonly (number | null)[]): { values: number[]; nUndefined: number } {
  const out: number[] = [];
  let nu = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null) nu++;
    else if (typeof v === "number" && Number.isFinite(v)) out.push(v);
    else throw new Error(`value ${i} is ${v}; expected a finite number or null (undefined metric)`);
  }
  return { values: out, nUndefined: nu };
}

/** Arithmetic mean (plain float64 sum). Throws on an empty list or non-finite values. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error("mean: no values");
  checkFinite(values, "mean");
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

/**
 * Standard deviation sqrt(sum (x - mean)^2 / (n - ddof)); ddof 0 (default) is the
 * population std (np.std), 1 the sample std. Throws when n <= ddof.
 */
export function std(values: readonly number[], options: { ddof?: number } = {}): number {
  const ddof = options.ddof ?? 0;
  if (values.length <= ddof) throw new Error(`std: need more than ${ddof} values, got ${values.length}`);
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) * (v - m);
  return Math.sqrt(s / (values.length - ddof));
}

/** Median (np.median). Throws on an empty list. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * Bootstrap percentile interval of the MEAN: `resamples` resamples of n values drawn
 * with replacement (seeded {@link Rng}), the mean of each, then the (1 - level) / 2 and
 * (1 + level) / 2 percentiles (numpy's linear rule) of those means. Deterministic for a
 * given seed.
 *
 * @example
 * ```ts
 * import { bootstrapInterval } from "../../mod.ts";
 * const [lo, hi] = bootstrapInterval([0.7, 0.8, 0.9, 0.85], { seed: 0 });
 * ```
 */
export function bootstrapInterval(
  values: readonly number[],
  options: { resamples?: number; seed?: number; level?: number } = {},
): [number, number] {
  const n = values.length;
  if (n === 0) throw new Error("bootstrapInterval: no values");
  checkFinite(values, "bootstrapInterval");
  const B = options.resamples ?? 2000, level = options.level ?? 0.95;
  if (!(Number.isInteger(B) && B > 0)) throw new Error(`bootstrapInterval: resamples must be a positive integer`);
  if (!(level > 0 && level < 1)) throw new Error(`bootstrapInterval: level must be in (0, 1), got ${level}`);
  const rng = new Rng(options.seed ?? 0);
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rng.next() * n)];
    means[b] = s / n;
  }
  means.sort();
  return [
    percentile(means, ((1 - level) / 2) * 100, { sorted: true }),
    percentile(means, ((1 + level) / 2) * 100, { sorted: true }),
  ];
}

/**
 * Summarise one metric over images (nulls counted, not averaged).
 *
 * @example
 * ```ts
 * import { summarize } from "../../mod.ts";
 * const s = summarize([0.8, null, 0.6]);
 * // s.mean = 0.7, s.std = 0.1 (ddof 0), s.nUndefined = 1
 * ```
 */
export function summarize(values: readonly (number | null)[], options: SummaryOptions = {}): Summary {
  const { values: v, nUndefined } = definedValues(values);
  const ddof = options.ddof ?? 0, level = options.level ?? 0.95;
  const resamples = options.resamples ?? 2000, seed = options.seed ?? 0;
  const has = v.length > 0;
  let min: number | null = null, max: number | null = null;
  for (const x of v) {
    if (min === null || x < min) min = x;
    if (max === null || x > max) max = x;
  }
  return {
    n: values.length,
    nDefined: v.length,
    nUndefined,
    mean: has ? mean(v) : null,
    std: v.length > ddof ? std(v, { ddof }) : null,
    ddof,
    median: has ? median(v) : null,
    min,
    max,
    ci: has ? bootstrapInterval(v, { resamples, seed, level }) : null,
    level,
    resamples,
    seed,
  };
}
