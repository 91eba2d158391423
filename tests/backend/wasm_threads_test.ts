// The threaded paths of the wasm conv kernels (a worker pool on a shared heap) against the cpu
// backend, on shapes above the size at which kernels use the pool.
import * as tf from "@tensorflow/tfjs";
import { kernelPathStats, setWasmThreads, stopWasmThreads, wasmThreadPool } from "../../lib/backend/mod.ts";
import { assert, assertThrows } from "../assert.ts";
import { assertClose, type ConvCase, randomValues, runOn } from "./backend_compare.ts";

/** The stride-1 convolution cases of this file (stride is fixed at 1 here). */
type Case = Omit<ConvCase, "s">;

function convAndGrads(c: Case, seed: number): () => tf.Tensor[] {
  const xv = randomValues(c.b * c.h * c.w * c.ci, seed);
  const wv = randomValues(c.k * c.k * c.ci * c.co, seed + 1);
  return () => {
    const x = tf.tensor4d(xv, [c.b, c.h, c.w, c.ci]);
    const w = tf.tensor4d(wv, [c.k, c.k, c.ci, c.co]);
    const f = (a: tf.Tensor, k: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, 1, c.pad);
    const y = f(x, w);
    const r = tf.tensor(randomValues(y.size, seed + 2), y.shape);
    return [y, ...tf.grads((a: tf.Tensor, k: tf.Tensor) => tf.sum(tf.mul(f(a, k), r)))([x, w])];
  };
}

Deno.test("wasm conv kernels on 2 threads match the cpu backend", async (t) => {
  setWasmThreads(2);
  try {
    const before = kernelPathStats();
    const cases: Case[] = [
      { b: 2, h: 24, w: 24, ci: 16, co: 32, k: 3, pad: "same" },
      { b: 3, h: 24, w: 21, ci: 20, co: 24, k: 3, pad: "valid" }, // 3 column panels: uneven split
      { b: 4, h: 64, w: 64, ci: 12, co: 40, k: 1, pad: "same" },
    ];
    for (const [i, c] of cases.entries()) {
      await t.step(`b${c.b} ${c.h}x${c.w} ${c.ci}->${c.co} k${c.k} ${c.pad}`, async () => {
        const ref = await runOn("cpu", convAndGrads(c, 500 + i));
        const got = await runOn("wasm", convAndGrads(c, 500 + i));
        assertClose(got[0], ref[0], 2e-5, "y");
        assertClose(got[1], ref[1], 2e-5, "dx");
        assertClose(got[2], ref[2], 2e-5, "dw");
      });
    }
    if (wasmThreadPool()) {
      const after = kernelPathStats();
      for (const k of ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"]) {
        const n = (after[`${k}/s1-threads`] ?? 0) - (before[`${k}/s1-threads`] ?? 0);
        assert(n >= 3, `${k}: threaded path taken ${n} times`);
      }
    } else {
      console.error("skipped the threaded-path check: the wasm thread pool could not start here");
    }
  } finally {
    setWasmThreads(1);
    stopWasmThreads();
  }
});

Deno.test("setWasmThreads rejects bad counts", () => {
  assertThrows(() => setWasmThreads(-1), Error, "whole number");
  assertThrows(() => setWasmThreads(1.5), Error, "whole number");
});
