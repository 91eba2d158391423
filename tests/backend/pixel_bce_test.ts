// The fused per-pixel BCE kernels (lib/backend/pixel_bce.ts) against the tf-op formulation of the
// losses: values and every gradient, on the cpu and wasm backends; the rounding of targets, the
// all-ignored case, the gradient at d = 0, and errors.
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { kernelPathStats, PIXEL_BCE_KERNEL, pixelBce, usePixelBceKernel } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import { bceWithLogits, partialCrossEntropy } from "../../lib/losses/mod.ts";
import { assertClose, evalWithEnv, runOn } from "./backend_compare.ts";

/** Values of a logits tensor [2, 3, 5, k]: normals, so no logit is 0. */
function normals(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal() * 2);
}

const B = 2, H = 3, W = 5, N = B * H * W;
/** Partial-CE targets, with halves (rounded to even: 0.5 -> 0, 1.5 -> 2, 2.5 -> 2, -0.5 -> 0). */
const PARTIAL_TARGETS = Float32Array.from({ length: N }, (_, i) => [0, 1, 0.5, 1.5, 2.5, -0.5, 1, 0][i % 8]);
const SOFT_TARGETS = Float32Array.from({ length: N }, (_, i) => (i * 7 % 11) / 10);
const IGNORE = Float32Array.from({ length: N }, (_, i) => (i % 3 === 0 ? 1 : 0));

interface Case {
  name: string;
  k: number;
  loss: (z: tf.Tensor4D, t: tf.Tensor, ig: tf.Tensor) => tf.Scalar;
  target: Float32Array;
  ignore?: Float32Array;
}

const CASES: Case[] = [
  { name: "bce, one channel", k: 1, loss: (z, t) => bceWithLogits(z, t), target: SOFT_TARGETS },
  { name: "bce, channel 1 of 3", k: 3, loss: (z, t) => bceWithLogits(z, t, { channel: 1 }), target: SOFT_TARGETS },
  {
    name: "partial, one channel",
    k: 1,
    loss: (z, t, ig) => partialCrossEntropy(z, t, { ignore: ig }),
    target: PARTIAL_TARGETS,
    ignore: IGNORE,
  },
  {
    name: "partial, two channels",
    k: 2,
    loss: (z, t, ig) => partialCrossEntropy(z, t, { ignore: ig }),
    target: PARTIAL_TARGETS,
    ignore: IGNORE,
  },
  {
    name: "partial, every pixel ignored",
    k: 2,
    loss: (z, t, ig) => partialCrossEntropy(z, t, { ignore: ig }),
    target: PARTIAL_TARGETS,
    ignore: new Float32Array(N).fill(1),
  },
];

/** The loss and its gradients for logits, target and ignore map, with the kernel on or off. */
function lossAndGrads(c: Case, fused: boolean, seed: number): () => tf.Tensor[] {
  return () => {
    usePixelBceKernel(fused);
    try {
      const z = tf.tensor4d(normals(N * c.k, seed), [B, H, W, c.k]);
      const t = tf.tensor3d(c.target, [B, H, W]);
      // bce has no ignore map (a gradient for an unused input is an error in tf.grads)
      const args = c.ignore ? [z, t, tf.tensor3d(c.ignore, [B, H, W])] : [z, t];
      const { value, grads } = tf.valueAndGrads((zz, tt, ii) => c.loss(zz as tf.Tensor4D, tt, ii))(args);
      return [value, ...grads];
    } finally {
      usePixelBceKernel(true);
    }
  };
}

Deno.test("pixelBce: the losses' values and gradients (logits, target, ignore) as the tf-op chain, cpu and wasm", async (t) => {
  for (const [i, c] of CASES.entries()) {
    await t.step(c.name, async () => {
      // the reference: the tf-op chain on the cpu backend (its tf.round rounds halves to even)
      const ref = await runOn("cpu", lossAndGrads(c, false, 10 + i));
      for (const backend of ["cpu", "wasm"] as const) {
        const before = kernelPathStats()[PIXEL_BCE_KERNEL] ?? 0;
        const got = await runOn(backend, lossAndGrads(c, true, 10 + i));
        assert((kernelPathStats()[PIXEL_BCE_KERNEL] ?? 0) > before, `${backend}: the fused kernel did not run`);
        assertEquals(got.length, c.ignore ? 4 : 3);
        for (const [j, what] of ["loss", "d logits", "d target", "d ignore"].slice(0, got.length).entries()) {
          assertClose(got[j], ref[j], 2e-6, `${c.name}, ${backend}: ${what}`);
        }
      }
    });
  }
  await t.step("off, the losses take the tf ops", async () => {
    const before = kernelPathStats()[PIXEL_BCE_KERNEL] ?? 0;
    await runOn("wasm", lossAndGrads(CASES[3], false, 13));
    assertEquals(kernelPathStats()[PIXEL_BCE_KERNEL] ?? 0, before);
  });
});

Deno.test("pixelBce: hand-worked values, the derivative 0.5 - y at d = 0, and errors", async () => {
  await runOn("cpu", () => {
    // d = 0 (y = 1) and d = 2 (y = 0): loss (log 2 + log(1 + e^2)) / 2; dz = (0.5 - 1, sigmoid(2)) / 2
    const z = tf.tensor4d([0, 2], [1, 1, 2, 1]);
    const y = tf.tensor3d([1, 0], [1, 1, 2]);
    const { value, grads } = tf.valueAndGrads((zz) => pixelBce(zz as tf.Tensor4D, y))([z]);
    assertAlmostEquals(value.dataSync()[0], (Math.LN2 + Math.log(1 + Math.exp(2))) / 2, 1e-6);
    const dz = grads[0].dataSync();
    assertAlmostEquals(dz[0], (0.5 - 1) / 2, 1e-7);
    assertAlmostEquals(dz[1], 1 / (1 + Math.exp(-2)) / 2, 1e-7);
    assertThrows(() => pixelBce(z, y, { mode: "partial" }), Error, "needs an ignore map");
    assertThrows(
      () => pixelBce(tf.zeros([1, 1, 2, 3]) as tf.Tensor4D, y, { mode: "partial", ignore: tf.zerosLike(y) }),
      Error,
      "K = 1 or 2",
    );
    assertThrows(() => pixelBce(z, tf.zeros([1, 2, 1]) as tf.Tensor3D), Error, "[B, H, W] target");
    return [];
  });
});

Deno.test("GAZE_FUSED_LOSSES: 0 makes the losses take the tf ops at load, 1 or unset the kernel, other values are refused", async () => {
  const url = new URL("../../lib/backend/mod.ts", import.meta.url).href;
  const run = (value: string | undefined) =>
    evalWithEnv(
      `import { pixelBceKernelAvailable, selectBackend } from ${JSON.stringify(url)};
       await selectBackend("cpu", { quiet: true }); console.log(pixelBceKernelAvailable());`,
      { GAZE_FUSED_LOSSES: value },
    );
  assertEquals((await run(undefined)).out, "true");
  assertEquals((await run("1")).out, "true");
  assertEquals((await run("0")).out, "false");
  const bad = await run("yes");
  assert(!bad.ok && bad.err.includes("GAZE_FUSED_LOSSES must be 0 or 1"), bad.err);
});
