/**
 * Table "diagnosis" (issue 11): why the FGI student of the released code does poorly at small
 * scale. Rows (lib/report/plan.ts `DIAGNOSIS_ROWS`): the code variant (reference), FGI without
 * DARM, this toolkit's non-leaking DARM variant and GazeMedSeg. Columns: the student's test Dice
 * at the best checkpoint with the paired Wilcoxon test against the code variant and the per-seed
 * values; at the last checkpoint; on test images masked by DARM from their own gaze levels (a
 * student that reads DARM's blocks scores higher there than on clean images: the label leak);
 * the teacher's Dice; and the share of test pixels the student calls foreground at the last
 * evaluation (a collapsing student predicts almost nothing).
 *
 * @module
 */
import { mean, std } from "../metrics/summary.ts";
import { comparisonCells } from "./ablation_table.ts";
import { aggregateMetric, type PerImageRow } from "./per_image.ts";
import type { RowDef } from "./plan.ts";
import { type CheckpointChoice, outcomesFor, perImageAt, type RunOutcome } from "./run_outcome.ts";
import { type Cell, makeTable, type MeanStd, type Table } from "./table.ts";

/** Options of {@link diagnosisTable}. */
export interface DiagnosisTableOptions {
  /** Dataset name (title). */
  dataset: string;
  /** Seeds to aggregate. */
  seeds: readonly number[];
  /** Checkpoint of the comparison (default "best"). */
  checkpoint?: CheckpointChoice;
  /** Extra notes. */
  notes?: string[];
}

/** Mean ± std over seeds of one number per run (null when a run lacks it). */
function overSeeds(values: (number | undefined)[]): MeanStd | null {
  if (!values.length || values.some((v) => typeof v !== "number" || !Number.isFinite(v))) return null;
  const xs = values as number[];
  return { mean: mean(xs), std: xs.length > 1 ? std(xs, { ddof: 1 }) : null };
}

/** Build the diagnosis table; the first row is the reference of the paired tests. */
export function diagnosisTable(
  rows: readonly RowDef[],
  outcomes: readonly RunOutcome[],
  options: DiagnosisTableOptions,
): Table {
  const ck = options.checkpoint ?? "best";
  const ref = rows[0];
  const opts = { seeds: options.seeds, checkpoint: ck };
  const body: Record<string, Cell>[] = rows.map((row) => {
    const runs = outcomesFor(outcomes, row.key, options.seeds);
    const d = comparisonCells(outcomes, row.key, ref.key, "dice", opts);
    const perSeed = aggregateMetric(perImageAt(runs, ck), "dice").perSeed;
    const side = (pick: (o: RunOutcome) => PerImageRow[] | undefined) =>
      runs.every((o) => pick(o)) ? aggregateMetric(runs.map((o) => pick(o)!), "dice") : null;
    return {
      variant: row.label,
      dice: d.value,
      d_dice: d.delta,
      p_dice: d.p,
      per_seed: perSeed.map((v) => (v === null ? "–" : (v * 100).toFixed(1))).join(", "),
      dice_last: aggregateMetric(perImageAt(runs, "last"), "dice"),
      masked: side((o) => o.masked?.[ck]),
      teacher: side((o) => o.teacher?.[ck]),
      fg: overSeeds(runs.map((o) => o.lastMetrics?.["dyn/test/student/fg_sigmoid"])),
    };
  });
  return makeTable(
    [
      { key: "variant", label: "Variant", kind: "text" },
      { key: "dice", label: `Student Dice, ${ck} (%)`, kind: "meanStd", scale: 100 },
      { key: "d_dice", label: "Δ Dice (pp)", scale: 100 },
      { key: "p_dice", label: "p (Dice)", digits: 4 },
      { key: "per_seed", label: "per seed (%)", kind: "text" },
      { key: "dice_last", label: "Student Dice, last (%)", kind: "meanStd", scale: 100 },
      { key: "masked", label: `Student Dice, DARM-masked test, ${ck} (%)`, kind: "meanStd", scale: 100 },
      { key: "teacher", label: `Teacher Dice, ${ck} (%)`, kind: "meanStd", scale: 100 },
      { key: "fg", label: "Student foreground share, last eval (%)", kind: "meanStd", scale: 100 },
    ],
    body,
    {
      title: `Diagnosis of the FGI student on ${options.dataset} (issue 11)`,
      notes: [
        `Δ = row − ${ref.label}, mean of the per-image differences of the student's Dice; p = two-sided Wilcoxon ` +
        "signed-rank test on the paired per-image values (averaged over seeds first)",
        "DARM-masked test: each test image masked by DARM from its own gaze levels (diagnostic only; a student " +
        "that reads the blocks, which outline the target, scores higher there than on clean images)",
        "foreground share: test pixels with sigmoid(channel 1) > 0.5 at the last evaluation (evaluation subset " +
        "during training, all images at the final one)",
        "the ring + random DARM is this toolkit's variant (not the paper's, not the released code)",
        `mean ± std over seeds ${options.seeds.join(", ")}`,
        ...(options.notes ?? []),
      ],
    },
  );
}
