/**
 * Bench case `train-step`: one optimiser step of each training method (the loop's `trainStep`:
 * prepare, forward + backward over the phase's networks, optimiser update) at the `cpu` profile of
 * configs/kvasir.cpu.json (image size, batch, widths), on the backend chosen with `--backend`.
 * For FGI (code variant) a step is: teacher on the clean image + text, student on the DARM-masked
 * image, the two CWC passes on CutMix'd noisy inputs, AFC, and both optimisers.
 * Inputs are generated (random normal images, nested disc pseudo-masks, random text), so no data
 * is needed.
 *
 * `deno task bench --case train-step [--method M] [--config FILE] [--threads N] [--peer torch]
 * [--peer-threads N] [--warmup 3] [--steps 20] [--rounds N]` reports per method: median / min /
 * max ms per iteration (wall) and the median process CPU ms over `steps` iterations after `warmup` untimed ones, the wasm threads used,
 * the trainable parameters per network, and per-kernel time shares from a SEPARATE profiling pass
 * (one more iteration with every kernel wrapped, see kernel_profile.ts; it is not part of the
 * median). `--peer torch` runs the same iteration in PyTorch (tasks/bench/peer_train_torch.py) at
 * the same config, on `--threads N` threads (default: the toolkit's count), checks that its
 * parameter counts equal the toolkit's, and reports `ratio_to_peer` = toolkit / PyTorch median
 * (`--peer-threads N`: the peer on N threads instead). `--rounds N` repeats both, alternating, and
 * reports medians over the rounds with the range and the median of the per-round ratios
 * (`ratio_median`: this machine's speed swings by up to 2x within seconds, for PyTorch as for the
 * toolkit, so the ratio of two measurements taken seconds apart is the robust figure). `--quick`: FGI only (unless `--method`), 1 + 1 iterations.
 *
 * {@link measureTrainStep} is also how the cpu profile's scale was chosen (see the config's notes).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { Rng } from "../../lib/core/mod.ts";
import { type WasmBackendLike, wasmThreadPool } from "../../lib/backend/mod.ts";
import { countParams } from "../../lib/models/mod.ts";
import {
  createMethod,
  createOptimizer,
  loadTrainConfig,
  METHOD_NAMES,
  type MethodName,
  type Optimizer,
  rampUpWeightFor,
  type TrainBatch,
  type TrainConfig,
  trainStep,
} from "../../lib/train/mod.ts";
import { type BenchCase, type BenchContext, median } from "./types.ts";
import { type KernelProfile, profileKernels } from "./kernel_profile.ts";
import { runPythonPeer } from "./peer.ts";

/** A generated batch at the config's size: images N(0, 1), M_hc = disc radius S/5, M_bc = radius S/3.5. */
export function syntheticTrainBatch(
  config: TrainConfig,
  options: { seed?: number; channels?: number } = {},
): TrainBatch {
  const rng = new Rng(options.seed ?? 0);
  const B = config.batchSize, S = config.imageSize, C = options.channels ?? 3;
  const [L, D] = [config.text.length, config.text.dim];
  const disc = (r: number) => {
    const d = new Float32Array(B * S * S);
    for (let b = 0; b < B; b++) {
      const cx = S / 2 + rng.uniform(-S / 8, S / 8), cy = S / 2 + rng.uniform(-S / 8, S / 8);
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) d[b * S * S + y * S + x] = (x - cx) ** 2 + (y - cy) ** 2 <= r * r ? 1 : 0;
      }
    }
    return tf.tensor4d(d, [B, S, S, 1]);
  };
  const mhc = disc(S / 5), mbc = disc(S / 3.5);
  return {
    ids: Array.from({ length: B }, (_, i) => `bench_${i}`),
    image: tf.tensor4d(Float32Array.from({ length: B * S * S * C }, () => rng.normal()), [B, S, S, C]),
    mask: mhc.clone(),
    levels: [mhc.clone(), mbc.clone()],
    mhc,
    mbc,
    single: mhc.clone(),
    text: tf.tensor3d(Float32Array.from({ length: B * L * D }, () => rng.normal()), [B, L, D]),
  };
}

/** Options of {@link measureTrainStep}. */
export interface MeasureTrainStepOptions {
  /** Timed steps (default 3). */
  steps?: number;
  /** Untimed warm-up steps (default 1). */
  warmup?: number;
  /** Profiled steps after the timed ones (default 0: no profile); their mean per-kernel shares are returned. */
  profileSteps?: number;
  /** Kernels listed by name in the profile (default 15; the rest are merged). */
  profileTop?: number;
}

/** What {@link measureTrainStep} returns. */
export interface TrainStepTiming {
  /** Median wall ms per step. */
  median_ms: number;
  /** Fastest step, ms. */
  min_ms: number;
  /** Slowest step, ms. */
  max_ms: number;
  /** Median process CPU ms (user + system, all threads) per step. */
  median_cpu_ms: number;
  /** Timed steps. */
  steps: number;
  /** Warm-up steps. */
  warmup: number;
  /** Trainable parameters per network. */
  params: Record<string, number>;
  /** Per-kernel shares of the profiled steps (when `profileSteps` > 0). */
  profile?: KernelProfile;
}

/** Time `trainStep` of `method` under `config` on generated data: median, min and max ms per step. */
export async function measureTrainStep(
  config: TrainConfig,
  methodName: MethodName,
  options: MeasureTrainStepOptions = {},
): Promise<TrainStepTiming> {
  const method = createMethod(methodName, { config, channels: 3 });
  const optimizers = new Map<string, Optimizer>();
  const batch = syntheticTrainBatch(config);
  try {
    const params: Record<string, number> = {};
    for (const [name, model] of method.networks) {
      optimizers.set(name, createOptimizer(model.params.trainable, method.optimizerFor(name).config));
      params[name] = countParams(model).trainable;
    }
    const phase = method.phases().at(-1)!;
    const step = async (i: number) => {
      const it = phase.start + i;
      const ctx = {
        iteration: it,
        phase,
        rampWeight: rampUpWeightFor(config, it - phase.start),
        rng: { darm: new Rng(i), cwc: new Rng(1000 + i) },
      };
      const lr = Object.fromEntries(phase.networks.map((n) => [n, 1e-3]));
      await trainStep(method, batch, { ctx, optimizers, lr, accumulate: config.accumulate });
    };
    const times: number[] = [], cpu: number[] = [];
    const warmup = options.warmup ?? 1, steps = options.steps ?? 3;
    for (let i = 0; i < warmup + steps; i++) {
      const t0 = performance.now(), c0 = process.cpuUsage();
      await step(i);
      const c1 = process.cpuUsage(c0);
      if (i >= warmup) {
        times.push(performance.now() - t0);
        cpu.push((c1.user + c1.system) / 1000);
      }
    }
    const out: TrainStepTiming = {
      median_ms: +median(times).toFixed(1),
      min_ms: +Math.min(...times).toFixed(1),
      max_ms: +Math.max(...times).toFixed(1),
      median_cpu_ms: +median(cpu).toFixed(1),
      steps,
      warmup,
      params,
    };
    if ((options.profileSteps ?? 0) > 0) {
      let i = warmup + steps;
      out.profile = await profileKernels(tf.getBackend(), () => step(i++), {
        reps: options.profileSteps,
        top: options.profileTop,
      });
    }
    return out;
  } finally {
    tf.dispose([batch.image, batch.mask!, ...batch.levels, batch.mhc!, batch.mbc!, batch.single!, batch.text!]);
    for (const o of optimizers.values()) o.dispose();
    method.dispose();
  }
}

/**
 * Run the same iteration in PyTorch (tasks/bench/peer_train_torch.py) on the resolved `config`
 * (written to a temporary file) with `threads` threads; the peer fails when its parameter counts
 * differ from `params` (the toolkit's). Returns its JSON, `{ skipped }` or `{ error }`.
 */
export async function runTrainStepPeer(
  config: TrainConfig,
  methodName: MethodName,
  options: { threads: number; warmup: number; steps: number; params?: Record<string, number>; python?: string },
): Promise<Record<string, unknown>> {
  const file = await Deno.makeTempFile({ prefix: "gaze-train-step-", suffix: ".json" });
  try {
    await Deno.writeTextFile(file, JSON.stringify(config));
    const args = ["--config", file, "--method", methodName, "--threads", String(options.threads)];
    args.push("--warmup", String(options.warmup), "--steps", String(options.steps));
    if (options.params) args.push("--expect-params", JSON.stringify(options.params));
    return await runPythonPeer("peer_train_torch.py", args, { python: options.python });
  } finally {
    await Deno.remove(file).catch(() => {});
  }
}

async function run(ctx: BenchContext): Promise<Record<string, unknown>> {
  const rel = ctx.config ?? "configs/kvasir.cpu.json";
  const path = ctx.config ?? new URL("../../configs/kvasir.cpu.json", import.meta.url).pathname;
  const config = await loadTrainConfig(path);
  if (ctx.method !== undefined && !(METHOD_NAMES as readonly string[]).includes(ctx.method)) {
    throw new Error(`--method: unknown method '${ctx.method}' (expected ${METHOD_NAMES.join(", ")})`);
  }
  if (ctx.peer !== undefined && ctx.peer !== "torch") {
    throw new Error(`--peer: unknown peer '${ctx.peer}' (supported: torch)`);
  }
  const threads = tf.getBackend() === "wasm"
    ? (wasmThreadPool(tf.backend() as unknown as WasmBackendLike)?.nthreads ?? 1)
    : undefined;
  const out: Record<string, unknown> = {
    config: rel,
    backend: ctx.backend,
    image: config.imageSize,
    batch: config.batchSize,
    widths: config.models,
    threads,
  };
  const methods: MethodName[] = ctx.method
    ? [ctx.method as MethodName]
    : ctx.quick
    ? ["fgi"]
    : ["fgi", "fullsup", "gazemedseg", "gaze1"];
  const warmup = ctx.warmup ?? (ctx.quick ? 1 : 3), steps = Math.max(1, ctx.steps ?? (ctx.quick ? 1 : 20));
  const rounds = Math.max(1, ctx.rounds ?? 1);
  const results: Record<string, unknown> = {};
  for (const m of methods) {
    // Toolkit and peer alternate round by round, so a slow spell of the machine hits both sides.
    const timings: TrainStepTiming[] = [], peers: Record<string, unknown>[] = [];
    for (let round = 0; round < rounds; round++) {
      const r = await measureTrainStep(config, m, { warmup, steps, profileSteps: round === 0 ? 1 : 0 });
      timings.push(r);
      if (ctx.peer === "torch") {
        const peerThreads = ctx.peerThreads ?? ctx.threads ?? threads ?? 1;
        peers.push(await runTrainStepPeer(config, m, { threads: peerThreads, warmup, steps, params: r.params }));
      }
    }
    const res: Record<string, unknown> = rounds > 1
      ? combinedRounds(timings as unknown as Record<string, unknown>[])
      : { ...timings[0] };
    if (peers.length) {
      const ok = peers.every((p) => typeof p.median_ms === "number");
      res.peer = rounds > 1 && ok ? combinedRounds(peers) : peers[0];
      if (ok) {
        const peer = res.peer as Record<string, number>;
        res.ratio_to_peer = +((res.median_ms as number) / peer.median_ms).toFixed(2);
        res.cpu_ratio_to_peer = +((res.median_cpu_ms as number) / peer.median_cpu_ms).toFixed(2);
        if (rounds > 1) {
          const per = timings.map((t, i) => t.median_ms / (peers[i].median_ms as number));
          res.ratio_range = [+Math.min(...per).toFixed(2), +Math.max(...per).toFixed(2)];
          res.ratio_median = +median(per).toFixed(2);
        }
      }
    }
    results[m] = res;
  }
  out.methods = results;
  out.note =
    "fgi = teacher (clean + text) + student (DARM) + CWC teacher and student passes + AFC + both optimisers; " +
    "profile = one extra untimed iteration with every kernel timed (top-level calls; '(outside kernels)' = JS, tape, host work)";
  return out;
}

/**
 * Median, min and max of per-round medians (ms, one decimal): `--rounds N` reports the median over
 * rounds, each round's own median being over `--steps` iterations.
 *
 * @example
 * ```ts
 * combineRounds([900, 1100, 950]); // { median: 950, min: 900, max: 1100 }
 * ```
 */
export function combineRounds(values: readonly number[]): { median: number; min: number; max: number } {
  if (!values.length || values.some((v) => !Number.isFinite(v))) {
    throw new Error(`combineRounds: expected finite numbers, got [${values.join(", ")}]`);
  }
  return {
    median: +median([...values]).toFixed(1),
    min: +Math.min(...values).toFixed(1),
    max: +Math.max(...values).toFixed(1),
  };
}

/**
 * One result for several rounds (each a median over its steps): the first round's fields, with
 * median / min / max over the rounds' medians, the median of their CPU ms, every round's median
 * (`rounds`), and `gflops_per_s` recomputed from the median where a round reports `step_gflop`.
 */
export function combinedRounds(rounds: Record<string, unknown>[]): Record<string, unknown> {
  const ms = rounds.map((r) => r.median_ms as number);
  const c = combineRounds(ms);
  return {
    ...rounds[0],
    median_ms: c.median,
    min_ms: c.min,
    max_ms: c.max,
    median_cpu_ms: combineRounds(rounds.map((r) => r.median_cpu_ms as number)).median,
    ...(typeof rounds[0].step_gflop === "number"
      ? { gflops_per_s: +((rounds[0].step_gflop as number) / (c.median / 1000)).toFixed(2) }
      : {}),
    rounds: ms,
  };
}

/** The `train-step` bench case. */
export const trainStepCase: BenchCase = {
  name: "train-step",
  description: "one training step per method (FGI: teacher + student + CWC passes) at configs/kvasir.cpu.json, ms",
  run,
};
