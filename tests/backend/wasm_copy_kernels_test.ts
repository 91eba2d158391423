// The wasm data-movement kernels (zero-copy Identity/Cast, Concat, SplitV) against the cpu backend.
import * as tf from "@tensorflow/tfjs";
import { kernelPathStats, selectBackend } from "../../lib/backend/mod.ts";
import { assert, assertEquals } from "../assert.ts";
import { assertClose, randomValues, runOn } from "./backend_compare.ts";

Deno.test("wasm Concat and its gradient (SplitV) match the cpu backend on every axis", async (t) => {
  const shapes: [number, number, number, number][] = [[2, 3, 4, 5], [2, 3, 4, 3]];
  for (const axis of [0, 1, 2, 3, -1]) {
    await t.step(`axis ${axis}`, async () => {
      const ax = axis < 0 ? 4 + axis : axis;
      const a = shapes[0];
      const bshape = a.map((d, i) => (i === ax ? d + 2 : d)) as [number, number, number, number];
      const c = a.map((d, i) => (i === ax ? 1 : d)) as [number, number, number, number];
      const av = randomValues(120, 1), bv = randomValues(bshape.reduce((p, q) => p * q, 1), 2);
      const cv = randomValues(c.reduce((p, q) => p * q, 1), 3);
      const f = () => {
        const xa = tf.tensor4d(av, a), xb = tf.tensor4d(bv, bshape), xc = tf.tensor4d(cv, c);
        const y = tf.concat([xa, xb, xc], axis);
        const r = tf.tensor(randomValues(y.size, 4), y.shape);
        const g = tf.grads((p: tf.Tensor, q: tf.Tensor, s: tf.Tensor) => tf.sum(tf.mul(tf.concat([p, q, s], axis), r)))(
          [xa, xb, xc],
        );
        return [y, ...g];
      };
      const ref = await runOn("cpu", f);
      const got = await runOn("wasm", f);
      for (let i = 0; i < ref.length; i++) assertClose(got[i], ref[i], 0, `output ${i}`);
    });
  }
  await t.step("int32, a zero-sized input, tf.split with sizes", async () => {
    const f = () => {
      const p = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], "int32");
      const q = tf.tensor2d([7, 8], [2, 1], "int32");
      const e = tf.zeros([2, 0], "int32");
      const y = tf.concat([p, e, q], 1);
      const parts = tf.split(tf.tensor2d(randomValues(24, 5), [4, 6]), [1, 2, 3], 1);
      return [tf.cast(y, "float32"), ...parts];
    };
    const ref = await runOn("cpu", f);
    const got = await runOn("wasm", f);
    for (let i = 0; i < ref.length; i++) assertClose(got[i], ref[i], 0, `output ${i}`);
  });
  const s = kernelPathStats();
  assert((s["Concat/gaze"] ?? 0) > 0 && (s["SplitV/gaze"] ?? 0) > 0, JSON.stringify(s));
});

Deno.test("wasm Identity and same-dtype Cast share data but behave as copies", async () => {
  await selectBackend("wasm", { quiet: true });
  const before = tf.memory().numTensors;
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  const z = tf.cast(x, "float32");
  x.dispose();
  assertEquals(Array.from(await y.data()), [1, 2, 3]);
  assertEquals(Array.from(await z.data()), [1, 2, 3]);
  const w = tf.cast(y, "int32"); // a real conversion still goes to the stock kernel
  assertEquals(w.dtype, "int32");
  tf.dispose([y, z, w]);
  assertEquals(tf.memory().numTensors, before);
  const s = kernelPathStats();
  assert((s["Identity/shared"] ?? 0) > 0 && (s["Cast/shared"] ?? 0) > 0, JSON.stringify(s));
});

Deno.test("wasm Slice (rank 1-4, float32 and int32) and its gradient match the cpu backend", async () => {
  const xv = randomValues(3 * 5 * 6 * 4, 11);
  const f = () => {
    const x = tf.tensor4d(xv, [3, 5, 6, 4]);
    const r = tf.tensor(randomValues(2 * 3 * 4 * 1, 12), [2, 3, 4, 1]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.mul(tf.slice(a, [1, 1, 2, 3], [2, 3, 4, 1]), r)))(x);
    return [
      tf.slice(x, [0, 0, 0, 1], [-1, -1, -1, 1]), // one channel
      tf.slice(x, [1, 2, 0, 0], [2, 2, 6, 4]), // whole rows
      tf.slice(tf.reshape(x, [15, 24]), [3, 5], [4, 7]),
      tf.slice(tf.tensor1d(xv), [7], [9]),
      tf.cast(tf.slice(tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], "int32"), [0, 1, 0], [2, 1, 2]), "float32"),
      g,
    ];
  };
  const ref = await runOn("cpu", f);
  const got = await runOn("wasm", f);
  for (let i = 0; i < ref.length; i++) assertClose(got[i], ref[i], 0, `output ${i}`);
  assert((kernelPathStats()["Slice/gaze"] ?? 0) >= 5, JSON.stringify(kernelPathStats()));
});
