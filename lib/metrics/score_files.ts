/**
 * Score predicted mask files against ground-truth mask files, matched by file name,
 * for users comparing any segmentation tool with the toolkit's metrics
 * (`deno task score`).
 *
 * - Files: `.png`, `.jpg`, `.jpeg` (any case), 8-bit grey or RGB (alpha dropped).
 * - Matching: by file name WITHOUT extension, so `cju0qkwl35piu0993l0dewei2.png`
 *   (a prediction) matches `cju0qkwl35piu0993l0dewei2.jpg` (a Kvasir-SEG mask).
 * - Foreground: grey value > 127, i.e. grey/255 > 0.5 (docs/METHOD.md: Kvasir masks are JPEG,
 *   grey/255 > 0.5); RGB is made grey with the ITU-R 601 luma (see {@link maskFromRaster}).
 * - A prediction must have the ground truth's size (no silent resizing).
 *
 * @module
 */
import { basename, extname, join } from "node:path";
import { decodeImageBytes } from "../data/png.ts";
import { maskFromRaster } from "./mask.ts";
import { type ImageScores, scoreMask, type ScoreOptions } from "./per_image.ts";

/** Image extensions read as masks. */
export const MASK_EXTENSIONS = [".png", ".jpg", ".jpeg"] as const;

/** One prediction/ground-truth pair. */
export interface MaskFilePair {
  /** File name without extension (the matching key). */
  name: string;
  /** Prediction file. */
  pred: string;
  /** Ground-truth file. */
  gt: string;
}

function isMaskFile(name: string): boolean {
  return (MASK_EXTENSIONS as readonly string[]).includes(extname(name).toLowerCase());
}

function stem(path: string): string {
  const b = basename(path);
  return b.slice(0, b.length - extname(b).length);
}

async function kindOf(path: string, flag: string): Promise<"file" | "dir"> {
  try {
    const st = await Deno.stat(path);
    if (st.isDirectory) return "dir";
    if (!isMaskFile(path)) throw new Error(`${flag} ${path}: expected a ${MASK_EXTENSIONS.join("/")} file or a folder`);
    return "file";
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new Error(`${flag} ${path}: no such file or folder`);
    throw err;
  }
}

async function listByStem(dir: string, flag: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of Deno.readDir(dir)) {
    if (!isMaskFile(e.name)) continue;
    if (!e.isFile && !(e.isSymlink && (await Deno.stat(join(dir, e.name)).catch(() => null))?.isFile)) continue;
    const s = stem(e.name);
    const prev = out.get(s);
    if (prev) {
      throw new Error(`${flag} ${dir}: two files share the name "${s}" (${basename(prev)}, ${e.name}); keep one`);
    }
    out.set(s, join(dir, e.name));
  }
  if (out.size === 0) throw new Error(`${flag} ${dir}: no ${MASK_EXTENSIONS.join("/")} files in this folder`);
  return out;
}

function listNames(names: string[]): string {
  const shown = names.slice(0, 10).join(", ");
  return names.length > 10 ? `${shown}, ... (${names.length - 10} more)` : shown;
}

/**
 * Pair prediction and ground-truth files. `pred` and `gt` are each a mask file or a
 * folder: file + file is one pair (names need not match); file + folder looks the
 * file's name up in the folder; folder + folder matches every name and fails, listing
 * them, when any prediction lacks a ground truth or any ground truth lacks a
 * prediction. Pairs are sorted by name.
 */
export async function matchMaskFiles(pred: string, gt: string): Promise<MaskFilePair[]> {
  const pk = await kindOf(pred, "--pred"), gk = await kindOf(gt, "--gt");
  if (pk === "file" && gk === "file") return [{ name: stem(pred), pred, gt }];
  if (pk === "dir" && gk === "file") {
    throw new Error(`--pred is a folder but --gt ${gt} is a single file; pass a ground-truth folder`);
  }
  const gts = await listByStem(gt, "--gt");
  if (pk === "file") {
    const g = gts.get(stem(pred));
    if (!g) throw new Error(`--gt ${gt}: no ground truth named "${stem(pred)}" (matching ignores the extension)`);
    return [{ name: stem(pred), pred, gt: g }];
  }
  const preds = await listByStem(pred, "--pred");
  const noGt = [...preds.keys()].filter((k) => !gts.has(k)).sort();
  const noPred = [...gts.keys()].filter((k) => !preds.has(k)).sort();
  if (noGt.length || noPred.length) {
    const parts = [];
    if (noGt.length) parts.push(`${noGt.length} prediction(s) have no ground truth: ${listNames(noGt)}`);
    if (noPred.length) parts.push(`${noPred.length} ground truth(s) have no prediction: ${listNames(noPred)}`);
    throw new Error(`${parts.join("; ")} (files are matched by name without extension)`);
  }
  return [...preds.keys()].sort().map((name) => ({ name, pred: preds.get(name)!, gt: gts.get(name)! }));
}

/** Scores of one file pair. */
export interface FileScores extends ImageScores {
  /** Matching name. */
  name: string;
  /** Prediction file. */
  pred: string;
  /** Ground-truth file. */
  gt: string;
  /** Image width in px. */
  width: number;
  /** Image height in px. */
  height: number;
}

/**
 * Decode and score one pair (see the module documentation for the mask rule). Throws,
 * naming both files, when the sizes differ.
 */
export async function scoreMaskFilePair(pair: MaskFilePair, options: ScoreOptions = {}): Promise<FileScores> {
  const p = maskFromRaster(decodeImageBytes(await Deno.readFile(pair.pred), pair.pred));
  const g = maskFromRaster(decodeImageBytes(await Deno.readFile(pair.gt), pair.gt));
  if (p.width !== g.width || p.height !== g.height) {
    throw new Error(
      `${pair.pred} is ${p.width}x${p.height} but its ground truth ${pair.gt} is ${g.width}x${g.height}; ` +
        "predictions must be at the ground truth's size",
    );
  }
  return {
    name: pair.name,
    pred: pair.pred,
    gt: pair.gt,
    width: g.width,
    height: g.height,
    ...scoreMask(p, g, options),
  };
}

/** A pair that could not be scored, and why. */
export interface ScoreFailure {
  /** Matching name. */
  name: string;
  /** Prediction file. */
  pred: string;
  /** Ground-truth file. */
  gt: string;
  /** What is wrong (names the file), e.g. a size mismatch or an undecodable file. */
  reason: string;
}

/** What {@link scoreMaskFilePairs} returns. */
export interface ScoredFiles {
  /** Scores of the pairs that could be scored, in input order. */
  scores: FileScores[];
  /** The others, in input order. */
  failures: ScoreFailure[];
}

/**
 * Score every pair (see {@link scoreMaskFilePair}), going on past bad pairs: a size mismatch
 * or an unreadable/undecodable file is recorded in `failures` and the rest are scored.
 * `onPair` is called after each pair (progress).
 *
 * @example
 * ```ts ignore
 * const { scores, failures } = await scoreMaskFilePairs(await matchMaskFiles("pred/", "gt/"));
 * for (const f of failures) console.error(`${f.name}: ${f.reason}`);
 * ```
 */
export async function scoreMaskFilePairs(
  pairs: readonly MaskFilePair[],
  options: ScoreOptions & { onPair?: () => void } = {},
): Promise<ScoredFiles> {
  const out: ScoredFiles = { scores: [], failures: [] };
  for (const pair of pairs) {
    try {
      out.scores.push(await scoreMaskFilePair(pair, options));
    } catch (err) {
      const reason = err instanceof Deno.errors.NotFound
        ? `file not found (${(err as Error).message})`
        : (err as Error).message;
      out.failures.push({ ...pair, reason });
    }
    options.onPair?.();
  }
  return out;
}
