// The wasm GatherV2, Pack and Unpack overrides (runs of memory copies, lib/backend/wasm_copy_kernels.ts) against
// the cpu backend: every axis, repeated and permuted indices, 2-D indices, int32 data, and the
// fallback cases (short runs, out-of-range indices).
import * as tf from "@tensorflow/tfjs";
import { kernelPathStats } from "../../lib/backend/mod.ts";
import { assert, assertEquals } from "../assert.ts";
import { assertClose, randomValues, runOn } from "./backend_compare.ts";

Deno.test("wasm GatherV2 matches the cpu backend on every axis (float32 and int32)", async () => {
  const shape: [number, number, number, number] = [8, 16, 6, 3];
  const n = shape.reduce((a, b) => a * b);
  const before = kernelPathStats()["GatherV2/gaze"] ?? 0;
  for (const axis of [0, 1, 2, 3, -4]) {
    const dim = shape[axis < 0 ? 4 + axis : axis];
    const idx = [dim - 1, 0, 1, 1, Math.floor(dim / 2)];
    const f = () => {
      const x = tf.tensor4d(randomValues(n, 5), shape);
      const xi = tf.tensor4d(Int32Array.from({ length: n }, (_, i) => (i * 7919) % 1000 - 500), shape, "int32");
      const i1 = tf.tensor1d(idx, "int32");
      const i2 = tf.tensor2d([idx.slice(0, 2), idx.slice(2, 4)], [2, 2], "int32");
      return [tf.gather(x, i1, axis), tf.gather(x, i2, axis), tf.cast(tf.gather(xi, i1, axis), "float32")];
    };
    const ref = await runOn("cpu", f);
    const got = await runOn("wasm", f);
    for (let i = 0; i < ref.length; i++) assertClose(got[i], ref[i], 0, `axis ${axis} output ${i}`);
  }
  // axes 0, -4 (run 288) and 1 (run 18) copy runs; axes 2 and 3 (runs of 3 and 1) fall back
  assert((kernelPathStats()["GatherV2/gaze"] ?? 0) - before >= 3 * 3, JSON.stringify(kernelPathStats()));
});

Deno.test("wasm GatherV2 falls back for a batch permutation of tiny rows and for out-of-range indices", async () => {
  const got = await runOn(
    "wasm",
    () => [tf.gather(tf.tensor2d([[1, 2], [3, 4], [5, 6]]), tf.tensor1d([2, 0], "int32"))],
  );
  assertEquals(Array.from(got[0]), [5, 6, 1, 2]);
  const before = kernelPathStats()["GatherV2/fallback"] ?? 0;
  await runOn("wasm", () => {
    try {
      return [tf.gather(tf.ones([3, 32]), tf.tensor1d([0, 3], "int32"))];
    } catch {
      return [tf.zeros([1])];
    }
  });
  assert((kernelPathStats()["GatherV2/fallback"] ?? 0) - before >= 1, "out-of-range indices use the stock kernel");
});

Deno.test("wasm Pack and Unpack (and their gradients) match the cpu backend on every axis", async () => {
  const shape: [number, number, number] = [2, 3, 4];
  const before = kernelPathStats();
  for (const axis of [0, 1, 2, 3, -1]) {
    const f = () => {
      const xs = [0, 1, 2].map((k) => tf.tensor3d(randomValues(24, 30 + k), shape));
      const y = tf.stack(xs, axis);
      const r = tf.tensor(randomValues(y.size, 40), y.shape);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(tf.stack([a, b, c], axis), r)))(
        xs,
      );
      const parts = tf.unstack(y, axis < 0 ? 4 + axis : axis);
      const ints = tf.cast(tf.stack([tf.tensor1d([1, 2], "int32"), tf.tensor1d([3, 4], "int32")], 1), "float32");
      return [y, ...g, ...parts, ints];
    };
    const ref = await runOn("cpu", f);
    const got = await runOn("wasm", f);
    assertEquals(got.length, ref.length);
    for (let i = 0; i < ref.length; i++) assertClose(got[i], ref[i], 0, `axis ${axis} output ${i}`);
  }
  const after = kernelPathStats();
  assert((after["Pack/gaze"] ?? 0) - (before["Pack/gaze"] ?? 0) >= 10, JSON.stringify(after));
  assert((after["Unpack/gaze"] ?? 0) - (before["Unpack/gaze"] ?? 0) >= 10, JSON.stringify(after));
});
