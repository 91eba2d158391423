/**
 * NCI-ISBI 2013 prostate T2 MRI (Bloch et al. 2015), scored per 2D slice: one
 * DICOM per slice and one label PNG per slice (label >= 1 = whole gland).
 *
 * Layout: `nci-isbi/images/<case>_<slice>.dcm`, `nci-isbi/masks/<case>_<slice>.png`
 * (slice 1-based), `gazemedseg-splits/NCI-ISBI-2013/{train,test}.txt`. The
 * mirror has only two training slices, without masks, in
 * `nci-isbi-dicom-samples/`: open them with `{ samples: true }`.
 *
 * Images are the DICOM pixel array as float32, 1 channel (see dicom.ts); the
 * pixel spacing goes to `info.spacing` as [row, column] mm.
 *
 * @module
 */
import { resolveDataRoot } from "./data_root.ts";
import { decodeDicom } from "./dicom.ts";
import { openFileDataset } from "./file_dataset.ts";
import { DATASET_LAYOUTS, NCI_ISBI_SAMPLES_DIR } from "./layout.ts";
import { binariseMask } from "./mask.ts";
import { decodeImageBytes } from "./png.ts";
import type { Dataset } from "./types.ts";

/** Options for {@link openNciIsbi}. */
export interface NciIsbiOptions {
  /** Data root; default {@link resolveDataRoot}(). */
  root?: string;
  /**
   * Read the slices of `nci-isbi-dicom-samples/` instead of `nci-isbi/images/`:
   * masks become optional (`mask: null`) and listed ids without a file are left out.
   */
  samples?: boolean;
  /** Silence the note about ids left out in `samples` mode. */
  quiet?: boolean;
}

/**
 * Open NCI-ISBI 2013 under the data root.
 *
 * @example
 * ```ts ignore
 * import { openNciIsbi } from "../../mod.ts";
 * const ds = await openNciIsbi({ samples: true }); // the 2 mirror slices, train split
 * const s = await ds.load(ds.ids("train")[0]); // s.image: 320 x 320 x 1 float32, s.info.spacing [row, col] mm
 * ```
 */
export function openNciIsbi(options: NciIsbiOptions = {}): Promise<Dataset> {
  const layout = options.samples
    ? { ...DATASET_LAYOUTS["nci-isbi"], images: NCI_ISBI_SAMPLES_DIR }
    : DATASET_LAYOUTS["nci-isbi"];
  return openFileDataset({
    name: "nci-isbi",
    channels: 1,
    root: options.root ?? resolveDataRoot(),
    layout,
    masks: options.samples ? "optional" : "required",
    missing: options.samples ? "skip" : "error",
    quiet: options.quiet,
    decodeImage: (bytes, file) => {
      const { image, spacing } = decodeDicom(bytes, file);
      return { image, spacing };
    },
    decodeMask: (bytes, file) => {
      const r = decodeImageBytes(bytes, file);
      if (r.channels !== 1) throw new Error(`${file}: expected a 1-channel label PNG, got ${r.channels} channels`);
      return binariseMask(r, { threshold: 1, inclusive: true });
    },
  });
}
