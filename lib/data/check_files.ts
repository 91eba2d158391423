/**
 * Cheap integrity checks of a dataset's source files before a run reads them: every image and
 * mask of the given ids is opened and its header (and end) inspected WITHOUT decoding pixels, so
 * a 0-byte, foreign, truncated or mis-sized file stops a run before its first iteration instead
 * of at its first evaluation.
 *
 * Per file (by its first bytes, whatever the extension says):
 * - 0 bytes: "0-byte file";
 * - JPEG: a frame header (SOF) with a non-zero size, and the end-of-image marker FFD9 within the
 *   last 4 KiB (a cut-off download has none; entropy-coded data cannot contain FFD9);
 * - PNG: the IHDR chunk and an IEND chunk within the last 4 KiB;
 * - DICOM (`.dcm`): the "DICM" tag at byte 128;
 * - anything else: "not a JPEG or PNG file" (what its first bytes look like is named).
 * A mask whose header size differs from its image's is reported too.
 *
 * @module
 */
import { readImageSize } from "./image_size.ts";
import type { Dataset } from "./types.ts";

/** One bad file and why. */
export interface FileProblem {
  /** The file. */
  file: string;
  /** What is wrong, e.g. "0-byte file". */
  reason: string;
}

const HEAD = 16 * 1024, TAIL = 4096;

async function readHeadTail(path: string): Promise<{ size: number; head: Uint8Array; tail: Uint8Array }> {
  const f = await Deno.open(path, { read: true });
  try {
    const size = (await f.stat()).size;
    const head = new Uint8Array(Math.min(size, HEAD));
    let n = 0;
    while (n < head.length) {
      const r = await f.read(head.subarray(n));
      if (r === null) break;
      n += r;
    }
    if (size <= HEAD) return { size, head: head.subarray(0, n), tail: head.subarray(Math.max(0, n - TAIL), n) };
    await f.seek(size - TAIL, Deno.SeekMode.Start);
    const tail = new Uint8Array(TAIL);
    let m = 0;
    while (m < tail.length) {
      const r = await f.read(tail.subarray(m));
      if (r === null) break;
      m += r;
    }
    return { size, head, tail: tail.subarray(0, m) };
  } finally {
    f.close();
  }
}

function hasSequence(bytes: Uint8Array, seq: number[]): boolean {
  outer: for (let i = 0; i + seq.length <= bytes.length; i++) {
    for (let j = 0; j < seq.length; j++) if (bytes[i + j] !== seq[j]) continue outer;
    return true;
  }
  return false;
}

function describeStart(b: Uint8Array): string {
  const text = new TextDecoder().decode(b.subarray(0, 16));
  if (/^[\x20-\x7e\s]+$/.test(text)) return `starts with text "${text.trim().slice(0, 16)}"`;
  return `starts with bytes ${[...b.subarray(0, 4)].map((x) => x.toString(16).padStart(2, "0")).join(" ")}`;
}

/**
 * Check one image or mask file (see the module doc). Returns the header size for JPEG/PNG,
 * `null` for a valid DICOM, or a {@link FileProblem}.
 *
 * @example
 * ```ts
 * import { checkImageFile } from "../../mod.ts";
 * const path = await Deno.makeTempFile({ suffix: ".jpg" });
 * const r = await checkImageFile(path); // { file: path, reason: "0-byte file" }
 * if (!("reason" in r!)) throw new Error("an empty file passed");
 * await Deno.remove(path);
 * ```
 */
export async function checkImageFile(path: string): Promise<{ width: number; height: number } | null | FileProblem> {
  let head: Uint8Array, tail: Uint8Array, size: number;
  try {
    ({ size, head, tail } = await readHeadTail(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { file: path, reason: "file not found" };
    return { file: path, reason: `cannot read (${(err as Error).message})` };
  }
  if (size === 0) return { file: path, reason: "0-byte file" };
  if (path.toLowerCase().endsWith(".dcm")) {
    const ok = head.length >= 132 && String.fromCharCode(...head.subarray(128, 132)) === "DICM";
    return ok ? null : { file: path, reason: `not a DICOM file (no "DICM" tag at byte 128; ${size} bytes)` };
  }
  const isJpeg = head[0] === 0xff && head[1] === 0xd8;
  const isPng = head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47;
  if (!isJpeg && !isPng) return { file: path, reason: `not a JPEG or PNG file (${describeStart(head)})` };
  let dims;
  try {
    try {
      dims = readImageSize(head, path);
    } catch (err) {
      if (size <= HEAD) throw err;
      dims = readImageSize(await Deno.readFile(path), path); // a header longer than HEAD (large EXIF)
    }
  } catch (err) {
    const msg = (err as Error).message.replace(`${path}: `, "");
    return { file: path, reason: size <= HEAD ? `corrupt header: ${msg} (${size} bytes)` : `corrupt header: ${msg}` };
  }
  if (isJpeg && !hasSequence(tail, [0xff, 0xd9])) {
    return { file: path, reason: `truncated JPEG: no end-of-image marker (FFD9) at the end (${size} bytes)` };
  }
  if (isPng && !hasSequence(tail, [0x49, 0x45, 0x4e, 0x44])) {
    return { file: path, reason: `truncated PNG: no IEND chunk at the end (${size} bytes)` };
  }
  return { width: dims.width, height: dims.height };
}

/** Options of {@link checkDatasetFiles}. */
export interface CheckDatasetFilesOptions {
  /** Files checked at once (default 16). */
  concurrency?: number;
}

/**
 * Check the source files (image, and mask when there is one) of `ids`. Returns every problem
 * found (empty when all are fine). Datasets without `sourceFiles` (synthetic) have none.
 */
export async function checkDatasetFiles(
  dataset: Dataset,
  ids: readonly string[],
  options: CheckDatasetFilesOptions = {},
): Promise<FileProblem[]> {
  if (!dataset.sourceFiles) return [];
  const problems: FileProblem[][] = new Array(ids.length);
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const k = next++;
      const files = dataset.sourceFiles!(ids[k]);
      const found: FileProblem[] = [];
      const sizes: ({ width: number; height: number } | null)[] = [];
      for (const f of files) {
        const r = await checkImageFile(f);
        if (r && "reason" in r) {
          found.push(r);
          sizes.push(null);
        } else sizes.push(r);
      }
      const [img, mask] = sizes;
      if (files.length > 1 && img && mask && (img.width !== mask.width || img.height !== mask.height)) {
        found.push({
          file: files[1],
          reason: `mask is ${mask.width}x${mask.height} but its image ${files[0]} is ${img.width}x${img.height}`,
        });
      }
      problems[k] = found;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 16) }, worker));
  return problems.flat();
}

/**
 * {@link checkDatasetFiles}, then throw one error naming every bad file and why (at most `show`
 * lines, default 20, then a count) when there is any. `what` says who needs the files.
 */
export async function assertDatasetFiles(
  dataset: Dataset,
  ids: readonly string[],
  options: CheckDatasetFilesOptions & { what?: string; show?: number } = {},
): Promise<void> {
  const problems = await checkDatasetFiles(dataset, ids, options);
  if (!problems.length) return;
  const show = options.show ?? 20;
  const lines = problems.slice(0, show).map((p) => `  ${p.file}: ${p.reason}`);
  if (problems.length > show) lines.push(`  ... and ${problems.length - show} more`);
  throw new Error(
    `${dataset.name}: ${problems.length} bad file(s) among the ${ids.length} samples ${
      options.what ?? "to be read"
    }:\n${lines.join("\n")}\n(replace them, e.g. \`deno task fetch-data ${dataset.name} --from <mirror>\` repairs ` +
      `damaged copies, then rerun)`,
  );
}
