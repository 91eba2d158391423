/**
 * Split lists (`train.txt`, `test.txt`): one plain id per line, no extension.
 *
 * @module
 */
import { assertPlainId } from "./data_root.ts";

/** An id with the line it came from (1-based), for error messages. */
export interface ListedId {
  /** The plain id. */
  id: string;
  /** Line number in the list file (1-based). */
  line: number;
}

/**
 * Parse split-list text. Blank lines and surrounding whitespace (also `\r`) are
 * ignored; ids with a path separator or `..` are refused, as are duplicates,
 * each with `file:line` in the message.
 *
 * @example
 * ```ts
 * import { parseSplitList } from "../../mod.ts";
 * const ids = parseSplitList("a\r\nb\n\n", "train.txt").map((x) => x.id);
 * if (ids.join() !== "a,b") throw new Error(ids.join());
 * ```
 */
export function parseSplitList(text: string, file: string): ListedId[] {
  const out: ListedId[] = [];
  const seen = new Map<string, number>();
  text.split("\n").forEach((raw, i) => {
    const id = raw.trim();
    if (!id) return;
    assertPlainId(id, `${file}:${i + 1}`);
    const first = seen.get(id);
    if (first !== undefined) throw new Error(`${file}:${i + 1}: id '${id}' is listed twice (first at line ${first})`);
    seen.set(id, i + 1);
    out.push({ id, line: i + 1 });
  });
  return out;
}

/** Read and parse a split-list file; a missing file is an error naming it. */
export async function readSplitList(path: string): Promise<ListedId[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new Error(`${path}: split list not found`);
    throw new Error(`${path}: cannot read split list (${(err as Error).message})`);
  }
  return parseSplitList(text, path);
}

/**
 * Restrict `ids` to those listed in the id-list file `path` (the `--ids FILE` option of the
 * preparation tasks), in the file's order; an id the dataset does not have is an error naming the line.
 */
export async function selectListedIds(path: string, ids: readonly string[], dataset: string): Promise<string[]> {
  const known = new Set(ids);
  const listed = await readSplitList(path);
  for (const { id, line } of listed) {
    if (!known.has(id)) throw new Error(`${path}:${line}: id ${id} is not an image of ${dataset}`);
  }
  return listed.map((x) => x.id);
}
