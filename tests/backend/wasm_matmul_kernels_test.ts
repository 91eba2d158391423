// The wasm BatchMatMul for small inner sizes against the cpu backend: transposes, batch
// broadcasting, N not a multiple of 4 or 8, and the gradients (which are BatchMatMuls too).
import * as tf from "@tensorflow/tfjs";
import { kernelPathStats } from "../../lib/backend/mod.ts";
import { assert } from "../assert.ts";
import { assertClose, randomValues, runOn } from "./backend_compare.ts";

Deno.test("wasm BatchMatMul (small inner sizes) and its gradients match the cpu backend", async (t) => {
  // (tfjs's BatchMatMul gradient does not reduce broadcast batch dimensions: forward only there)
  const cases: { a: number[]; b: number[]; ta: boolean; tb: boolean; forwardOnly?: boolean }[] = [
    { a: [2, 3, 50, 4], b: [2, 3, 6, 4], ta: false, tb: true }, // attention scores: q k^T
    { a: [2, 3, 50, 6], b: [2, 3, 6, 4], ta: false, tb: false }, // attention x values
    { a: [2, 3, 50, 6], b: [2, 3, 50, 4], ta: true, tb: false }, // a gradient: M = 6, K = 50
    { a: [5, 7, 3], b: [1, 3, 13], ta: false, tb: false, forwardOnly: true }, // b broadcast, N = 13
    { a: [1, 3, 9], b: [4, 17, 3], ta: true, tb: true, forwardOnly: true }, // a broadcast, both transposed
    { a: [40, 20], b: [20, 33], ta: false, tb: false }, // N > 32: stock kernel
  ];
  for (const [i, c] of cases.entries()) {
    await t.step(`${JSON.stringify(c.a)}${c.ta ? "^T" : ""} x ${JSON.stringify(c.b)}${c.tb ? "^T" : ""}`, async () => {
      const av = randomValues(c.a.reduce((p, q) => p * q, 1), 60 + i);
      const bv = randomValues(c.b.reduce((p, q) => p * q, 1), 70 + i);
      const f = () => {
        const a = tf.tensor(av, c.a), b = tf.tensor(bv, c.b);
        const y = tf.matMul(a, b, c.ta, c.tb);
        if (c.forwardOnly) return [y];
        const r = tf.tensor(randomValues(y.size, 80 + i), y.shape);
        return [y, ...tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p, q, c.ta, c.tb), r)))([a, b])];
      };
      const ref = await runOn("cpu", f);
      const got = await runOn("wasm", f);
      for (let j = 0; j < ref.length; j++) assertClose(got[j], ref[j], 2e-5, `output ${j}`);
    });
  }
  assert((kernelPathStats()["BatchMatMul/small"] ?? 0) >= 10, JSON.stringify(kernelPathStats()));
});
