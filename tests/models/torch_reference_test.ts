// Agreement with PyTorch: each model is rebuilt from torch.nn modules laid out like the reference
// code (torch/reference.py), loaded from the toolkit's safetensors checkpoint with
// load_state_dict, and run on the same inputs; outputs, gradients and BatchNorm running statistics
// must match. Ignored (with a note) where /usr/bin/python3 has no torch (Debian python3-torch).
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import {
  countParams,
  disposeModel,
  encodeSafetensors,
  gazeMedSegForward,
  initModel,
  type Model,
  type ModelConfig,
  modelConfigFor,
  modelToSafetensors,
  type SafetensorsEntry,
  saveCheckpoint,
  studentForward,
  summarizeModel,
  teacherForward,
  unetForward,
} from "../../lib/models/mod.ts";
import { randomTensor } from "./grad_check.ts";

const PYTHON = "/usr/bin/python3";
const SCRIPT = new URL("./torch/reference.py", import.meta.url).pathname;

function hasTorch(): boolean {
  try {
    const r = new Deno.Command(PYTHON, { args: ["-c", "import torch, numpy"], stdout: "null", stderr: "null" })
      .outputSync();
    if (r.success) return true;
  } catch { /* no python */ }
  console.error(
    `skipped torch reference tests: ${PYTHON} with torch + numpy is not available (apt install python3-torch)`,
  );
  return false;
}
const TORCH = hasTorch();

interface Outputs {
  logits: tf.Tensor4D;
  aux: tf.Tensor4D[];
  attention: tf.Tensor3D[];
}

function forward(model: Model, image: tf.Tensor4D, text: tf.Tensor3D, training: boolean): Outputs {
  switch (model.config.kind) {
    case "teacher": {
      const r = teacherForward(model as Model<never>, { image, text }, { training });
      return { logits: r.logits, aux: r.distill, attention: r.attention };
    }
    case "student": {
      const r = studentForward(model as Model<never>, { image }, { training });
      return { logits: r.logits, aux: r.aligned, attention: [] };
    }
    case "gazemedseg": {
      const r = gazeMedSegForward(model as Model<never>, { image }, { training });
      return { logits: r.logits, aux: [...r.levelLogits, ...r.propLogits], attention: [] };
    }
    case "unet": {
      const r = unetForward(model as Model<never>, { image }, { training });
      return { logits: r.logits, aux: [], attention: [] };
    }
  }
}

const entry = (t: tf.Tensor): SafetensorsEntry => ({
  dtype: "F32",
  shape: t.shape,
  data: Float32Array.from(t.dataSync()),
});

async function compare(config: ModelConfig) {
  // wasm for speed; tests/models/backends_test.ts ties wasm to the cpu reference backend.
  await selectBackend("wasm", { quiet: true });
  const dir = await Deno.makeTempDir();
  const model = initModel(config, { seed: 11 });
  const rng = new Rng(4);
  const image = randomTensor([2, 32, 32, 3], rng) as tf.Tensor4D;
  const text = randomTensor([2, 6, 512], rng) as tf.Tensor3D;
  const io = new Map<string, SafetensorsEntry>([["image", entry(image)], ["text", entry(text)]]);
  // Non-trivial running statistics, then the checkpoint.
  tf.tidy(() => void forward(model, image, text, true));
  await saveCheckpoint(`${dir}/model`, model, {});
  tf.tidy(() => {
    const out = forward(model, image, text, false);
    io.set("eval.logits", entry(out.logits));
    out.aux.forEach((a, i) => io.set(`eval.aux.${i}`, entry(a)));
    out.attention.forEach((a, i) => io.set(`eval.attention.${i}`, entry(a)));
  });
  const vars = [...model.params.trainable.values()];
  const { value, grads } = tf.variableGrads(() => {
    const out = forward(model, image, text, true);
    io.set("train.logits", entry(out.logits));
    const r = randomTensor(out.logits.shape, rng);
    io.set("r.logits", entry(r));
    let loss = tf.sum(tf.mul(out.logits, r));
    out.aux.forEach((a, i) => {
      const ra = randomTensor(a.shape, rng);
      io.set(`r.aux.${i}`, entry(ra));
      loss = tf.add(loss, tf.sum(tf.mul(a, ra)));
    });
    return loss as tf.Scalar;
  }, vars);
  for (const [name, v] of model.params.state) io.set(`state.${name}`, entry(v));
  const byId = new Map([...model.params.trainable].map(([n, v]) => [v.name, n]));
  const gradMap = new Map<string, tf.Variable>();
  for (const [id, g] of Object.entries(grads)) gradMap.set(byId.get(id)!, g as tf.Variable);
  const gradFile = modelToSafetensors({
    config,
    params: { trainable: gradMap, state: new Map(), layout: model.params.layout },
  });
  await Deno.writeFile(`${dir}/grads.safetensors`, encodeSafetensors(gradFile));
  await Deno.writeFile(`${dir}/io.safetensors`, encodeSafetensors(io));
  const params = countParams(model).trainable;
  tf.dispose([value, grads, image, text]);
  disposeModel(model);
  const res = await new Deno.Command(PYTHON, { args: [SCRIPT, config.kind, dir], stdout: "piped", stderr: "piped" })
    .output();
  await Deno.remove(dir, { recursive: true });
  const err = new TextDecoder().decode(res.stderr);
  assert(res.success, `reference.py failed: ${err}`);
  const report = JSON.parse(new TextDecoder().decode(res.stdout));
  assertEquals(report.missing, [], "parameters the toolkit does not provide");
  assertEquals(report.unexpected, [], "toolkit tensors PyTorch does not know");
  assertEquals(report.params, params, "PyTorch parameter count");
  assertEquals(report.no_grad, []);
  for (const [k, v] of Object.entries(report.diff as Record<string, number>)) assert(v < 2e-4, `${k}: ${v}`);
  assert(report.grad_worst < 5e-3, `worst gradient ${report.grad_worst} at ${report.grad_worst_name}`);
  return report;
}

const CASES: ModelConfig[] = [
  modelConfigFor("teacher", "smoke", { overrides: { fusion: "learnable" } }),
  modelConfigFor("teacher", "smoke", { overrides: { text: false } }),
  modelConfigFor("student", "smoke"),
  modelConfigFor("gazemedseg", "smoke"),
  modelConfigFor("unet", "smoke", { overrides: { head: true, numClasses: 2 } }),
];

for (const config of CASES) {
  const label = `${config.kind}${"fusion" in config ? ` fusion=${config.fusion}` : ""}${
    "text" in config && config.text === false ? " no-text" : ""
  }`;
  Deno.test({
    name: `PyTorch modules loaded from the checkpoint reproduce the ${label} outputs and gradients`,
    ignore: !TORCH,
    fn: async () => {
      const r = await compare(config);
      if (Deno.env.get("DEBUG_TORCH")) console.log(label, JSON.stringify(r));
    },
  });
}

Deno.test({
  name: "PyTorch modules built at the paper's widths have the toolkit's parameter totals",
  ignore: !TORCH,
  fn: async () => {
    await selectBackend("cpu", { quiet: true }); // summarizeModel builds (and frees) the variables
    const configs = (["teacher", "student", "gazemedseg", "unet"] as const).map((k) => modelConfigFor(k, "paper"));
    const res = await new Deno.Command(PYTHON, { args: [SCRIPT, "--count", JSON.stringify(configs)], stdout: "piped" })
      .output();
    assert(res.success, "reference.py --count failed");
    const { params } = JSON.parse(new TextDecoder().decode(res.stdout));
    assertEquals(params, configs.map((c) => summarizeModel(c).totalParams));
  },
});
