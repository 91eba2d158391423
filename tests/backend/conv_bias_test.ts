// conv2dBias and conv2dTransposeBias (lib/backend/conv_bias.ts): on wasm one kernel each whose values
// and x, filter and bias gradients are BIT-IDENTICAL to the composites they replace (conv2d + add,
// conv2dTranspose + add) and close to the cpu backend; gradients are lazy (no input gradient for a
// constant input such as an image); the models' conv2d equals the composite bit for bit.
import * as tf from "@tensorflow/tfjs";
import {
  conv2dBias,
  conv2dTransposeBias,
  CONV_BIAS_KERNEL,
  CONV_TRANSPOSE_BIAS_KERNEL,
  selectBackend,
} from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import { conv2d, initConv2d } from "../../lib/models/conv.ts";
import type { ParamStore } from "../../lib/models/types.ts";
import { assertEquals } from "../assert.ts";
import { assertClose, type ConvCase, randomValues, runOn } from "./backend_compare.ts";

type Case = ConvCase;

const OUTS = ["y", "dx", "dw", "dbias"];
const name = (c: Case) => `k${c.k} s${c.s} ${c.pad} ${c.h}x${c.w} ${c.ci}->${c.co}`;

/** Count the calls of some wasm kernels while `fn` runs. */
async function counting<T>(
  names: string[],
  fn: () => Promise<T>,
): Promise<{ result: T; calls: Record<string, number> }> {
  await selectBackend("wasm", { quiet: true });
  const calls: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  const saved = names.map((n) => tf.getKernel(n, "wasm")!);
  for (const k of saved) {
    tf.unregisterKernel(k.kernelName, "wasm");
    tf.registerKernel({ ...k, kernelFunc: (a) => (calls[k.kernelName]++, k.kernelFunc(a)) });
  }
  try {
    return { result: await fn(), calls };
  } finally {
    for (const k of saved) {
      tf.unregisterKernel(k.kernelName, "wasm");
      tf.registerKernel(k);
    }
  }
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
        ? conv2dBias(a as tf.Tensor4D, k as tf.Tensor4D, b, { strides: c.s, pad: c.pad })
        : tf.add(tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, c.s, c.pad), b);
    const y = f(x, w, bias);
    const r = tf.tensor(randomValues(y.size, seed + 3), y.shape);
    const grads = tf.grads((a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, k, b), r)))([x, w, bias]);
    return [y, ...grads];
  };
}

/** The same for a transposed conv (c.ci: channels of the input, c.co: of the output; filter [k, k, co, ci]). */
function convTransposeBias(c: Case, seed: number, fused: boolean): () => tf.Tensor[] {
  const oh = c.pad === "same" ? c.h * c.s : (c.h - 1) * c.s + c.k;
  const ow = c.pad === "same" ? c.w * c.s : (c.w - 1) * c.s + c.k;
  const shape: [number, number, number, number] = [c.b, oh, ow, c.co];
  const xv = randomValues(c.b * c.h * c.w * c.ci, seed);
  const wv = randomValues(c.k * c.k * c.co * c.ci, seed + 1);
  const bv = randomValues(c.co, seed + 2);
  const rv = randomValues(c.b * oh * ow * c.co, seed + 3);
  return () => {
    const x = tf.tensor4d(xv, [c.b, c.h, c.w, c.ci]);
    const w = tf.tensor4d(wv, [c.k, c.k, c.co, c.ci]);
    const bias = tf.tensor1d(bv);
    const f = (a: tf.Tensor, k: tf.Tensor, b: tf.Tensor) =>
      fused
        ? conv2dTransposeBias(a as tf.Tensor4D, k as tf.Tensor4D, b, shape, { strides: c.s, pad: c.pad })
        : tf.add(tf.conv2dTranspose(a as tf.Tensor4D, k as tf.Tensor4D, shape, c.s, c.pad), b);
    const y = f(x, w, bias);
    const r = tf.tensor4d(rv, shape);
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
const TCASES: Case[] = [
  { b: 2, h: 8, w: 8, ci: 16, co: 8, k: 2, s: 2, pad: "valid" }, // the UNet up-sampling
  { b: 2, h: 5, w: 6, ci: 7, co: 9, k: 2, s: 2, pad: "valid" }, // odd channel counts
  { b: 2, h: 5, w: 6, ci: 7, co: 9, k: 3, s: 1, pad: "same" },
];

for (
  const [label, kernel, cases, make] of [
    ["conv2dBias", CONV_BIAS_KERNEL, CASES, convBias],
    ["conv2dTransposeBias", CONV_TRANSPOSE_BIAS_KERNEL, TCASES, convTransposeBias],
  ] as const
) {
  Deno.test(`${label}: values and gradients bit-identical to the composite on wasm, close to cpu`, async (t) => {
    const { calls } = await counting([kernel], async () => {
      for (const [i, c] of cases.entries()) {
        await t.step(name(c), async () => {
          const cpuRef = await runOn("cpu", make(c, 10 * i, false));
          const cpuGot = await runOn("cpu", make(c, 10 * i, true)); // the composite there
          const ref = await runOn("wasm", make(c, 10 * i, false));
          const got = await runOn("wasm", make(c, 10 * i, true));
          for (let j = 0; j < OUTS.length; j++) {
            assertClose(got[j], ref[j], 0, `wasm ${OUTS[j]} vs the composite`);
            assertClose(cpuGot[j], cpuRef[j], 0, `cpu ${OUTS[j]} vs the composite`);
            assertClose(got[j], cpuRef[j], 2e-5, `wasm ${OUTS[j]} vs cpu`);
          }
        });
      }
    });
    // once in the forward pass and once in the gradient's forward pass, per case
    assertEquals(calls[kernel], 2 * cases.length, "the fused kernel runs on wasm");
  });
}

Deno.test("conv2dBias gradients are lazy: no input gradient for a constant input (an image)", async () => {
  const { calls } = await counting(["Conv2DBackpropInput", "Conv2DBackpropFilter", "Sum"], () => {
    const x = tf.tensor4d(randomValues(2 * 16 * 16 * 3, 1), [2, 16, 16, 3]);
    const w = tf.variable(tf.tensor4d(randomValues(27 * 8, 2), [3, 3, 3, 8]));
    const b = tf.variable(tf.tensor1d(randomValues(8, 3)));
    const { value, grads } = tf.variableGrads(() => tf.sum(conv2dBias(x, w, b, { strides: 1, pad: "same" })), [w, b]);
    tf.dispose([value, ...Object.values(grads), x, w, b]);
    return Promise.resolve();
  });
  assertEquals(calls, { Conv2DBackpropInput: 0, Conv2DBackpropFilter: 1, Sum: 2 }); // Sum: the loss and the bias
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
