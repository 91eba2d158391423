/**
 * The data manifest (`data/manifest.json`): for each dataset, its official
 * sources (URL, SHA-256, size, licence, citation), how archives unpack into the
 * data-root layout, what a local mirror must hold, what the result must contain,
 * and the manual steps where a source cannot be downloaded by a script.
 *
 * @module
 */
import type { UnpackRule } from "./unzip.ts";

/** One downloadable file. */
export interface ManifestSource {
  /** File name of the download (under `<root>/downloads/`, and looked up in `--from` folders). */
  name: string;
  /** Official URL. */
  url: string;
  /** Expected SHA-256 (hex), or null when it could not be recorded (see `note`). */
  sha256: string | null;
  /** Expected size in bytes, or null when unknown. */
  size: number | null;
  /** Why a checksum or size is missing, or anything else a user should know. */
  note?: string;
  /** Licence or terms of this file. */
  licence: string;
  /** What to cite. */
  citation: string;
  /** A plain file: where it goes, relative to the data root. */
  dest?: string;
  /** A zip archive: which entries go where. */
  unpack?: UnpackRule[];
}

/** A folder that must hold `count` files ending in `suffix` after fetching. */
export interface ManifestExpect {
  /** Folder relative to the data root. */
  dir: string;
  /** File-name suffix counted. */
  suffix: string;
  /** Exact number of files expected. */
  count: number;
}

/** Everything the manifest says about one dataset. */
export interface ManifestDataset {
  /** Human-readable title. */
  title: string;
  /** Official page. */
  homepage: string;
  /** Licence / terms summary. */
  licence: string;
  /** Citation(s). */
  citation: string;
  /** Files to download, in order. */
  sources: ManifestSource[];
  /** Paths (relative to a mirror root laid out like the data root) that `--from` copies. */
  mirror: { path: string; required: boolean }[];
  /** Counts to check after fetching. */
  expect?: ManifestExpect[];
  /** Tree digest of known-good unpacked files (see checksum.ts `treeDigest`). */
  tree?: { dirs: string[]; sha256: string; note?: string };
  /** Where split lists built from `unpack` rules with `split` are written (relative folder). */
  splits?: string;
  /** Steps a person must do by hand (printed by the task). */
  manual?: string[];
}

/** The whole manifest. */
export interface Manifest {
  /** Format version (1). */
  version: 1;
  /** Datasets by fetch name (`kvasir`, `nci-isbi`, `isic`). */
  datasets: Record<string, ManifestDataset>;
}

/** The manifest shipped with the toolkit. */
export const DEFAULT_MANIFEST_PATH: string = new URL("../../data/manifest.json", import.meta.url).pathname;

function need(cond: boolean, file: string, where: string, what: string): void {
  if (!cond) throw new Error(`${file}: ${where}: expected ${what}`);
}

/**
 * Check a parsed manifest's shape; errors name `file` and the field path.
 */
export function validateManifest(m: unknown, file: string): Manifest {
  const obj = m as Manifest;
  need(typeof m === "object" && m !== null, file, "top level", "an object");
  need(obj.version === 1, file, "version", "1");
  need(typeof obj.datasets === "object" && obj.datasets !== null, file, "datasets", "an object");
  for (const [name, d] of Object.entries(obj.datasets)) {
    const at = `datasets.${name}`;
    for (const k of ["title", "homepage", "licence", "citation"] as const) {
      need(typeof d[k] === "string", file, `${at}.${k}`, "a string");
    }
    need(Array.isArray(d.sources), file, `${at}.sources`, "an array");
    d.sources.forEach((s, i) => {
      const sa = `${at}.sources[${i}]`;
      need(
        typeof s.name === "string" && !s.name.includes("/") && !s.name.includes(".."),
        file,
        `${sa}.name`,
        "a plain file name",
      );
      need(typeof s.url === "string" && /^https?:\/\//.test(s.url), file, `${sa}.url`, "an http(s) URL");
      need(
        s.sha256 === null || /^[0-9a-f]{64}$/.test(s.sha256),
        file,
        `${sa}.sha256`,
        "64 lowercase hex digits or null",
      );
      need(
        s.size === null || (Number.isInteger(s.size) && s.size > 0),
        file,
        `${sa}.size`,
        "a positive integer or null",
      );
      need(typeof s.licence === "string" && typeof s.citation === "string", file, sa, "licence and citation strings");
      need((s.dest === undefined) !== (s.unpack === undefined), file, sa, "exactly one of dest and unpack");
      if (s.sha256 === null) need(typeof s.note === "string", file, `${sa}.note`, "a note saying why sha256 is null");
    });
    need(Array.isArray(d.mirror), file, `${at}.mirror`, "an array");
  }
  return obj;
}

/** Read and validate a manifest (default: data/manifest.json of the toolkit). */
export async function readManifest(path: string = DEFAULT_MANIFEST_PATH): Promise<Manifest> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read manifest (${(err as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return validateManifest(parsed, path);
}
