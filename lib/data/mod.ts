/**
 * Datasets: the data root and layout, loaders (Kvasir-SEG, NCI-ISBI 2013,
 * ISIC, synthetic) behind one {@link openDataset}, image/DICOM decoding,
 * preprocessing (resize, normalise, flip), the disk cache, batches as NHWC
 * Float32Arrays, and fetching datasets from their official sources or a mirror.
 *
 * @module
 */
export * from "./types.ts";
export * from "./raster.ts";
export * from "./resize.ts";
export * from "./png.ts";
export * from "./data_root.ts";
export * from "./layout.ts";
export * from "./image_size.ts";
export * from "./check_files.ts";
export * from "./split_list.ts";
export * from "./mask.ts";
export * from "./rgb.ts";
export * from "./dicom.ts";
export * from "./file_dataset.ts";
export * from "./kvasir.ts";
export * from "./nci_isbi.ts";
export * from "./isic.ts";
export * from "./synthetic.ts";
export * from "./open_dataset.ts";
export * from "./normalise.ts";
export * from "./flip.ts";
export * from "./cache.ts";
export * from "./preprocess.ts";
export * from "./batches.ts";
export * from "./checksum.ts";
export * from "./download.ts";
export * from "./unzip.ts";
export * from "./manifest.ts";
export * from "./fetch.ts";
