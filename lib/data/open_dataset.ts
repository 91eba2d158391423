/**
 * One entry point for every dataset: `openDataset(name, { root, ... })`.
 *
 * @module
 */
import { resolveDataRoot } from "./data_root.ts";
import { openIsic } from "./isic.ts";
import { openKvasir } from "./kvasir.ts";
import { openNciIsbi } from "./nci_isbi.ts";
import { openSynthetic, type SyntheticOptions } from "./synthetic.ts";
import type { Dataset, DatasetName } from "./types.ts";

/** Every dataset name {@link openDataset} accepts. */
export const DATASET_NAMES: readonly DatasetName[] = ["kvasir", "nci-isbi", "isic", "synthetic"];

/** Options for {@link openDataset}. */
export interface OpenDatasetOptions {
  /** Data root for file-backed datasets; default {@link resolveDataRoot}() (--data-dir, $GAZE_DATA_DIR, ./data/cache). */
  root?: string;
  /** NCI-ISBI only: read the two mirror slices in `nci-isbi-dicom-samples/` (no masks). */
  samples?: boolean;
  /** Silence notes on stderr. */
  quiet?: boolean;
  /** Synthetic only: seed, counts and image size. */
  synthetic?: SyntheticOptions;
}

/**
 * Open a dataset by name. File-backed datasets check their folders and split
 * lists now (errors name the file); `synthetic` needs no files.
 *
 * @example
 * ```ts
 * import { openDataset } from "../../mod.ts";
 * const ds = await openDataset("synthetic", { synthetic: { seed: 0, train: 2, test: 1, size: 32 } });
 * const s = await ds.load(ds.ids("test")[0]);
 * if (s.image.channels !== 3 || s.mask === null) throw new Error("bad sample");
 * ```
 */
export async function openDataset(name: string, options: OpenDatasetOptions = {}): Promise<Dataset> {
  const root = options.root ?? resolveDataRoot();
  switch (name) {
    case "kvasir":
      return await openKvasir({ root });
    case "nci-isbi":
      return await openNciIsbi({ root, samples: options.samples, quiet: options.quiet });
    case "isic":
      return await openIsic({ root });
    case "synthetic":
      return openSynthetic(options.synthetic);
    default:
      throw new Error(`unknown dataset '${name}' (expected one of ${DATASET_NAMES.join(", ")})`);
  }
}
