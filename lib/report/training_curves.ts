/**
 * Figure: training curves read from runs' `log.jsonl` (lib/train loop): the total loss
 * per iteration (moving average) and the reported network's test Dice at each
 * evaluation, one line per run.
 *
 * @module
 */
import type { PlotlyFigure } from "./figure.ts";

/** The parts of a log the curves use (lib/train `LogRecord`, structurally). */
export type CurveRecord =
  | { type: "step"; iteration: number; losses: Record<string, number> }
  | { type: "eval"; iteration: number; metrics: Record<string, number> }
  | { type: string; iteration?: number };

/** One run's curves. */
export interface RunCurves {
  /** Line label. */
  label: string;
  /** Its log records, in file order. */
  records: readonly CurveRecord[];
}

/**
 * Parse a `log.jsonl` text into records (blank lines skipped); errors name `source`
 * and the line.
 */
export function parseLogJsonl(text: string, source: string): CurveRecord[] {
  const out: CurveRecord[] = [];
  text.split("\n").forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line));
    } catch (err) {
      throw new Error(`${source}: line ${i + 1} is not JSON (${(err as Error).message})`);
    }
  });
  return out;
}

/**
 * Trailing moving average over `window` values (the first values average what exists).
 *
 * @example
 * ```ts
 * import { movingAverage } from "../../mod.ts";
 * movingAverage([1, 2, 3, 4], 2); // [1, 1.5, 2.5, 3.5]
 * ```
 */
export function movingAverage(values: readonly number[], window: number): number[] {
  if (!(Number.isInteger(window) && window >= 1)) throw new Error(`movingAverage: window must be >= 1, got ${window}`);
  const out: number[] = [];
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    s += values[i];
    if (i >= window) s -= values[i - window];
    out.push(s / Math.min(i + 1, window));
  }
  return out;
}

/**
 * The last record per iteration of each kind: a resumed run may repeat iterations after
 * its last checkpoint; the repeated (later) records replace the earlier ones.
 */
export function dedupeByIteration<T extends { iteration?: number }>(records: readonly T[]): T[] {
  const m = new Map<number, T>();
  for (const r of records) if (typeof r.iteration === "number") m.set(r.iteration, r);
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
}

/** Open marker symbols of decreasing size, one per run: coincident evaluations stay visible as nested shapes. */
const MARKERS = ["circle-open", "square-open", "diamond-open", "triangle-up-open", "star-open", "hexagon-open"];

/**
 * Two panels: total training loss (moving average over `options.window`, default 1/20
 * of the run, at least 1) and test Dice (%) at every evaluation (open markers of a different
 * shape and size per run, so runs with equal scores do not hide each other). When a run logs
 * GazeMedSeg's consistency term (`CONS`), a note under the loss panel explains why its total
 * goes below 0. The legend sits below both panels, clear of the axis titles.
 */
export function trainingCurvesFigure(
  runs: readonly RunCurves[],
  options: { title?: string; window?: number; lossKey?: string; metricKey?: string } = {},
): PlotlyFigure {
  const lossKey = options.lossKey ?? "total", metricKey = options.metricKey ?? "dice";
  const data: Record<string, unknown>[] = [];
  const palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];
  let consistency = false;
  runs.forEach((run, k) => {
    const color = palette[k % palette.length];
    const steps = dedupeByIteration(
      run.records.filter((r): r is Extract<CurveRecord, { type: "step" }> =>
        r.type === "step" && typeof (r as { losses?: Record<string, number> }).losses?.[lossKey] === "number"
      ),
    );
    const evals = dedupeByIteration(
      run.records.filter((r): r is Extract<CurveRecord, { type: "eval" }> =>
        r.type === "eval" && typeof (r as { metrics?: Record<string, number> }).metrics?.[metricKey] === "number"
      ),
    );
    if (steps.some((s) => typeof s.losses.CONS === "number")) consistency = true;
    const window = options.window ?? Math.max(1, Math.round(steps.length / 20));
    data.push({
      type: "scatter",
      mode: "lines",
      name: run.label,
      legendgroup: run.label,
      x: steps.map((s) => s.iteration),
      y: movingAverage(steps.map((s) => s.losses[lossKey]), window),
      line: { color },
      xaxis: "x",
      yaxis: "y",
    });
    data.push({
      type: "scatter",
      mode: "lines+markers",
      name: run.label,
      legendgroup: run.label,
      showlegend: false,
      x: evals.map((e) => e.iteration),
      y: evals.map((e) => e.metrics[metricKey] * 100),
      line: { color, width: 1.5 },
      marker: { symbol: MARKERS[k % MARKERS.length], size: Math.max(6, 16 - 2 * (k % 6)), line: { width: 2 } },
      xaxis: "x2",
      yaxis: "y2",
    });
  });
  const annotations = consistency
    ? [{
      text: "GazeMedSeg's total = Σ BCE + 3 × CONS; CONS = −(agreement of each level's propagated prediction " +
        "with the other levels), in [−K, 0] for K levels,<br>so its total goes below 0 as the levels agree " +
        "(K = 2: down to −6). FGI's total adds the ramped CWC and AFC terms to L_T + L_S.",
      x: 0,
      y: -0.16,
      xref: "paper",
      yref: "paper",
      xanchor: "left",
      yanchor: "top",
      align: "left",
      showarrow: false,
      font: { size: 11, color: "#555" },
    }]
    : [];
  return {
    data,
    layout: {
      title: { text: options.title ?? "Training curves" },
      width: 1000,
      height: consistency ? 540 : 500,
      xaxis: { domain: [0, 0.45], title: { text: "iteration", standoff: 4 } },
      yaxis: { title: { text: `training loss (${lossKey}, moving average)` } },
      xaxis2: { domain: [0.55, 1], title: { text: "iteration", standoff: 4 }, anchor: "y2" },
      yaxis2: { title: { text: `test ${metricKey} (%), every evaluation` }, anchor: "x2" },
      legend: { orientation: "h", x: 0, xanchor: "left", y: consistency ? -0.3 : -0.18, yanchor: "top" },
      margin: { b: consistency ? 170 : 130 },
      annotations,
    },
  };
}
