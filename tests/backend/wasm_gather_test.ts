// The wasm GatherV2 override (runs of memory copies, lib/backend/wasm_copy_kernels.ts) against
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
