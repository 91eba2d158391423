/**
 * The part of `csv-parse/sync` (npm:csv-parse@5) that the toolkit uses, typed without Node.js.
 *
 * The package's own declarations start with `/// <reference types="node" />` and accept `Buffer`, which pulls the
 * whole of `@types/node` into every module that parses a CSV, and from there into the public types of `mod.ts`
 * (`deno doc` then fails to resolve `@types/node`'s own references). The toolkit only ever passes strings.
 */

/** Options of `csv-parse` that the toolkit passes (names as in csv-parse's documentation). */
export interface CsvParseOptions {
  /** Use the first line as column names and return one object per record. */
  columns?: boolean;
  /** Skip lines that are empty. */
  skip_empty_lines?: boolean;
  /** Trim white space around fields. */
  trim?: boolean;
  /** Strip a leading byte-order mark. */
  bom?: boolean;
  /** Accept records whose field count differs from the first. */
  relax_column_count?: boolean;
  /** Return `{ record, info }` per record, `info.lines` being the 1-based line number. */
  info?: boolean;
}

/** Parse CSV text synchronously; the record type depends on `columns` and `info`. */
export function parse(input: string, options?: CsvParseOptions): unknown;
