/**
 * The checks `deno task doctor` runs on each available backend:
 * - numerical: one training step of a small BasicUNet (widths 8..128, 2 x 32 x 32 x 3, BCE) on the
 *   backend and on the pure-JS `cpu` backend from the same initial weights and inputs; reports the
 *   relative error of the loss and the largest normwise relative error of a gradient
 *   (max |g - g_cpu| / max |g_cpu| per parameter tensor);
 * - `unet-step`: the bench case (tasks/bench/unet_step.ts) timed, GFLOP/s;
 * - one FGI iteration at the paper profile (224 px, batch 8, full widths, code variant; generated
 *   inputs, tasks/bench/train.ts), timed and counted in GFLOP (lib/backend/flop_counter.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { startFlopCounter } from "../../lib/backend/flop_counter.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import {
  basicUNetDecode,
  basicUNetEncode,
  createParamStore,
  initBasicUNet,
  trainableVariables,
} from "../../lib/models/mod.ts";
import { loadTrainConfig } from "../../lib/train/mod.ts";
import { measureTrainStep } from "../bench/train.ts";
import { runUNetStep } from "../bench/unet_step.ts";

/** Backends that `doctor` may check. */
export type CheckedBackend = "tensorflow" | "webgpu" | "wasm" | "cpu";

const initialised = new Set<string>();

/** Make `name` the active backend (initialising it through selectBackend the first time). */
export async function useBackend(name: CheckedBackend): Promise<void> {
  if (initialised.has(name)) {
    if (!(await tf.setBackend(name))) throw new Error(`backend ${name} did not re-initialise`);
    await tf.ready();
    return;
  }
  await selectBackend(name, { quiet: true });
  initialised.add(name);
}

/**
 * Loss and gradients (by parameter name) of one small BasicUNet step on the active backend (read
 * back asynchronously: the webgpu backend cannot read synchronously under Deno).
 */
async function smallUNetStep(): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const rng = new Rng(20240613);
  const store = createParamStore();
  const features = [8, 16, 32, 64, 128, 8] as const;
  initBasicUNet(store, "net", { inChannels: 3, features, featDim: 1, rng });
  const [B, S] = [2, 32];
  const x = tf.tensor4d(Float32Array.from({ length: B * S * S * 3 }, () => rng.normal()), [B, S, S, 3]);
  const y = tf.tensor4d(Float32Array.from({ length: B * S * S }, () => (rng.uniform(0, 1) < 0.3 ? 1 : 0)), [
    B,
    S,
    S,
    1,
  ]);
  const vars = trainableVariables(store);
  try {
    const { value, grads } = tf.variableGrads(() => {
      const opts = { store, prefix: "net", groups: 4 };
      return tf.losses.sigmoidCrossEntropy(y, basicUNetDecode(basicUNetEncode(x, opts), opts)) as tf.Scalar;
    }, vars);
    const names = new Map([...store.trainable].map(([n, v]) => [v.name, n]));
    const out = new Map<string, Float32Array>();
    for (const [k, g] of Object.entries(grads)) out.set(names.get(k) ?? k, (await g.data()) as Float32Array);
    const loss = (await value.data())[0];
    tf.dispose([value, grads]);
    return { loss, grads: out };
  } finally {
    tf.dispose([x, y, ...vars]);
  }
}

let reference: { loss: number; grads: Map<string, Float32Array> } | null = null;

/** Result of {@link numericalCheck}. */
export interface NumericalCheck {
  /** |loss - loss_cpu| / |loss_cpu|. */
  lossRelErr: number;
  /** Largest normwise relative gradient error over parameter tensors. */
  gradMaxRelErr: number;
  /** The parameter tensor with that error. */
  worstParam: string;
  /** Parameter tensors compared. */
  tensors: number;
  /** lossRelErr < 1e-3 and gradMaxRelErr < 1e-2 (float32 on a GPU, reduction order differs). */
  pass: boolean;
}

/** Compare one small UNet training step on `backend` with the cpu backend (see module doc). */
export async function numericalCheck(backend: CheckedBackend): Promise<NumericalCheck> {
  if (!reference) {
    await useBackend("cpu");
    reference = await smallUNetStep();
  }
  await useBackend(backend);
  const got = await smallUNetStep();
  const ref = reference;
  let worst = 0, worstParam = "-";
  // parameter variables get fresh names per build; compare in creation order
  const refGrads = [...ref.grads.values()], gotGrads = [...got.grads.values()];
  const refNames = [...ref.grads.keys()];
  if (refGrads.length !== gotGrads.length) {
    throw new Error(`numerical check: ${gotGrads.length} gradients on ${backend}, ${refGrads.length} on cpu`);
  }
  refGrads.forEach((r, i) => {
    const g = gotGrads[i];
    let scale = 0, diff = 0;
    for (let j = 0; j < r.length; j++) {
      scale = Math.max(scale, Math.abs(r[j]));
      diff = Math.max(diff, Math.abs(g[j] - r[j]));
    }
    const e = Number.isFinite(diff) ? diff / Math.max(scale, 1e-30) : Infinity;
    if (!(e <= worst)) {
      worst = e;
      worstParam = refNames[i];
    }
  });
  const lossRelErr = Math.abs(got.loss - ref.loss) / Math.abs(ref.loss);
  return {
    lossRelErr,
    gradMaxRelErr: worst,
    worstParam,
    tensors: refGrads.length,
    pass: lossRelErr < 1e-3 && worst < 1e-2,
  };
}

/** Time the `unet-step` bench case on the active backend. */
export async function unetStepTiming(steps: number): Promise<Record<string, unknown>> {
  const r = await runUNetStep({ warmup: 1, steps });
  return {
    median_ms: r.median_ms,
    step_gflop: r.step_gflop,
    gflops_per_s: r.gflops_per_s,
    steps: r.steps,
  };
}

/** Options of {@link fgiPaperIteration}. */
export interface FgiIterationOptions {
  /** Micro-batches (8 on wasm: batch 8 at 224 px does not fit 4 GiB otherwise). */
  accumulate: number;
  /** Untimed first iterations (1 on GPUs: kernel compilation / PTX JIT happens there). */
  warmup: number;
}

/** Time and count one FGI (code) iteration at the paper profile on the active backend. */
export async function fgiPaperIteration(options: FgiIterationOptions): Promise<Record<string, unknown>> {
  const path = new URL("../../configs/kvasir.paper.json", import.meta.url).pathname;
  const config = { ...(await loadTrainConfig(path)), accumulate: options.accumulate };
  const counter = startFlopCounter();
  const t0 = performance.now();
  try {
    const r = await measureTrainStep(config, "fgi", { warmup: options.warmup, steps: 1 });
    const flops = counter.read().total / (options.warmup + 1);
    const s = r.median_ms / 1000;
    return {
      seconds: +s.toFixed(2),
      first_seconds: options.warmup ? +((performance.now() - t0) / 1000 - s).toFixed(2) : undefined,
      gflop: +(flops / 1e9).toFixed(1),
      gflops_per_s: +(flops / 1e9 / s).toFixed(2),
      accumulate: options.accumulate,
      paper_run_hours: +((15000 * s) / 3600).toFixed(1),
      setup: "configs/kvasir.paper.json, fgi code variant, 224 px, batch 8, generated inputs, text dim " +
        `${config.text.dim}`,
    };
  } finally {
    counter.stop();
  }
}
