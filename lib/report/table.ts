/**
 * A small table model for results tables, rendered to Markdown, CSV, JSON and HTML
 * from the SAME computed values, so no number is ever typed by hand: cells take
 * numbers straight from the computations (e.g. a metrics `Summary`, whose `mean`,
 * `std` and `nUndefined` make a mean ± std cell as is).
 *
 * Column kinds:
 * - `"number"`: a finite number (or null = missing). Markdown/HTML show `digits`
 *   decimals; CSV/JSON keep full precision.
 * - `"meanStd"`: `{ mean, std, nUndefined? }`; Markdown shows `mean ± std`, plus
 *   `(k undef.)` when k > 0 values were undefined (e.g. HD95 of empty predictions), so
 *   every table shows them. CSV has three columns `<key>_mean`, `<key>_std`,
 *   `<key>_n_undefined`.
 * - `"text"`: a string.
 * `scale` multiplies numbers in EVERY rendering (e.g. 100 for Dice in %; say so in the
 * label). Missing cells (null or absent) render as "–" (Markdown/HTML), empty (CSV),
 * null (JSON). NaN or Infinity is an error, never a silent cell.
 *
 * @module
 */
import { atomicWrite } from "../core/atomic_write.ts";
import type { Provenance } from "../core/provenance.ts";
import { escapeHtml } from "./html.ts";

/** A mean ± std cell; a metrics `Summary` fits as is. */
export interface MeanStd {
  /** Mean (null when nothing was defined). */
  mean: number | null;
  /** Standard deviation (null when undefined, e.g. one value with ddof 1). */
  std: number | null;
  /** How many per-image values were undefined and left out (shown when > 0). */
  nUndefined?: number;
}

/** A table cell. */
export type Cell = number | string | MeanStd | null;

/** Column kinds: see the module documentation. */
export type ColumnKind = "number" | "meanStd" | "text";

/** One column. */
export interface Column {
  /** Row field name and CSV/JSON identifier (letters, digits, `_`, `-`). */
  key: string;
  /** Header shown in Markdown/HTML (units belong here, e.g. "Dice (%)"). */
  label: string;
  /** Kind of the cells; default "number". */
  kind?: ColumnKind;
  /** Decimals in Markdown/HTML; default 2 (numbers, meanStd). */
  digits?: number;
  /** Multiplier applied to numbers in every rendering; default 1. */
  scale?: number;
}

/** A table: columns, rows keyed by column key, and optional title and notes. */
export interface Table {
  /** Shown as a heading (Markdown) or caption (HTML). */
  title?: string;
  /** Columns in display order. */
  columns: Column[];
  /** Rows; a missing key is a missing cell. */
  rows: Record<string, Cell>[];
  /** Free-text notes under the table (sources, definitions). */
  notes?: string[];
}

function kindOf(c: Column): ColumnKind {
  return c.kind ?? "number";
}

function isMeanStd(v: unknown): v is MeanStd {
  return typeof v === "object" && v !== null && "mean" in v && "std" in v;
}

function checkNumber(v: unknown, where: string): void {
  if (v === null) return;
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new Error(`${where}: expected a finite number or null, got ${v}`);
  }
}

/**
 * Build a table, checking every cell against its column's kind (so a NaN or a
 * misplaced string fails here, naming the row and column).
 *
 * @example
 * ```ts
 * import { makeTable, toMarkdown } from "../../mod.ts";
 * const t = makeTable(
 *   [{ key: "method", label: "Method", kind: "text" }, { key: "dice", label: "Dice (%)", kind: "meanStd", scale: 100 }],
 *   [{ method: "FGI", dice: { mean: 0.8078, std: 0.012 } }],
 * );
 * console.log(toMarkdown(t)); // | FGI | 80.78 ± 1.20 |
 * ```
 */
export function makeTable(
  columns: Column[],
  rows: Record<string, Cell>[],
  options: { title?: string; notes?: string[] } = {},
): Table {
  const seen = new Set<string>();
  for (const c of columns) {
    if (!/^[A-Za-z0-9_-]+$/.test(c.key)) throw new Error(`table column key "${c.key}": use letters, digits, _ or -`);
    if (seen.has(c.key)) throw new Error(`table column key "${c.key}" appears twice`);
    seen.add(c.key);
    if (!["number", "meanStd", "text"].includes(kindOf(c))) throw new Error(`table column "${c.key}": unknown kind`);
    if (c.scale !== undefined && !Number.isFinite(c.scale)) throw new Error(`table column "${c.key}": bad scale`);
  }
  rows.forEach((row, i) => {
    for (const k of Object.keys(row)) {
      if (!seen.has(k)) throw new Error(`table row ${i}: field "${k}" is not a column (${[...seen].join(", ")})`);
    }
    for (const c of columns) {
      const v = row[c.key] ?? null, where = `table row ${i}, column "${c.key}"`;
      if (v === null) continue;
      const kind = kindOf(c);
      if (kind === "text" && typeof v !== "string") throw new Error(`${where}: expected text, got ${typeof v}`);
      if (kind === "number") checkNumber(v, where);
      if (kind === "meanStd") {
        if (!isMeanStd(v)) throw new Error(`${where}: expected { mean, std }, got ${JSON.stringify(v)}`);
        checkNumber(v.mean, `${where} mean`);
        checkNumber(v.std, `${where} std`);
      }
    }
  });
  return { title: options.title, columns, rows, notes: options.notes };
}

function scaled(v: number | null, c: Column): number | null {
  return v === null ? null : v * (c.scale ?? 1);
}

function fmt(v: number | null, c: Column): string {
  const s = scaled(v, c);
  return s === null ? "–" : s.toFixed(c.digits ?? 2);
}

/** The display text of a cell (Markdown/HTML), with digits and scale applied. */
export function formatCell(value: Cell | undefined, column: Column): string {
  const v = value ?? null;
  if (v === null) return "–";
  const kind = kindOf(column);
  if (kind === "text") return String(v);
  if (kind === "number") return fmt(v as number, column);
  const m = v as MeanStd;
  if (m.mean === null) return m.nUndefined ? `– (${m.nUndefined} undef.)` : "–";
  const base = m.std === null ? fmt(m.mean, column) : `${fmt(m.mean, column)} ± ${fmt(m.std, column)}`;
  return m.nUndefined ? `${base} (${m.nUndefined} undef.)` : base;
}

/**
 * GitHub-flavoured Markdown: optional `### title`, the table (numbers right-aligned),
 * then the notes as a list. `|` in text is escaped.
 */
export function toMarkdown(table: Table): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const head = `| ${table.columns.map((c) => esc(c.label)).join(" | ")} |`;
  const rule = `|${table.columns.map((c) => (kindOf(c) === "text" ? ":---" : "---:")).join("|")}|`;
  const body = table.rows.map((r) => `| ${table.columns.map((c) => esc(formatCell(r[c.key], c))).join(" | ")} |`);
  const parts = [];
  if (table.title) parts.push(`### ${table.title}`, "");
  parts.push(head, rule, ...body);
  if (table.notes?.length) parts.push("", ...table.notes.map((n) => `- ${n}`));
  return parts.join("\n") + "\n";
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * RFC 4180 CSV with a header of column KEYS (stable identifiers; the labels are in
 * the JSON). Numbers at full precision with `scale` applied; meanStd columns become
 * `<key>_mean,<key>_std,<key>_n_undefined`; missing cells are empty.
 */
export function toCsv(table: Table): string {
  const header: string[] = [];
  for (const c of table.columns) {
    if (kindOf(c) === "meanStd") header.push(`${c.key}_mean`, `${c.key}_std`, `${c.key}_n_undefined`);
    else header.push(c.key);
  }
  const num = (v: number | null, c: Column) => {
    const s = scaled(v, c);
    return s === null ? "" : String(s);
  };
  const lines = [header.map(csvField).join(",")];
  for (const r of table.rows) {
    const f: string[] = [];
    for (const c of table.columns) {
      const v = r[c.key] ?? null, kind = kindOf(c);
      if (kind === "meanStd") {
        const m = v as MeanStd | null;
        f.push(m ? num(m.mean, c) : "", m ? num(m.std, c) : "", m ? String(m.nUndefined ?? 0) : "");
      } else if (kind === "number") f.push(num(v as number | null, c));
      else f.push(v === null ? "" : csvField(String(v)));
    }
    lines.push(f.join(","));
  }
  return lines.join("\r\n") + "\r\n";
}

/**
 * JSON: `{ title, columns: [{key, label, kind, scale}], rows, notes, provenance }` with
 * numbers at full precision and `scale` applied; a meanStd cell is
 * `{ mean, std, nUndefined }`; missing cells are null.
 */
export function toJson(table: Table, options: { provenance?: Provenance } = {}): string {
  const rows = table.rows.map((r) => {
    const o: Record<string, unknown> = {};
    for (const c of table.columns) {
      const v = r[c.key] ?? null, kind = kindOf(c);
      if (v === null) o[c.key] = null;
      else if (kind === "meanStd") {
        const m = v as MeanStd;
        o[c.key] = { mean: scaled(m.mean, c), std: scaled(m.std, c), nUndefined: m.nUndefined ?? 0 };
      } else if (kind === "number") o[c.key] = scaled(v as number, c);
      else o[c.key] = v;
    }
    return o;
  });
  const columns = table.columns.map((c) => ({ key: c.key, label: c.label, kind: kindOf(c), scale: c.scale ?? 1 }));
  return JSON.stringify(
    { title: table.title ?? null, columns, rows, notes: table.notes ?? [], provenance: options.provenance ?? null },
    null,
    2,
  ) + "\n";
}

/** An HTML `<table>` element (caption = title, notes as a list after it), escaped. */
export function toHtml(table: Table): string {
  const cap = table.title ? `<caption>${escapeHtml(table.title)}</caption>` : "";
  const head = `<tr>${table.columns.map((c) => `<th>${escapeHtml(c.label)}</th>`).join("")}</tr>`;
  const body = table.rows.map((r) =>
    `<tr>${
      table.columns.map((c) =>
        `<td${kindOf(c) === "text" ? "" : ' class="num"'}>${escapeHtml(formatCell(r[c.key], c))}</td>`
      ).join("")
    }</tr>`
  ).join("\n");
  const notes = table.notes?.length
    ? `\n<ul class="notes">${table.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>`
    : "";
  return `<table>${cap}\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>${notes}\n`;
}

/** Paths written by {@link writeTable}. */
export interface WrittenTable {
  /** `<base>.md` */
  md: string;
  /** `<base>.csv` */
  csv: string;
  /** `<base>.json` (with the provenance record) */
  json: string;
}

/**
 * Write `<basePath>.md`, `.csv` and `.json` atomically. The JSON carries
 * `options.provenance`; the Markdown ends with a one-line provenance comment.
 */
export async function writeTable(
  table: Table,
  basePath: string,
  options: { provenance?: Provenance } = {},
): Promise<WrittenTable> {
  const out = { md: `${basePath}.md`, csv: `${basePath}.csv`, json: `${basePath}.json` };
  const p = options.provenance;
  const md = toMarkdown(table) +
    (p ? `\n<!-- generated by ${p.toolkit} at commit ${p.commit}, ${p.created} -->\n` : "");
  await atomicWrite(out.md, md);
  await atomicWrite(out.csv, toCsv(table));
  await atomicWrite(out.json, toJson(table, options));
  return out;
}
