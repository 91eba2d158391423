/**
 * Where the gaze maps of a dataset live and how they are read back. Every map
 * is an 8-bit, 1-channel PNG of the image's own size:
 * ```
 * derivedDir(root, dataset, "heatmap")/<id>.png   gaze heatmap (quantised; see quantise.ts)
 * derivedDir(root, dataset, "crf")/<id>.png       dense-CRF foreground marginal
 * derivedDir(root, dataset, "gaze")/              settings.json, quality.json, quality.csv
 * ```
 * A `variant` (e.g. "sim" for maps from simulated gaze on a dataset that has
 * real gaze) appends `-<variant>` to each folder name. PNG is lossless; the
 * original's JPEG storage is reproduced, when asked, by changing the values
 * before writing (quantise.ts `jpegRoundTrip`), so readers never need to know.
 *
 * Readers (trainer, text describer, figures) call {@link loadGazeMaps}, which
 * returns float32 maps v / 255 in [0, 1], exactly what GazeMedSeg's loader reads.
 *
 * @module
 */
import { join } from "node:path";
import { atomicWrite } from "../core/atomic_write.ts";
import { assertPlainId, derivedDir } from "../data/data_root.ts";
import { decodeImageBytes, encodePngRaster } from "../data/png.ts";
import type { Raster } from "../data/raster.ts";
import { dequantiseMap } from "./quantise.ts";

/** The two stored map kinds. */
export type GazeMapKind = "heatmap" | "crf";

/** Which set of maps: the default (real gaze, or simulated where no real gaze exists) or a named variant. */
export interface GazeMapOptions {
  /** Folder suffix, e.g. "sim" gives `heatmap-sim/`, `crf-sim/`, `gaze-sim/`. Default none. */
  variant?: string;
}

function suffix(options: GazeMapOptions): string {
  if (options.variant === undefined || options.variant === "") return "";
  if (!/^[a-z0-9_]+$/i.test(options.variant)) {
    throw new Error(`gaze maps: variant ${JSON.stringify(options.variant)} must be letters, digits or _`);
  }
  return `-${options.variant}`;
}

/** Folder of one kind of map (or "gaze" for the reports). */
export function gazeMapDir(
  root: string,
  dataset: string,
  kind: GazeMapKind | "gaze",
  options: GazeMapOptions = {},
): string {
  return derivedDir(root, dataset, `${kind}${suffix(options)}`);
}

/**
 * Path of one map: `<gazeMapDir>/<id>.png`.
 *
 * @example
 * ```ts
 * import { gazeMapPath } from "../../mod.ts";
 * const p = gazeMapPath("/data", "kvasir", "crf", "abc");
 * if (!p.endsWith("kvasir/crf/abc.png")) throw new Error(p);
 * ```
 */
export function gazeMapPath(
  root: string,
  dataset: string,
  kind: GazeMapKind,
  id: string,
  options: GazeMapOptions = {},
): string {
  return join(gazeMapDir(root, dataset, kind, options), `${assertPlainId(id, `gaze map of ${dataset}`)}.png`);
}

/** Write an 8-bit 1-channel map as PNG, atomically (parent folders are created). */
export async function writeGazeMap(path: string, map: Raster<Uint8Array>): Promise<void> {
  if (map.channels !== 1) throw new Error(`writeGazeMap: ${path}: expected a 1-channel map, got ${map.channels}`);
  await atomicWrite(path, encodePngRaster(map));
}

/** Read an 8-bit map written by {@link writeGazeMap}; a missing file names the path and the task that makes it. */
export async function readGazeMap(path: string): Promise<Raster<Uint8Array>> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`${path}: gaze map not found; run \`deno task prepare <dataset>\` first`);
    }
    throw err;
  }
  const r = decodeImageBytes(bytes, path);
  if (r.channels !== 1) throw new Error(`${path}: expected a 1-channel (grey) map, got ${r.channels} channels`);
  return r;
}

/** The two maps of one image as float32 in [0, 1] (v / 255), at the image's size. */
export interface GazeMaps {
  /** Gaze heatmap. */
  heatmap: Raster<Float32Array>;
  /** Dense-CRF foreground marginal (the map the levels are cut from). */
  crf: Raster<Float32Array>;
}

/**
 * Load the heatmap and CRF map of one image.
 *
 * @example
 * ```ts ignore
 * import { loadGazeMaps } from "../../mod.ts";
 * const { heatmap, crf } = await loadGazeMaps("/path/to/data", "kvasir", "cju0qkwl35piu0993l0dewei2");
 * ```
 */
export async function loadGazeMaps(
  root: string,
  dataset: string,
  id: string,
  options: GazeMapOptions = {},
): Promise<GazeMaps> {
  const [h, c] = await Promise.all([
    readGazeMap(gazeMapPath(root, dataset, "heatmap", id, options)),
    readGazeMap(gazeMapPath(root, dataset, "crf", id, options)),
  ]);
  if (h.width !== c.width || h.height !== c.height) {
    throw new Error(
      `gaze maps of ${dataset}/${id}: heatmap is ${h.width}x${h.height} but CRF map is ${c.width}x${c.height}`,
    );
  }
  return { heatmap: dequantiseMap(h), crf: dequantiseMap(c) };
}

/** True when both maps of `id` exist. */
export async function hasGazeMaps(
  root: string,
  dataset: string,
  id: string,
  options: GazeMapOptions = {},
): Promise<boolean> {
  for (const kind of ["heatmap", "crf"] as const) {
    try {
      await Deno.stat(gazeMapPath(root, dataset, kind, id, options));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return false;
      throw err;
    }
  }
  return true;
}
