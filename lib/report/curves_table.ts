/**
 * Table "curves": learning curves over seeds, to choose a schedule by measurement (issue 11,
 * section 4: "the smallest schedule at which full supervision, GazeMedSeg and the FGI teacher
 * have stopped improving"). One row per table row and network (the reported network; for FGI
 * also the teacher), one column per evaluation iteration with the test Dice logged at that
 * evaluation (mean ± std over seeds), then the gain over the last quarter of the schedule and a
 * verdict: `rising` when the mean gain reaches the threshold, `falling` when the mean loses at least
 * that much (a collapse), otherwise `plateau`.
 *
 * The Dice of an evaluation during training is the one written to `log.jsonl` (every
 * `evalEvery` iterations, on the evaluation subset: all test images when `evalLimit` is 0).
 *
 * @module
 */
import { mean, std } from "../metrics/summary.ts";
import type { RowDef } from "./plan.ts";
import type { RunOutcome } from "./run_outcome.ts";
import { type Cell, type Column, makeTable, type Table } from "./table.ts";

/** Options of {@link curvesTable}. */
export interface CurvesTableOptions {
  /** Dataset name (title). */
  dataset: string;
  /** Seeds to aggregate; a row appears only when every seed has a finished run. */
  seeds: readonly number[];
  /**
   * A curve has reached a plateau when its mean Dice changes by less than this many
   * percentage points over the last quarter of the schedule (default 1).
   */
  plateauPp?: number;
  /** Extra notes. */
  notes?: string[];
}

/** The networks a row's curves are drawn for: metric key in log.jsonl and label. */
function networksOf(row: RowDef): { metric: string; label: string }[] {
  if (row.method !== "fgi") return [{ metric: "dice", label: row.label }];
  return [
    { metric: "dice", label: `${row.label}: student` },
    { metric: "teacher_dice", label: `${row.label}: teacher` },
  ];
}

/** Value of `metric` at `iteration` in one run's evaluations, or undefined. */
function valueAt(o: RunOutcome, metric: string, iteration: number): number | undefined {
  const v = o.evaluations?.find((e) => e.iteration === iteration)?.metrics[metric];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

/**
 * The curves table of `rows` (rows without finished runs for every seed, or without logged
 * evaluations, are left out). Throws when no row has curves.
 */
export function curvesTable(
  rows: readonly RowDef[],
  outcomes: readonly RunOutcome[],
  options: CurvesTableOptions,
): Table {
  const plateau = options.plateauPp ?? 1;
  const seen = new Set<string>();
  const usable: { row: RowDef; runs: RunOutcome[] }[] = [];
  for (const row of rows) {
    if (seen.has(row.key)) continue;
    seen.add(row.key);
    const runs = options.seeds.map((s) => outcomes.find((o) => o.spec.key === row.key && o.spec.seed === s));
    if (runs.some((o) => !o?.evaluations?.length)) continue;
    usable.push({ row, runs: runs as RunOutcome[] });
  }
  if (!usable.length) throw new Error("curvesTable: no row has finished runs with logged evaluations for every seed");
  const iterations = [...new Set(usable.flatMap((u) => u.runs.flatMap((o) => o.evaluations!.map((e) => e.iteration))))]
    .sort((a, b) => a - b);
  const columns: Column[] = [
    { key: "curve", label: "Run: network", kind: "text" },
    ...iterations.map((it): Column => ({ key: `it_${it}`, label: `${it}`, kind: "meanStd", scale: 100, digits: 1 })),
    { key: "gain", label: "Gain, last quarter (pp)", scale: 100, digits: 1 },
    { key: "verdict", label: "Verdict", kind: "text" },
  ];
  const body: Record<string, Cell>[] = [];
  for (const { row, runs } of usable) {
    for (const net of networksOf(row)) {
      const cells: Record<string, Cell> = { curve: net.label };
      const meanAt = new Map<number, number>();
      for (const it of iterations) {
        const vs = runs.map((o) => valueAt(o, net.metric, it));
        if (vs.some((v) => v === undefined)) continue;
        const xs = vs as number[];
        meanAt.set(it, mean(xs));
        cells[`it_${it}`] = { mean: mean(xs), std: xs.length > 1 ? std(xs, { ddof: 1 }) : null };
      }
      const have = [...meanAt.keys()];
      if (!have.length) continue;
      const last = have[have.length - 1];
      // The evaluation closest to 3/4 of the last one (the earlier one on a tie).
      const q = have.reduce((b, it) => (Math.abs(it - 0.75 * last) < Math.abs(b - 0.75 * last) ? it : b), have[0]);
      if (q < last) {
        const gain = meanAt.get(last)! - meanAt.get(q)!;
        cells.gain = gain;
        cells.verdict = gain * 100 <= -plateau
          ? `falling (${(gain * 100).toFixed(1)} pp from ${q} to ${last})`
          : gain * 100 < plateau
          ? `plateau (within ${plateau} pp from ${q} to ${last})`
          : `rising (+${(gain * 100).toFixed(1)} pp from ${q} to ${last})`;
      }
      body.push(cells);
    }
  }
  return makeTable(columns, body, {
    title: `Learning curves on ${options.dataset}: test Dice (%) at each evaluation during training`,
    notes: [
      `mean ± std over seeds ${options.seeds.join(", ")}; columns are training iterations`,
      "Dice as logged at each evaluation during training (log.jsonl; the evaluation subset, all test images when " +
      "evalLimit is 0); for FGI rows the student (reported network) and the teacher (with text)",
      `gain = mean Dice at the last evaluation minus at the evaluation nearest 3/4 of it; rising from +${plateau} pp, ` +
      `falling from −${plateau} pp, plateau in between`,
      ...(options.notes ?? []),
    ],
  });
}
