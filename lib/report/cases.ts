/**
 * Choosing the images a qualitative figure shows: the best, median and worst test
 * images of a method by a per-image score, ties broken by id so the choice is
 * deterministic.
 *
 * @module
 */

/** A chosen image. */
export interface Case {
  /** "best", "median" or "worst". */
  label: "best" | "median" | "worst";
  /** Image id. */
  id: string;
  /** Its score. */
  value: number;
}

/**
 * The best, median and worst ids by `value` (higher = better). The median is the
 * lower-middle element of the sorted list for an even count. With fewer than three
 * images, cases repeat.
 *
 * @example
 * ```ts
 * import { pickCases } from "../../mod.ts";
 * const c = pickCases([{ id: "a", value: 0.9 }, { id: "b", value: 0.2 }, { id: "c", value: 0.5 }]);
 * // best a, median c, worst b
 * ```
 */
export function pickCases(scores: readonly { id: string; value: number }[]): Case[] {
  if (!scores.length) throw new Error("pickCases: no images");
  const sorted = [...scores].sort((a, b) => b.value - a.value || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const mid = sorted[Math.floor((sorted.length - 1) / 2)];
  const last = sorted[sorted.length - 1];
  return [
    { label: "best", id: sorted[0].id, value: sorted[0].value },
    { label: "median", id: mid.id, value: mid.value },
    { label: "worst", id: last.id, value: last.value },
  ];
}
