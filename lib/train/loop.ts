/**
 * THE training loop, shared by every method (lib/train/methods/). See {@link train}.
 *
 * Reproducibility: all randomness derives from `config.seed` with `deriveSeed`:
 * - initial weights: `weights:<network>` (methods/networks.ts);
 * - data order of epoch e: `order:<e>` (one shuffle of the training ids; epoch e covers iterations
 *   e*bpe .. (e+1)*bpe - 1, bpe = ceil(n / batchSize), the last partial batch kept);
 * - flips of iteration i: `flip:<i>`; DARM of iteration i: `darm:<i>`; CutMix box and noise of
 *   iteration i: `cwc:<i>`.
 * So the completed-iteration count is the whole random state: a run resumed from its `last`
 * checkpoint (weights, BatchNorm statistics, optimiser state, iteration) continues exactly as the
 * uninterrupted run would, on the same backend.
 *
 * Per iteration: load the batch (through lib/data's disk cache), cut the gaze levels, split into
 * `config.accumulate` micro-batches, differentiate each micro-batch's loss over the networks of
 * the current phase with `tf.variableGrads` (in stages, one tape each, when the method splits its
 * loss: FGI's joint step), sum the gradients weighted by the micro-batch's share of the batch, and step each network's optimiser at lr = half-cosine(epoch within the phase).
 * Every `evalEvery` iterations and at the end: evaluate (callback), append to the log, save
 * `last` and, when the reported network's Dice improved, `best`.
 *
 * @module
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { atomicWrite, exists } from "../core/atomic_write.ts";
import { progressBar } from "../core/progress.ts";
import { provenance } from "../core/provenance.ts";
import { deriveSeed, Rng } from "../core/rng.ts";
import { batchCount, iterateBatches, resolveCache } from "../data/batches.ts";
import { assertDatasetFiles } from "../data/check_files.ts";
import type { Dataset } from "../data/types.ts";
import { disposeTrainBatch, sliceTrainBatch, toTrainBatch } from "./batch.ts";
import {
  configDifferences,
  type MethodName,
  rampUpWeightFor,
  type TrainConfig,
  withResolvedSwitches,
} from "./config.ts";
import { epochsFor, halfCosineLr } from "./lr_schedule.ts";
import { createMethod } from "./methods/mod.ts";
import type { LossStage, Phase, StepContext, TrainBatch, TrainMethod } from "./methods/types.ts";
import { createOptimizer, type Optimizer } from "./optimizer.ts";
import {
  checkpointDir,
  checkpointPath,
  type EvalRecord,
  loadRunCheckpoint,
  type RunState,
  saveRunCheckpoint,
} from "./run_checkpoint.ts";
import type { Supervision } from "./supervision.ts";

/** What the evaluate callback is told. */
export interface EvalContext {
  /** Completed iterations. */
  iteration: number;
  /** True for the evaluation after the last iteration. */
  final: boolean;
  /** Evaluate on at most this many images (0 = all): `config.evalLimit`, or 0 for the final one. */
  limit: number;
}

/**
 * Evaluates a method during training; returns metrics of the REPORTED network with at least `dice`
 * (mean over images, in [0, 1]). Extra keys (e.g. `teacher_dice`, `hd95`) are logged and kept.
 * lib/metrics/evaluate.ts provides one (`evaluatorFor`); the loop itself imports no metrics.
 */
export type EvaluateFn = (method: TrainMethod, ctx: EvalContext) => Promise<Record<string, number>>;

/** One JSON line of `<out>/log.jsonl`. */
export type LogRecord =
  | {
    type: "step";
    /** Completed iterations after this step (1-based). */
    iteration: number;
    phase: string;
    epoch: number;
    /** Learning rate per trained network. */
    lr: Record<string, number>;
    /** Ramp weight w(t). */
    w: number;
    /** `total` and the method's terms (batch mean over micro-batches). */
    losses: Record<string, number>;
    /** Method statistics (e.g. DARM candidates). */
    stats: Record<string, number>;
    /** Seconds of this step (batch loading included). */
    seconds: number;
  }
  | { type: "eval"; iteration: number; metrics: Record<string, number>; best: boolean; seconds: number }
  | { type: "session"; event: "start" | "resume" | "stop" | "done"; iteration: number; time: string; backend: string };

/** Options of {@link train}. */
export interface TrainOptions {
  /** Validated config. */
  config: TrainConfig;
  /** Method to train. */
  method: MethodName;
  /** Run folder (log.jsonl, checkpoints/, run.json, result.json). */
  outDir: string;
  /** The dataset (opened by the caller). */
  dataset: Dataset;
  /** Gaze maps and text tokens (see supervision.ts); required when the method needs them. */
  supervision?: Supervision;
  /** Evaluation callback; without it there is no `best` checkpoint. */
  evaluate?: EvaluateFn;
  /** Resume from `<out>/checkpoints/last` when it exists (default true); false starts over (the folder must not hold a run). */
  resume?: boolean;
  /** Stop cleanly (saving `last`) once this many iterations are complete (tests, budgets). */
  stopAfter?: number;
  /** Save `last` every this many iterations besides the evaluations (default: `config.evalEvery`). */
  checkpointEvery?: number;
  /** Install a SIGINT (Ctrl-C) handler that stops after the current step, saving `last` (default false). */
  handleSigint?: boolean;
  /**
   * Install a SIGTERM handler that stops after the current step, saving `last` (default false):
   * what a batch scheduler sends on `scancel`, preemption or the time limit (SLURM then waits
   * KillWait seconds before SIGKILL), so a requeued run loses no finished step.
   */
  handleSigterm?: boolean;
  /** Backend name, recorded in logs. */
  backend?: string;
  /** No progress bar. */
  quiet?: boolean;
  /** Called with every log record (after it is written). */
  onLog?: (record: LogRecord) => void;
  /**
   * Check the header (and end) of every image and mask the run will read (training split, and the
   * test split when `evaluate` is given) before the first iteration, failing with every bad file
   * named (lib/data/check_files.ts; default true).
   */
  checkFiles?: boolean;
  /** Where the one-line session notes go ("resuming from iteration N ..."); default stderr. */
  log?: (line: string) => void;
  /** Differentiate each loss in one tape even when the method offers stages (see {@link TrainStepOptions}). */
  singleTape?: boolean;
}

/** Outcome of {@link train}. */
export interface TrainResult {
  /** Run folder. */
  outDir: string;
  /** Method. */
  method: MethodName;
  /** Completed iterations. */
  iterations: number;
  /** True when the run stopped early (stopAfter, Ctrl-C); resume to finish. */
  stopped: boolean;
  /** True when the run had already finished before this call (nothing was trained). */
  alreadyDone: boolean;
  /** The best evaluation (by the reported network's Dice), or null. */
  best: EvalRecord | null;
  /** The last evaluation, or null. */
  last: EvalRecord | null;
  /** Training seconds over all sessions (evaluation excluded). */
  trainSeconds: number;
  /** Evaluation seconds over all sessions. */
  evalSeconds: number;
  /** Mean training seconds per iteration in THIS session (NaN when none ran). */
  secondsPerIteration: number;
  /** Checkpoint folders. */
  checkpoints: { last: string; best: string | null };
}

/** The shuffled training ids of epoch `epoch` (deriveSeed(seed, `order:<epoch>`)). */
export function epochOrder(ids: readonly string[], seed: number, epoch: number): string[] {
  return new Rng(deriveSeed(seed, `order:${epoch}`)).shuffle([...ids]);
}

/** Learning rate of a network at iteration `it` of `phase` (half cosine stepped per epoch within the phase). */
export function learningRate(
  it: number,
  phase: Phase,
  options: { batchesPerEpoch: number; lrMax: number; lrMin: number },
): number {
  const epochs = epochsFor(phase.end - phase.start, options.batchesPerEpoch);
  const epoch = Math.floor((it - phase.start) / options.batchesPerEpoch);
  return halfCosineLr(epoch, { epochs, lrMax: options.lrMax, lrMin: options.lrMin });
}

/** The config fields that must match to resume a run (everything but name/notes and the eval schedule). */
function resumeKey(config: TrainConfig): string {
  return JSON.stringify(resumeFields(config));
}

function resumeFields(config: TrainConfig): Partial<TrainConfig> {
  const { name: _n, notes: _o, evalEvery: _e, evalLimit: _l, ...rest } = config;
  return rest;
}

function phaseAt(phases: Phase[], it: number): Phase {
  const p = phases.find((q) => it >= q.start && it < q.end);
  if (!p) throw new Error(`no training phase covers iteration ${it}`);
  return p;
}

/** Options of {@link trainStep}. */
export interface TrainStepOptions {
  /** The iteration's context (phase, ramp weight, generators). */
  ctx: StepContext;
  /** One optimiser per network. */
  optimizers: ReadonlyMap<string, Optimizer>;
  /** Learning rate per network trained in this phase (`ctx.phase.networks`). */
  lr: Record<string, number>;
  /** Micro-batches (gradient accumulation; default 1). */
  accumulate?: number;
  /** Differentiate a method's whole loss in one tape even when it offers `stages` (tests; more memory). */
  singleTape?: boolean;
}

/**
 * One optimiser step of `method` on `batch` (the loop's inner step, exported for benchmarks and
 * notebooks): split into `accumulate` micro-batches, prepare each, differentiate its loss over the
 * networks of `ctx.phase` with `tf.variableGrads`, sum the gradients weighted by each micro-batch's
 * share of the batch, then step each network's optimiser at its `lr`. Returns the loss terms
 * (`total` and the method's terms, batch means) and the method's statistics. Leaks no tensor
 * (the batch stays the caller's).
 */
export async function trainStep(
  method: TrainMethod,
  batch: TrainBatch,
  options: TrainStepOptions,
): Promise<{ losses: Record<string, number>; stats: Record<string, number> }> {
  const { ctx } = options;
  const route = new Map<string, { net: string; param: string }>();
  const vars: tf.Variable[] = [];
  for (const net of ctx.phase.networks) {
    const model = method.networks.get(net);
    if (!model) throw new Error(`trainStep: phase '${ctx.phase.name}' names unknown network '${net}'`);
    for (const [param, v] of model.params.trainable) {
      route.set(v.name, { net, param });
      vars.push(v);
    }
  }
  const n = batch.ids.length;
  const parts = Math.min(options.accumulate ?? 1, n);
  const per = Math.ceil(n / parts);
  const sums = new Map<string, tf.Tensor>();
  const losses: Record<string, number> = {};
  const stats: Record<string, number> = {};
  // add a micro-batch's (or stage's) gradients, weighted by the micro-batch's share of the batch
  const addGrads = (grads: tf.NamedTensorMap, share: number) => {
    for (const [vname, g] of Object.entries(grads)) {
      const scaled = share === 1 ? g : tf.tidy(() => tf.mul(g, share));
      if (scaled !== g) g.dispose();
      const prev = sums.get(vname);
      if (prev) {
        sums.set(vname, tf.tidy(() => tf.add(prev, scaled)));
        prev.dispose();
        scaled.dispose();
      } else {
        sums.set(vname, scaled);
      }
    }
  };
  try {
    for (let start = 0; start < n; start += per) {
      const end = Math.min(n, start + per);
      const micro = parts === 1 ? batch : sliceTrainBatch(batch, start, end);
      const share = (end - start) / n;
      let prepared;
      try {
        prepared = await method.prepare(micro, ctx);
      } catch (err) {
        if (micro !== batch) disposeTrainBatch(micro);
        throw err;
      }
      try {
        const stages: LossStage[] = prepared.stages && !options.singleTape
          ? prepared.stages
          : [{ networks: ctx.phase.networks, compute: prepared.compute }];
        for (const stage of stages) {
          const prefixes = stage.paramPrefixes;
          const stageVars = vars.filter((v) => {
            const r = route.get(v.name)!;
            return stage.networks.includes(r.net) && (!prefixes || prefixes.some((p) => r.param.startsWith(p)));
          });
          if (stageVars.length === 0) continue;
          let kept: Record<string, tf.Scalar> = {};
          const { value, grads } = tf.variableGrads(() => {
            const r = stage.compute();
            kept = Object.fromEntries(Object.entries(r.terms).map(([k, t]) => [k, tf.keep(t)]));
            return r.total;
          }, stageVars);
          const values = await Promise.all([value, ...Object.values(kept)].map((t) => t.data()));
          ["total", ...Object.keys(kept)].forEach((k, i) => (losses[k] = (losses[k] ?? 0) + values[i][0] * share));
          tf.dispose([value, ...Object.values(kept)]);
          addGrads(grads, share);
        }
        for (const [k, v] of Object.entries(prepared.stats)) stats[k] = (stats[k] ?? 0) + v;
      } finally {
        prepared.dispose();
        if (micro !== batch) disposeTrainBatch(micro);
      }
    }
    for (const net of ctx.phase.networks) {
      const g = new Map<string, tf.Tensor>();
      for (const [vname, t] of sums) {
        const r = route.get(vname);
        if (r?.net === net) g.set(r.param, t);
      }
      const opt = options.optimizers.get(net);
      if (!opt) throw new Error(`trainStep: no optimiser for network '${net}'`);
      const lr = options.lr[net];
      if (!(typeof lr === "number" && lr >= 0)) throw new Error(`trainStep: no learning rate for network '${net}'`);
      opt.apply(g, lr);
    }
  } finally {
    tf.dispose([...sums.values()]);
  }
  return { losses, stats };
}

/**
 * Train `options.method` under `options.config`, resuming from `<out>/checkpoints/last` when
 * present. Writes `<out>/run.json` (config + provenance), `<out>/log.jsonl` (JSON lines: one
 * `step` record per iteration, `eval` records, `session` events), checkpoints `last` and `best`
 * (see run_checkpoint.ts) and `<out>/result.json` at the end.
 *
 * Tensor memory: each step runs in `tf.tidy` scopes; after the first step (which creates the
 * optimiser slots) `tf.memory().numTensors` is the same after every iteration.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  // FGI records every switch in force (run.json, state.json), so resuming under changed presets is refused.
  if (options.method === "fgi") options = { ...options, config: withResolvedSwitches(options.config) };
  const { config, dataset } = options;
  const method = createMethod(options.method, { config, channels: dataset.channels });
  const optimizers = new Map<string, Optimizer>();
  const lrRange = new Map<string, { lrMax: number; lrMin: number }>();
  try {
    for (const [name, model] of method.networks) {
      const o = method.optimizerFor(name);
      optimizers.set(name, createOptimizer(model.params.trainable, o.config));
      lrRange.set(name, { lrMax: o.lrMax, lrMin: o.lrMin });
    }
    return await runLoop(options, method, optimizers, lrRange);
  } finally {
    for (const o of optimizers.values()) o.dispose();
    method.dispose();
  }
}

async function runLoop(
  options: TrainOptions,
  method: TrainMethod,
  optimizers: Map<string, Optimizer>,
  lrRange: Map<string, { lrMax: number; lrMin: number }>,
): Promise<TrainResult> {
  const { config, dataset, outDir } = options;
  const backend = options.backend ?? tf.getBackend();
  const needs = method.needs;
  const sup = options.supervision;
  if ((needs.gaze || needs.text) && !sup) {
    throw new Error(
      `train ${method.name}: this method needs gaze maps${needs.text ? " and text" : ""} (options.supervision)`,
    );
  }
  const trainIds = dataset.ids("train");
  if (trainIds.length === 0) throw new Error(`train: dataset ${dataset.name} has no training images`);
  const B = config.batchSize;
  const bpe = batchCount(trainIds.length, B);
  const phases = method.phases();
  const logPath = join(outDir, "log.jsonl");
  const note = options.log ?? ((line: string) => console.error(line));
  if (options.checkFiles ?? true) {
    const ids = options.evaluate ? [...trainIds, ...dataset.ids("test")] : trainIds;
    await assertDatasetFiles(dataset, ids, {
      what: `that ${method.name} reads (training split${
        options.evaluate ? " and the test split it is evaluated on" : ""
      })`,
    });
  }
  await Deno.mkdir(outDir, { recursive: true });

  // ---- resume -------------------------------------------------------------------------------
  let state: Omit<RunState, "format" | "provenance">;
  const lastDir = options.resume === false ? null : await checkpointDir(outDir, "last");
  if (options.resume === false && (await exists(join(outDir, "checkpoints")))) {
    throw new Error(`${outDir}: holds a run already (checkpoints/); use another --out, delete it, or resume`);
  }
  let resumed = false;
  if (lastDir) {
    const saved = await loadRunCheckpoint(lastDir, { networks: method.networks, optimizers });
    if (saved.method !== method.name) {
      throw new Error(`${lastDir}: the run folder holds a '${saved.method}' run, not '${method.name}'`);
    }
    if (resumeKey(saved.config) !== resumeKey(config)) {
      const diff = configDifferences(resumeFields(saved.config), resumeFields(config));
      throw new Error(
        `${lastDir}/state.json: the run in ${outDir} was made with a different config (${diff.join("; ")}); ` +
          `use another --out or delete it`,
      );
    }
    const { format: _f, provenance: _p, ...rest } = saved;
    state = { ...rest, config, backend };
    resumed = true;
    await truncateLog(logPath, state.iteration);
    if (state.iteration < config.iterations) {
      note(
        `train ${method.name}: resuming from iteration ${state.iteration} of ${config.iterations} (run folder ${outDir})`,
      );
    }
  } else {
    state = {
      method: method.name,
      iteration: 0,
      iterations: config.iterations,
      dataOrder: { epoch: 0, batch: 0, batchesPerEpoch: bpe },
      networks: [...method.networks.keys()],
      reported: method.reported,
      bestIteration: null,
      bestMetrics: null,
      evals: [],
      trainSeconds: 0,
      evalSeconds: 0,
      config,
      backend,
    };
    await Deno.remove(logPath).catch(() => {});
  }
  await atomicWrite(
    join(outDir, "run.json"),
    JSON.stringify(
      {
        method: method.name,
        networks: state.networks,
        reported: method.reported,
        phases,
        batchesPerEpoch: bpe,
        trainImages: trainIds.length,
        supervision: sup?.source ?? null,
        config,
        provenance: provenance({ backend, seed: config.seed, dataset: dataset.name, dataRoot: dataset.root }),
      },
      null,
      2,
    ) + "\n",
  );

  const log = async (rec: LogRecord) => {
    await Deno.writeTextFile(logPath, JSON.stringify(rec) + "\n", { append: true });
    options.onLog?.(rec);
  };
  const bestOf = () =>
    state.bestIteration === null ? null : state.evals.find((e) => e.iteration === state.bestIteration) ?? null;
  const finish = async (stopped: boolean, alreadyDone: boolean, sessionIters: number, sessionSeconds: number) => {
    const result: TrainResult = {
      outDir,
      method: method.name,
      iterations: state.iteration,
      stopped,
      alreadyDone,
      best: bestOf(),
      last: state.evals.at(-1) ?? null,
      trainSeconds: state.trainSeconds,
      evalSeconds: state.evalSeconds,
      secondsPerIteration: sessionIters ? sessionSeconds / sessionIters : NaN,
      checkpoints: {
        last: checkpointPath(outDir, "last"),
        best: state.bestIteration === null ? null : checkpointPath(outDir, "best"),
      },
    };
    if (!stopped) {
      await atomicWrite(
        join(outDir, "result.json"),
        JSON.stringify({ ...result, provenance: provenance({ backend, method: method.name }) }, null, 2) + "\n",
      );
    }
    return result;
  };

  // A run stopped by an error during an evaluation saved 'last' without that evaluation: redo it first.
  const evalDue = (n: number) => n > 0 && (n % config.evalEvery === 0 || n === config.iterations);
  const missingEval = !!options.evaluate && resumed && evalDue(state.iteration) &&
    !state.evals.some((e) => e.iteration === state.iteration);
  if (state.iteration >= config.iterations && !missingEval) return await finish(false, true, 0, 0);
  await log({
    type: "session",
    event: resumed ? "resume" : "start",
    iteration: state.iteration,
    time: new Date().toISOString(),
    backend,
  });

  // ---- data ---------------------------------------------------------------------------------
  const cache = resolveCache(dataset, config.imageSize);
  const [L, D] = [config.text.length, config.text.dim];
  const loadBatch = async (ids: string[], it: number): Promise<TrainBatch> => {
    const gen = iterateBatches(dataset, ids, {
      size: config.imageSize,
      batchSize: ids.length,
      rng: new Rng(deriveSeed(config.seed, `flip:${it}`)),
      flip: true,
      cache: cache ?? "off",
      maps: needs.gaze ? async (p) => ({ crf: await sup!.crf(p.id, p) }) : undefined,
    });
    const { value } = await gen.next();
    await gen.return(undefined);
    const text = needs.text ? await Promise.all(ids.map((id) => sup!.text(id))) : undefined;
    return toTrainBatch(value!, {
      levels: config.gaze.levels,
      single: config.gaze.single,
      masks: needs.masks,
      gaze: needs.gaze,
      text,
      textShape: [L, D],
    });
  };

  // ---- Ctrl-C -------------------------------------------------------------------------------
  let stopRequested = false;
  const onSigint = () => {
    if (stopRequested) Deno.exit(130);
    stopRequested = true;
    console.error("\ntrain: Ctrl-C: stopping after this step and saving 'last' (press again to quit now)");
  };
  if (options.handleSigint) Deno.addSignalListener("SIGINT", onSigint);
  const onSigterm = () => {
    stopRequested = true;
    console.error("train: SIGTERM: stopping after this step and saving 'last'");
  };
  if (options.handleSigterm) Deno.addSignalListener("SIGTERM", onSigterm);

  let savedIteration = state.iteration; // what checkpoints/last holds (nothing yet for a fresh run)
  const saveLast = async () => {
    await saveRunCheckpoint(outDir, "last", { networks: method.networks, optimizers, state });
    savedIteration = state.iteration;
  };
  const evaluateNow = async (final: boolean) => {
    if (!options.evaluate) return;
    const t0 = performance.now();
    const metrics = await options.evaluate(method, {
      iteration: state.iteration,
      final,
      limit: final ? 0 : config.evalLimit,
    });
    if (typeof metrics?.dice !== "number" || !Number.isFinite(metrics.dice)) {
      throw new Error(`evaluate callback: returned no finite 'dice' (got ${JSON.stringify(metrics)})`);
    }
    const seconds = (performance.now() - t0) / 1000;
    state.evalSeconds += seconds;
    const rec: EvalRecord = { iteration: state.iteration, metrics, seconds };
    state.evals.push(rec);
    const isBest = state.bestMetrics === null || metrics.dice > state.bestMetrics.dice;
    if (isBest) {
      state.bestIteration = state.iteration;
      state.bestMetrics = metrics;
      await saveRunCheckpoint(outDir, "best", { networks: method.networks, state });
    }
    await log({ type: "eval", iteration: state.iteration, metrics, best: isBest, seconds });
  };

  const checkpointEvery = options.checkpointEvery ?? config.evalEvery;
  const total = config.iterations;
  const bar = progressBar(total - state.iteration, { label: `train ${method.name}`, quiet: options.quiet });
  let order: { epoch: number; ids: string[] } | null = null;
  let sessionIters = 0, sessionSeconds = 0;
  let stopped = false;
  let diverged = false;
  try {
    if (missingEval) {
      note(`train ${method.name}: evaluating iteration ${state.iteration} (missing from the interrupted session)`);
      await evaluateNow(state.iteration === total);
      await saveLast();
    }
    while (state.iteration < total) {
      if (stopRequested || (options.stopAfter !== undefined && state.iteration >= options.stopAfter)) {
        stopped = true;
        break;
      }
      const t0 = performance.now();
      const it = state.iteration;
      const phase = phaseAt(phases, it);
      const epoch = Math.floor(it / bpe), pos = it % bpe;
      if (!order || order.epoch !== epoch) order = { epoch, ids: epochOrder(trainIds, config.seed, epoch) };
      const ids = order.ids.slice(pos * B, pos * B + B);
      const batch = await loadBatch(ids, it);
      const w = rampUpWeightFor(config, it - phase.start + (method.rampOffset ?? 0));
      const ctx = {
        iteration: it,
        phase,
        rampWeight: w,
        rng: {
          darm: new Rng(deriveSeed(config.seed, `darm:${it}`)),
          cwc: new Rng(deriveSeed(config.seed, `cwc:${it}`)),
        },
      };
      const lrs: Record<string, number> = {};
      for (const net of phase.networks) {
        lrs[net] = learningRate(it, phase, { batchesPerEpoch: bpe, ...lrRange.get(net)! });
      }
      try {
        const { losses: lossSums, stats } = await trainStep(method, batch, {
          ctx,
          optimizers,
          lr: lrs,
          accumulate: config.accumulate,
          singleTape: options.singleTape,
        });
        const seconds = (performance.now() - t0) / 1000;
        state.iteration = it + 1;
        state.dataOrder = { epoch: Math.floor((it + 1) / bpe), batch: (it + 1) % bpe, batchesPerEpoch: bpe };
        state.trainSeconds += seconds;
        sessionIters++;
        sessionSeconds += seconds;
        for (const [k, v] of Object.entries(lossSums)) {
          if (!Number.isFinite(v)) {
            diverged = true;
            throw new Error(`train ${method.name}: loss term '${k}' is ${v} at iteration ${it + 1} (diverged)`);
          }
        }
        await log({
          type: "step",
          iteration: it + 1,
          phase: phase.name,
          epoch,
          lr: lrs,
          w,
          losses: lossSums,
          stats,
          seconds,
        });
        bar.tick(1, { loss: lossSums.total, ...(Object.values(lrs).length ? { lr: Object.values(lrs)[0] } : {}) });
      } finally {
        disposeTrainBatch(batch);
      }
      const done = state.iteration;
      const atEval = done % config.evalEvery === 0 || done === total;
      if (atEval) await evaluateNow(done === total);
      if (atEval || done % checkpointEvery === 0) await saveLast();
    }
    if (stopped) await saveLast();
  } catch (err) {
    // Keep the iterations done: save 'last' unless the weights are unusable (diverged) or already saved.
    if (!diverged && state.iteration > savedIteration) {
      try {
        await saveLast();
        if (err instanceof Error) {
          err.message += `\n(train ${method.name}: the ${state.iteration} completed iterations are saved in ` +
            `${checkpointPath(outDir, "last")}; fix the cause and rerun the same command to resume)`;
        }
      } catch (saveErr) {
        note(`train ${method.name}: could not save 'last' after the error: ${(saveErr as Error).message}`);
      }
    }
    throw err;
  } finally {
    bar.stop();
    if (options.handleSigint) Deno.removeSignalListener("SIGINT", onSigint);
    if (options.handleSigterm) Deno.removeSignalListener("SIGTERM", onSigterm);
  }
  await log({
    type: "session",
    event: stopped ? "stop" : "done",
    iteration: state.iteration,
    time: new Date().toISOString(),
    backend,
  });
  return await finish(stopped, false, sessionIters, sessionSeconds);
}

/** Keep only the log lines of iterations <= `iteration` (a resumed run rewrites what came after). */
async function truncateLog(path: string, iteration: number): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return;
  }
  const keep = text.split("\n").filter((line) => {
    if (!line.trim()) return false;
    try {
      return (JSON.parse(line) as { iteration?: number }).iteration! <= iteration;
    } catch {
      return false; // a line cut by the kill
    }
  });
  await atomicWrite(path, keep.map((l) => l + "\n").join(""));
}
