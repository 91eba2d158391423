/**
 * Figure "training dynamics" (issue 11, section 2): what the FGI teacher and student output at
 * each evaluation of a run, read from the `dyn/<input>/<network>/<quantity>` metrics of the
 * `eval` records in its `log.jsonl` (lib/metrics/evaluate.ts `trainingEvaluation`). One panel per
 * quantity (mean channel-0 and channel-1 logits, foreground share by sigmoid and by argmax, CWC
 * positive and negative shares, Dice), plus a panel with the test Dice of the teacher, the
 * student and the mean of their logits. Teacher and student have one colour each; the input is
 * the line style (test split solid, training batch clean dashed, training batch DARM-masked dotted).
 *
 * @module
 */
import type { PlotlyFigure } from "./figure.ts";
import { type CurveRecord, dedupeByIteration } from "./training_curves.ts";

/** Quantities of the output statistics with their panel titles (lib/metrics/output_stats.ts). */
export const DYNAMICS_PANELS: readonly { key: string; title: string; percent: boolean }[] = [
  { key: "logit0", title: "mean channel-0 logit", percent: false },
  { key: "logit1", title: "mean channel-1 logit", percent: false },
  { key: "fg_sigmoid", title: "foreground, sigmoid(ch 1) > 0.5 (%)", percent: true },
  { key: "fg_argmax", title: "foreground, softmax argmax (%)", percent: true },
  { key: "cwc_pos", title: "CWC positive set (%)", percent: true },
  { key: "cwc_neg", title: "CWC negative set (%)", percent: true },
  { key: "dice", title: "Dice (%)", percent: true },
];

const INPUTS = [
  { key: "test", label: "test", dash: "solid" },
  { key: "train_clean", label: "train batch", dash: "dash" },
  { key: "train_masked", label: "train batch, DARM-masked", dash: "dot" },
] as const;

const NETWORKS = [
  { key: "teacher", color: "#d62728" },
  { key: "student", color: "#1f77b4" },
] as const;

/**
 * The figure of one run's log records (see module doc). Series without values are left out;
 * a log without any `dyn/` metric is an error (the run predates the statistics or is not FGI).
 */
export function trainingDynamicsFigure(
  records: readonly CurveRecord[],
  options: { title?: string } = {},
): PlotlyFigure {
  const evals = dedupeByIteration(
    records.filter((r): r is Extract<CurveRecord, { type: "eval" }> =>
      r.type === "eval" && typeof (r as { metrics?: unknown }).metrics === "object"
    ),
  );
  if (!evals.some((e) => Object.keys(e.metrics).some((k) => k.startsWith("dyn/")))) {
    throw new Error("training dynamics: the log has no output statistics (dyn/... metrics of an FGI run)");
  }
  const cols = 4;
  const panels = [...DYNAMICS_PANELS, {
    key: "test_dice",
    title: "test Dice: teacher, student, mean (%)",
    percent: true,
  }];
  const rows = Math.ceil(panels.length / cols);
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: { text: options.title ?? "Training dynamics: teacher vs student" },
    width: 1200,
    height: 300 * rows + 120,
    legend: { orientation: "h", y: -0.12 },
    margin: { b: 120 },
  };
  const shown = new Set<string>();
  panels.forEach((panel, p) => {
    const axis = p === 0 ? "" : String(p + 1);
    const col = p % cols, row = Math.floor(p / cols);
    const gap = 0.06;
    layout[`xaxis${axis}`] = {
      domain: [col / cols + gap / 2, (col + 1) / cols - gap / 2],
      anchor: `y${axis}`,
      title: { text: row === rows - 1 ? "iteration" : "" },
    };
    layout[`yaxis${axis}`] = {
      domain: [1 - (row + 1) / rows + 0.08, 1 - row / rows - 0.04],
      anchor: `x${axis}`,
      title: { text: panel.title, font: { size: 11 } },
    };
    const scale = panel.percent ? 100 : 1;
    const series: { name: string; key: string; color: string; dash: string }[] = [];
    if (panel.key === "test_dice") {
      series.push({ name: "teacher", key: "teacher_dice", color: NETWORKS[0].color, dash: "solid" });
      series.push({ name: "student", key: "dice", color: NETWORKS[1].color, dash: "solid" });
      series.push({ name: "mean of logits", key: "mean_dice", color: "#2ca02c", dash: "solid" });
    } else {
      for (const net of NETWORKS) {
        for (const input of INPUTS) {
          series.push({
            name: `${net.key}, ${input.label}`,
            key: `dyn/${input.key}/${net.key}/${panel.key}`,
            color: net.color,
            dash: input.dash,
          });
        }
      }
    }
    for (const s of series) {
      const pts = evals.filter((e) => typeof e.metrics[s.key] === "number");
      if (!pts.length) continue;
      data.push({
        type: "scatter",
        mode: "lines+markers",
        name: s.name,
        legendgroup: s.name,
        showlegend: !shown.has(s.name),
        x: pts.map((e) => e.iteration),
        y: pts.map((e) => e.metrics[s.key] * scale),
        line: { color: s.color, dash: s.dash },
        xaxis: `x${axis}`,
        yaxis: `y${axis}`,
      });
      shown.add(s.name);
    }
  });
  return { data, layout };
}
