/**
 * CSV parsing for the toolkit (fixation tables, size lists, per-image score files), through `npm:csv-parse` but
 * typed by `csv_parse_sync.d.ts` (next to this file) so that no Node.js type leaks into the toolkit's public types.
 *
 * @module
 */
// @ts-types="./csv_parse_sync.d.ts"
import { parse } from "csv-parse/sync";
import type { CsvParseOptions } from "./csv_parse_sync.d.ts";

export type { CsvParseOptions };

/**
 * Parse CSV text (csv-parse semantics). The caller states the record type it asked for with `options`: an object
 * per record with `columns: true`, `{ record: string[]; info: { lines: number } }` with `info: true`, else `string[]`.
 */
export function parseCsv<T>(text: string, options: CsvParseOptions = {}): T[] {
  return parse(text, options) as T[];
}
