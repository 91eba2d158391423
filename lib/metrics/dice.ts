/**
 * The Dice coefficient as docs/METHOD.md section 8 defines it.
 *
 * @module
 */
import type { Mask } from "./mask.ts";
import { diceFromCounts, overlapCounts } from "./overlap.ts";

/**
 * Dice = 2|P ∩ G| / (|P| + |G| + 1e-7), in [0, 1] (non-zero = foreground).
 *
 * Empty masks: an empty prediction against a non-empty ground truth (or the reverse) gives 0;
 * BOTH empty gives 1 (perfect agreement), as medpy's `dc` and MONAI's `DiceMetric` with
 * `ignore_empty=False` do ({@link diceFromCounts}). Never NaN.
 *
 * @example
 * ```ts
 * import { dice } from "../../mod.ts";
 * const d = dice(new Uint8Array([1, 1, 0, 0]), new Uint8Array([0, 1, 1, 0]));
 * // 2*1 / (2 + 2 + 1e-7) ≈ 0.5
 * ```
 */
export function dice(pred: Uint8Array | Mask, gt: Uint8Array | Mask): number {
  return diceFromCounts(overlapCounts(pred, gt));
}
