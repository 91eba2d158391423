/**
 * The paper's published numbers, in ONE place, with their source. Tables put them next
 * to the toolkit's own measurements and show the difference; nothing else in the
 * toolkit types a published number.
 *
 * Source: docs/METHOD.md section 9 ("Published numbers"), taken
 * from Chen et al., "From Gaze to Insight: Bridging Human Visual Attention and Vision
 * Language Model Explanation for Weakly-Supervised Medical Image Segmentation", IEEE TMI
 * 2025 (arXiv 2504.11368), and Zhong et al., "Weakly-supervised medical image
 * segmentation with gaze annotations" (GazeMedSeg), MICCAI 2024, and its released
 * checkpoints. Values are Dice in PERCENT on the test splits of docs/METHOD.md section 2.
 * The paper's HD95/ASD and ablation numbers were not recoverable, so none are listed.
 *
 * @module
 */
import type { DatasetName } from "../data/types.ts";

/** Where a published number comes from. */
export interface PublishedSource {
  /** Short citation. */
  citation: string;
  /** Where in the toolkit's documentation (docs/METHOD.md) it is listed. */
  spec: string;
}

/** One published Dice value. */
export interface PublishedDice {
  /** Mean Dice in percent. */
  dice: number;
  /** Std in percent when the source gives one (over seeds), else null. */
  std: number | null;
  /** What exactly was measured. */
  what: string;
  /** Source. */
  source: PublishedSource;
}

/** Rows of the published table, by the method they describe. */
export type PublishedMethod =
  | "fgi"
  | "gazemedseg-paper"
  | "gazemedseg-checkpoint"
  | "gnanet"
  | "pseudo-heatmap"
  | "pseudo-crf";

const FGI_PAPER: PublishedSource = {
  citation: "Chen et al., From Gaze to Insight, IEEE TMI 2025 (arXiv 2504.11368)",
  spec: "docs/METHOD.md section 9",
};
const GAZEMEDSEG_PAPER: PublishedSource = {
  citation: "Zhong et al., GazeMedSeg, MICCAI 2024",
  spec: "docs/METHOD.md section 9",
};
const GAZEMEDSEG_CKPT: PublishedSource = {
  citation: "GazeMedSeg released checkpoint (Zhong et al. 2024)",
  spec: "docs/METHOD.md section 9",
};

/**
 * Published Dice (%) per method and dataset (docs/METHOD.md section 9). A missing entry means
 * the sources give no number for that dataset.
 */
export const PUBLISHED_DICE: Readonly<Record<PublishedMethod, Partial<Record<DatasetName, PublishedDice>>>> = {
  fgi: {
    kvasir: { dice: 80.78, std: null, what: "FGI student, best checkpoint on test", source: FGI_PAPER },
    "nci-isbi": { dice: 80.53, std: null, what: "FGI student, best checkpoint on test", source: FGI_PAPER },
    isic: { dice: 84.22, std: null, what: "FGI student, best checkpoint on test", source: FGI_PAPER },
  },
  "gazemedseg-paper": {
    kvasir: { dice: 77.80, std: null, what: "GazeMedSeg as reported in its paper", source: GAZEMEDSEG_PAPER },
    "nci-isbi": { dice: 77.64, std: null, what: "GazeMedSeg as reported in its paper", source: GAZEMEDSEG_PAPER },
  },
  "gazemedseg-checkpoint": {
    kvasir: { dice: 78.86, std: null, what: "GazeMedSeg released checkpoint", source: GAZEMEDSEG_CKPT },
    "nci-isbi": { dice: 79.20, std: null, what: "GazeMedSeg released checkpoint", source: GAZEMEDSEG_CKPT },
  },
  gnanet: {
    kvasir: { dice: 79.32, std: 0.39, what: "GNANet, 3 seeds", source: FGI_PAPER },
    "nci-isbi": { dice: 80.33, std: 0.24, what: "GNANet, 3 seeds", source: FGI_PAPER },
  },
  "pseudo-heatmap": {
    kvasir: { dice: 74.5, std: null, what: "pseudo-mask heatmap > 0.5 vs GT, all images", source: FGI_PAPER },
    "nci-isbi": { dice: 79.2, std: null, what: "pseudo-mask heatmap > 0.5 vs GT, all images", source: FGI_PAPER },
  },
  "pseudo-crf": {
    kvasir: { dice: 75.1, std: null, what: "pseudo-mask CRF >= 0.5 vs GT, all images", source: FGI_PAPER },
    "nci-isbi": { dice: 66.6, std: null, what: "pseudo-mask CRF >= 0.5 vs GT, all images", source: FGI_PAPER },
  },
};

/** The published annotation effort (FGI paper): hours for full masks vs gaze. See lib/metrics annotation_cost.ts. */
export const PUBLISHED_ANNOTATION_SOURCE = FGI_PAPER;

/**
 * The published Dice (%) of a method on a dataset, or undefined when the sources give
 * none.
 *
 * @example
 * ```ts
 * import { publishedDice } from "../../mod.ts";
 * const p = publishedDice("fgi", "kvasir"); // { dice: 80.78, ... }
 * const none = publishedDice("fgi", "synthetic"); // undefined
 * ```
 */
export function publishedDice(method: PublishedMethod, dataset: string): PublishedDice | undefined {
  return PUBLISHED_DICE[method]?.[dataset as DatasetName];
}
