/**
 * Intersection over union (Jaccard index) as docs/METHOD.md section 8 defines it.
 *
 * @module
 */
import type { Mask } from "./mask.ts";
import { iouFromCounts, overlapCounts } from "./overlap.ts";

/**
 * IoU = |P ∩ G| / (|P ∪ G| + 1e-7), in [0, 1] (non-zero = foreground).
 *
 * Empty masks: one empty and the other not gives 0; BOTH empty gives 1, as medpy's `jc` and
 * MONAI's `MeanIoU` with `ignore_empty=False` ({@link iouFromCounts}). Never NaN.
 *
 * @example
 * ```ts
 * import { iou } from "../../mod.ts";
 * const j = iou(new Uint8Array([1, 1, 0, 0]), new Uint8Array([0, 1, 1, 0]));
 * // 1 / (3 + 1e-7) ≈ 0.3333
 * ```
 */
export function iou(pred: Uint8Array | Mask, gt: Uint8Array | Mask): number {
  return iouFromCounts(overlapCounts(pred, gt));
}
