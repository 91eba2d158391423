/**
 * Pixel counts shared by Dice and IoU: |P|, |G| and |P ∩ G| of two binary masks.
 *
 * @module
 */
import { checkSameSize, type Mask } from "./mask.ts";

/** Pixel counts of a prediction P against a ground truth G. */
export interface OverlapCounts {
  /** |P|: foreground pixels of the prediction. */
  pred: number;
  /** |G|: foreground pixels of the ground truth. */
  gt: number;
  /** |P ∩ G|. */
  intersection: number;
}

/**
 * Count |P|, |G| and |P ∩ G| (non-zero = foreground). Accepts masks (sizes must match)
 * or plain byte arrays of equal length.
 */
export function overlapCounts(pred: Uint8Array | Mask, gt: Uint8Array | Mask): OverlapCounts {
  let p: Uint8Array, g: Uint8Array;
  if (pred instanceof Uint8Array || gt instanceof Uint8Array) {
    if (!(pred instanceof Uint8Array && gt instanceof Uint8Array)) {
      throw new Error("overlapCounts: pass two Uint8Arrays or two Masks, not one of each");
    }
    if (pred.length !== gt.length) {
      throw new Error(`prediction has ${pred.length} pixels but ground truth has ${gt.length}`);
    }
    p = pred;
    g = gt;
  } else {
    checkSameSize(pred, gt);
    p = pred.data;
    g = gt.data;
  }
  let np = 0, ng = 0, ni = 0;
  for (let i = 0; i < p.length; i++) {
    const a = p[i] !== 0, b = g[i] !== 0;
    if (a) np++;
    if (b) ng++;
    if (a && b) ni++;
  }
  return { pred: np, gt: ng, intersection: ni };
}

/**
 * Dice from counts: 2|P ∩ G| / (|P| + |G| + 1e-7), and exactly 1 when both masks are empty (|P| + |G| = 0), as
 * medpy's `dc` (its ZeroDivisionError branch) and MONAI's `DiceMetric(ignore_empty=False)` define it: two empty masks
 * agree perfectly. An empty prediction against a non-empty ground truth (or the reverse) gives 0.
 *
 * @example
 * ```ts
 * import { diceFromCounts } from "../../mod.ts";
 * if (diceFromCounts({ pred: 0, gt: 0, intersection: 0 }) !== 1) throw new Error("both empty is 1");
 * if (diceFromCounts({ pred: 0, gt: 5, intersection: 0 }) !== 0) throw new Error("one empty is 0");
 * ```
 */
export function diceFromCounts(c: OverlapCounts): number {
  if (c.pred + c.gt === 0) return 1;
  return (2 * c.intersection) / (c.pred + c.gt + 1e-7);
}

/**
 * IoU from counts: |P ∩ G| / (|P ∪ G| + 1e-7), and exactly 1 when both masks are empty (|P ∪ G| = 0), as medpy's `jc`
 * and MONAI's `MeanIoU(ignore_empty=False)`.
 *
 * @example
 * ```ts
 * import { iouFromCounts } from "../../mod.ts";
 * if (iouFromCounts({ pred: 0, gt: 0, intersection: 0 }) !== 1) throw new Error("both empty is 1");
 * ```
 */
export function iouFromCounts(c: OverlapCounts): number {
  const union = c.pred + c.gt - c.intersection;
  if (union === 0) return 1;
  return c.intersection / (union + 1e-7);
}
