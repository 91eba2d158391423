/**
 * Where each dataset's files live under the data root (see data_root.ts for the
 * whole tree). Loaders, `deno task fetch-data` and tests all read paths from
 * here, so the layout is written down once.
 *
 * @module
 */
import type { DatasetName } from "./types.ts";

/** Folders and file-name rules of one file-backed dataset, relative to the data root. */
export interface DatasetLayout {
  /** Folder of the images. */
  images: string;
  /** Image file name = id + this suffix. */
  imageSuffix: string;
  /** Folder of the ground-truth masks. */
  masks: string;
  /** Mask file name = id + this suffix. */
  maskSuffix: string;
  /** Folder holding `train.txt` and `test.txt` (one plain id per line). */
  splits: string;
  /** GazeMedSeg fixation CSV, when one exists for the dataset. */
  fixations?: string;
}

/**
 * The layout of the three file-backed datasets (docs/METHOD.md section 2).
 *
 * - Kvasir-SEG: `kvasir-seg/images/<id>.jpg`, `kvasir-seg/masks/<id>.jpg`.
 * - NCI-ISBI 2013: one DICOM per 2D slice, `nci-isbi/images/<case>_<slice>.dcm` (slice 1-based),
 *   label PNG per slice `nci-isbi/masks/<case>_<slice>.png` (label >= 1 = whole gland). The mirror
 *   only has two slices without masks, in `nci-isbi-dicom-samples/` ({@link NCI_ISBI_SAMPLES_DIR}).
 * - ISIC: `isic/images/<id>.jpg`, `isic/labels/<id>_segmentation.png`, lists in `gazemedseg-splits/ISIC/`
 *   (the ISIC split is not published; `deno task fetch-data isic` writes the lists it used).
 */
export const DATASET_LAYOUTS: Record<Exclude<DatasetName, "synthetic">, DatasetLayout> = {
  kvasir: {
    images: "kvasir-seg/images",
    imageSuffix: ".jpg",
    masks: "kvasir-seg/masks",
    maskSuffix: ".jpg",
    splits: "gazemedseg-splits/Kvasir-SEG",
    fixations: "gazemedseg-fixations/kvasir_fixation.csv",
  },
  "nci-isbi": {
    images: "nci-isbi/images",
    imageSuffix: ".dcm",
    masks: "nci-isbi/masks",
    maskSuffix: ".png",
    splits: "gazemedseg-splits/NCI-ISBI-2013",
    fixations: "gazemedseg-fixations/nci-isbi_fixation.csv",
  },
  isic: {
    images: "isic/images",
    imageSuffix: ".jpg",
    masks: "isic/labels",
    maskSuffix: "_segmentation.png",
    splits: "gazemedseg-splits/ISIC",
  },
};

/** Folder of the two NCI-ISBI sample slices in the mirror (DICOM only, no masks). */
export const NCI_ISBI_SAMPLES_DIR = "nci-isbi-dicom-samples";
