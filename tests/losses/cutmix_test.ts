// CWC helpers: uniform noise, the CutMix box rules and the pasting of one box into image and target.
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import { addUniformNoise, applyCutMix, cutMixBoxAt, drawCutMixBox } from "../../lib/losses/mod.ts";
import { noLeak } from "../models/grad_check.ts";

await selectBackend("cpu", { quiet: true });

Deno.test("addUniformNoise: U(-0.2, 0.2), seeded, fresh per call", async () => {
  await noLeak("noise", () => {
    const x = tf.zeros([2, 16, 16, 3]);
    const a = addUniformNoise(x, { rng: new Rng(1) }), b = addUniformNoise(x, { rng: new Rng(1) });
    const av = Array.from(a.dataSync());
    assertEquals(Array.from(av), Array.from(b.dataSync()));
    assert(av.every((v) => v >= -0.2 && v < 0.2));
    const mean = av.reduce((s, v) => s + v, 0) / av.length;
    const variance = av.reduce((s, v) => s + v * v, 0) / av.length;
    assert(Math.abs(mean) < 0.01, `mean ${mean}`);
    assertAlmostEquals(variance, 0.04 / 3, 0.0015); // var of U(-a, a) = a^2 / 3
    const rng = new Rng(2);
    const c = addUniformNoise(x, { rng }), d = addUniformNoise(x, { rng });
    assert(c.dataSync()[0] !== d.dataSync()[0], "fresh draw per call");
    tf.dispose([x, a, b, c, d]);
  });
});

Deno.test("drawCutMixBox follows the released rand_bbox: one centre per sample, shared lambda and cut", () => {
  const rng = new Rng(3);
  const W = 96, H = 64;
  let lambdaSum = 0;
  const n = 2000;
  let differ = 0;
  for (let i = 0; i < n; i++) {
    const draw = drawCutMixBox(8, { height: H, width: W }, { rng });
    lambdaSum += draw.lambda;
    assert(draw.lambda > 0 && draw.lambda < 1);
    assertEquals(draw.boxes.length, 8);
    const cw = Math.floor(W * Math.sqrt(1 - draw.lambda)), ch = Math.floor(H * Math.sqrt(1 - draw.lambda));
    for (const box of draw.boxes) {
      // Unclipped, the box is [c - floor(cut/2), c + floor(cut/2)); clipping can only shrink it.
      assert(box.x1 - box.x0 <= 2 * Math.floor(cw / 2) && box.y1 - box.y0 <= 2 * Math.floor(ch / 2));
      assert(box.x0 >= 0 && box.x1 <= W && box.y0 >= 0 && box.y1 <= H && box.x0 <= box.x1 && box.y0 <= box.y1);
      // The centre lies in [floor(W/8), W): the right edge is min(cx + cw/2, W) with cx >= W/8.
      assert(box.x1 >= Math.min(Math.floor(W / 8) + Math.floor(cw / 2), W));
    }
    if (draw.boxes.some((b) => b.x0 !== draw.boxes[0].x0 || b.y0 !== draw.boxes[0].y0)) differ++;
    assertEquals([...draw.permutation].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
  }
  assert(differ > 0.9 * n, `per-sample centres differ in only ${differ} of ${n} draws`);
  assertAlmostEquals(lambdaSum / n, 0.5, 0.015); // Beta(4, 4) has mean 1/2
  // Reproducible from the seed.
  assertEquals(
    drawCutMixBox(4, { height: H, width: W }, { rng: new Rng(5) }),
    drawCutMixBox(4, { height: H, width: W }, { rng: new Rng(5) }),
  );
  // The shared draw (switch cutMix: "shared") gives every sample the same box.
  const shared = drawCutMixBox(4, { height: H, width: W }, { rng: new Rng(5), perSample: false });
  assert(shared.boxes.every((b) => JSON.stringify(b) === JSON.stringify(shared.boxes[0])));
});

Deno.test("cutMixBoxAt: hand-worked boxes of the released formula", () => {
  // 32 x 32, lambda = 0.75: cut = floor(32 * sqrt(0.25)) = 16, half 8.
  const dims = { ch: 16, cw: 16, h: 32, w: 32 };
  assertEquals(cutMixBoxAt(20, 10, dims), { y0: 12, y1: 28, x0: 2, x1: 18 });
  // Centre near the edge: x1 = min(31 + 8, 32) = 32, y0 = max(4 - 8, 0) = 0.
  assertEquals(cutMixBoxAt(4, 31, dims), { y0: 0, y1: 12, x0: 23, x1: 32 });
  // Odd cut 15: half 7, the box has the even side 14 (the released code's cx - cut//2 .. cx + cut//2).
  assertEquals(cutMixBoxAt(16, 16, { ch: 15, cw: 15, h: 32, w: 32 }), { y0: 9, y1: 23, x0: 9, x1: 23 });
});

Deno.test("applyCutMix pastes each sample's own box from the permuted sample into image and target", async () => {
  await noLeak("cutmix", () => {
    const boxes = [{ y0: 1, y1: 3, x0: 2, x1: 5 }, { y0: 0, y1: 2, x0: 0, x1: 2 }, { y0: 2, y1: 4, x0: 4, x1: 6 }];
    const box = { lambda: 0.5, permutation: [2, 0, 1], boxes };
    // Sample b is filled with b + 1 (image) and -(b + 1) (2-channel target).
    const image = tf.tidy(() => tf.mul(tf.ones([3, 4, 6, 3]), tf.reshape(tf.tensor1d([1, 2, 3]), [3, 1, 1, 1])));
    const target = tf.tidy(() =>
      tf.neg(tf.mul(tf.ones([3, 4, 6, 2]), tf.reshape(tf.tensor1d([1, 2, 3]), [3, 1, 1, 1])))
    );
    const mi = tf.tidy(() => applyCutMix(image as tf.Tensor4D, box).arraySync() as number[][][][]);
    const mt = tf.tidy(() => applyCutMix(target as tf.Tensor4D, box).arraySync() as number[][][][]);
    for (let b = 0; b < 3; b++) {
      const r = boxes[b];
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 6; x++) {
          const inside = y >= r.y0 && y < r.y1 && x >= r.x0 && x < r.x1;
          const src = inside ? box.permutation[b] : b;
          assertEquals(mi[b][y][x], [src + 1, src + 1, src + 1]);
          assertEquals(mt[b][y][x], [-(src + 1), -(src + 1)]);
        }
      }
    }
    tf.dispose([image, target]);
  });
});
