/**
 * The Dice coefficient as METHOD.md section 8 defines it.
 *
 * @module
 */
import type { Mask } from "./mask.ts";
import { overlapCounts } from "./overlap.ts";

/**
 * Dice = 2|P ∩ G| / (|P| + |G| + 1e-7), in [0, 1] (non-zero = foreground).
 *
 * Empty masks: the formula is used as is, so an empty prediction against a non-empty
 * ground truth gives 0, and BOTH empty also gives 0 (as the paper's formula and medpy's
 * `dc` do; no special case). Never NaN.
 *
 * @example
 * ```ts
 * import { dice } from "../../mod.ts";
 * const d = dice(new Uint8Array([1, 1, 0, 0]), new Uint8Array([0, 1, 1, 0]));
 * // 2*1 / (2 + 2 + 1e-7) ≈ 0.5
 * ```
 */
export function dice(pred: Uint8Array | Mask, gt: Uint8Array | Mask): number {
  const c = overlapCounts(pred, gt);
  return (2 * c.intersection) / (c.pred + c.gt + 1e-7);
}
