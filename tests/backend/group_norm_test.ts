// fusedGroupNorm: the wasm kernels (forward and gradient) against the composite formulation on
// the cpu backend, with and without the fused LeakyReLU, vectorised and scalar channel counts.
import * as tf from "@tensorflow/tfjs";
import { fusedGroupNorm, GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL, selectBackend } from "../../lib/backend/mod.ts";
import { assert, assertThrows } from "../assert.ts";
import { assertClose, assertSameBits, randomValues, runOn, runOnOneAndTwoThreads } from "./backend_compare.ts";

interface GnCase {
  shape: [number, number, number, number];
  groups: number;
  slope?: number;
  offset: number;
}

function gnAndGrads(c: GnCase, seed: number): () => tf.Tensor[] {
  const n = c.shape.reduce((a, b) => a * b, 1);
  const ch = c.shape[3];
  // an offset on x checks the statistics do not lose precision when |mean| >> std
  const xv = randomValues(n, seed).map((v) => v + c.offset);
  const gv = randomValues(ch, seed + 1).map((v) => 1 + 0.5 * v);
  const bv = randomValues(ch, seed + 2);
  const rv = randomValues(n, seed + 3);
  return () => {
    const x = tf.tensor4d(xv, c.shape);
    const g = tf.tensor1d(gv);
    const b = tf.tensor1d(bv);
    const r = tf.tensor4d(rv, c.shape);
    const opts = { groups: c.groups, negativeSlope: c.slope };
    const y = fusedGroupNorm(x, g, b, opts);
    const grads = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(fusedGroupNorm(a as tf.Tensor4D, gg, bb, opts), r))
    )([x, g, b]);
    return [y, ...grads];
  };
}

const CASES: GnCase[] = [
  { shape: [2, 5, 6, 16], groups: 4, slope: 0.1, offset: 0 },
  { shape: [2, 5, 6, 16], groups: 4, offset: 0 },
  { shape: [3, 4, 4, 32], groups: 4, slope: 0, offset: 3 },
  { shape: [2, 3, 5, 6], groups: 3, slope: 0.1, offset: 0 }, // C % 4 != 0: scalar path
  { shape: [1, 9, 9, 8], groups: 1, offset: 50 }, // one group (LayerNorm-like), large mean
];

Deno.test("fusedGroupNorm: wasm kernels match the composite formulation on cpu (values and gradients)", async (t) => {
  for (const [i, c] of CASES.entries()) {
    await t.step(`[${c.shape}] G${c.groups} slope ${c.slope ?? "none"} offset ${c.offset}`, async () => {
      const ref = await runOn("cpu", gnAndGrads(c, 300 + i));
      const got = await runOn("wasm", gnAndGrads(c, 300 + i));
      // the cpu reference computes the variance in float32 (moments); allow for its rounding
      const tol = c.offset > 10 ? 2e-3 : 5e-5;
      assertClose(got[0], ref[0], tol, "y");
      assertClose(got[1], ref[1], tol, "dx");
      assertClose(got[2], ref[2], tol, "dgamma");
      assertClose(got[3], ref[3], tol, "dbeta");
    });
  }
});

Deno.test("fusedGroupNorm: runs as the fused kernel on wasm and checks its arguments", async () => {
  await selectBackend("wasm", { quiet: true });
  assert(tf.getKernel(GROUP_NORM_KERNEL, "wasm") !== undefined, "GazeGroupNorm not registered by selectBackend");
  const before = tf.memory().numTensors;
  const prof = await tf.profile(() => {
    tf.tidy(() => {
      const x = tf.randomNormal([1, 2, 2, 8]) as tf.Tensor4D;
      tf.grad((a: tf.Tensor) => tf.sum(fusedGroupNorm(a as tf.Tensor4D, tf.ones([8]), tf.zeros([8]), { groups: 2 })))(
        x,
      );
    });
  });
  assert(prof.kernelNames.includes(GROUP_NORM_KERNEL), `kernels run: ${prof.kernelNames.join(", ")}`);
  assert(prof.kernelNames.includes(GROUP_NORM_GRAD_KERNEL), `kernels run: ${prof.kernelNames.join(", ")}`);
  assert(tf.memory().numTensors === before, "tensors leaked");
  tf.tidy(() => {
    const x = tf.zeros([1, 2, 2, 6]) as tf.Tensor4D;
    assertThrows(() => fusedGroupNorm(x, tf.ones([6]), tf.zeros([6]), { groups: 4 }), Error, "divisible");
    assertThrows(() => fusedGroupNorm(x, tf.ones([5]), tf.zeros([6]), { groups: 2 }), Error, "gamma");
    assertThrows(() => fusedGroupNorm(x, tf.ones([6]), tf.zeros([6]), { groups: 2, negativeSlope: -1 }), Error, ">= 0");
  });
});

Deno.test("fusedGroupNorm on 2 threads: the same bits as on 1, and the cpu reference", async () => {
  // 5 images (split unevenly between threads) of 32x32x16 = 81,920 elements: above the pool's threshold
  const c: GnCase = { shape: [5, 32, 32, 16], groups: 4, slope: 0.1, offset: 1 };
  const run = gnAndGrads(c, 41);
  const r = await runOnOneAndTwoThreads(run);
  if (!r) return;
  for (const k of [GROUP_NORM_KERNEL, GROUP_NORM_GRAD_KERNEL]) {
    assert(r.taken(`${k}/threads`) > 0, `${k}/threads not taken`);
  }
  const names = ["y", "dx", "dgamma", "dbeta"];
  assertSameBits(r.two, r.one, names);
  const ref = await runOn("cpu", run);
  for (const [j, what] of names.entries()) assertClose(r.two[j], ref[j], 1e-4, what);
});
