/**
 * Per-image metrics as the tables read them: one row per test image with Dice, IoU,
 * HD95, ASD and ASSD (null = undefined, e.g. the surface distances of an empty
 * prediction), parsed from a run's per-image CSV, and their aggregation over images
 * and seeds.
 *
 * Aggregation rules (every table uses them):
 * - one seed: mean ± std over the test images (population std, as np.std and as the
 *   papers' "mean ± std over test images");
 * - several seeds: the mean over seeds of the per-seed image means ± the sample std
 *   (ddof 1) of those per-seed means (the spread between seeds, as GNANet's "± over 3
 *   seeds").
 * Undefined per-image values are left out of the means and counted (`nUndefined`,
 * summed over seeds).
 *
 * @module
 */
import { parseCsv } from "../data/csv.ts";
import { mean, std, summarize } from "../metrics/summary.ts";
import { comparePaired, type PairedComparison } from "../metrics/paired.ts";
import type { MeanStd } from "./table.ts";

/** Metrics a per-image row carries. */
export type MetricName = "dice" | "iou" | "hd95" | "asd" | "assd";

/** Every metric name, in table order. */
export const METRIC_NAMES: readonly MetricName[] = ["dice", "iou", "hd95", "asd", "assd"];

/** One test image's scores. */
export interface PerImageRow {
  /** Image id. */
  id: string;
  /** Dice in [0, 1]. */
  dice: number;
  /** IoU in [0, 1]. */
  iou: number;
  /** HD95 in px or mm; null when undefined (an empty mask). */
  hd95: number | null;
  /** ASD; null when undefined. */
  asd: number | null;
  /** ASSD; null when undefined. */
  assd: number | null;
}

/**
 * Parse a per-image metrics CSV: a header with at least `id`, `dice`, `iou`, `hd95`,
 * `asd` (`assd` optional; other columns are ignored), one row per image; an empty
 * cell, `null` or `NaN` in a surface-distance column is an undefined value. Errors
 * name `source`, the line and the column.
 */
export function parsePerImageCsv(text: string, source: string): PerImageRow[] {
  const records = parseCsv<Record<string, string>>(text, { columns: true, skip_empty_lines: true, trim: true });
  const need = ["id", "dice", "iou", "hd95", "asd"];
  if (records.length) {
    const missing = need.filter((k) => !(k in records[0]));
    if (missing.length) {
      throw new Error(
        `${source}: missing column(s) ${missing.join(", ")} (have ${Object.keys(records[0]).join(", ")})`,
      );
    }
  }
  const num = (v: string | undefined, line: number, col: string, nullable: boolean): number | null => {
    if (v === undefined || v === "" || v === "null" || v === "NaN") {
      if (nullable) return null;
      throw new Error(`${source}: line ${line}, column ${col}: empty, expected a number`);
    }
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`${source}: line ${line}, column ${col}: '${v}' is not a finite number`);
    return n;
  };
  const seen = new Set<string>();
  return records.map((r, i) => {
    const line = i + 2;
    if (!r.id) throw new Error(`${source}: line ${line}: empty id`);
    if (seen.has(r.id)) throw new Error(`${source}: line ${line}: id '${r.id}' appears twice`);
    seen.add(r.id);
    return {
      id: r.id,
      dice: num(r.dice, line, "dice", false)!,
      iou: num(r.iou, line, "iou", false)!,
      hd95: num(r.hd95, line, "hd95", true),
      asd: num(r.asd, line, "asd", true),
      assd: num(r.assd, line, "assd", true),
    };
  });
}

/** Values of one metric, in row order. */
export function metricValues(rows: readonly PerImageRow[], metric: MetricName): (number | null)[] {
  return rows.map((r) => r[metric]);
}

/** A table cell aggregated over images (and seeds), with how it was computed. */
export interface Aggregate extends MeanStd {
  /** Seeds aggregated. */
  seeds: number;
  /** Images per seed (the first seed's count). */
  images: number;
  /** Per-seed image means (null where no value was defined). */
  perSeed: (number | null)[];
}

/**
 * Aggregate one metric over images and seeds (see the module documentation). `runs`
 * holds one per-image list per seed.
 */
export function aggregateMetric(runs: readonly (readonly PerImageRow[])[], metric: MetricName): Aggregate {
  if (!runs.length) throw new Error(`aggregateMetric(${metric}): no runs`);
  const sums = runs.map((rows) => summarize(metricValues(rows, metric), { resamples: 1 }));
  const nUndefined = sums.reduce((s, x) => s + x.nUndefined, 0);
  const perSeed = sums.map((s) => s.mean);
  if (runs.length === 1) {
    return { mean: sums[0].mean, std: sums[0].std, nUndefined, seeds: 1, images: runs[0].length, perSeed };
  }
  const defined = perSeed.filter((v): v is number => v !== null);
  return {
    mean: defined.length ? mean(defined) : null,
    std: defined.length > 1 ? std(defined, { ddof: 1 }) : null,
    nUndefined,
    seeds: runs.length,
    images: runs[0].length,
    perSeed,
  };
}

/**
 * Per-image values of a metric averaged over seeds, aligned by image id (sorted ids).
 * Every seed must cover the same images. A value undefined in any seed is null.
 */
export function seedAveraged(
  runs: readonly (readonly PerImageRow[])[],
  metric: MetricName,
): { ids: string[]; values: (number | null)[] } {
  if (!runs.length) throw new Error("seedAveraged: no runs");
  const ids = runs[0].map((r) => r.id).sort();
  const maps = runs.map((rows, k) => {
    const m = new Map(rows.map((r) => [r.id, r[metric]]));
    if (m.size !== ids.length || ids.some((id) => !m.has(id))) {
      throw new Error(`seedAveraged: seed run ${k} covers different images than seed run 0`);
    }
    return m;
  });
  const values = ids.map((id) => {
    let s = 0;
    for (const m of maps) {
      const v = m.get(id)!;
      if (v === null) return null;
      s += v;
    }
    return s / maps.length;
  });
  return { ids, values };
}

/**
 * Paired comparison (Wilcoxon signed-rank, lib/metrics) of method A against method B
 * on the same images: per image the value averaged over each method's seeds, then
 * A - B. The two must cover the same images (an error names the difference).
 */
export function comparePerImage(
  a: readonly (readonly PerImageRow[])[],
  b: readonly (readonly PerImageRow[])[],
  metric: MetricName,
): PairedComparison {
  const x = seedAveraged(a, metric), y = seedAveraged(b, metric);
  if (x.ids.length !== y.ids.length || x.ids.some((id, i) => id !== y.ids[i])) {
    const onlyA = x.ids.filter((id) => !y.ids.includes(id)).slice(0, 3);
    const onlyB = y.ids.filter((id) => !x.ids.includes(id)).slice(0, 3);
    throw new Error(
      `comparePerImage(${metric}): the runs were scored on different images (only in A: ${onlyA.join(", ")}; ` +
        `only in B: ${onlyB.join(", ")})`,
    );
  }
  return comparePaired(x.values, y.values);
}
