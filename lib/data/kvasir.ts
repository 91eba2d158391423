/**
 * Kvasir-SEG (Jha et al., MMM 2020): 1000 colonoscopy RGB JPEGs (332-1920 px)
 * with JPEG polyp masks; GazeMedSeg split 900 train / 100 test.
 *
 * Layout: `kvasir-seg/images/<id>.jpg`, `kvasir-seg/masks/<id>.jpg`,
 * `gazemedseg-splits/Kvasir-SEG/{train,test}.txt`. Masks are 3-channel JPEGs:
 * foreground = BT.601 grey / 255 > 0.5 (see mask.ts).
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

/** Options for {@link openKvasir}. */
export interface KvasirOptions {
  /** Data root; default {@link resolveDataRoot}(). */
  root?: string;
}

/**
 * Open Kvasir-SEG under the data root. Images decode to RGB uint8; masks to 0/1.
 *
 * @example
 * ```ts ignore
 * import { openKvasir } from "../../mod.ts";
 * const ds = await openKvasir({ root: "/path/to/data" });
 * const s = await ds.load(ds.ids("test")[0]); // s.image: H x W x 3 uint8, s.mask: H x W x 1 0/1
 * ```
 */
export function openKvasir(options: KvasirOptions = {}): Promise<Dataset> {
  return openFileDataset({
    name: "kvasir",
    channels: 3,
    root: options.root ?? resolveDataRoot(),
    layout: DATASET_LAYOUTS.kvasir,
    decodeImage: (bytes, file) => ({ image: toRgb(decodeImageBytes(bytes, file), file) }),
    decodeMask: (bytes, file) => binariseMask(decodeImageBytes(bytes, file), { threshold: 127.5 }),
  });
}
