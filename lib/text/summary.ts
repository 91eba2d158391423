/**
 * How the six fields are distributed over a set of descriptions: counts per
 * allowed value (array fields count each term once per description). Used by
 * `deno task describe` and the notebooks.
 *
 * @module
 */
import { type Description, FIELD_NAMES, type FieldName } from "./schema.ts";

/** Per field, the number of descriptions using each value (values sorted by count, descending). */
export type FieldDistribution = Record<FieldName, [string, number][]>;

/**
 * Count the values of every field.
 *
 * @example
 * ```ts
 * import { fieldDistribution } from "../../mod.ts";
 * const d = { Location: "center", Boundary: "well-defined", Characteristics: ["pale"],
 *   "Area Percentage": "<5%", Confidence: "low", Remarks: ["none"] };
 * const dist = fieldDistribution([d, d]);
 * // dist.Location = [["center", 2]]
 * ```
 */
export function fieldDistribution(descriptions: Description[]): FieldDistribution {
  const out = {} as FieldDistribution;
  for (const f of FIELD_NAMES) {
    const counts = new Map<string, number>();
    for (const d of descriptions) {
      const v = d[f];
      for (const term of Array.isArray(v) ? v : [v]) counts.set(term, (counts.get(term) ?? 0) + 1);
    }
    out[f] = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  }
  return out;
}

/** The distribution as text lines, `Field: value n (p%), ...`, percentages of `total` descriptions. */
export function formatFieldDistribution(dist: FieldDistribution, total: number): string {
  return FIELD_NAMES.map((f) =>
    `${f}: ` + dist[f].map(([v, n]) => `${v} ${n} (${((100 * n) / Math.max(1, total)).toFixed(1)}%)`).join(", ")
  ).join("\n");
}
