/**
 * Evaluation of a trained method on a split (docs/METHOD.md section 8): per image, resize the image to
 * the training size (bilinear, as in training, through lib/data's cache), normalise, predict the
 * foreground logits with the chosen network (eval mode; the FGI teacher also gets the image's text
 * tokens), upsample them BILINEARLY to the ground truth's original size, foreground = logit > 0
 * (sigmoid > 0.5), then Dice, IoU, HD95, ASD and ASSD (medpy definitions, mm when the sample has a
 * pixel spacing) and summaries over the images.
 *
 * This is the glue between lib/train (which cannot import metrics) and lib/metrics:
 * {@link evaluatorFor} builds the loop's `evaluate` callback; {@link evaluateMethod} scores once;
 * {@link writeEvaluation} writes the per-image CSV and the summary JSON.
 *
 * @module
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { atomicWrite } from "../core/atomic_write.ts";
import { progressBar } from "../core/progress.ts";
import { provenance } from "../core/provenance.ts";
import { iterateBatches, resolveCache } from "../data/batches.ts";
import type { Dataset, Split } from "../data/types.ts";
import type { TeacherConfig } from "../models/types.ts";
import type { EvaluateFn } from "../train/loop.ts";
import type { TrainMethod } from "../train/methods/types.ts";
import type { Supervision } from "../train/supervision.ts";
import type { Mask } from "./mask.ts";
import { diceFromCounts, iouFromCounts, overlapCounts } from "./overlap.ts";
import { logitsToMask, scoreMask } from "./per_image.ts";
import { summarize, type Summary } from "./summary.ts";

/** Scores of one image. Surface distances are null when a mask is empty (or when not computed). */
export interface EvaluationRow {
  /** Image id. */
  id: string;
  /** Dice in [0, 1]. */
  dice: number;
  /** IoU in [0, 1]. */
  iou: number;
  /** HD95 (px, or mm with a spacing); null for an empty mask or `surface: false`. */
  hd95: number | null;
  /** ASD; null as hd95. */
  asd: number | null;
  /** ASSD; null as hd95. */
  assd: number | null;
  /** Unit of the distances. */
  unit: "px" | "mm";
  /** The prediction is empty. */
  predEmpty: boolean;
  /** The ground truth is empty. */
  gtEmpty: boolean;
  /** Ground-truth width (original). */
  width: number;
  /** Ground-truth height (original). */
  height: number;
}

/** Metric names of an evaluation summary. */
export const EVALUATION_METRICS = ["dice", "iou", "hd95", "asd", "assd"] as const;

/** Result of {@link evaluateMethod}. */
export interface Evaluation {
  /** Split evaluated. */
  split: Split;
  /** Network evaluated. */
  network: string;
  /** Per-image rows, split order. */
  rows: EvaluationRow[];
  /** Summary per metric (mean, std, median, bootstrap CI; nulls counted, not averaged). */
  summary: Record<(typeof EVALUATION_METRICS)[number], Summary>;
  /** Seconds taken. */
  seconds: number;
}

/** Options of {@link evaluateMethod}. */
export interface EvaluateMethodOptions {
  /** Split (default `test`). */
  split?: Split;
  /** Training image side the method was trained at. */
  imageSize: number;
  /** Network (default: the method's reported network). */
  network?: string;
  /** Needed when the network needs text (the FGI teacher). */
  supervision?: Supervision;
  /** Only the first N ids of the split (0 or undefined = all). */
  limit?: number;
  /** Images per forward pass (default 8). */
  batchSize?: number;
  /** Compute HD95 / ASD / ASSD (default true); false = Dice and IoU only (fast, for training-time checks). */
  surface?: boolean;
  /** Ground-truth masks at original size by id, filled on first use (keeps repeated evaluations from re-decoding). */
  gtCache?: Map<string, { mask: Mask; spacing?: readonly [number, number] }>;
  /** No progress bar. */
  quiet?: boolean;
}

/**
 * Score `method` on a split of `dataset` (see module doc). Images without a ground-truth mask are
 * an error (the test splits of every dataset have masks).
 */
export async function evaluateMethod(
  method: TrainMethod,
  dataset: Dataset,
  options: EvaluateMethodOptions,
): Promise<Evaluation> {
  const t0 = performance.now();
  const split = options.split ?? "test";
  const network = options.network ?? method.reported;
  if (!method.networks.has(network)) {
    throw new Error(`evaluate: '${network}' is not a network of ${method.name} (${[...method.networks.keys()]})`);
  }
  const withText = method.needsText(network);
  if (withText && !options.supervision) {
    throw new Error(`evaluate: network '${network}' needs text (options.supervision)`);
  }
  let ids = dataset.ids(split);
  if (options.limit) ids = ids.slice(0, options.limit);
  const surface = options.surface ?? true;
  const cache = resolveCache(dataset, options.imageSize);
  const gtCache = options.gtCache ?? new Map();
  const rows: EvaluationRow[] = [];
  const bar = progressBar(ids.length, { label: `evaluate ${network} (${split})`, quiet: options.quiet });
  for await (
    const batch of iterateBatches(dataset, ids, {
      size: options.imageSize,
      batchSize: options.batchSize ?? 8,
      cache: cache ?? "off",
    })
  ) {
    const [B, H, W] = batch.shape;
    let text: tf.Tensor3D | undefined;
    if (withText) {
      const toks = await Promise.all(batch.ids.map((id) => options.supervision!.text(id)));
      const cfg = method.networks.get(network)!.config as TeacherConfig;
      const per = cfg.textLen * cfg.textDim;
      const data = new Float32Array(B * per);
      toks.forEach((t, b) => {
        if (t.length !== per) {
          throw new Error(`evaluate: text of '${batch.ids[b]}' has ${t.length} values, expected ${per}`);
        }
        data.set(t, b * per);
      });
      text = tf.tensor3d(data, [B, cfg.textLen, cfg.textDim]);
    }
    const logitsTensor = tf.tidy(() => method.predict(tf.tensor4d(batch.images, batch.shape), { network, text }));
    text?.dispose();
    const logitsData = (await logitsTensor.data()) as Float32Array;
    logitsTensor.dispose();
    for (let b = 0; b < B; b++) {
      const id = batch.ids[b];
      let gt = gtCache.get(id);
      if (!gt) {
        const sample = await dataset.load(id);
        if (!sample.mask) throw new Error(`evaluate: ${sample.info.source} has no ground-truth mask`);
        gt = {
          mask: { width: sample.mask.width, height: sample.mask.height, data: sample.mask.data },
          spacing: sample.info.spacing,
        };
        gtCache.set(id, gt);
      }
      const logits = { width: W, height: H, channels: 1, data: logitsData.subarray(b * H * W, (b + 1) * H * W) };
      const pred = logitsToMask(logits, gt.mask);
      let row: EvaluationRow;
      if (surface) {
        const s = scoreMask(pred, gt.mask, { spacing: gt.spacing });
        row = { id, ...s, width: gt.mask.width, height: gt.mask.height };
      } else {
        const c = overlapCounts(pred, gt.mask);
        row = {
          id,
          dice: diceFromCounts(c),
          iou: iouFromCounts(c),
          hd95: null,
          asd: null,
          assd: null,
          unit: gt.spacing ? "mm" : "px",
          predEmpty: c.pred === 0,
          gtEmpty: c.gt === 0,
          width: gt.mask.width,
          height: gt.mask.height,
        };
      }
      rows.push(row);
    }
    bar.tick(B);
  }
  bar.stop();
  const summary = Object.fromEntries(
    EVALUATION_METRICS.map((k) => [k, summarize(rows.map((r) => r[k]))]),
  ) as Evaluation["summary"];
  return { split, network, rows, summary, seconds: (performance.now() - t0) / 1000 };
}

/** Options of {@link evaluatorFor}. */
export interface EvaluatorOptions {
  /** Training image side. */
  imageSize: number;
  /** Text source (FGI teacher). */
  supervision?: Supervision;
  /** Split (default `test`, as the published protocol; docs/METHOD.md 7 notes this is optimistic). */
  split?: Split;
  /** Also evaluate these networks and report `<network>_dice` (e.g. `["teacher"]`). */
  alsoNetworks?: string[];
  /** Surface metrics at intermediate evaluations (default false: Dice/IoU only); the final one always has them. */
  surfaceEveryEval?: boolean;
  /** No progress bars. */
  quiet?: boolean;
}

/**
 * The loop's `evaluate` callback: Dice (and IoU; HD95/ASD/ASSD at the final evaluation) of the
 * reported network on the split, plus `<net>_dice` for `alsoNetworks`. Ground-truth masks are
 * decoded once and kept in memory across evaluations.
 */
export function evaluatorFor(dataset: Dataset, options: EvaluatorOptions): EvaluateFn {
  const gtCache = new Map<string, { mask: Mask; spacing?: readonly [number, number] }>();
  return async (method, ctx) => {
    const base = {
      imageSize: options.imageSize,
      supervision: options.supervision,
      split: options.split ?? "test",
      limit: ctx.limit,
      gtCache,
      quiet: options.quiet,
    };
    const ev = await evaluateMethod(method, dataset, {
      ...base,
      surface: ctx.final || (options.surfaceEveryEval ?? false),
    });
    const out: Record<string, number> = {
      dice: ev.summary.dice.mean ?? 0,
      iou: ev.summary.iou.mean ?? 0,
      n: ev.rows.length,
    };
    for (const k of ["hd95", "asd", "assd"] as const) {
      const m = ev.summary[k].mean;
      if (m !== null) out[k] = m;
    }
    for (const net of options.alsoNetworks ?? []) {
      if (!method.networks.has(net)) continue;
      const e2 = await evaluateMethod(method, dataset, { ...base, network: net, surface: false });
      out[`${net}_dice`] = e2.summary.dice.mean ?? 0;
    }
    return out;
  };
}

/** Per-image CSV text of an evaluation (header + one line per image; empty cells for null distances). */
export function evaluationCsv(ev: Evaluation): string {
  const head = ["id", "dice", "iou", "hd95", "asd", "assd", "unit", "pred_empty", "gt_empty", "width", "height"];
  const cell = (v: number | null) => (v === null ? "" : String(v));
  const lines = ev.rows.map((r) =>
    [
      r.id,
      cell(r.dice),
      cell(r.iou),
      cell(r.hd95),
      cell(r.asd),
      cell(r.assd),
      r.unit,
      r.predEmpty ? 1 : 0,
      r.gtEmpty ? 1 : 0,
      r.width,
      r.height,
    ].join(",")
  );
  return [head.join(","), ...lines].join("\n") + "\n";
}

/**
 * Write `<dir>/<stem>.csv` (per image) and `<dir>/<stem>.json` (summary + `extra` + provenance),
 * atomically. Returns both paths.
 */
export async function writeEvaluation(
  ev: Evaluation,
  dir: string,
  options: { stem?: string; extra?: Record<string, unknown> } = {},
): Promise<{ csv: string; json: string }> {
  const stem = options.stem ?? `eval_${ev.split}_${ev.network}`;
  const csv = join(dir, `${stem}.csv`), json = join(dir, `${stem}.json`);
  await atomicWrite(csv, evaluationCsv(ev));
  const body = {
    split: ev.split,
    network: ev.network,
    n: ev.rows.length,
    seconds: ev.seconds,
    summary: ev.summary,
    ...(options.extra ?? {}),
    provenance: provenance({ backend: tf.getBackend(), ...((options.extra?.provenance as object) ?? {}) }),
  };
  await atomicWrite(json, JSON.stringify(body, null, 2) + "\n");
  return { csv, json };
}
