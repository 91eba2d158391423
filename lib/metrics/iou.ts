/**
 * Intersection over union (Jaccard index) as METHOD.md section 8 defines it.
 *
 * @module
 */
import type { Mask } from "./mask.ts";
import { overlapCounts } from "./overlap.ts";

/**
 * IoU = |P ∩ G| / (|P ∪ G| + 1e-7), in [0, 1] (non-zero = foreground).
 *
 * Empty masks: the formula is used as is, so both empty gives 0. Never NaN.
 *
 * @example
 * ```ts
 * import { iou } from "../../mod.ts";
 * const j = iou(new Uint8Array([1, 1, 0, 0]), new Uint8Array([0, 1, 1, 0]));
 * // 1 / (3 + 1e-7) ≈ 0.3333
 * ```
 */
export function iou(pred: Uint8Array | Mask, gt: Uint8Array | Mask): number {
  const c = overlapCounts(pred, gt);
  return c.intersection / (c.pred + c.gt - c.intersection + 1e-7);
}
