/**
 * The figures of `deno task reproduce`, built from finished runs (lib/report/run_outcome)
 * and the dataset: pseudo-mask pipeline panel (lib/gaze's figure), qualitative
 * predictions for the best / median / worst test image, training curves, the FGI training
 * dynamics (teacher vs student outputs), per-image
 * Dice distributions, Dice vs annotation hours, and the FGI teacher's text-to-image
 * attention next to gaze and prediction. Each builder returns a Plotly figure; the
 * notebooks display them and {@link writeFigures} saves them all.
 *
 * @module
 */
import { join } from "node:path";
import type { Provenance } from "../core/provenance.ts";
import type { Raster } from "../data/raster.ts";
import type { Dataset } from "../data/types.ts";
import { gazeFigure, type GazeFigureRow } from "../gaze/figure.ts";
import { ANNOTATION_COST_NOTE, annotationHours } from "../metrics/annotation_cost.ts";
import { FIELD_NAMES } from "../text/schema.ts";
import { loadTrainedMethod } from "../train/trained.ts";
import type { Supervision } from "../train/supervision.ts";
import { annotationCostFigure, type CostPoint } from "./annotation_cost_figure.ts";
import { type Case, pickCases } from "./cases.ts";
import { diceDistributionFigure } from "./dice_distribution.ts";
import type { PlotlyFigure } from "./figure.ts";
import { FigureExporter, type SavedFigure } from "./figure_export.ts";
import { imageGridFigure, type ImagePanel } from "./image_grid.ts";
import { MAIN_ROW_PUBLISHED } from "./main_table.ts";
import { COLORS, overlayHeatmap, overlayMask, shrink, toDisplayRgb, turboColorscale } from "./overlay.ts";
import { aggregateMetric, metricValues, seedAveraged } from "./per_image.ts";
import type { RowDef } from "./plan.ts";
import { attentionMaps, predictMask } from "./predictions.ts";
import { publishedDice } from "./published.ts";
import { outcomesFor, perImageAt, type RunOutcome } from "./run_outcome.ts";
import { parseLogJsonl, trainingCurvesFigure } from "./training_curves.ts";
import { trainingDynamicsFigure } from "./training_dynamics.ts";

/** What the figure builders read. */
export interface FigureContext {
  /** The dataset (test images, ground truth). */
  dataset: Dataset;
  /** Gaze maps and text tokens. */
  supervision: Supervision;
  /** Finished runs. */
  outcomes: readonly RunOutcome[];
  /** Seeds of the plan. */
  seeds: readonly number[];
  /** Training image side. */
  imageSize: number;
  /** Training images (annotation hours). */
  trainImages: number;
  /** Largest panel side in px for image figures (default 160). */
  panel?: number;
}

const dl = (v: number) => (v * 100).toFixed(1);

/**
 * The pseudo-mask pipeline panel (lib/gaze `gazeFigure`: image | GT | heatmap | heatmap
 * > 0.5 | CRF >= 0.5) for `ids` (default: the first three training images).
 */
export async function pseudoMaskFigure(
  ctx: Pick<FigureContext, "dataset" | "supervision" | "panel">,
  ids?: readonly string[],
): Promise<PlotlyFigure> {
  const pick = ids ?? ctx.dataset.ids("train").slice(0, 3);
  const rows: GazeFigureRow[] = [];
  for (const id of pick) {
    const s = await ctx.dataset.load(id);
    const heatmap = await ctx.supervision.heatmap(id), crf = await ctx.supervision.crf(id);
    rows.push({
      id,
      image: s.image,
      mask: s.mask,
      heatmap: heatmap as Raster<Float32Array>,
      crf: crf as Raster<Float32Array>,
    });
  }
  return gazeFigure(rows, {
    title: `From gaze to two pseudo-masks (${ctx.dataset.name})`,
    panelSize: ctx.panel ?? 160,
  });
}

/** The cases (best / median / worst by `key`'s per-image Dice at its best checkpoint, first seed). */
export function figureCases(ctx: Pick<FigureContext, "outcomes" | "seeds">, key = "fgi-code"): Case[] {
  const runs = outcomesFor(ctx.outcomes, key, ctx.seeds);
  const { ids, values } = seedAveraged(perImageAt(runs, "best"), "dice");
  return pickCases(ids.map((id, i) => ({ id, value: values[i] ?? 0 })));
}

/**
 * Qualitative predictions: rows best / median / worst test image (by FGI's Dice),
 * columns image | ground truth | gaze heatmap | each method's prediction (default
 * GazeMedSeg and FGI, best checkpoints of the first seed), with each prediction's Dice.
 */
export async function qualitativeFigure(
  ctx: FigureContext,
  options: { methods?: readonly { key: string; label: string }[]; cases?: Case[] } = {},
): Promise<PlotlyFigure> {
  const methods = options.methods ?? [{ key: "gazemedseg", label: "GazeMedSeg" }, { key: "fgi-code", label: "FGI" }];
  const cases = options.cases ?? figureCases(ctx);
  const seed = ctx.seeds[0];
  const side = ctx.panel ?? 160;
  const rows: ImagePanel[][] = [];
  const preds = new Map<string, Raster<Uint8Array>[]>();
  for (const m of methods) {
    const run = outcomesFor(ctx.outcomes, m.key, [seed])[0];
    const { method } = await loadTrainedMethod(join(run.dir, "checkpoints", "best"));
    try {
      const list: Raster<Uint8Array>[] = [];
      for (const c of cases) {
        list.push((await predictMask(method, ctx.dataset, c.id, { imageSize: ctx.imageSize })).mask);
      }
      preds.set(m.key, list);
    } finally {
      method.dispose();
    }
  }
  for (const [k, c] of cases.entries()) {
    const s = await ctx.dataset.load(c.id);
    const rgb = shrink(toDisplayRgb(s.image), side);
    const fit = (m: Raster) => shrink(m, side, { mask: true });
    const heat = shrink(await ctx.supervision.heatmap(c.id), side);
    const row: ImagePanel[] = [
      { image: rgb, title: c.id.length > 14 ? `${c.id.slice(0, 12)}…` : c.id },
      { image: s.mask ? overlayMask(rgb, fit(s.mask), { color: COLORS.gt }) : rgb, title: "ground truth" },
      { image: overlayHeatmap(rgb, heat), title: "gaze heatmap" },
    ];
    for (const m of methods) {
      const run = outcomesFor(ctx.outcomes, m.key, [seed])[0];
      const dice = run.best.find((r) => r.id === c.id)?.dice;
      row.push({
        image: overlayMask(rgb, fit(preds.get(m.key)![k]), { color: COLORS.pred }),
        title: `${m.label}${dice === undefined ? "" : ` (Dice ${dl(dice)})`}`,
      });
    }
    rows.push(row);
  }
  return imageGridFigure(rows, {
    title: `Predictions on ${ctx.dataset.name} test images (best / median / worst FGI Dice)`,
    rowLabels: cases.map((c) => c.label),
    panel: side,
    colorbar: {
      colorscale: turboColorscale(),
      title: "gaze heatmap (overlay opacity 0.6 × value)",
      tickvals: [0, 0.5, 1],
      ticktext: ["0", "0.5", "1"],
    },
  });
}

/**
 * Interpretability: per case (best / median / worst), image | gaze heatmap | the FGI
 * teacher's attention to each of the six description fields (mean over the 4 scales)
 * | the student's prediction.
 */
export async function interpretabilityFigure(
  ctx: FigureContext,
  options: { key?: string; cases?: Case[] } = {},
): Promise<PlotlyFigure> {
  const key = options.key ?? "fgi-code";
  const cases = options.cases ?? figureCases(ctx, key);
  const run = outcomesFor(ctx.outcomes, key, [ctx.seeds[0]])[0];
  const side = ctx.panel ?? 140;
  const { method } = await loadTrainedMethod(join(run.dir, "checkpoints", "best"));
  const rows: ImagePanel[][] = [];
  try {
    for (const c of cases) {
      const s = await ctx.dataset.load(c.id);
      const rgb = shrink(toDisplayRgb(s.image), side);
      const size = { width: rgb.width, height: rgb.height };
      const att = await attentionMaps(method, ctx.dataset, c.id, {
        imageSize: ctx.imageSize,
        supervision: ctx.supervision,
        size,
      });
      const pred = (await predictMask(method, ctx.dataset, c.id, { imageSize: ctx.imageSize })).mask;
      const row: ImagePanel[] = [
        { image: rgb, title: "image" },
        { image: overlayHeatmap(rgb, shrink(await ctx.supervision.heatmap(c.id), side)), title: "gaze" },
      ];
      att.perToken.forEach((m, l) => {
        row.push({
          image: overlayHeatmap(rgb, m, { normalise: true }),
          title: `attn: ${FIELD_NAMES[l] ?? `token ${l}`}`,
        });
      });
      row.push({
        image: overlayMask(rgb, shrink(pred, side, { mask: true }), { color: COLORS.pred }),
        title: `student (Dice ${dl(c.value)})`,
      });
      rows.push(row);
    }
  } finally {
    method.dispose();
  }
  return imageGridFigure(rows, {
    title: "FGI teacher: text-to-image attention per description field, next to gaze and prediction",
    rowLabels: cases.map((c) => c.label),
    panel: side,
    colorbar: {
      colorscale: turboColorscale(),
      title: "gaze heatmap (0..1); attention: each map scaled to its own min..max",
      tickvals: [0, 1],
      ticktext: ["low", "high"],
    },
  });
}

/** Training curves (loss, test Dice) of the given rows' first-seed runs. */
export async function trainingCurves(
  ctx: Pick<FigureContext, "outcomes" | "seeds">,
  rows: readonly RowDef[],
): Promise<PlotlyFigure> {
  const runs = [];
  for (const row of rows) {
    const o = outcomesFor(ctx.outcomes, row.key, [ctx.seeds[0]])[0];
    const path = join(o.dir, "log.jsonl");
    runs.push({ label: row.label, records: parseLogJsonl(await Deno.readTextFile(path), path) });
  }
  return trainingCurvesFigure(runs, { title: `Training curves (seed ${ctx.seeds[0]})` });
}

/**
 * Training dynamics (teacher vs student outputs at each evaluation, lib/report/training_dynamics.ts)
 * of the first FGI row among `rows` (the code variant in the main table), first seed.
 */
export async function trainingDynamics(
  ctx: Pick<FigureContext, "outcomes" | "seeds">,
  rows: readonly RowDef[],
): Promise<PlotlyFigure> {
  const row = rows.find((r) => r.method === "fgi");
  if (!row) throw new Error("training dynamics: no FGI row among the runs");
  const o = outcomesFor(ctx.outcomes, row.key, [ctx.seeds[0]])[0];
  const path = join(o.dir, "log.jsonl");
  return trainingDynamicsFigure(parseLogJsonl(await Deno.readTextFile(path), path), {
    title: `Training dynamics: ${row.label}, teacher vs student (seed ${ctx.seeds[0]})`,
  });
}

/** Per-image Dice distributions of the given rows (best checkpoints, per image averaged over seeds). */
export function diceDistribution(
  ctx: Pick<FigureContext, "outcomes" | "seeds">,
  rows: readonly RowDef[],
): PlotlyFigure {
  return diceDistributionFigure(
    rows.map((row) => {
      const runs = outcomesFor(ctx.outcomes, row.key, ctx.seeds);
      const values = ctx.seeds.length > 1
        ? seedAveraged(perImageAt(runs, "best"), "dice").values
        : metricValues(runs[0].best, "dice");
      return { label: row.label, values };
    }),
    { title: "Per-image test Dice (best checkpoint)" },
  );
}

/** Dice vs annotation hours of the given rows, with the published Dice where it exists. */
export function annotationCost(
  ctx: Pick<FigureContext, "outcomes" | "seeds" | "trainImages" | "dataset">,
  rows: readonly RowDef[],
): PlotlyFigure {
  const points: CostPoint[] = rows.map((row) => {
    const a = aggregateMetric(perImageAt(outcomesFor(ctx.outcomes, row.key, ctx.seeds), "best"), "dice");
    const pub = MAIN_ROW_PUBLISHED[row.key];
    return {
      label: row.label,
      hours: annotationHours(row.method === "fullsup" ? "full-mask" : "gaze", ctx.trainImages),
      dice: a.mean ?? 0,
      std: a.std,
      published: pub ? publishedDice(pub, ctx.dataset.name)?.dice ?? null : null,
    };
  });
  return annotationCostFigure(points, {
    title: `Dice vs annotation time (${ctx.dataset.name}, ${ctx.trainImages} training images)`,
    note: ANNOTATION_COST_NOTE,
  });
}

/** Names of the figures {@link writeFigures} writes (file stems under `figures/`). */
export const FIGURE_NAMES = [
  "fig_pseudo_masks",
  "fig_qualitative",
  "fig_training_curves",
  "fig_training_dynamics",
  "fig_dice_distribution",
  "fig_annotation_cost",
  "fig_interpretability",
] as const;

/** One written figure. */
export interface WrittenFigure extends SavedFigure {
  /** File stem. */
  name: string;
  /** Seconds to build and save it. */
  seconds: number;
}

/**
 * Build and save every figure into `dir` (HTML always; PNG and SVG where Chromium
 * exists). `mainRows` are the main table's rows (all need finished runs). A figure that
 * fails is reported in its `note` and the others are still written.
 */
export async function writeFigures(
  ctx: FigureContext,
  mainRows: readonly RowDef[],
  dir: string,
  options: { provenance?: Provenance; static?: boolean; log?: (line: string) => void } = {},
): Promise<WrittenFigure[]> {
  await Deno.mkdir(dir, { recursive: true });
  const cases = figureCases(ctx);
  const builders: Record<(typeof FIGURE_NAMES)[number], () => Promise<PlotlyFigure> | PlotlyFigure> = {
    fig_pseudo_masks: () => pseudoMaskFigure(ctx, cases.map((c) => c.id)),
    fig_qualitative: () => qualitativeFigure(ctx, { cases }),
    fig_training_curves: () => trainingCurves(ctx, mainRows),
    fig_training_dynamics: () => trainingDynamics(ctx, mainRows),
    fig_dice_distribution: () => diceDistribution(ctx, mainRows),
    fig_annotation_cost: () => annotationCost(ctx, mainRows),
    fig_interpretability: () => interpretabilityFigure(ctx, { cases }),
  };
  const out: WrittenFigure[] = [];
  await using exporter = await FigureExporter.open({ static: options.static });
  for (const name of FIGURE_NAMES) {
    const t0 = performance.now();
    try {
      const fig = await builders[name]();
      const saved = await exporter.save(fig, join(dir, name), { provenance: options.provenance });
      out.push({ name, ...saved, seconds: (performance.now() - t0) / 1000 });
    } catch (err) {
      out.push({ name, note: `failed: ${(err as Error).message}`, seconds: (performance.now() - t0) / 1000 });
    }
    options.log?.(`figure ${name}: ${out.at(-1)!.note ?? "written"} (${out.at(-1)!.seconds.toFixed(1)}s)`);
  }
  return out;
}
