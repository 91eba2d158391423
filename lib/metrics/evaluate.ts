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
import { type Batch, iterateBatches, resolveCache } from "../data/batches.ts";
import { deriveSeed, Rng } from "../core/rng.ts";
import { darmGaze } from "../darm/gaze.ts";
import { gazeLevels, orderLevelsByArea } from "../gaze/levels.ts";
import type { Dataset, Split } from "../data/types.ts";
import type { TeacherConfig } from "../models/types.ts";
import type { EvalContext, EvaluateFn } from "../train/loop.ts";
import { darmOptionsFor, type TrainConfig } from "../train/config.ts";
import { buildTrainingProbe, probeOutputs, type TrainingProbe } from "./training_probe.ts";
import type { TrainMethod } from "../train/methods/types.ts";
import type { Supervision } from "../train/supervision.ts";
import type { Mask } from "./mask.ts";
import { diceFromCounts, iouFromCounts, overlapCounts } from "./overlap.ts";
import { logitsToMask, scoreMask } from "./per_image.ts";
import { summarize, type Summary } from "./summary.ts";
import { type OutputQuantity, OutputStats } from "./output_stats.ts";

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
  const network = options.network ?? method.reported;
  const r = await evaluateNetworks(method, dataset, { ...options, networks: [network] });
  return r.evaluations[network];
}

/** Options of {@link evaluateNetworks}. */
export interface EvaluateNetworksOptions extends Omit<EvaluateMethodOptions, "network"> {
  /** Networks to score in one pass over the split (each image is loaded once). */
  networks: string[];
  /** Also score `mean`: the mean of the listed networks' foreground logits (the released `mdice`). */
  mean?: boolean;
  /** Pool {@link OutputStats} of each listed network's raw logits (needs `method.outputs`). */
  outputStats?: { tauPos?: number; tauNeg?: number };
  /**
   * DIAGNOSTIC ONLY: feed the networks each image masked by DARM from ITS OWN gaze levels (as the
   * student is trained; needs `supervision` with gaze maps for the split). See {@link darmTestImages}.
   */
  darmInput?: { config: TrainConfig };
}

/** Result of {@link evaluateNetworks}. */
export interface NetworksEvaluation {
  /** One evaluation per network (and `mean` when asked). */
  evaluations: Record<string, Evaluation>;
  /** Pooled output statistics per listed network (with `outputStats`; `dice` = the evaluation's mean Dice). */
  outputs: Record<string, Record<OutputQuantity, number>>;
}

/**
 * Score several networks of `method` on a split in one pass (see module doc): per batch, each
 * network's logits once (eval mode); `mean` averages the foreground logits (as the released
 * `validate` averages the logits before taking channel 1); per-image scores as
 * {@link evaluateMethod}. Surface metrics (`surface`) are computed for the FIRST network only (the
 * others get Dice and IoU).
 */
export async function evaluateNetworks(
  method: TrainMethod,
  dataset: Dataset,
  options: EvaluateNetworksOptions,
): Promise<NetworksEvaluation> {
  const t0 = performance.now();
  const split = options.split ?? "test";
  const networks = options.networks;
  if (!networks.length) throw new Error("evaluate: no network to score");
  for (const network of networks) {
    if (!method.networks.has(network)) {
      throw new Error(`evaluate: '${network}' is not a network of ${method.name} (${[...method.networks.keys()]})`);
    }
    if (method.needsText(network) && !options.supervision) {
      throw new Error(`evaluate: network '${network}' needs text (options.supervision)`);
    }
  }
  if (options.outputStats && !method.outputs) {
    throw new Error(`evaluate: output statistics need raw logits, which ${method.name} does not provide`);
  }
  const names = options.mean ? [...networks, "mean"] : [...networks];
  const textNet = networks.find((n) => method.needsText(n));
  let ids = dataset.ids(split);
  if (options.limit) ids = ids.slice(0, options.limit);
  const surface = options.surface ?? true;
  const cache = resolveCache(dataset, options.imageSize);
  const gtCache = options.gtCache ?? new Map();
  const rows: Record<string, EvaluationRow[]> = Object.fromEntries(names.map((n) => [n, []]));
  const stats = new Map(networks.map((n) => [n, new OutputStats(options.outputStats ?? {})]));
  const label = names.length === 1 ? names[0] : names.join("+");
  const bar = progressBar(ids.length, { label: `evaluate ${label} (${split})`, quiet: options.quiet });
  if (options.darmInput && !options.supervision) {
    throw new Error("evaluate: DARM-masked test images need the gaze maps (options.supervision)");
  }
  const sup = options.supervision;
  for await (
    const batch of iterateBatches(dataset, ids, {
      size: options.imageSize,
      batchSize: options.batchSize ?? 8,
      cache: cache ?? "off",
      maps: options.darmInput ? async (p) => ({ crf: await sup!.crf(p.id, p) }) : undefined,
    })
  ) {
    const [B, H, W] = batch.shape;
    if (options.darmInput) batch.images = darmTestImages(batch, options.darmInput.config);
    let text: tf.Tensor3D | undefined;
    if (textNet) {
      const toks = await Promise.all(batch.ids.map((id) => options.supervision!.text(id)));
      const cfg = method.networks.get(textNet)!.config as TeacherConfig;
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
    const image = tf.tensor4d(batch.images, batch.shape);
    const fgData: Record<string, Float32Array> = {};
    try {
      const fg: tf.Tensor4D[] = [];
      for (const network of networks) {
        const opts = { network, text: method.needsText(network) ? text : undefined };
        if (options.outputStats) {
          const raw = method.outputs!(image, opts);
          await stats.get(network)!.add(raw);
          const k = raw.shape[3];
          fg.push(tf.tidy(() => tf.slice(raw, [0, 0, 0, k - 1], [B, H, W, 1])));
          raw.dispose();
        } else {
          fg.push(method.predict(image, opts));
        }
      }
      if (options.mean) fg.push(tf.tidy(() => tf.div(tf.addN(fg.slice(0, networks.length)), networks.length)));
      const data = await Promise.all(fg.map((t) => t.data()));
      tf.dispose(fg);
      names.forEach((n, i) => (fgData[n] = data[i] as Float32Array));
    } finally {
      image.dispose();
      text?.dispose();
    }
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
      for (const n of names) {
        const logits = { width: W, height: H, channels: 1, data: fgData[n].subarray(b * H * W, (b + 1) * H * W) };
        rows[n].push(scoreRow(id, logitsToMask(logits, gt.mask), gt, surface && n === names[0]));
      }
    }
    bar.tick(B);
  }
  bar.stop();
  const seconds = (performance.now() - t0) / 1000;
  const evaluations: Record<string, Evaluation> = {};
  for (const n of names) {
    const summary = Object.fromEntries(
      EVALUATION_METRICS.map((k) => [k, summarize(rows[n].map((r) => r[k]))]),
    ) as Evaluation["summary"];
    evaluations[n] = { split, network: n, rows: rows[n], summary, seconds };
  }
  const outputs: NetworksEvaluation["outputs"] = {};
  if (options.outputStats) {
    for (const n of networks) outputs[n] = stats.get(n)!.result(evaluations[n].summary.dice.mean ?? NaN);
  }
  return { evaluations, outputs };
}

/**
 * The batch's images, each masked by DARM (the `gaze` source, the config's DARM numbers and
 * switches) from its own gaze levels (the batch's `crf` map cut at `config.gaze.levels`, M_hc /
 * M_bc by area), one image at a time with the generator `deriveSeed(config.seed, "test-darm:<id>")`,
 * so an image's blocks do not depend on the batch it is in.
 */
export function darmTestImages(batch: Batch, config: TrainConfig): Float32Array {
  const crf = batch.maps.crf;
  if (!crf || crf.shape[3] !== 1) throw new Error("DARM-masked evaluation: the batch has no 1-channel 'crf' map");
  const [B, H, W, C] = batch.shape;
  const px = H * W;
  const out = new Float32Array(batch.images.length);
  for (let b = 0; b < B; b++) {
    const ordered = orderLevelsByArea(gazeLevels(crf.data.subarray(b * px, (b + 1) * px), config.gaze.levels));
    const image = batch.images.subarray(b * px * C, (b + 1) * px * C);
    const r = darmGaze({
      image,
      mhc: ordered[0].mask,
      mbc: ordered[ordered.length - 1].mask,
      shape: { batch: 1, height: H, width: W, channels: C },
    }, darmOptionsFor(config, new Rng(deriveSeed(config.seed, `test-darm:${batch.ids[b]}`))));
    out.set(r.image, b * px * C);
  }
  return out;
}

function scoreRow(
  id: string,
  pred: Mask,
  gt: { mask: Mask; spacing?: readonly [number, number] },
  surface: boolean,
): EvaluationRow {
  if (surface) {
    const s = scoreMask(pred, gt.mask, { spacing: gt.spacing });
    return { id, ...s, width: gt.mask.width, height: gt.mask.height };
  }
  const c = overlapCounts(pred, gt.mask);
  return {
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

/** Options of {@link evaluatorFor}. */
export interface EvaluatorOptions {
  /** Training image side. */
  imageSize: number;
  /** Text source (FGI teacher) and gaze maps (training probe). */
  supervision?: Supervision;
  /** Split (default `test`, as the published protocol; docs/METHOD.md 7 notes this is optimistic). */
  split?: Split;
  /** Also evaluate these networks and report `<network>_dice` (e.g. `["teacher"]`). */
  alsoNetworks?: string[];
  /**
   * Two-network methods (FGI): also score the teacher and the mean of both networks' logits, as the
   * released `validate` does (`teacher_dice` = mdice_1, `dice` = the student's mdice_2, `mean_dice`
   * = mdice; default true; the teacher needs text for the split when it uses text).
   */
  scoreTeacher?: boolean;
  /**
   * The run's config: enables the output statistics (`dyn/...` keys, see {@link trainingEvaluation})
   * for methods with raw logits, on the split and on a fixed training batch (lib/metrics/training_probe.ts).
   */
  config?: TrainConfig;
  /** Output statistics when `config` is given (default true). */
  dynamics?: boolean;
  /** DIAGNOSTIC ONLY: also score the reported network on DARM-masked test images (`masked_dice`; needs `config`). */
  maskedTest?: boolean;
  /** Surface metrics at intermediate evaluations (default false: Dice/IoU only); the final one always has them. */
  surfaceEveryEval?: boolean;
  /** Called with the evaluations of every call (e.g. to keep the final one). */
  onEvaluation?: (evaluations: Record<string, Evaluation>, ctx: EvalContext) => void;
  /** No progress bars. */
  quiet?: boolean;
}

/**
 * The loop's `evaluate` callback: Dice (and IoU; HD95/ASD/ASSD at the final evaluation) of the
 * reported network on the split, plus `<net>_dice` for `alsoNetworks`; for FGI also the teacher
 * and the logit mean, and the output statistics (see {@link trainingEvaluation}). Ground-truth
 * masks are decoded once and kept in memory across evaluations; the training probe is built on
 * the first call.
 */
export function evaluatorFor(dataset: Dataset, options: EvaluatorOptions): EvaluateFn {
  const gtCache = new Map<string, { mask: Mask; spacing?: readonly [number, number] }>();
  let probe: Promise<TrainingProbe | null> | null = null;
  return async (method, ctx) => {
    const dynamics = !!options.config && (options.dynamics ?? true) && !!method.outputs;
    if (dynamics && !probe) {
      const sup = options.supervision;
      const config = options.config!;
      probe = sup && method.needs.gaze
        ? buildTrainingProbe(dataset, config, sup, { text: method.needs.text })
        : Promise.resolve(null);
    }
    const r = await trainingEvaluation(method, dataset, {
      imageSize: options.imageSize,
      supervision: options.supervision,
      split: options.split,
      limit: ctx.limit,
      surface: ctx.final || (options.surfaceEveryEval ?? false),
      gtCache,
      quiet: options.quiet,
      scoreTeacher: options.scoreTeacher,
      dynamics: dynamics ? { thresholds: options.config!.fgi, probe: (await probe) ?? undefined } : undefined,
      maskedTest: options.maskedTest ? options.config : undefined,
    });
    for (const net of options.alsoNetworks ?? []) {
      if (!method.networks.has(net) || `${net}_dice` in r.metrics) continue;
      const e2 = await evaluateMethod(method, dataset, {
        imageSize: options.imageSize,
        supervision: options.supervision,
        split: options.split,
        limit: ctx.limit,
        gtCache,
        quiet: options.quiet,
        network: net,
        surface: false,
      });
      r.metrics[`${net}_dice`] = e2.summary.dice.mean ?? 0;
    }
    options.onEvaluation?.(r.evaluations, ctx);
    return r.metrics;
  };
}

/** Options of {@link trainingEvaluation}. */
export interface TrainingEvaluationOptions extends Omit<EvaluateMethodOptions, "network"> {
  /** Score the teacher and the mean too (two-network methods; default true). */
  scoreTeacher?: boolean;
  /** Output statistics: CWC thresholds and the fixed training batch (omit = none). */
  dynamics?: { thresholds: { tauPos: number; tauNeg: number }; probe?: TrainingProbe };
  /**
   * DIAGNOSTIC ONLY: also score the reported network on the split's images masked by DARM from
   * their own gaze levels (`masked_dice`, `masked_iou`; evaluation `masked`), with this config's DARM.
   */
  maskedTest?: TrainConfig;
}

/** Metric-key prefix of the output statistics: `dyn/<input>/<network>/<quantity>`. */
export const DYNAMICS_PREFIX = "dyn/";

/** Inputs of the output statistics: the evaluated split, the training probe clean and DARM-masked. */
export const DYNAMICS_INPUTS = ["test", "train_clean", "train_masked"] as const;

/**
 * One training-time evaluation: the reported network's Dice/IoU (and surface metrics with
 * `surface`) as `dice`, `iou`, ...; for a method with a `teacher` and a `student` also
 * `teacher_dice`, `teacher_iou`, `mean_dice`, `mean_iou` (one pass over the split); with
 * `dynamics` the output statistics of every scored network as
 * `dyn/<input>/<network>/<quantity>` (inputs {@link DYNAMICS_INPUTS}, quantities
 * `OUTPUT_QUANTITIES`), reusing the evaluation's forward passes on the split.
 */
export async function trainingEvaluation(
  method: TrainMethod,
  dataset: Dataset,
  options: TrainingEvaluationOptions,
): Promise<{ metrics: Record<string, number>; evaluations: Record<string, Evaluation> }> {
  const reported = method.reported;
  const networks = [reported];
  const pair = method.networks.has("teacher") && method.networks.has("student") && reported === "student";
  if (pair && (options.scoreTeacher ?? true) && (!method.needsText("teacher") || options.supervision)) {
    networks.push("teacher");
  }
  const dynamics = options.dynamics && method.outputs ? options.dynamics : undefined;
  const r = await evaluateNetworks(method, dataset, {
    ...options,
    networks,
    mean: networks.length > 1,
    outputStats: dynamics?.thresholds,
  });
  const ev = r.evaluations[reported];
  const metrics: Record<string, number> = {
    dice: ev.summary.dice.mean ?? 0,
    iou: ev.summary.iou.mean ?? 0,
    n: ev.rows.length,
  };
  for (const k of ["hd95", "asd", "assd"] as const) {
    const m = ev.summary[k].mean;
    if (m !== null) metrics[k] = m;
  }
  for (const n of Object.keys(r.evaluations)) {
    if (n === reported) continue;
    metrics[`${n}_dice`] = r.evaluations[n].summary.dice.mean ?? 0;
    metrics[`${n}_iou`] = r.evaluations[n].summary.iou.mean ?? 0;
  }
  if (options.maskedTest) {
    const m = await evaluateNetworks(method, dataset, {
      ...options,
      networks: [reported],
      surface: false,
      darmInput: { config: options.maskedTest },
    });
    const ev = m.evaluations[reported];
    r.evaluations.masked = { ...ev, network: `${reported} (DARM-masked input)` };
    metrics.masked_dice = ev.summary.dice.mean ?? 0;
    metrics.masked_iou = ev.summary.iou.mean ?? 0;
  }
  if (dynamics) {
    const put = (input: string, stats: Record<string, Record<string, number>>) => {
      for (const [net, q] of Object.entries(stats)) {
        for (const [k, v] of Object.entries(q)) {
          if (Number.isFinite(v)) metrics[`${DYNAMICS_PREFIX}${input}/${net}/${k}`] = v;
        }
      }
    };
    put("test", r.outputs);
    if (dynamics.probe) {
      const p = await probeOutputs(method, dynamics.probe, networks);
      put("train_clean", p.clean);
      put("train_masked", p.masked);
    }
  }
  return { metrics, evaluations: r.evaluations };
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
