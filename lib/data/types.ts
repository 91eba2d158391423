/**
 * The contract every dataset loader fulfils. Loaders live one per file in this
 * folder (kvasir.ts, nci_isbi.ts, isic.ts, synthetic.ts).
 *
 * @module
 */
import type { Raster } from "./raster.ts";

/** Datasets the toolkit knows. */
export type DatasetName = "kvasir" | "nci-isbi" | "isic" | "synthetic";

/** The splits of docs/METHOD.md section 2. */
export type Split = "train" | "test";

/** What is known about a sample besides its pixels. */
export interface SampleInfo {
  /** Dataset the sample belongs to. */
  dataset: DatasetName;
  /** Original width in pixels. */
  width: number;
  /** Original height in pixels. */
  height: number;
  /** Pixel spacing in mm as [row, column] when known (DICOM), else undefined. */
  spacing?: [number, number];
  /** Where the pixels came from: a file path, or `synthetic:<seed>:<id>`. */
  source: string;
}

/** One image with its ground truth at original size. */
export interface Sample {
  /** Plain id (no extension, no path). */
  id: string;
  /**
   * The image at original size: RGB uint8 (3 channels) for JPEG datasets;
   * for DICOM the pixel array as float32, 1 channel (only the DICOM modality rescale
   * slope/intercept is applied, when the file has it: no windowing, no normalisation).
   */
  image: Raster;
  /** Ground truth, 1 channel uint8 with values 0/1, same size as the image; null when unknown. */
  mask: Raster<Uint8Array> | null;
  /** Size, spacing, source. */
  info: SampleInfo;
}

/** A dataset: ids per split and a loader per id. */
export interface Dataset {
  /** Which dataset. */
  name: DatasetName;
  /** Image channels the network sees (3 RGB, 1 MRI). */
  channels: 1 | 3;
  /** Data root (or "synthetic"). */
  root: string;
  /** Ids of a split, in list order. */
  ids(split: Split): string[];
  /** Load one sample at original size (decoded, not resized). */
  load(id: string): Promise<Sample>;
  /**
   * Files a sample is decoded from (image, then mask when there is one), for
   * cache validation. Absent for generated datasets (synthetic), which are not cached.
   */
  sourceFiles?(id: string): string[];
}
