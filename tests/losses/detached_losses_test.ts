// CWC and AFC compute their target-side values off the gradient tape (`detached`, with a
// `zeroGradientLink` keeping stop-gradient semantics). They must give exactly what the
// stop-gradient formulation gives (values and gradients, cpu and wasm backends), and the backward
// pass must no longer differentiate the target side (no Equal kernels from the max/min gradients).
import * as tf from "@tensorflow/tfjs";
import { assert, assertEquals } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { afcLoss, confidenceSets, cwcLoss } from "../../lib/losses/mod.ts";
import { detached, stopGradient, zeroGradientLink } from "../../lib/models/mod.ts";
import { assertClose, randomValues, runOn } from "../backend/backend_compare.ts";

/** cwcLoss as written before (stop-gradient on the target; its downstream ops on the tape). */
function cwcReference(z: tf.Tensor4D, targetLogits: tf.Tensor4D, variant: "source" | "both"): tf.Scalar {
  return tf.tidy(() => {
    const target = stopGradient(targetLogits);
    const sets = confidenceSets(target);
    let positive = sets.positive, negative = sets.negative;
    if (variant === "both") {
      const own = confidenceSets(stopGradient(z));
      positive = tf.mul(positive, own.positive);
      negative = tf.mul(negative, own.negative);
    }
    const logq = tf.logSoftmax(z, -1);
    const y = sets.label;
    const onehot = tf.stack([tf.sub(1, y), y], 3);
    const ce = tf.neg(tf.sum(tf.mul(logq, onehot), 3));
    const q = tf.exp(logq);
    const qOther = tf.sum(tf.mul(q, tf.sub(1, onehot)), 3);
    const negTerm = tf.neg(tf.log(tf.clipByValue(tf.sub(1, qOther), 1e-6, 1)));
    const meanOver = (terms: tf.Tensor, set: tf.Tensor) =>
      tf.div(tf.sum(tf.mul(terms, set)), tf.maximum(tf.sum(set), 1));
    return tf.add(meanOver(tf.mul(sets.maxProb, ce), positive), meanOver(tf.mul(sets.minProb, negTerm), negative));
  });
}

/** afcLoss as written before. */
function afcReference(s: tf.Tensor4D[], t: tf.Tensor4D[]): tf.Scalar {
  return tf.tidy(() => {
    const terms = s.map((si, i) => {
      const ti = stopGradient(t[i]);
      const dot = tf.sum(tf.mul(si, ti), 3);
      const ns = tf.sqrt(tf.maximum(tf.sum(tf.square(si), 3), 1e-12));
      const nt = tf.sqrt(tf.maximum(tf.sum(tf.square(ti), 3), 1e-12));
      return tf.mean(tf.sub(1, tf.div(dot, tf.mul(ns, nt))));
    });
    return tf.mul(0.5, tf.div(tf.addN(terms), terms.length)) as tf.Scalar;
  });
}

const SHAPE: [number, number, number, number] = [2, 6, 5, 2];
const N = 120;

for (const variant of ["source", "both"] as const) {
  Deno.test(`cwcLoss (${variant}) equals the stop-gradient formulation: value and both gradients, cpu and wasm`, async () => {
    const run = (fn: typeof cwcReference) => () => {
      // scaled so that some pixels are confident and some are not
      const z = tf.mul(tf.tensor4d(randomValues(N, 1), SHAPE), 3) as tf.Tensor4D;
      const y = tf.mul(tf.tensor4d(randomValues(N, 2), SHAPE), 4) as tf.Tensor4D;
      const f = (a: tf.Tensor, b: tf.Tensor) => fn(a as tf.Tensor4D, b as tf.Tensor4D, variant);
      const { value, grads } = tf.valueAndGrads(f)([z, y]);
      return [value, ...grads];
    };
    for (const backend of ["cpu", "wasm"] as const) {
      const ref = await runOn(backend, run(cwcReference));
      const got = await runOn(backend, run((z, y, v) => cwcLoss(z, y, { variant: v })));
      for (let i = 0; i < ref.length; i++) assertClose(got[i], ref[i], 0, `${backend} output ${i}`);
      assert(got[2].every((v) => v === 0), "no gradient reaches the target");
      assert(got[1].some((v) => v !== 0), "the input gets a gradient");
    }
    const cpu = await runOn("cpu", run((z, y, v) => cwcLoss(z, y, { variant: v })));
    const wasm = await runOn("wasm", run((z, y, v) => cwcLoss(z, y, { variant: v })));
    for (let i = 0; i < cpu.length; i++) assertClose(wasm[i], cpu[i], 1e-5, `wasm vs cpu output ${i}`);
  });
}

Deno.test("afcLoss equals the stop-gradient formulation: value and both gradients, cpu and wasm", async () => {
  const shapes: [number, number, number, number][] = [[2, 4, 4, 3], [2, 2, 2, 5]];
  const run = (fn: (s: tf.Tensor4D[], t: tf.Tensor4D[]) => tf.Scalar) => () => {
    const xs = shapes.flatMap((sh, k) => [
      tf.tensor4d(randomValues(sh.reduce((a, b) => a * b), 10 + k), sh),
      tf.tensor4d(randomValues(sh.reduce((a, b) => a * b), 20 + k), sh),
    ]);
    const f = (...a: tf.Tensor[]) => fn([a[0], a[2]] as tf.Tensor4D[], [a[1], a[3]] as tf.Tensor4D[]);
    const { value, grads } = tf.valueAndGrads(f)(xs);
    return [value, ...grads];
  };
  for (const backend of ["cpu", "wasm"] as const) {
    const ref = await runOn(backend, run(afcReference));
    const got = await runOn(backend, run((s, t) => afcLoss(s, t)));
    for (let i = 0; i < ref.length; i++) assertClose(got[i], ref[i], 0, `${backend} output ${i}`);
    assert(got[2].every((v) => v === 0) && got[4].every((v) => v === 0), "no gradient reaches the teacher");
  }
});

Deno.test("the backward pass of cwcLoss no longer differentiates the target side", async () => {
  await selectBackend("wasm", { quiet: true });
  const z = tf.mul(tf.tensor4d(randomValues(N, 1), SHAPE), 3) as tf.Tensor4D;
  const y = tf.mul(tf.tensor4d(randomValues(N, 2), SHAPE), 4) as tf.Tensor4D;
  const kernelsOf = async (fn: typeof cwcReference) => {
    const info = await tf.profile(() => {
      // the target is differentiated too (in FGI it comes from the other network, on the tape)
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => fn(a as tf.Tensor4D, b as tf.Tensor4D, "source"))([z, y]);
      tf.dispose(g);
    });
    return info.kernels.map((k) => k.name);
  };
  const before = await kernelsOf(cwcReference);
  const after = await kernelsOf((a, b, v) => cwcLoss(a, b, { variant: v }));
  // Equal only comes from the max/min gradients of the confidence sets
  assert(before.includes("Equal"), "the reference differentiates the confidence sets");
  assertEquals(after.filter((n) => n === "Equal").length, 0);
  assert(after.length < before.length, `${after.length} kernels, before ${before.length}`);
  tf.dispose([z, y]);
});

Deno.test("detached is a constant; zeroGradientLink gives zeros, not an error", () => {
  const x = tf.tensor1d([1, -2, 3]);
  const g = tf.grad((t: tf.Tensor) => tf.add(tf.sum(tf.square(detached(() => tf.mul(t, 2)))), zeroGradientLink([t])))(
    x,
  );
  assertEquals(Array.from(g.dataSync()), [0, 0, 0]);
  const g2 = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(detached(() => t.clone()), t)))(x);
  assertEquals(Array.from(g2.dataSync()), [1, -2, 3]);
  const v = tf.tidy(() => detached(() => tf.mul(x, 2)).dataSync());
  assertEquals(Array.from(v), [2, -4, 6]);
  tf.dispose([x, g, g2]);
});
