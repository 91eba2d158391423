// GazeMedSeg feature propagation on the wasm kernels (GazeFeatureProp, GazeFeaturePropGrad)
// against the composite form on the cpu backend: values, the gradient, and the affinities' sum.
import * as tf from "@tensorflow/tfjs";
import { FEATURE_PROP_KERNEL, selectBackend } from "../../lib/backend/mod.ts";
import { featurePropagation } from "../../lib/models/mod.ts";
import { assert } from "../assert.ts";
import { assertClose, randomValues, runOn } from "./backend_compare.ts";

interface Case {
  b: number;
  h: number;
  w: number;
  c: number;
  k: number;
  dil: number;
  scale: number;
}

// 3 and 9 channels: the 4-lane loops' tails; a 3x7 image smaller than the 9x9 window; scale 3:
// large correlations, so the softmax is far from uniform and relu cuts many
const CASES: Case[] = [
  { b: 2, h: 6, w: 7, c: 8, k: 5, dil: 2, scale: 1 },
  { b: 1, h: 5, w: 6, c: 3, k: 5, dil: 2, scale: 3 },
  { b: 2, h: 3, w: 7, c: 9, k: 3, dil: 1, scale: 1 },
  { b: 1, h: 12, w: 10, c: 4, k: 5, dil: 2, scale: 3 },
];

function propAndGrad(c: Case, seed: number): () => tf.Tensor[] {
  const fv = randomValues(c.b * c.h * c.w * c.c, seed).map((v) => v * c.scale);
  const rv = randomValues(c.b * c.h * c.w * c.c, seed + 1);
  return () => {
    const f = tf.tensor4d(fv, [c.b, c.h, c.w, c.c]);
    const r = tf.tensor4d(rv, [c.b, c.h, c.w, c.c]);
    const prop = (x: tf.Tensor) => featurePropagation(x as tf.Tensor4D, { kernelSize: c.k, dilation: c.dil });
    const y = prop(f);
    const df = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(prop(x), r)))(f);
    return [y, df];
  };
}

Deno.test("feature propagation: the wasm kernels match the cpu composite in value and gradient", async (t) => {
  for (const [i, c] of CASES.entries()) {
    await t.step(`b${c.b} ${c.h}x${c.w}x${c.c} k${c.k} dilation ${c.dil} scale ${c.scale}`, async () => {
      const ref = await runOn("cpu", propAndGrad(c, 40 + i));
      const got = await runOn("wasm", propAndGrad(c, 40 + i));
      assert(tf.getKernel(FEATURE_PROP_KERNEL, "wasm") !== undefined, "GazeFeatureProp not registered on wasm");
      assertClose(got[0], ref[0], 2e-5, "value");
      assertClose(got[1], ref[1], 2e-5, "gradient");
    });
  }
});

Deno.test("GazeFeatureProp: affinities sum to 1 per pixel and correlations are the neighbour dot products", async () => {
  await selectBackend("wasm", { quiet: true });
  const [B, H, W, C] = [1, 4, 5, 2];
  const fv = randomValues(B * H * W * C, 9);
  tf.tidy(() => {
    const f = tf.tensor4d(fv, [B, H, W, C]);
    const [, a, corr] = tf.engine().runKernel(FEATURE_PROP_KERNEL, { f }, {
      kernelSize: 3,
      dilation: 1,
    }) as tf.Tensor[];
    const av = a.dataSync(), cv = corr.dataSync();
    for (let p = 0; p < H * W; p++) {
      let s = 0;
      for (let n = 0; n < 9; n++) s += av[p * 9 + n];
      assert(Math.abs(s - 1) < 1e-6, `pixel ${p}: affinities sum to ${s}`);
      const y = Math.floor(p / W), x = p % W;
      for (let n = 0; n < 9; n++) {
        const yy = y + Math.floor(n / 3) - 1, xx = x + (n % 3) - 1;
        const inside = yy >= 0 && xx >= 0 && yy < H && xx < W;
        const q = yy * W + xx;
        const want = inside ? fv[p * C] * fv[q * C] + fv[p * C + 1] * fv[q * C + 1] : 0;
        assert(Math.abs(cv[p * 9 + n] - want) < 1e-6, `pixel ${p} neighbour ${n}: corr ${cv[p * 9 + n]} vs ${want}`);
      }
    }
  });
});
