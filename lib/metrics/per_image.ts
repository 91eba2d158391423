/**
 * Per-image scoring as docs/METHOD.md section 8 prescribes: upsample the foreground logits
 * BILINEARLY (half-pixel centres, as PyTorch `interpolate(align_corners=False)` and
 * cv2) to the ground truth's original size, threshold sigmoid(logit) > 0.5 (i.e.
 * logit > 0), then Dice, IoU, HD95, ASD and ASSD against the ground truth.
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";
import { resize } from "../data/resize.ts";
import { checkMask, checkSameSize, type Mask } from "./mask.ts";
import { diceFromCounts, iouFromCounts, overlapCounts } from "./overlap.ts";
import { emptyCaseValue, type SurfaceDistanceOptions, surfaceDistances } from "./surface_distance.ts";
import { hd95FromDistances } from "./hd95.ts";
import { asdFromDistances, assdFromDistances } from "./asd.ts";

/** Scores of one prediction against its ground truth. */
export interface ImageScores {
  /** 2|P∩G| / (|P| + |G| + 1e-7); 1 when both are empty (medpy `dc`, MONAI `ignore_empty=False`). */
  dice: number;
  /** |P∩G| / (|P∪G| + 1e-7); 1 when both are empty (medpy `jc`). */
  iou: number;
  /** 95th percentile of both directed surface-distance sets; null (policy "null") when a mask is empty. */
  hd95: number | null;
  /** Mean prediction -> GT surface distance; null (policy "null") when a mask is empty. */
  asd: number | null;
  /** Mean of the two directed mean surface distances; null (policy "null") when a mask is empty. */
  assd: number | null;
  /** The prediction has no foreground pixel. */
  predEmpty: boolean;
  /** The ground truth has no foreground pixel. */
  gtEmpty: boolean;
  /** Unit of hd95/asd/assd: "mm" when a spacing was given, else "px". */
  unit: "px" | "mm";
}

/** Options of {@link scoreMask} and {@link scoreLogits}. */
export type ScoreOptions = SurfaceDistanceOptions;

/**
 * Score a binary prediction (non-zero = foreground) against a ground truth of the SAME
 * size. Surface distances are computed once and shared by HD95, ASD and ASSD.
 * `options.spacing` (`[row, column]` mm) switches distances to mm; `options.empty`
 * chooses the empty-mask policy (default: null distances, see surface_distance.ts).
 *
 * @example
 * ```ts
 * import { scoreMask } from "../../mod.ts";
 * const gt = { width: 4, height: 4, data: new Uint8Array(16).fill(1) };
 * const s = scoreMask(gt, gt); // dice ≈ 1, hd95 = 0
 * ```
 */
export function scoreMask(pred: Mask, gt: Mask, options: ScoreOptions = {}): ImageScores {
  checkSameSize(pred, gt);
  const c = overlapCounts(pred, gt);
  const d = surfaceDistances(pred, gt, options);
  const empty = d ? null : emptyCaseValue(pred, gt, options);
  return {
    dice: diceFromCounts(c),
    iou: iouFromCounts(c),
    hd95: d ? hd95FromDistances(d) : empty,
    asd: d ? asdFromDistances(d) : empty,
    assd: d ? assdFromDistances(d) : empty,
    predEmpty: c.pred === 0,
    gtEmpty: c.gt === 0,
    unit: options.spacing ? "mm" : "px",
  };
}

/**
 * Turn foreground logits at the training resolution into a binary mask at
 * `size`: bilinear upsampling with half-pixel centres (lib/data/resize.ts), then
 * foreground = sigmoid(logit) > 0.5, computed exactly as logit > 0.
 *
 * `logits` is an H x W raster (float32 usually); with several channels pass
 * `options.channel` (e.g. 1 for the foreground channel of a 2-channel output).
 */
export function logitsToMask(
  logits: Raster,
  size: { width: number; height: number },
  options: { channel?: number } = {},
): Mask {
  const { width: w, height: h, channels: C, data } = logits;
  if (data.length !== w * h * C) {
    throw new Error(`logits: raster data has ${data.length} values, expected ${w}x${h}x${C}`);
  }
  if (C !== 1 && options.channel === undefined) {
    throw new Error(`logits have ${C} channels: pass { channel } (the foreground channel, e.g. 1)`);
  }
  const ch = options.channel ?? 0;
  if (!(Number.isInteger(ch) && ch >= 0 && ch < C)) throw new Error(`logits: channel ${ch} out of range 0..${C - 1}`);
  let single: Raster = logits;
  if (C !== 1) {
    const one = new Float32Array(w * h);
    for (let i = 0; i < w * h; i++) one[i] = data[i * C + ch];
    single = { width: w, height: h, channels: 1, data: one };
  }
  const up = w === size.width && h === size.height
    ? single
    : resize(single, { width: size.width, height: size.height, mode: "bilinear" });
  const out = new Uint8Array(size.width * size.height);
  for (let i = 0; i < out.length; i++) out[i] = up.data[i] > 0 ? 1 : 0;
  return { width: size.width, height: size.height, data: out };
}

/**
 * Score foreground LOGITS at the training resolution against the ground truth at its
 * original resolution (docs/METHOD.md section 8): {@link logitsToMask} to the GT's size, then
 * {@link scoreMask}. `options.channel` selects the foreground channel of a
 * multi-channel raster.
 *
 * @example
 * ```ts
 * import { scoreLogits } from "../../mod.ts";
 * const logits = { width: 2, height: 2, channels: 1, data: new Float32Array([5, -5, 5, -5]) };
 * const gt = { width: 4, height: 4, data: new Uint8Array([1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0]) };
 * const s = scoreLogits(logits, gt); // dice ≈ 1
 * ```
 */
export function scoreLogits(
  logits: Raster,
  gt: Mask,
  options: ScoreOptions & { channel?: number } = {},
): ImageScores {
  checkMask(gt, "ground truth");
  return scoreMask(logitsToMask(logits, gt, options), gt, options);
}
