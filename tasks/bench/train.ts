/**
 * Bench case `train-step`: one optimiser step of each training method (the loop's `trainStep`:
 * prepare, forward + backward over the phase's networks, optimiser update) at the `cpu` profile of
 * configs/kvasir.cpu.json (image size, batch, widths), on the backend chosen with `--backend`.
 * For FGI (code variant) a step is: teacher on the clean image + text, student on the DARM-masked
 * image, the two CWC passes on CutMix'd noisy inputs, AFC, and both optimisers.
 * Inputs are generated (random normal images, nested disc pseudo-masks, random text), so no data
 * is needed. Reported: median ms of `steps` steps after `warmup`; `--quick`: FGI only, 1 + 1 steps.
 *
 * {@link measureTrainStep} is also how the cpu profile's scale was chosen (see the config's notes).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/core/mod.ts";
import {
  createMethod,
  createOptimizer,
  loadTrainConfig,
  type MethodName,
  type Optimizer,
  rampUpWeightFor,
  type TrainBatch,
  type TrainConfig,
  trainStep,
} from "../../lib/train/mod.ts";
import { type BenchCase, type BenchContext, median } from "./types.ts";

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
}

/** Time `trainStep` of `method` under `config` on generated data: median, min and max ms per step. */
export async function measureTrainStep(
  config: TrainConfig,
  methodName: MethodName,
  options: MeasureTrainStepOptions = {},
): Promise<{ median_ms: number; min_ms: number; max_ms: number; steps: number }> {
  const method = createMethod(methodName, { config, channels: 3 });
  const optimizers = new Map<string, Optimizer>();
  const batch = syntheticTrainBatch(config);
  try {
    for (const [name, model] of method.networks) {
      optimizers.set(name, createOptimizer(model.params.trainable, method.optimizerFor(name).config));
    }
    const phase = method.phases().at(-1)!;
    const times: number[] = [];
    const warmup = options.warmup ?? 1, steps = options.steps ?? 3;
    for (let i = 0; i < warmup + steps; i++) {
      const it = phase.start + i;
      const ctx = {
        iteration: it,
        phase,
        rampWeight: rampUpWeightFor(config, it - phase.start),
        rng: { darm: new Rng(i), cwc: new Rng(1000 + i) },
      };
      const lr = Object.fromEntries(phase.networks.map((n) => [n, 1e-3]));
      const t0 = performance.now();
      await trainStep(method, batch, { ctx, optimizers, lr, accumulate: config.accumulate });
      if (i >= warmup) times.push(performance.now() - t0);
    }
    return {
      median_ms: +median(times).toFixed(1),
      min_ms: +Math.min(...times).toFixed(1),
      max_ms: +Math.max(...times).toFixed(1),
      steps,
    };
  } finally {
    tf.dispose([batch.image, batch.mask!, ...batch.levels, batch.mhc!, batch.mbc!, batch.single!, batch.text!]);
    for (const o of optimizers.values()) o.dispose();
    method.dispose();
  }
}

async function run(ctx: BenchContext): Promise<Record<string, unknown>> {
  const path = new URL("../../configs/kvasir.cpu.json", import.meta.url).pathname;
  const config = await loadTrainConfig(path);
  const out: Record<string, unknown> = {
    config: "configs/kvasir.cpu.json",
    backend: ctx.backend,
    image: config.imageSize,
    batch: config.batchSize,
    widths: config.models,
  };
  const methods: MethodName[] = ctx.quick ? ["fgi"] : ["fgi", "fullsup", "gazemedseg", "gaze1"];
  for (const m of methods) {
    const r = await measureTrainStep(config, m, ctx.quick ? { warmup: 1, steps: 1 } : {});
    out[`${m}_ms_per_step`] = r.median_ms;
    out[`${m}_min_ms`] = r.min_ms;
  }
  out.note = "fgi = teacher (clean + text) + student (DARM) + CWC teacher and student passes + AFC + both optimisers";
  return out;
}

/** The `train-step` bench case. */
export const trainStepCase: BenchCase = {
  name: "train-step",
  description: "one training step per method (FGI: teacher + student + CWC passes) at configs/kvasir.cpu.json, ms",
  run,
};
