/**
 * ISIC skin-lesion segmentation (Codella et al.): dermoscopy RGB JPEGs
 * `ISIC_xxxxxxx.jpg` with `ISIC_xxxxxxx_segmentation.png` masks (0/255).
 *
 * Layout: `isic/images/<id>.jpg`, `isic/labels/<id>_segmentation.png`,
 * `gazemedseg-splits/ISIC/{train,test}.txt`. The paper does not publish the
 * ISIC year or split; `deno task fetch-data isic` unpacks the ISIC 2017 Task 1
 * archives and writes the lists (train = official training set, test = official
 * test set). Foreground = grey / 255 > 0.5.
 *
 * @module
 */
import { resolveDataRoot } from "./data_root.ts";
import { openFileDataset } from "./file_dataset.ts";
import { DATASET_LAYOUTS } from "./layout.ts";
import { binariseMask } from "./mask.ts";
import { decodeImageBytes } from "./png.ts";
import { toRgb } from "./rgb.ts";
import type { Dataset } from "./types.ts";

/** Options for {@link openIsic}. */
export interface IsicOptions {
  /** Data root; default {@link resolveDataRoot}(). */
  root?: string;
}

/**
 * Open ISIC under the data root. Images decode to RGB uint8; masks to 0/1.
 *
 * @example
 * ```ts ignore
 * import { openIsic } from "../../mod.ts";
 * const ds = await openIsic({ root: "/path/to/data" });
 * ```
 */
export function openIsic(options: IsicOptions = {}): Promise<Dataset> {
  return openFileDataset({
    name: "isic",
    channels: 3,
    root: options.root ?? resolveDataRoot(),
    layout: DATASET_LAYOUTS.isic,
    decodeImage: (bytes, file) => ({ image: toRgb(decodeImageBytes(bytes, file), file) }),
    decodeMask: (bytes, file) => binariseMask(decodeImageBytes(bytes, file), { threshold: 127.5 }),
  });
}
