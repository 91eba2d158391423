/**
 * The GazeMedSeg fixation CSV (Zhong et al., MICCAI 2024): one row per fixation,
 * columns IMAGE, CURRENT_FIX_INDEX, CURRENT_FIX_X, CURRENT_FIX_Y (normalised
 * 0..1, origin top-left), CURRENT_FIX_DURATION (ms), CURRENT_FIX_PUPIL,
 * CURRENT_FIX_START (ms), IMAGE_HEIGHT, IMAGE_WIDTH (docs/METHOD.md section 3).
 *
 * Parsing uses npm:csv-parse. Structural problems (a missing column, a field
 * that is not a number, an IMAGE that is not `<id>.jpg`, an id with a path in
 * it, an image whose size changes between rows) are errors naming the file and
 * line. Rows that are well formed but unusable (x or y outside [0, 1], a
 * duration <= 0) are not silently used: they are left out and reported in
 * {@link FixationTable.rejected} with their count and first line number (or
 * thrown with `strict: true`). The real Kvasir and NCI-ISBI files have none.
 *
 * @module
 */
import { parseCsv } from "../data/csv.ts";
import { join } from "node:path";
import { assertPlainId } from "../data/data_root.ts";

/** The columns the CSV must have (any order; extra columns are ignored). */
export const FIXATION_COLUMNS = [
  "IMAGE",
  "CURRENT_FIX_INDEX",
  "CURRENT_FIX_X",
  "CURRENT_FIX_Y",
  "CURRENT_FIX_DURATION",
  "CURRENT_FIX_PUPIL",
  "CURRENT_FIX_START",
  "IMAGE_HEIGHT",
  "IMAGE_WIDTH",
] as const;

/** One fixation. */
export interface Fixation {
  /** CURRENT_FIX_INDEX: 1-based order within the viewing of the image. */
  index: number;
  /** Column position, normalised to [0, 1] of the image width (0 = left edge). */
  x: number;
  /** Row position, normalised to [0, 1] of the image height (0 = top edge). */
  y: number;
  /** Duration in milliseconds (> 0). */
  duration: number;
  /** Pupil size in the eye tracker's arbitrary units (NaN when the field is empty). */
  pupil: number;
  /** Start time in ms from the image onset (NaN when the field is empty). */
  start: number;
  /** 1-based line of the CSV it came from (0 for generated fixations). */
  line: number;
}

/** The fixations recorded on one image, in CURRENT_FIX_INDEX order. */
export interface ImageFixations {
  /** Plain image id: IMAGE without its `.jpg` extension. */
  id: string;
  /** IMAGE_WIDTH in pixels. */
  width: number;
  /** IMAGE_HEIGHT in pixels. */
  height: number;
  /** Fixations sorted by `index`. */
  fixations: Fixation[];
}

/** Rows left out for one reason. */
export interface RejectedRows {
  /** How many rows. */
  count: number;
  /** 1-based CSV line of the first such row. */
  firstLine: number;
}

/** A parsed fixation file. */
export interface FixationTable {
  /** File name used in messages. */
  file: string;
  /** Data rows read (header excluded), used or not. */
  rows: number;
  /** Per image id, in order of first appearance. */
  images: Map<string, ImageFixations>;
  /** Rows left out, by reason; empty when every row was used. */
  rejected: Partial<Record<"coordinate-out-of-range" | "non-positive-duration", RejectedRows>>;
}

/** Options for {@link parseFixationCsv}. */
export interface ParseFixationOptions {
  /** Name of the source in error messages (default "fixation CSV"). */
  file?: string;
  /** Throw on the first out-of-range row instead of leaving it out (default false). */
  strict?: boolean;
}

function num(value: string, col: string, line: number, file: string, allowEmpty: boolean): number {
  const s = value.trim();
  if (s === "" || s === ".") {
    if (allowEmpty) return NaN;
    throw new Error(`${file}: line ${line}: column ${col} is empty; expected a number`);
  }
  const n = Number(s);
  if (!Number.isFinite(n)) {
    throw new Error(`${file}: line ${line}: column ${col} is ${JSON.stringify(value)}; expected a number`);
  }
  return n;
}

/**
 * Parse the text of a GazeMedSeg fixation CSV and group the fixations per image.
 *
 * @example
 * ```ts
 * import { parseFixationCsv } from "../../mod.ts";
 * const csv = "IMAGE,CURRENT_FIX_INDEX,CURRENT_FIX_X,CURRENT_FIX_Y,CURRENT_FIX_DURATION,CURRENT_FIX_PUPIL," +
 *   "CURRENT_FIX_START,IMAGE_HEIGHT,IMAGE_WIDTH\na.jpg,1,0.5,0.25,300,1000,7,10.0,20.0\n";
 * const t = parseFixationCsv(csv, { file: "demo.csv" });
 * if (t.images.get("a")?.fixations[0].duration !== 300) throw new Error("bad parse");
 * ```
 */
export function parseFixationCsv(text: string, options: ParseFixationOptions = {}): FixationTable {
  const file = options.file ?? "fixation CSV";
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parseCsv<{ record: string[]; info: { lines: number } }>(text, {
      bom: true,
      skip_empty_lines: true,
      relax_column_count: false,
      info: true,
    });
  } catch (err) {
    throw new Error(`${file}: not a valid CSV: ${(err as Error).message}`);
  }
  if (records.length === 0) {
    throw new Error(`${file}: empty file; expected a header line ${FIXATION_COLUMNS.join(",")}`);
  }
  const header = records[0].record.map((h) => h.trim());
  const col: Record<string, number> = {};
  for (const name of FIXATION_COLUMNS) {
    const i = header.indexOf(name);
    if (i < 0) {
      throw new Error(
        `${file}: line 1: missing column ${name} (header has ${header.join(",")}; expected ${
          FIXATION_COLUMNS.join(",")
        })`,
      );
    }
    col[name] = i;
  }
  const images = new Map<string, ImageFixations>();
  const rejected: FixationTable["rejected"] = {};
  const reject = (reason: keyof FixationTable["rejected"], line: number, what: string) => {
    if (options.strict) throw new Error(`${file}: line ${line}: ${what}`);
    const r = rejected[reason];
    if (r) r.count++;
    else rejected[reason] = { count: 1, firstLine: line };
  };
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r];
    const line = info.lines;
    const image = record[col.IMAGE].trim();
    if (!/\.jpg$/i.test(image)) {
      throw new Error(`${file}: line ${line}: IMAGE ${JSON.stringify(image)} does not end in .jpg; expected <id>.jpg`);
    }
    const id = assertPlainId(image.slice(0, -4), `${file}: line ${line}`);
    const index = num(record[col.CURRENT_FIX_INDEX], "CURRENT_FIX_INDEX", line, file, false);
    if (!Number.isInteger(index) || index < 1) {
      throw new Error(`${file}: line ${line}: CURRENT_FIX_INDEX is ${index}; expected a positive integer`);
    }
    const x = num(record[col.CURRENT_FIX_X], "CURRENT_FIX_X", line, file, false);
    const y = num(record[col.CURRENT_FIX_Y], "CURRENT_FIX_Y", line, file, false);
    const duration = num(record[col.CURRENT_FIX_DURATION], "CURRENT_FIX_DURATION", line, file, false);
    const pupil = num(record[col.CURRENT_FIX_PUPIL], "CURRENT_FIX_PUPIL", line, file, true);
    const start = num(record[col.CURRENT_FIX_START], "CURRENT_FIX_START", line, file, true);
    const height = num(record[col.IMAGE_HEIGHT], "IMAGE_HEIGHT", line, file, false);
    const width = num(record[col.IMAGE_WIDTH], "IMAGE_WIDTH", line, file, false);
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
      throw new Error(
        `${file}: line ${line}: IMAGE_WIDTH x IMAGE_HEIGHT is ${width} x ${height}; expected positive integers`,
      );
    }
    let entry = images.get(id);
    if (!entry) {
      entry = { id, width, height, fixations: [] };
      images.set(id, entry);
    } else if (entry.width !== width || entry.height !== height) {
      throw new Error(
        `${file}: line ${line}: image ${id} is ${width} x ${height} here but ${entry.width} x ${entry.height} on an earlier line`,
      );
    }
    if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
      reject("coordinate-out-of-range", line, `CURRENT_FIX_X/Y = ${x}, ${y}; expected both in [0, 1]`);
      continue;
    }
    if (!(duration > 0)) {
      reject("non-positive-duration", line, `CURRENT_FIX_DURATION = ${duration}; expected > 0 ms`);
      continue;
    }
    entry.fixations.push({ index, x, y, duration, pupil, start, line });
  }
  for (const entry of images.values()) {
    entry.fixations.sort((a, b) => a.index - b.index);
    for (let i = 1; i < entry.fixations.length; i++) {
      if (entry.fixations[i].index === entry.fixations[i - 1].index) {
        throw new Error(
          `${file}: line ${entry.fixations[i].line}: image ${entry.id} has CURRENT_FIX_INDEX ${
            entry.fixations[i].index
          } twice (also line ${entry.fixations[i - 1].line})`,
        );
      }
    }
  }
  return { file, rows: records.length - 1, images, rejected };
}

/** Datasets with a real GazeMedSeg fixation file. */
export type GazeDataset = "kvasir" | "nci-isbi";

/** Path of a dataset's fixation CSV under the data root: `gazemedseg-fixations/<dataset>_fixation.csv`. */
export function fixationCsvPath(root: string, dataset: GazeDataset): string {
  return join(root, "gazemedseg-fixations", `${dataset}_fixation.csv`);
}

/**
 * Read and parse a dataset's fixation CSV from the data root. A missing file is
 * an error that names the path and says how to fetch it.
 */
export async function readFixations(
  root: string,
  dataset: GazeDataset,
  options: { strict?: boolean } = {},
): Promise<FixationTable> {
  const path = fixationCsvPath(root, dataset);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(`${path}: fixation file not found; run \`deno task fetch-data ${dataset}\` or pass --data-dir`);
    }
    throw err;
  }
  return parseFixationCsv(text, { file: path, strict: options.strict });
}

/** A one-line summary of rows left out, or "" when none were. */
export function describeRejected(table: FixationTable): string {
  const parts = Object.entries(table.rejected).map(([why, r]) =>
    `${r!.count} row(s) ${why} (first at line ${r!.firstLine})`
  );
  return parts.length ? `${table.file}: left out ${parts.join(", ")}` : "";
}
