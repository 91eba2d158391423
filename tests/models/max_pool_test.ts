// 2x2 max-pooling: values and gradients against a brute-force reference (first maximum of the
// window gets the gradient, as in PyTorch), on the cpu and wasm backends; and the reason the
// toolkit has its own gradient: tfjs-backend-wasm's MaxPoolGrad disagrees with the reference.
import * as tf from "@tensorflow/tfjs";
import { assert, assertAllClose, assertEquals } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import { maxPool2x2 } from "../../lib/models/mod.ts";
import { noLeak } from "./grad_check.ts";

/** Pooled values and the gradient of sum(pool(x) * r), by loops; ties go to the first maximum. */
function reference(x: Float32Array, r: Float32Array, [B, H, W, C]: number[]) {
  const y = new Float32Array(r.length), g = new Float32Array(x.length);
  for (let b = 0; b < B; b++) {
    for (let i = 0; i < H / 2; i++) {
      for (let j = 0; j < W / 2; j++) {
        for (let c = 0; c < C; c++) {
          let best = -Infinity, at = -1;
          for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
            const k = ((b * H + 2 * i + di) * W + 2 * j + dj) * C + c;
            if (x[k] > best) [best, at] = [x[k], k];
          }
          const o = ((b * (H / 2) + i) * (W / 2) + j) * C + c;
          y[o] = best;
          g[at] += r[o];
        }
      }
    }
  }
  return { y, g };
}

function inputs(shape: number[], seed: number) {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  // Values on a coarse grid, so that windows contain ties, plus a constant (all-tied) patch.
  const x = Float32Array.from({ length: n }, () => rng.int(-3, 3) / 2);
  x.fill(0.25, 0, Math.min(n, 4 * shape[3] * 2));
  const r = Float32Array.from({ length: n / 4 }, () => rng.normal());
  return { x, r };
}

for (const backend of ["cpu", "wasm"]) {
  Deno.test(`maxPool2x2 values and first-maximum gradients match the reference (${backend})`, async () => {
    await selectBackend(backend, { quiet: true });
    await noLeak("maxPool2x2", () => {
      for (const [shape, seed] of [[[1, 4, 4, 1], 1], [[2, 6, 8, 3], 2]] as [number[], number][]) {
        const { x, r } = inputs(shape, seed);
        const ref = reference(x, r, shape);
        const xt = tf.tensor4d(x, shape as [number, number, number, number]);
        const rt = tf.tensor(r, [shape[0], shape[1] / 2, shape[2] / 2, shape[3]]);
        const y = tf.tidy(() => maxPool2x2(xt).dataSync());
        const g = tf.tidy(() =>
          tf.grad((t: tf.Tensor) => tf.sum(tf.mul(maxPool2x2(t as tf.Tensor4D), rt)))(xt).dataSync()
        );
        assertAllClose(y, ref.y, 0, `values ${shape}`);
        assertAllClose(g, ref.g, 1e-6, `gradient ${shape}`);
        tf.dispose([xt, rt]);
      }
    });
  });
}

Deno.test("tfjs-backend-wasm's MaxPoolGrad is wrong on all-negative windows (why maxPool2x2 exists)", async () => {
  await selectBackend("wasm", { quiet: true });
  const rng = new Rng(7);
  const shape = [1, 4, 4, 1];
  // All-negative windows (common after LeakyReLU): the wasm kernel loses or misroutes their gradient.
  const x = Float32Array.from({ length: 16 }, () => -0.1 - Math.abs(rng.normal())); // no ties
  const r = Float32Array.from({ length: 4 }, () => rng.normal());
  const ref = reference(x, r, shape);
  const xt = tf.tensor4d(x, [1, 4, 4, 1]), rt = tf.tensor4d(r, [1, 2, 2, 1]);
  const g = tf.tidy(() =>
    tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, "valid"), rt)))(xt).dataSync()
  );
  tf.dispose([xt, rt]);
  const err = Math.max(...Array.from(g, (v, i) => Math.abs(v - ref.g[i])));
  // If this fails, tfjs fixed the kernel and maxPool2x2 could go back to tf.maxPool's gradient.
  assert(err > 1e-3, `wasm MaxPoolGrad now agrees with the reference (max err ${err})`);
  assertEquals(g.length, 16);
});
