// FusedConv2D with a per-channel bias on the toolkit's wasm kernel (lib/backend/wasm_conv_kernels.ts)
// and the models' conv2d that uses it: forward values and the x, filter and bias gradients are
// BIT-IDENTICAL to conv2d followed by add (the formulation it replaces) on wasm and on cpu, and
// match the cpu backend; activations and PReLU still go to the stock kernel.
import * as tf from "@tensorflow/tfjs";
import { kernelPathStats, selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import { conv2d, initConv2d } from "../../lib/models/conv.ts";
import type { ParamStore } from "../../lib/models/types.ts";
import { assert, assertEquals } from "../assert.ts";
import { assertClose, randomValues, runOn } from "./backend_compare.ts";

interface Case {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: "same" | "valid";
}

/** y and the gradients of sum(y * r) w.r.t. x, filter and bias; fused or conv2d + add. */
function convBias(c: Case, seed: number, fused: boolean): () => tf.Tensor[] {
  const xv = randomValues(c.b * c.h * c.w * c.ci, seed);
  const wv = randomValues(c.k * c.k * c.ci * c.co, seed + 1);
  const bv = randomValues(c.co, seed + 2);
  return () => {
    const x = tf.tensor4d(xv, [c.b, c.h, c.w, c.ci]);
    const w = tf.tensor4d(wv, [c.k, c.k, c.ci, c.co]);
    const bias = tf.tensor1d(bv);
    const f = (a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
      fused
        ? tf.fused.conv2d({ x: a as tf.Tensor4D, filter: k as tf.Tensor4D, strides: c.s, pad: c.pad, bias: b })
        : tf.add(tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, c.s, c.pad), b);
    const y = f(x, w, bias);
    const r = tf.tensor(randomValues(y.size, seed + 3), y.shape);
    const grads = tf.grads((a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, k, b), r)))([x, w, bias]);
    return [y, ...grads];
  };
}

const CASES: Case[] = [
  { b: 2, h: 7, w: 10, ci: 5, co: 11, k: 3, s: 1, pad: "same" }, // im2col, odd channel count (scalar bias add)
  { b: 2, h: 33, w: 40, ci: 5, co: 8, k: 3, s: 1, pad: "same" }, // virtual rows, SIMD bias add
  { b: 2, h: 12, w: 12, ci: 8, co: 1, k: 1, s: 1, pad: "same" }, // 1x1 head, one channel
  { b: 2, h: 9, w: 8, ci: 4, co: 6, k: 3, s: 2, pad: "valid" },
];
const OUTS = ["y", "dx", "dw", "dbias"];

Deno.test("FusedConv2D + bias: values and gradients bit-identical to conv2d + add (wasm, cpu) and close to cpu", async (t) => {
  await selectBackend("wasm", { quiet: true });
  const before = kernelPathStats()["FusedConv2D/bias"] ?? 0;
  for (const [i, c] of CASES.entries()) {
    await t.step(`k${c.k} s${c.s} ${c.pad} ${c.h}x${c.w} ${c.ci}->${c.co}`, async () => {
      const cpuRef = await runOn("cpu", convBias(c, 10 * i, false));
      for (const backend of ["wasm", "cpu"] as const) {
        const ref = await runOn(backend, convBias(c, 10 * i, false));
        const got = await runOn(backend, convBias(c, 10 * i, true));
        for (let j = 0; j < OUTS.length; j++) assertClose(got[j], ref[j], 0, `${backend} ${OUTS[j]} vs conv2d + add`);
        for (let j = 0; j < OUTS.length; j++) assertClose(got[j], cpuRef[j], 2e-5, `${backend} ${OUTS[j]} vs cpu`);
      }
    });
  }
  assert((kernelPathStats()["FusedConv2D/bias"] ?? 0) - before >= 2 * CASES.length, "the toolkit kernel was not used");
});

Deno.test("models conv2d (with and without bias) equals conv2d + add bit for bit, with the same parameter gradients", async () => {
  const run = (fused: boolean) => () => {
    const store: ParamStore = { trainable: new Map(), state: new Map(), layout: new Map() };
    initConv2d(store, "a", { inChannels: 4, outChannels: 8, kernelSize: 3, rng: new Rng(1) });
    initConv2d(store, "b", { inChannels: 8, outChannels: 1, kernelSize: 1, rng: new Rng(2), bias: false });
    const x = tf.tensor4d(randomValues(2 * 20 * 20 * 4, 5), [2, 20, 20, 4]);
    const vars = ["a.weight", "a.bias", "b.weight"].map((n) => store.trainable.get(n)!);
    const loss = () =>
      tf.sum(
        fused ? conv2d(conv2d(x, { store, name: "a" }), { store, name: "b" }) : tf.conv2d(
          tf.add(tf.conv2d(x, vars[0] as tf.Tensor4D, 1, "same"), vars[1]) as tf.Tensor4D,
          vars[2] as tf.Tensor4D,
          1,
          "same",
        ),
      ) as tf.Scalar;
    const { value, grads } = tf.variableGrads(loss, vars);
    const out = [value, ...vars.map((v) => grads[v.name])];
    tf.dispose(vars);
    return out;
  };
  for (const backend of ["wasm", "cpu"] as const) {
    const ref = await runOn(backend, run(false));
    const got = await runOn(backend, run(true));
    assertEquals(got.length, 4);
    for (let j = 0; j < ref.length; j++) assertClose(got[j], ref[j], 0, `${backend} output ${j}`);
  }
});

Deno.test("FusedConv2D with an activation still runs the stock wasm kernel", async () => {
  await selectBackend("wasm", { quiet: true });
  const before = kernelPathStats()["FusedConv2D/fallback"] ?? 0;
  const got = tf.tidy(() => {
    const x = tf.tensor4d(randomValues(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]);
    const w = tf.tensor4d(randomValues(27 * 4, 2), [3, 3, 3, 4]);
    const bias = tf.tensor1d(randomValues(4, 3));
    const y = tf.fused.conv2d({ x, filter: w, strides: 1, pad: "same", bias, activation: "relu" });
    const ref = tf.relu(tf.add(tf.conv2d(x, w, 1, "same"), bias));
    return tf.max(tf.abs(tf.sub(y, ref))).dataSync()[0];
  });
  assert(got < 1e-5, `relu fused conv differs by ${got}`);
  assertEquals((kernelPathStats()["FusedConv2D/fallback"] ?? 0) - before, 1);
});
