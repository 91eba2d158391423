// The cpu (pure JS reference) and wasm backends agree on a teacher forward + backward at smoke size.
import * as tf from "@tensorflow/tfjs";
import { assert } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import { disposeModel, initModel, modelConfigFor, teacherForward } from "../../lib/models/mod.ts";
import { randomTensor } from "./grad_check.ts";

function run(): { logits: Float32Array; loss: number; grads: Map<string, Float32Array> } {
  const model = initModel(modelConfigFor("teacher", "smoke", { overrides: { fusion: "learnable" } }), { seed: 3 });
  const rng = new Rng(5);
  const image = randomTensor([2, 32, 32, 3], rng) as tf.Tensor4D;
  const text = randomTensor([2, 6, 512], rng) as tf.Tensor3D;
  const target = tf.tidy(() => tf.greater(randomTensor([2, 32, 32, 1], rng), 0).toFloat());
  let logits = new Float32Array();
  const vars = [...model.params.trainable.values()];
  const { value, grads } = tf.variableGrads(() => {
    const out = teacherForward(model, { image, text }, { training: true });
    logits = Float32Array.from(out.logits.dataSync());
    const z = tf.slice(out.logits, [0, 0, 0, 1], [2, 32, 32, 1]);
    return tf.losses.sigmoidCrossEntropy(target, z) as tf.Scalar;
  }, vars);
  const names = new Map([...model.params.trainable].map(([n, v]) => [v.name, n]));
  const out = new Map<string, Float32Array>();
  for (const [id, g] of Object.entries(grads)) out.set(names.get(id)!, g.dataSync() as Float32Array);
  const loss = value.dataSync()[0];
  tf.dispose([value, grads, image, text, target]);
  disposeModel(model);
  return { logits, loss, grads: out };
}

/** max |a - b| / max(max |b|, floor): the floor keeps exactly-zero gradients (a conv bias before
 * a training-mode BatchNorm) from turning rounding noise into a large relative error. */
function relErr(a: Float32Array, b: Float32Array, floor = 1e-12): number {
  let num = 0, den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, floor);
}

Deno.test("cpu and wasm agree on a teacher forward and backward (smoke size, training mode)", async () => {
  await selectBackend("cpu", { quiet: true });
  const before = tf.memory().numTensors;
  const cpu = run();
  assert(tf.memory().numTensors === before, "cpu run leaked tensors");
  await selectBackend("wasm", { quiet: true });
  const wasm = run();
  const lossDiff = Math.abs(cpu.loss - wasm.loss);
  assert(lossDiff < 1e-5, `loss cpu ${cpu.loss} vs wasm ${wasm.loss}`);
  const le = relErr(wasm.logits, cpu.logits);
  assert(le < 1e-4, `logits max diff / max |logit| = ${le}`);
  let globalMax = 0;
  for (const g of cpu.grads.values()) for (const x of g) globalMax = Math.max(globalMax, Math.abs(x));
  let worst = 0, worstName = "";
  for (const [name, g] of cpu.grads) {
    const e = relErr(wasm.grads.get(name)!, g, 1e-3 * globalMax);
    if (e > worst) [worst, worstName] = [e, name];
  }
  assert(cpu.grads.size > 100);
  if (Deno.env.get("DEBUG_GRADS")) {
    for (const [name, g] of cpu.grads) {
      console.log(name, relErr(wasm.grads.get(name)!, g, 1e-3 * globalMax).toExponential(2));
    }
  }
  assert(worst < 1e-2, `worst gradient mismatch ${worst} at ${worstName}`);
});
