/**
 * Evaluation metrics (docs/METHOD.md section 8): Dice, IoU, and medpy's surface metrics
 * HD95, ASD and ASSD on an exact Euclidean distance transform; per-image scoring of
 * logits at the ground truth's original size; summaries over images (mean, std,
 * median, bootstrap interval); paired Wilcoxon comparisons; annotation cost.
 *
 * @module
 */
export * from "./mask.ts";
export * from "./overlap.ts";
export * from "./dice.ts";
export * from "./iou.ts";
export * from "./surface.ts";
export * from "./distance_transform.ts";
export * from "./surface_distance.ts";
export * from "./percentile.ts";
export * from "./hd95.ts";
export * from "./asd.ts";
export * from "./per_image.ts";
export * from "./summary.ts";
export * from "./normal.ts";
export * from "./wilcoxon.ts";
export * from "./paired.ts";
export * from "./annotation_cost.ts";
export * from "./score_files.ts";
export * from "./evaluate.ts";
export * from "./output_stats.ts";
export * from "./training_probe.ts";
export * from "./foreground_share.ts";
