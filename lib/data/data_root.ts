/**
 * Where datasets live. Resolution order (docs/METHOD.md section 2): the `--data-dir` flag,
 * then `$GAZE_DATA_DIR`, then `./data/cache` under the toolkit checkout.
 * Tests and tasks never hard-code a path to a mirror.
 *
 * Layout under the data root (the same as the mirror in ../shared/data):
 * ```
 * kvasir-seg/images/<id>.jpg   kvasir-seg/masks/<id>.jpg
 * nci-isbi/images/<id>.dcm     nci-isbi/masks/<id>.png
 * isic/images/<id>.jpg         isic/labels/<id>_segmentation.png
 * gazemedseg-fixations/{kvasir,nci-isbi}_fixation.csv
 * gazemedseg-splits/{Kvasir-SEG,NCI-ISBI-2013,ISIC}/{train,test}.txt
 * nci-isbi-dicom-samples/<id>.dcm   (the mirror's two NCI-ISBI slices, no masks)
 * derived/<dataset>/...        (heatmaps, CRF maps, descriptions, embeddings, caches: cache-<size>/)
 * downloads/                   (archives while fetching; <name>.unpacked.json markers)
 * fetch-<dataset>.json         (provenance of `deno task fetch-data`)
 * ```
 * Per-dataset folders and file-name rules are in layout.ts (`DATASET_LAYOUTS`).
 *
 * @module
 */
import { isAbsolute, join, resolve } from "node:path";

/** Options for {@link resolveDataRoot}. */
export interface DataRootOptions {
  /** Explicit folder (the `--data-dir` flag). */
  dataDir?: string;
}

/** The default data root: `data/cache` in the toolkit checkout. */
export function defaultDataRoot(): string {
  return new URL("../../data/cache", import.meta.url).pathname;
}

/**
 * Resolve the data root: `dataDir`, else `$GAZE_DATA_DIR`, else `./data/cache`.
 *
 * @example
 * ```ts
 * import { resolveDataRoot } from "../../mod.ts";
 * const root = resolveDataRoot({ dataDir: "/tmp/gaze-data" });
 * if (root !== "/tmp/gaze-data") throw new Error(root);
 * ```
 */
export function resolveDataRoot(options: DataRootOptions = {}): string {
  const pick = options.dataDir ?? Deno.env.get("GAZE_DATA_DIR") ?? defaultDataRoot();
  return isAbsolute(pick) ? pick : resolve(Deno.cwd(), pick);
}

/**
 * Folder for files the toolkit derives from a dataset (gaze maps, descriptions,
 * embeddings, decoded-array caches): `<derived>/<dataset>/<kind>`, where
 * `<derived>` is `$GAZE_DERIVED_DIR` when set (e.g. when the data root is a
 * read-only mirror) and `<root>/derived` otherwise.
 */
export function derivedDir(root: string, dataset: string, kind: string): string {
  const base = Deno.env.get("GAZE_DERIVED_DIR") ?? join(root, "derived");
  return join(base, dataset, kind);
}

/**
 * Refuse ids that are not plain names. Ids come from split lists and CSV files;
 * one with a path separator or `..` could read or write outside the data root.
 *
 * @param id the id to check
 * @param where file (and line) it came from, for the error message
 */
export function assertPlainId(id: string, where: string): string {
  if (!id || id.includes("/") || id.includes("\\") || id.includes("..") || id.includes("\0")) {
    throw new Error(`${where}: id ${JSON.stringify(id)} is not a plain name (no path separators or '..' allowed)`);
  }
  return id;
}
