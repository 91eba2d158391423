// 2x2 max-pooling: values and gradients against a brute-force reference (first maximum of the
// window gets the gradient, as in PyTorch), on the cpu and wasm backends; the kernel probe and the
// composite fallback for a backend whose MaxPoolGrad is wrong (like tfjs-backend-wasm 4.22's stock one).
import * as tf from "@tensorflow/tfjs";
import { assert, assertAllClose, assertEquals } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import { maxPool2x2, maxPool2x2Composite, nativeMaxPoolGradIsExact } from "../../lib/models/mod.ts";
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
        for (const pool of [maxPool2x2, maxPool2x2Composite]) {
          const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t as tf.Tensor4D), rt)))(xt).dataSync());
          assertAllClose(g, ref.g, 1e-6, `${pool.name} gradient ${shape}`);
        }
        assertAllClose(y, ref.y, 0, `values ${shape}`);
        tf.dispose([xt, rt]);
      }
    });
  });
}

Deno.test("the MaxPoolGrad probe rejects a wrong kernel, and maxPool2x2 then falls back to the composite gradient", async () => {
  // A copy of the cpu backend whose MaxPoolGrad behaves like tfjs-backend-wasm 4.22's stock kernel
  // on all-negative windows (running maximum starting at 0: such windows get no gradient).
  const name = "cpu-broken-maxpoolgrad";
  if (!tf.findBackendFactory(name)) {
    tf.registerBackend(name, tf.findBackendFactory("cpu")!);
    for (const k of tf.getKernelsForBackend("cpu")) {
      if (k.kernelName === "MaxPoolGrad") continue;
      tf.registerKernel({ ...k, backendName: name });
    }
    tf.registerKernel({
      kernelName: "MaxPoolGrad",
      backendName: name,
      kernelFunc: ({ inputs, backend }) => {
        const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
        const b = backend as unknown as {
          readSync(id: unknown): Float32Array;
          makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo;
        };
        const x = b.readSync(input.dataId), g = b.readSync(dy.dataId);
        const [, H, W, C] = input.shape;
        const out = new Float32Array(x.length);
        for (let i = 0; i < H / 2; i++) {
          for (let j = 0; j < W / 2; j++) {
            for (let c = 0; c < C; c++) {
              let best = 0, at = -1;
              for (const [di, dj] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
                const k = ((2 * i + di) * W + 2 * j + dj) * C + c;
                if (x[k] > best) [best, at] = [x[k], k];
              }
              if (at >= 0) out[at] += g[(i * (W / 2) + j) * C + c];
            }
          }
        }
        return b.makeTensorInfo(input.shape, "float32", out);
      },
    });
  }
  await tf.setBackend(name);
  try {
    assertEquals(nativeMaxPoolGradIsExact(), false);
    const { x, r } = inputs([1, 4, 4, 2], 5);
    x.fill(-1, 0, 8); // an all-negative window
    const ref = reference(x, r, [1, 4, 4, 2]);
    const xt = tf.tensor4d(x, [1, 4, 4, 2]), rt = tf.tensor4d(r, [1, 2, 2, 2]);
    const g = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(maxPool2x2(t as tf.Tensor4D), rt)))(xt).dataSync());
    const raw = tf.tidy(() =>
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, 2, 2, "valid"), rt)))(xt).dataSync()
    );
    tf.dispose([xt, rt]);
    assertAllClose(g, ref.g, 1e-6, "fallback gradient");
    assert(raw.some((v, i) => Math.abs(v - ref.g[i]) > 1e-3), "the broken kernel really is wrong here");
  } finally {
    await selectBackend("cpu", { quiet: true });
  }
  // The real backends pass the probe (so the fast native gradient is used there).
  for (const backend of ["cpu", "wasm"]) {
    await selectBackend(backend, { quiet: true });
    assertEquals(nativeMaxPoolGradIsExact(), true, backend);
  }
});
