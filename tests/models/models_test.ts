// Model construction, determinism, output shapes at 32/64/96/224 px, summaries vs real forward passes.
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import {
  disposeModel,
  type Features,
  gazeMedSegForward,
  initModel,
  type Model,
  type ModelConfig,
  modelConfigFor,
  predictLogits,
  studentForward,
  summarizeModel,
  type TeacherConfig,
  teacherForward,
  unetForward,
} from "../../lib/models/mod.ts";
import { noLeak, randomTensor } from "./grad_check.ts";

await selectBackend("wasm", { quiet: true });

const TINY_T: Features = [8, 8, 16, 16, 32, 8];
const TINY_S: Features = [4, 4, 8, 8, 16, 4];

function configs(size: number): ModelConfig[] {
  return [
    modelConfigFor("teacher", "smoke", { overrides: { inputSize: size, features: TINY_T, textLen: 3, textDim: 12 } }),
    modelConfigFor("teacher", "smoke", {
      overrides: { inputSize: size, features: TINY_T, fusion: "learnable", textLen: 3, textDim: 12 },
    }),
    modelConfigFor("teacher", "smoke", { overrides: { inputSize: size, features: TINY_T, text: false } }),
    modelConfigFor("student", "smoke", { overrides: { features: TINY_S, teacherFeatures: TINY_T } }),
    modelConfigFor("gazemedseg", "smoke", { overrides: { features: TINY_T } }),
    modelConfigFor("unet", "smoke", { overrides: { features: TINY_T, numClasses: 2, head: true } }),
  ];
}

function forwardShapes(model: Model, image: tf.Tensor4D, text: tf.Tensor3D): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  tf.tidy(() => {
    switch (model.config.kind) {
      case "teacher": {
        const r = teacherForward(model as Model<TeacherConfig>, { image, text }, { training: true });
        out.logits = r.logits.shape;
        out.features = r.features.shape;
        r.distill.forEach((d, i) => (out[`distill.${i + 1}`] = d.shape));
        r.attention.forEach((d, i) => (out[`attention.${i + 1}`] = d.shape));
        break;
      }
      case "student": {
        const r = studentForward(model as Model<never>, { image }, { training: true });
        out.logits = r.logits.shape;
        out.features = r.features.shape;
        r.aligned.forEach((d, i) => (out[`aligned.${i + 1}`] = d.shape));
        break;
      }
      case "gazemedseg": {
        const r = gazeMedSegForward(model as Model<never>, { image });
        out.logits = r.logits.shape;
        r.levelLogits.forEach((d, i) => (out[`levelLogits.${i + 1}`] = d.shape));
        r.propLogits.forEach((d, i) => (out[`propLogits.${i + 1}`] = d.shape));
        r.features.forEach((d, i) => (out[`features.${i + 1}`] = d.shape));
        break;
      }
      case "unet": {
        const r = unetForward(model as Model<never>, { image });
        out.logits = r.logits.shape;
        out.features = r.features.shape;
        break;
      }
    }
  });
  return out;
}

for (const size of [32, 64, 96, 224]) {
  Deno.test(`every model's outputs at ${size} px have the shapes summarizeModel states`, async () => {
    await noLeak(`shapes ${size}`, () => {
      const rng = new Rng(size);
      const image = randomTensor([1, size, size, 3], rng) as tf.Tensor4D;
      const text = randomTensor([1, 3, 12], rng) as tf.Tensor3D;
      for (const config of configs(size)) {
        const model = initModel(config, { seed: 1 });
        try {
          const got = forwardShapes(model, image, text);
          const want = summarizeModel(config, { batch: 1, inputSize: size }).outputs;
          assertEquals(got, want, `${config.kind} at ${size}`);
          assertEquals(got.logits.slice(0, 3), [1, size, size]);
        } finally {
          disposeModel(model);
        }
      }
      tf.dispose([image, text]);
    });
  });
}

Deno.test("initialisation is deterministic per seed, and GazeMedSeg levels start identical", async () => {
  await noLeak("init", () => {
    const cfg = modelConfigFor("student", "smoke");
    const a = initModel(cfg, { seed: 3 }), b = initModel(cfg, { seed: 3 }), c = initModel(cfg, { seed: 4 });
    let differs = false;
    for (const [name, v] of a.params.trainable) {
      assertEquals(Array.from(v.dataSync()), Array.from(b.params.trainable.get(name)!.dataSync()), name);
      if (name.endsWith("conv.weight")) {
        differs ||= v.dataSync()[0] !== c.params.trainable.get(name)!.dataSync()[0];
      }
    }
    assert(differs, "different seeds must give different weights");
    // PyTorch default bound: conv_0 weight U(-1/sqrt(3*9), 1/sqrt(3*9)), std = bound / sqrt(3).
    const w = a.params.trainable.get("encoder.conv_0.conv_0.conv.weight")!.dataSync();
    const bound = 1 / Math.sqrt(27);
    assert(w.every((x) => Math.abs(x) <= bound));
    const g = initModel(modelConfigFor("gazemedseg", "smoke", { overrides: { levels: 3 } }), { seed: 0 });
    for (const [name, v] of g.params.trainable) {
      if (!name.startsWith("model.0.")) continue;
      for (const k of [1, 2]) {
        const other = g.params.trainable.get(name.replace("model.0.", `model.${k}.`))!;
        assertEquals(Array.from(other.dataSync()), Array.from(v.dataSync()), name);
        assert(other !== v, "each level owns its variables");
      }
    }
    for (const m of [a, b, c, g]) disposeModel(m);
  });
});

Deno.test("GazeMedSeg prediction is the mean of the level logits; predictLogits agrees per kind", async () => {
  await noLeak("gms mean", () => {
    const model = initModel(modelConfigFor("gazemedseg", "smoke"), { seed: 2 });
    // Make the two levels differ, as after training.
    tf.tidy(() => {
      const v = model.params.trainable.get("model.1.classifier.bias")!;
      v.assign(tf.add(v, 0.5));
    });
    const image = randomTensor([2, 32, 32, 3], new Rng(9)) as tf.Tensor4D;
    tf.tidy(() => {
      const r = gazeMedSegForward(model, { image });
      const mean = tf.div(tf.add(r.levelLogits[0], r.levelLogits[1]), 2);
      assert(tf.max(tf.abs(tf.sub(mean, r.logits))).dataSync()[0] < 1e-6);
      assert(tf.max(tf.abs(tf.sub(r.levelLogits[0], r.levelLogits[1]))).dataSync()[0] > 0.4);
      const p = predictLogits(model, { image });
      assertEquals(Array.from(p.dataSync()), Array.from(r.logits.dataSync()));
    });
    image.dispose();
    disposeModel(model);
  });
});

Deno.test("teacher: text changes the output, attention rows sum to 1, eval mode uses running stats", async () => {
  await noLeak("teacher text", () => {
    const model = initModel(modelConfigFor("teacher", "smoke"), { seed: 5 });
    const rng = new Rng(11);
    const image = randomTensor([2, 32, 32, 3], rng) as tf.Tensor4D;
    const t1 = randomTensor([2, 6, 512], rng) as tf.Tensor3D, t2 = randomTensor([2, 6, 512], rng) as tf.Tensor3D;
    tf.tidy(() => {
      const a = teacherForward(model, { image, text: t1 }), b = teacherForward(model, { image, text: t2 });
      assert(tf.max(tf.abs(tf.sub(a.logits, b.logits))).dataSync()[0] > 1e-4, "text must matter");
      for (const att of a.attention) {
        const s = tf.sum(att, -1).dataSync();
        assert(s.every((x) => Math.abs(x - 1) < 1e-5));
      }
      // Eval mode twice: identical; training mode changes running statistics, so eval output changes.
      const e1 = teacherForward(model, { image, text: t1 }).logits.dataSync();
      teacherForward(model, { image, text: t1 }, { training: true });
      const e2 = teacherForward(model, { image, text: t1 }).logits.dataSync();
      assertEquals(Array.from(a.logits.dataSync()), Array.from(e1));
      assert(e1.some((x, i) => x !== e2[i]), "running statistics must have moved");
    });
    tf.dispose([image, t1, t2]);
    disposeModel(model);
  });
});

Deno.test("bad configs and inputs fail with messages naming the field", () => {
  assertThrows(
    () => initModel(modelConfigFor("unet", "smoke", { overrides: { features: [8, 8, 16, 16, 30, 8] } })),
    Error,
    "multiple of 4",
  );
  assertThrows(
    () => initModel(modelConfigFor("teacher", "smoke", { overrides: { features: [4, 4, 8, 8, 16, 4] } })),
    Error,
    "attention heads",
  );
  assertThrows(
    () => initModel(modelConfigFor("teacher", "smoke", { overrides: { inputSize: 40 } })),
    Error,
    "inputSize",
  );
  const model = initModel(modelConfigFor("teacher", "smoke"), { seed: 0 });
  const image = tf.zeros([1, 64, 64, 3]) as tf.Tensor4D;
  try {
    assertThrows(() => teacherForward(model, { image }), Error, "[B, 32, 32, 3]");
  } finally {
    image.dispose();
    disposeModel(model);
  }
});
