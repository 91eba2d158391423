/**
 * Paired comparison of two methods scored on the same images: differences, wins and
 * losses, and the Wilcoxon signed-rank test, for the ablation and main tables.
 *
 * @module
 */
import { median } from "./summary.ts";
import { type WilcoxonOptions, type WilcoxonResult, wilcoxonSignedRank } from "./wilcoxon.ts";

/** Result of {@link comparePaired}; differences are a - b. */
export interface PairedComparison {
  /** Pairs where both values are defined (those compared). */
  n: number;
  /** Pairs left out because a or b is null (undefined metric, e.g. HD95 of an empty prediction). */
  nDropped: number;
  /** Mean of a - b over the compared pairs; null when n = 0. */
  meanDifference: number | null;
  /** Median of a - b; null when n = 0. */
  medianDifference: number | null;
  /** Pairs with a > b. */
  aGreater: number;
  /** Pairs with a < b. */
  bGreater: number;
  /** Pairs with a === b. */
  equal: number;
  /** The two-sided Wilcoxon signed-rank test on a - b; null when n = 0. */
  wilcoxon: WilcoxonResult | null;
}

/**
 * Compare per-image values of method A and method B on the same images (same order,
 * same length). A pair with a null on either side is dropped and counted.
 * Whether "greater" is better depends on the metric (Dice yes, HD95 no).
 *
 * @example
 * ```ts
 * import { comparePaired } from "../../mod.ts";
 * const c = comparePaired([0.8, 0.7, null], [0.75, 0.72, 0.5]);
 * // c.n = 2, c.nDropped = 1, c.aGreater = 1, c.bGreater = 1
 * ```
 */
export function comparePaired(
  a: readonly (number | null)[],
  b: readonly (number | null)[],
  options: WilcoxonOptions = {},
): PairedComparison {
  if (a.length !== b.length) {
    throw new Error(`comparePaired: A has ${a.length} values but B has ${b.length}; pair them by image first`);
  }
  const d: number[] = [];
  let nDropped = 0, aGreater = 0, bGreater = 0, equal = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x === null || y === null) {
      nDropped++;
      continue;
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      throw new Error(`comparePaired: pair ${i} is (${x}, ${y}); expected finite numbers or null`);
    }
    d.push(x - y);
    if (x > y) aGreater++;
    else if (x < y) bGreater++;
    else equal++;
  }
  const n = d.length;
  return {
    n,
    nDropped,
    meanDifference: n ? d.reduce((s, v) => s + v, 0) / n : null,
    medianDifference: n ? median(d) : null,
    aGreater,
    bGreater,
    equal,
    wilcoxon: n ? wilcoxonSignedRank(d, options) : null,
  };
}
