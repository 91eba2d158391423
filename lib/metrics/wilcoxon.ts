/**
 * The Wilcoxon signed-rank test on paired differences, two-sided, following
 * `scipy.stats.wilcoxon` defaults (scipy 1.17: `zero_method="wilcox"`,
 * `correction=False`, `method="auto"`).
 *
 * - Zero differences are dropped (Wilcoxon's method); the rest are ranked by |d|
 *   with average ranks for ties. R+ / R- are the rank sums of positive / negative d.
 * - `"exact"`: the exact null distribution of R+ over all 2^n sign assignments of the
 *   ranks (computed by dynamic programming on doubled ranks, so it stays exact with
 *   tied, half-integer ranks). Without ties this is the classical Wilcoxon
 *   distribution; with ties it is the exact permutation distribution that scipy's
 *   `PermutationMethod` enumerates. p = min(1, 2 min(P(R+ <= r), P(R+ >= r))).
 * - `"approx"`: the normal approximation z = (R+ - n(n+1)/4) / sigma with the tie
 *   correction sigma^2 = n(n+1)(2n+1)/24 - sum(t^3 - t)/48 (t = size of each tie group),
 *   optionally the continuity correction (R+ moved 0.5 towards the mean; off by default,
 *   as in scipy), p = 2 P(Z > |z|).
 * - `"auto"` (default), as scipy 1.17: more than 50 differences (zeros included) ->
 *   approx; else no ties and no zeros -> exact; else at most 13 differences -> exact
 *   (scipy enumerates the permutations there); else approx.
 *
 * No non-zero difference at all: R+ = R- = 0 and p = 1 (no evidence of a difference);
 * never NaN.
 *
 * @module
 */
import { normalSf } from "./normal.ts";

/** How the p-value is computed: see the module documentation. */
export type WilcoxonMethod = "auto" | "exact" | "approx";

/** Options of {@link wilcoxonSignedRank}. */
export interface WilcoxonOptions {
  /** Default "auto" (scipy's rule). */
  method?: WilcoxonMethod;
  /** Continuity correction in the normal approximation; default false (scipy default). */
  correction?: boolean;
}

/** Result of {@link wilcoxonSignedRank}. */
export interface WilcoxonResult {
  /** min(R+, R-), what scipy reports as `statistic` for the two-sided test. */
  statistic: number;
  /** Sum of the ranks of the positive differences. */
  rPlus: number;
  /** Sum of the ranks of the negative differences. */
  rMinus: number;
  /** Number of non-zero differences (those ranked). */
  n: number;
  /** Number of zero differences dropped. */
  nZero: number;
  /** Whether some |d| values are tied. */
  hasTies: boolean;
  /** Two-sided p-value, in (0, 1]. */
  pValue: number;
  /** The method actually used. */
  method: "exact" | "approx";
  /** The z statistic (of R+, continuity-corrected when asked) when method is "approx", else null. */
  z: number | null;
  /** Whether the continuity correction was applied. */
  correction: boolean;
}

/** Largest n for which the exact distribution is computed (O(n^3) work). */
export const WILCOXON_EXACT_MAX_N = 400;

/** Average ranks (1-based) of `values`, plus the sizes of the tie groups. */
function averageRanks(values: number[]): { ranks: Float64Array; ties: number[] } {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  const ties: number[] = [];
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j + 2) / 2; // average of ranks i+1 .. j+1
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    if (j > i) ties.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, ties };
}

/** Exact two-sided p of R+ = rPlus given the (possibly tied) ranks, over all sign assignments. */
function exactPValue(ranks: Float64Array, rPlus: number): number {
  const r2 = Array.from(ranks, (r) => Math.round(2 * r)); // integers (ranks are multiples of 0.5)
  const total = r2.reduce((a, b) => a + b, 0);
  let p = new Float64Array(total + 1), q = new Float64Array(total + 1);
  p[0] = 1;
  let reach = 0;
  for (const r of r2) {
    q.fill(0, 0, reach + r + 1);
    for (let s = 0; s <= reach; s++) {
      if (p[s] === 0) continue;
      q[s] += 0.5 * p[s];
      q[s + r] += 0.5 * p[s];
    }
    reach += r;
    [p, q] = [q, p];
  }
  const t = Math.round(2 * rPlus);
  let le = 0, ge = 0;
  for (let s = 0; s <= total; s++) {
    if (s <= t) le += p[s];
    if (s >= t) ge += p[s];
  }
  return Math.min(1, 2 * Math.min(le, ge));
}

/**
 * Two-sided Wilcoxon signed-rank test of the paired `differences` (a_i - b_i) having a
 * distribution symmetric about 0. Throws on a non-finite difference.
 *
 * @example
 * ```ts
 * import { wilcoxonSignedRank } from "../../mod.ts";
 * // |d| ranks 3,1,4,5,2,6; R- = 1 + 2 = 3; exact P(R+ <= 3) = 5/64, so p = 10/64
 * const r = wilcoxonSignedRank([1.5, -0.5, 2, 3, -1, 4]);
 * // r.statistic = 3, r.pValue = 0.15625, r.method = "exact"
 * ```
 */
export function wilcoxonSignedRank(differences: readonly number[], options: WilcoxonOptions = {}): WilcoxonResult {
  const method = options.method ?? "auto";
  if (method !== "auto" && method !== "exact" && method !== "approx") {
    throw new Error(`wilcoxon: method must be "auto", "exact" or "approx", got ${JSON.stringify(method)}`);
  }
  const correction = options.correction ?? false;
  const nonzero: number[] = [];
  for (let i = 0; i < differences.length; i++) {
    const d = differences[i];
    if (!Number.isFinite(d)) throw new Error(`wilcoxon: difference ${i} is ${d}, expected a finite number`);
    if (d !== 0) nonzero.push(d);
  }
  const n = nonzero.length, nZero = differences.length - n;
  const { ranks, ties } = averageRanks(nonzero.map(Math.abs));
  let rPlus = 0, rMinus = 0;
  for (let i = 0; i < n; i++) {
    if (nonzero[i] > 0) rPlus += ranks[i];
    else rMinus += ranks[i];
  }
  const hasTies = ties.length > 0;
  const base = { statistic: Math.min(rPlus, rMinus), rPlus, rMinus, n, nZero, hasTies, correction };
  if (n === 0) return { ...base, pValue: 1, method: "exact", z: null };
  let use: "exact" | "approx";
  if (method === "auto") {
    const total = differences.length;
    if (total > 50) use = "approx";
    else if (!hasTies && nZero === 0) use = "exact";
    else use = total <= 13 ? "exact" : "approx";
  } else use = method;
  if (use === "exact") {
    if (n > WILCOXON_EXACT_MAX_N) {
      throw new Error(`wilcoxon: exact method supports at most ${WILCOXON_EXACT_MAX_N} differences, got ${n}`);
    }
    return { ...base, pValue: exactPValue(ranks, rPlus), method: "exact", z: null };
  }
  const mn = (n * (n + 1)) / 4;
  let tieSum = 0;
  for (const t of ties) tieSum += t * t * t - t;
  const se = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieSum / 48);
  let num = rPlus - mn;
  if (correction) num -= 0.5 * Math.sign(num);
  const z = num / se;
  return { ...base, pValue: Math.min(1, 2 * normalSf(Math.abs(z))), method: "approx", z };
}
