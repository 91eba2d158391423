/**
 * Bench case `unet-step`: one SGD training step of a BasicUNet, fixed so it can
 * be compared with other frameworks (tasks/bench/peer_torch.py runs the same
 * step in PyTorch; `deno task bench --case unet-step --peer torch` runs both and
 * reports `ratio_to_peer` (wall) and `cpu_ratio_to_peer` (process CPU time)); `--threads N` sets
 * the toolkit's wasm thread pool and the peer's torch.set_num_threads alike.
 *
 * Model: BasicUNet features (16,32,64,128,256,16) (docs/METHOD.md section 5: blocks of
 * 3x3 conv with bias, GroupNorm 4 groups, LeakyReLU 0.1; 2x2 max-pool down;
 * 2x2 stride-2 transposed conv up that halves the channels except in the last
 * up-block; skip concatenation), 3 input channels, a 1x1 conv to 1 output channel.
 * Step: input [4,128,128,3], BCE-with-logits against a fixed random mask, SGD
 * momentum 0.9, lr 1e-2. Reported: median ms of 10 steps after 2 warm-ups.
 *
 * FLOPs are counted analytically: forward FLOPs = 2 * MACs of every conv and
 * transposed conv (MACs = outH*outW*KH*KW*Cin*Cout for a conv, inH*inW*KH*KW*Cin*Cout
 * for a transposed conv, times the batch); a training step counts 3x forward
 * (forward + input gradient + weight gradient). Norms, activations, pooling and the
 * optimizer are not counted. `median_cpu_ms` is the process CPU time (user + system) per step,
 * steadier than wall time when other jobs share the machine.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { Rng } from "../../lib/core/mod.ts";
import { type WasmBackendLike, wasmThreadPool } from "../../lib/backend/mod.ts";
import {
  basicUNetDecode,
  basicUNetEncode,
  createParamStore,
  initBasicUNet,
  type ParamStore,
  trainableVariables,
} from "../../lib/models/mod.ts";
import { median } from "./types.ts";
import { combinedRounds } from "./train.ts";
import { runPythonPeer } from "./peer.ts";
import type { BenchCase, BenchContext } from "./types.ts";

/** The fixed configuration of the case (also used by the PyTorch peer). */
export const UNET_STEP_CONFIG = {
  features: [16, 32, 64, 128, 256, 16] as const,
  inChannels: 3,
  outChannels: 1,
  size: 128,
  batch: 4,
  groups: 4,
  negativeSlope: 0.1,
  lr: 1e-2,
  momentum: 0.9,
  warmup: 2,
  steps: 10,
  seed: 1234,
};

interface ConvSpec {
  kind: "conv" | "deconv";
  k: number;
  cin: number;
  cout: number;
  /** Spatial size of the conv's output (conv) or input (deconv). */
  hw: number;
}

/** Every conv of the BasicUNet in forward order, with the spatial size that sets its MACs. */
export function basicUNetConvs(
  features: readonly number[],
  inChannels: number,
  outChannels: number,
  size: number,
): ConvSpec[] {
  const [f0, f1, f2, f3, f4, f5] = features;
  const c = (cin: number, cout: number, hw: number): ConvSpec => ({ kind: "conv", k: 3, cin, cout, hw });
  const up = (cin: number, cout: number, hw: number): ConvSpec => ({ kind: "deconv", k: 2, cin, cout, hw });
  const s = size;
  return [
    c(inChannels, f0, s),
    c(f0, f0, s),
    c(f0, f1, s / 2),
    c(f1, f1, s / 2),
    c(f1, f2, s / 4),
    c(f2, f2, s / 4),
    c(f2, f3, s / 8),
    c(f3, f3, s / 8),
    c(f3, f4, s / 16),
    c(f4, f4, s / 16),
    up(f4, f4 / 2, s / 16),
    c(f3 + f4 / 2, f3, s / 8),
    c(f3, f3, s / 8),
    up(f3, f3 / 2, s / 8),
    c(f2 + f3 / 2, f2, s / 4),
    c(f2, f2, s / 4),
    up(f2, f2 / 2, s / 4),
    c(f1 + f2 / 2, f1, s / 2),
    c(f1, f1, s / 2),
    up(f1, f1, s / 2), // last up-block does not halve
    c(f0 + f1, f5, s),
    c(f5, f5, s),
    { kind: "conv", k: 1, cin: f5, cout: outChannels, hw: s },
  ];
}

/** Analytic FLOPs of one training step: 3 * 2 * sum(MACs) * batch (see module doc). */
export function unetStepFlops(cfg = UNET_STEP_CONFIG): { forwardFlops: number; stepFlops: number } {
  const convs = basicUNetConvs(cfg.features, cfg.inChannels, cfg.outChannels, cfg.size);
  const macs = convs.reduce((s, c) => s + c.hw * c.hw * c.k * c.k * c.cin * c.cout, 0) * cfg.batch;
  return { forwardFlops: 2 * macs, stepFlops: 6 * macs };
}

// ---- the model: lib/models' BasicUNet -------------------------------------------------------

const PREFIX = "net";

function forwardModels(store: ParamStore, x: tf.Tensor4D): tf.Tensor4D {
  const opts = { store, prefix: PREFIX, groups: UNET_STEP_CONFIG.groups };
  return basicUNetDecode(basicUNetEncode(x, opts), opts);
}

/** A training-step closure plus what it holds, for the bench and the profiler. */
export interface UNetStepRunner {
  /** Run one SGD step; resolves to the loss. */
  step(): Promise<number>;
  /** Number of trainable parameters. */
  paramCount: number;
  /** Free every tensor the runner holds. */
  dispose(): void;
}

/** Build the fixed unet-step problem on the active backend. */
export function makeUNetStep(): UNetStepRunner {
  const cfg = UNET_STEP_CONFIG;
  const rng = new Rng(cfg.seed);
  const store = createParamStore();
  initBasicUNet(store, PREFIX, {
    inChannels: cfg.inChannels,
    features: cfg.features,
    featDim: cfg.outChannels,
    rng,
  });
  const n = cfg.batch * cfg.size * cfg.size;
  const xv = new Float32Array(n * cfg.inChannels);
  for (let i = 0; i < xv.length; i++) xv[i] = rng.uniform(0, 1);
  const mv = new Float32Array(n * cfg.outChannels);
  for (let i = 0; i < mv.length; i++) mv[i] = rng.uniform(0, 1) < 0.5 ? 1 : 0;
  const x = tf.tensor4d(xv, [cfg.batch, cfg.size, cfg.size, cfg.inChannels]);
  const mask = tf.tensor4d(mv, [cfg.batch, cfg.size, cfg.size, cfg.outChannels]);
  const opt = tf.train.momentum(cfg.lr, cfg.momentum);
  const vars = trainableVariables(store);
  return {
    paramCount: vars.reduce((s, v) => s + v.size, 0),
    async step() {
      const loss = opt.minimize(() => tf.losses.sigmoidCrossEntropy(mask, forwardModels(store, x)), true, vars);
      if (!loss) throw new Error("unet-step: optimizer returned no loss");
      const v = (await loss.data())[0];
      loss.dispose();
      return v;
    },
    dispose() {
      x.dispose();
      mask.dispose();
      opt.dispose();
      for (const v of vars) v.dispose();
    },
  };
}

/** Options of {@link runUNetStep}. */
export interface RunUNetStepOptions {
  /** Warm-up steps (default 2). */
  warmup?: number;
  /** Timed steps (default 10). */
  steps?: number;
}

/** Time the step: median ms of `steps` steps after `warmup` warm-ups, and effective GFLOP/s. */
export async function runUNetStep(options: RunUNetStepOptions = {}): Promise<Record<string, unknown>> {
  const cfg = UNET_STEP_CONFIG;
  const warmup = options.warmup ?? cfg.warmup;
  const steps = options.steps ?? cfg.steps;
  const runner = makeUNetStep();
  try {
    const times: number[] = [];
    const cpuTimes: number[] = [];
    let loss = NaN;
    for (let i = 0; i < warmup + steps; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      loss = await runner.step();
      const c1 = process.cpuUsage(c0);
      const dt = performance.now() - t0;
      if (i >= warmup) {
        times.push(dt);
        cpuTimes.push((c1.user + c1.system) / 1000);
      }
    }
    const ms = median(times);
    const { stepFlops } = unetStepFlops(cfg);
    return {
      model: "lib/models BasicUNet",
      params: runner.paramCount,
      batch: cfg.batch,
      size: cfg.size,
      wasm_threads: tf.getBackend() === "wasm"
        ? (wasmThreadPool(tf.backend() as unknown as WasmBackendLike)?.nthreads ?? 1)
        : undefined,
      steps,
      warmup,
      median_ms: +ms.toFixed(1),
      min_ms: +Math.min(...times).toFixed(1),
      max_ms: +Math.max(...times).toFixed(1),
      median_cpu_ms: +median(cpuTimes).toFixed(1),
      step_gflop: +(stepFlops / 1e9).toFixed(3),
      gflops_per_s: +(stepFlops / 1e9 / (ms / 1000)).toFixed(2),
      flops_formula: "3 * 2 * batch * sum_convs(outH*outW*KH*KW*Cin*Cout); transposed convs use inH*inW",
      final_loss: +loss.toFixed(5),
    };
  } finally {
    runner.dispose();
  }
}

/**
 * Run the same step in PyTorch (tasks/bench/peer_torch.py) on `threads` threads (default 1), with
 * the interpreter chosen by {@link runPythonPeer}. Returns its JSON, or `{ skipped }` when no
 * interpreter has torch.
 */
export function runTorchPeer(
  options: RunUNetStepOptions & { python?: string; threads?: number } = {},
): Promise<Record<string, unknown>> {
  const args = ["--warmup", String(options.warmup ?? UNET_STEP_CONFIG.warmup)];
  args.push("--steps", String(options.steps ?? UNET_STEP_CONFIG.steps), "--threads", String(options.threads ?? 1));
  return runPythonPeer("peer_torch.py", args, { python: options.python });
}

/** The `unet-step` bench case (`--peer torch`: also PyTorch, and the ratios). */
export const unetStepCase: BenchCase = {
  name: "unet-step",
  description: "BasicUNet(16..256) training step, 4x128x128x3, BCE + SGD momentum; median ms, GFLOP/s",
  async run(ctx: BenchContext) {
    const opts = ctx.quick ? { warmup: 1, steps: 2 } : {};
    if (ctx.peer !== undefined && ctx.peer !== "torch") {
      return { ...(await runUNetStep(opts)), peer: { skipped: `unknown peer '${ctx.peer}' (supported: torch)` } };
    }
    // --rounds N: toolkit and peer alternate, so a slow spell of the machine hits both sides
    const rounds = Math.max(1, ctx.rounds ?? 1);
    const mine: Record<string, unknown>[] = [], peers: Record<string, unknown>[] = [];
    for (let round = 0; round < rounds; round++) {
      const res = await runUNetStep(opts);
      mine.push(res);
      if (ctx.peer === undefined) continue;
      // same threads on both sides (--threads N, else the toolkit's own count) unless --peer-threads N
      const threads = ctx.peerThreads ?? ctx.threads ?? (res.wasm_threads as number | undefined) ?? 1;
      peers.push(await runTorchPeer({ ...opts, threads }));
    }
    const res = rounds > 1 ? combinedRounds(mine) : mine[0];
    if (ctx.peer === undefined) return res;
    if (!peers.every((p) => typeof p.median_ms === "number")) return { ...res, peer: peers[0] };
    const peer = rounds > 1 ? combinedRounds(peers) : peers[0];
    const out: Record<string, unknown> = {
      ...res,
      peer,
      ratio_to_peer: +((res.median_ms as number) / (peer.median_ms as number)).toFixed(2),
      cpu_ratio_to_peer: +((res.median_cpu_ms as number) / (peer.median_cpu_ms as number)).toFixed(2),
    };
    if (rounds > 1) {
      const per = mine.map((m, i) => (m.median_ms as number) / (peers[i].median_ms as number));
      out.ratio_range = [+Math.min(...per).toFixed(2), +Math.max(...per).toFixed(2)];
      out.ratio_median = +median(per).toFixed(2);
    }
    return out;
  },
};
