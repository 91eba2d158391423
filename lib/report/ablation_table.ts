/**
 * Table "ablation": full FGI (code variant) against FGI without text fusion, AFC, CWC
 * or DARM, and against each paper switch of docs/METHOD.md section 10 applied alone (plus
 * all of them: the paper variant). Each row is compared with the reference on the SAME
 * test images with the paired, two-sided Wilcoxon signed-rank test (lib/metrics), for
 * Dice and HD95. With several seeds the per-image values are first averaged over seeds.
 *
 * @module
 */
import { aggregateMetric, comparePerImage, type MetricName } from "./per_image.ts";
import type { RowDef } from "./plan.ts";
import { type CheckpointChoice, outcomesFor, perImageAt, type RunOutcome } from "./run_outcome.ts";
import { type Cell, type Column, makeTable, type Table } from "./table.ts";

/** Options of {@link ablationTable} and {@link comparisonCells}. */
export interface AblationTableOptions {
  /** Dataset name (title). */
  dataset: string;
  /** Seeds to aggregate. */
  seeds: readonly number[];
  /** Checkpoint (default "best"). */
  checkpoint?: CheckpointChoice;
  /** Title. */
  title?: string;
  /** Extra notes. */
  notes?: string[];
}

/**
 * The cells comparing run `key` with the reference `refKey` on one metric: the
 * aggregate, the mean paired difference (key − reference), the Wilcoxon p-value and
 * the images where the row is better / worse (Dice: higher is better; distances: lower).
 */
export function comparisonCells(
  outcomes: readonly RunOutcome[],
  key: string,
  refKey: string,
  metric: MetricName,
  options: { seeds: readonly number[]; checkpoint: CheckpointChoice },
): { value: Cell; delta: Cell; p: Cell; wins: Cell } {
  const at = perImageAt(outcomesFor(outcomes, key, options.seeds), options.checkpoint);
  const value = aggregateMetric(at, metric);
  if (key === refKey) return { value, delta: null, p: null, wins: "reference" };
  const ref = perImageAt(outcomesFor(outcomes, refKey, options.seeds), options.checkpoint);
  const c = comparePerImage(at, ref, metric);
  const higherBetter = metric === "dice" || metric === "iou";
  const better = higherBetter ? c.aGreater : c.bGreater, worse = higherBetter ? c.bGreater : c.aGreater;
  return {
    value,
    delta: c.meanDifference,
    p: c.wilcoxon ? c.wilcoxon.pValue : null,
    wins: `${better} / ${worse}${c.nDropped ? ` (${c.nDropped} undef.)` : ""}`,
  };
}

/** Columns shared by the ablation and sensitivity tables, after the leading text columns. */
export function comparisonColumns(unit: string): Column[] {
  return [
    { key: "dice", label: "Dice (%)", kind: "meanStd", scale: 100 },
    { key: "d_dice", label: "Δ Dice (pp)", scale: 100 },
    { key: "p_dice", label: "p (Dice)", digits: 4 },
    { key: "w_dice", label: "images better / worse", kind: "text" },
    { key: "hd95", label: `HD95 (${unit})`, kind: "meanStd" },
    { key: "d_hd95", label: `Δ HD95 (${unit})` },
    { key: "p_hd95", label: "p (HD95)", digits: 4 },
  ];
}

/** The comparison cells of one row, keyed by {@link comparisonColumns}. */
export function comparisonRow(
  outcomes: readonly RunOutcome[],
  key: string,
  refKey: string,
  options: { seeds: readonly number[]; checkpoint: CheckpointChoice },
): Record<string, Cell> {
  const d = comparisonCells(outcomes, key, refKey, "dice", options);
  const h = comparisonCells(outcomes, key, refKey, "hd95", options);
  return { dice: d.value, d_dice: d.delta, p_dice: d.p, w_dice: d.wins, hd95: h.value, d_hd95: h.delta, p_hd95: h.p };
}

/** Notes shared by the comparison tables. */
export function comparisonNotes(refLabel: string, seeds: readonly number[], ck: CheckpointChoice): string[] {
  return [
    `Δ = row − reference (${refLabel}), mean of the per-image differences; p = two-sided Wilcoxon signed-rank ` +
    "test on the paired per-image values (scipy's defaults: zero differences dropped, exact for small n without ties)",
    seeds.length > 1
      ? `per-image values averaged over seeds ${seeds.join(", ")} before pairing; mean ± std over seeds (ddof 1)`
      : `seed ${seeds[0]}; mean ± std over test images (population std)`,
    `${ck} checkpoint of the reported network (the student); HD95 pairs with an undefined value (empty prediction) ` +
    "are dropped from the test and counted",
  ];
}

/**
 * Build the ablation table. `rows` are the plan's ablation rows; the first is the
 * reference.
 */
export function ablationTable(
  rows: readonly RowDef[],
  outcomes: readonly RunOutcome[],
  options: AblationTableOptions,
): Table {
  const ck = options.checkpoint ?? "best";
  const ref = rows[0];
  const unit = outcomesFor(outcomes, ref.key, options.seeds)[0].unit;
  const body = rows.map((row) => ({
    variant: row.label,
    ...comparisonRow(outcomes, row.key, ref.key, { seeds: options.seeds, checkpoint: ck }),
  }));
  return makeTable(
    [{ key: "variant", label: "Variant", kind: "text" }, ...comparisonColumns(unit)],
    body,
    {
      title: options.title ?? `Ablation of FGI on ${options.dataset} (${ck} checkpoint)`,
      notes: [...comparisonNotes(ref.label, options.seeds, ck), ...(options.notes ?? [])],
    },
  );
}
