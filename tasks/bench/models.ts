/**
 * Bench cases `model-teacher` and `model-student`: forward (eval) and forward + backward
 * (training mode, BCE on the foreground logit, gradients of every trainable parameter) of the FGI
 * teacher and student at the `cpu` profile (96 px, widths from lib/models/profiles.ts), on the
 * backend chosen with `--backend`. Batch 8 (the protocol's), 1 warm-up then the median of 3 runs;
 * `--quick`: batch 2, 1 warm-up, 1 run. Reported in ms, with the parameter count; `ms_per_image`
 * divides the step time by the batch.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/core/mod.ts";
import {
  countParams,
  disposeModel,
  initModel,
  type Model,
  MODEL_PROFILES,
  modelConfigFor,
  studentForward,
  teacherForward,
  trainableVariables,
} from "../../lib/models/mod.ts";
import { bceWithLogits } from "../../lib/losses/mod.ts";
import { type BenchCase, type BenchContext, median } from "./types.ts";

function randomTensor(shape: number[], rng: Rng): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: n }, () => rng.normal()), shape);
}

async function run(kind: "teacher" | "student", ctx: BenchContext): Promise<Record<string, unknown>> {
  const profile = MODEL_PROFILES.cpu;
  const batch = ctx.quick ? 2 : 8, reps = ctx.quick ? 1 : 3;
  const size = profile.inputSize;
  const model = initModel(modelConfigFor(kind, "cpu"), { seed: 0 }) as Model;
  const rng = new Rng(1);
  const image = randomTensor([batch, size, size, 3], rng) as tf.Tensor4D;
  const text = randomTensor([batch, profile.textLen, profile.textDim], rng) as tf.Tensor3D;
  const target = tf.tidy(() => tf.step(randomTensor([batch, size, size], rng)));
  const logits = (training: boolean) =>
    kind === "teacher"
      ? teacherForward(model as Model<never>, { image, text }, { training }).logits
      : studentForward(model as Model<never>, { image }, { training }).logits;
  const vars = trainableVariables(model);
  const time = async (fn: () => tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>) => {
    const out: number[] = [];
    for (let i = 0; i < reps + 1; i++) {
      const t0 = performance.now();
      const r = fn();
      // Wait for the values (matters on asynchronous backends such as webgpu).
      const list = r instanceof tf.Tensor ? [r] : Object.values(r);
      await Promise.all(list.map((t) => t.data()));
      tf.dispose(r);
      if (i > 0) out.push(performance.now() - t0);
    }
    return median(out);
  };
  try {
    const forwardMs = await time(() => tf.tidy(() => logits(false)));
    const stepMs = await time(() => {
      const { value, grads } = tf.variableGrads(() => bceWithLogits(logits(true), target), vars);
      value.dispose();
      return grads;
    });
    return {
      backend: tf.getBackend(),
      profile: "cpu",
      input: [batch, size, size, 3],
      params: countParams(model).trainable,
      forward_ms: Math.round(forwardMs),
      forward_backward_ms: Math.round(stepMs),
      forward_backward_ms_per_image: Math.round(stepMs / batch),
      reps,
    };
  } finally {
    tf.dispose([image, text, target]);
    disposeModel(model);
  }
}

/** The FGI teacher at the cpu profile. */
export const teacherStepCase: BenchCase = {
  name: "model-teacher",
  description: "FGI teacher (cpu profile, 96 px, text fusion): forward and forward+backward ms",
  run: (ctx) => run("teacher", ctx),
};

/** The FGI student at the cpu profile. */
export const studentStepCase: BenchCase = {
  name: "model-student",
  description: "FGI student (cpu profile, 96 px): forward and forward+backward ms",
  run: (ctx) => run("student", ctx),
};

/** Both model cases, for tasks/bench/cases.ts. */
export const MODEL_BENCH_CASES: BenchCase[] = [teacherStepCase, studentStepCase];
