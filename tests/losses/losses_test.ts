// Every loss against a small hand-worked case, plus finite-difference gradient checks (cpu backend)
// and stop-gradient checks.
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { Rng } from "../../lib/core/mod.ts";
import {
  afcLoss,
  bceWithLogits,
  confidenceSets,
  cwcLoss,
  gazeMedSegConsistency,
  partialCrossEntropy,
  rampUpWeight,
} from "../../lib/losses/mod.ts";
import { checkGradients, noLeak, randomTensor, randomVariable } from "../models/grad_check.ts";

await selectBackend("cpu", { quiet: true });

const LN2 = Math.log(2), LN3 = Math.log(3), LN4 = Math.log(4);
const scalar = (t: tf.Scalar) => {
  const v = t.dataSync()[0];
  t.dispose();
  return v;
};
/** `[1, 1, P, 2]` logits from P pairs. */
const pairs = (p: number[][]) => tf.tensor4d(p.flat(), [1, 1, p.length, 2]);

Deno.test("bceWithLogits: hand-worked case on the last channel, and gradients", async () => {
  await noLeak("bce", () => {
    // z = [0, 2, -1, 3] on channel 1 (channel 0 is ignored), y = [1, 0, 1, 1]:
    // log 2, log(1 + e^2), log(1 + e^1), log(1 + e^-3).
    const logits = pairs([[9, 0], [9, 2], [9, -1], [9, 3]]);
    const y = tf.tensor3d([1, 0, 1, 1], [1, 1, 4]);
    const expected = (LN2 + Math.log(1 + Math.E ** 2) + Math.log(1 + Math.E) + Math.log(1 + Math.E ** -3)) / 4;
    assertAlmostEquals(scalar(bceWithLogits(logits, y)), expected, 1e-6);
    // Channel option and [B, H, W, 1] targets; large logits stay finite.
    tf.tidy(() => {
      assertAlmostEquals(
        scalar(bceWithLogits(logits, tf.ones([1, 1, 4, 1]), { channel: 0 })),
        Math.log(1 + Math.exp(-9)),
        1e-6,
      );
      assertAlmostEquals(scalar(bceWithLogits(pairs([[0, 200]]), tf.zeros([1, 1, 1]))), 200, 1e-3);
    });
    const z = randomVariable([2, 3, 3, 2], new Rng(1));
    const t = tf.tidy(() => tf.greater(randomTensor([2, 3, 3], new Rng(2)), 0).toFloat());
    const rep = checkGradients(() => bceWithLogits(z as unknown as tf.Tensor4D, t), { z });
    assertEquals(rep.failures, []);
    tf.dispose([logits, y, z, t]);
  });
});

Deno.test("partialCrossEntropy: only labelled pixels count; 0 when all are ignored; gradients", async () => {
  await noLeak("partial ce", () => {
    // Pixels: [0,0] y=1 -> log 2; [1,3] y=0 -> log(1 + e^2); [2,0] y=1 ignored; [0, ln 3] y=1 -> log(4/3).
    const logits = pairs([[0, 0], [1, 3], [2, 0], [0, LN3]]);
    const y = tf.tensor3d([1, 0, 1, 1], [1, 1, 4]);
    const ignore = tf.tensor3d([0, 0, 1, 0], [1, 1, 4]);
    const expected = (LN2 + Math.log(1 + Math.E ** 2) + Math.log(4 / 3)) / 3;
    assertAlmostEquals(scalar(partialCrossEntropy(logits, y, { ignore })), expected, 1e-6);
    tf.tidy(() => assertEquals(scalar(partialCrossEntropy(logits, y, { ignore: tf.onesLike(ignore) })), 0));
    // One channel: the same as BCE on the labelled pixels.
    const z1 = tf.tensor4d([0, 2, -1, 3], [1, 1, 4, 1]);
    const bce = [LN2, Math.log(1 + Math.E ** 2), Math.log(1 + Math.E ** -3)];
    tf.tidy(() =>
      assertAlmostEquals(
        scalar(partialCrossEntropy(z1, tf.tensor3d([1, 0, 1, 1], [1, 1, 4]), { ignore })),
        (bce[0] + bce[1] + bce[2]) / 3,
        1e-6,
      )
    );
    const z = randomVariable([2, 3, 3, 2], new Rng(3));
    const t = tf.tidy(() => tf.greater(randomTensor([2, 3, 3], new Rng(4)), 0).toFloat());
    const ig = tf.tidy(() => tf.greater(randomTensor([2, 3, 3], new Rng(5)), 0.5).toFloat());
    assertEquals(
      checkGradients(() => partialCrossEntropy(z as unknown as tf.Tensor4D, t, { ignore: ig }), { z }).failures,
      [],
    );
    tf.tidy(() => {
      assertThrows(() => partialCrossEntropy(logits, y, { ignore: tf.zeros([1, 2, 2]) }), Error, "ignore");
    });
    tf.dispose([logits, y, ignore, z1, z, t, ig]);
  });
});

Deno.test("afcLoss: hand-worked cosines, zero vectors, no gradient to the teacher, FD gradients", async () => {
  await noLeak("afc", () => {
    // Scale 1: (1,0) vs (0,1) -> 1 - 0; (1,1) vs (2,2) -> 1 - 1.  Scale 2: (3,4) vs (3,4) -> 0;
    // (0,0) vs (1,0) -> cos = 0 / (eps * 1) = 0 -> 1.  Loss = 0.5 * mean(0.5, 0.5) = 0.25.
    const s = [tf.tensor4d([1, 0, 1, 1], [1, 1, 2, 2]), tf.tensor4d([3, 4, 0, 0], [1, 1, 2, 2])];
    const d = [tf.tensor4d([0, 1, 2, 2], [1, 1, 2, 2]), tf.tensor4d([3, 4, 1, 0], [1, 1, 2, 2])];
    assertAlmostEquals(scalar(afcLoss(s, d)), 0.25, 1e-6);
    // The zero student vector has a finite gradient, and the teacher gets none.
    const [gs, gd] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      afcLoss([s[0], a as tf.Tensor4D], [d[0], b as tf.Tensor4D])
    )([s[1], d[1]]);
    assert(gs.dataSync().every(Number.isFinite));
    assertEquals(Array.from(gd.dataSync()), [0, 0, 0, 0]);
    const rng = new Rng(6);
    const sv = [randomVariable([2, 3, 3, 4], rng), randomVariable([2, 2, 2, 4], rng)];
    const dv = [randomTensor([2, 3, 3, 4], rng), randomTensor([2, 2, 2, 4], rng)] as tf.Tensor4D[];
    const rep = checkGradients(() => afcLoss(sv as unknown as tf.Tensor4D[], dv), { s1: sv[0], s2: sv[1] });
    assertEquals(rep.failures, []);
    tf.dispose([s, d, gs, gd, sv, dv]);
  });
});

Deno.test("confidenceSets and cwcLoss: hand-worked case, variant both, no gradient to the target", async () => {
  await noLeak("cwc", () => {
    // Target pixels: p1 = 0.9 (yhat 1, positive and negative); p0 = 0.875 (yhat 0, both sets);
    // p = 0.5 (neither); p1 = 0.75 (neither).
    const y = pairs([[0, Math.log(9)], [Math.log(7), 0], [0, 0], [0, LN3]]);
    const sets = confidenceSets(y);
    assertEquals(Array.from(sets.positive.dataSync()), [1, 1, 0, 0]);
    assertEquals(Array.from(sets.negative.dataSync()), [1, 1, 0, 0]);
    assertEquals(Array.from(sets.label.dataSync()), [1, 0, 0, 1]);
    tf.dispose(sets);
    // Input logits: [0,0] -> q = (.5,.5): CE(z,1) = ln 2, negative term -log(1 - q0) = ln 2;
    // [0, ln 3] -> q = (.25,.75): CE(z,0) = ln 4, negative term -log(1 - q1) = ln 4.
    // loss = mean(0.9 ln2, 0.875 ln4) + mean(0.1 ln2, 0.125 ln4) = (ln 2 + ln 4) / 2.
    const z = pairs([[0, 0], [0, LN3], [5, -5], [1, 1]]);
    assertAlmostEquals(scalar(cwcLoss(z, y)), (LN2 + LN4) / 2, 1e-6);
    // Variant both: input pixel 1 is not confident (0.5), pixel 2 [ln 9, 0] is (q0 = 0.9);
    // loss = 0.875 * -log 0.9 + 0.125 * -log(1 - 0.1).
    const z2 = pairs([[0, 0], [Math.log(9), 0], [5, -5], [1, 1]]);
    assertAlmostEquals(scalar(cwcLoss(z2, y, { variant: "both" })), -Math.log(0.9), 1e-6);
    // Empty sets give 0.
    tf.tidy(() => assertEquals(scalar(cwcLoss(z, pairs([[0, 0], [0, 0], [0, 0], [0, 0]]))), 0));
    // No gradient reaches the target logits.
    const gy = tf.grad((t: tf.Tensor) => cwcLoss(z, t as tf.Tensor4D))(y);
    assertEquals(Array.from(gy.dataSync()), new Array(8).fill(0));
    // FD gradients with respect to the input logits (random, away from the thresholds).
    const rng = new Rng(8);
    const zv = randomVariable([2, 3, 3, 2], rng);
    const yt = randomTensor([2, 3, 3, 2], rng, 2) as tf.Tensor4D;
    for (const variant of ["source", "both"] as const) {
      const rep = checkGradients(() => cwcLoss(zv as unknown as tf.Tensor4D, yt, { variant }), { zv });
      assertEquals(rep.failures, [], variant);
    }
    tf.dispose([y, z, z2, gy, zv, yt]);
  });
});

Deno.test("CWC(source) equals plain CE on the pixels whose target is >= 0.8 confident", async () => {
  await noLeak("cwc vs ce", () => {
    const rng = new Rng(9);
    for (const channels of [2, 1]) {
      const y = randomTensor([3, 8, 8, channels], rng, 3) as tf.Tensor4D;
      const z = randomTensor([3, 8, 8, channels], rng, 2) as tf.Tensor4D;
      const yv = y.dataSync(), zv = z.dataSync();
      let sum = 0, count = 0;
      for (let i = 0; i < 3 * 64; i++) {
        const [y0, y1] = channels === 2 ? [yv[2 * i], yv[2 * i + 1]] : [0, yv[i]];
        const [z0, z1] = channels === 2 ? [zv[2 * i], zv[2 * i + 1]] : [0, zv[i]];
        const p1 = 1 / (1 + Math.exp(y0 - y1));
        if (Math.max(p1, 1 - p1) < 0.8) continue;
        const cls = p1 > 0.5 ? 1 : 0;
        const lse = Math.max(z0, z1) + Math.log(Math.exp(z0 - Math.max(z0, z1)) + Math.exp(z1 - Math.max(z0, z1)));
        sum += lse - (cls ? z1 : z0);
        count++;
      }
      assert(count > 20 && count < 3 * 64, `a mix of confident and unconfident pixels (${count})`);
      assertAlmostEquals(scalar(cwcLoss(z, y)), sum / count, 1e-5);
      tf.dispose([y, z]);
    }
  });
});

Deno.test("gazeMedSegConsistency: hand-worked pure/prop values, gradients only into q_k", async () => {
  await noLeak("consistency", () => {
    // One pixel, p1 = sigmoid(0) = 0.5, p2 = sigmoid(ln 3) = 0.75:
    // each level: -(p1 p2 + (1 - p1)(1 - p2)) = -0.5, sum = -1.
    const l1 = tf.tensor4d([0], [1, 1, 1, 1]), l2 = tf.tensor4d([LN3], [1, 1, 1, 1]);
    assertAlmostEquals(scalar(gazeMedSegConsistency([l1, l2], { mode: "pure" })), -1, 1e-6);
    // prop: q1 = sigmoid(ln 9) = 0.9 against p2 = 0.75 -> -(0.675 + 0.025) = -0.7;
    // q2 = sigmoid(0) = 0.5 against p1 = 0.5 -> -0.5.  Sum -1.2.
    const q1 = tf.tensor4d([Math.log(9)], [1, 1, 1, 1]), q2 = tf.tensor4d([0], [1, 1, 1, 1]);
    assertAlmostEquals(scalar(gazeMedSegConsistency([l1, l2], { mode: "prop", propLogits: [q1, q2] })), -1.2, 1e-6);
    // pure: d/dz1 = dc1/dp1 * p1 (1 - p1) = -(2 p2 - 1) * 0.25 = -0.125 (c2's p1 is detached).
    const g = tf.grad((t: tf.Tensor) => gazeMedSegConsistency([t as tf.Tensor4D, l2], { mode: "pure" }))(l1);
    assertAlmostEquals(g.dataSync()[0], -0.125, 1e-6);
    // prop: the level logits are targets only.
    const g0 = tf.grad((t: tf.Tensor) =>
      gazeMedSegConsistency([t as tf.Tensor4D, l2], { mode: "prop", propLogits: [q1, q2] })
    )(l1);
    assertEquals(g0.dataSync()[0], 0);
    const rng = new Rng(10);
    const lv = [randomTensor([2, 3, 3, 1], rng), randomTensor([2, 3, 3, 1], rng)] as tf.Tensor4D[];
    const pv = [randomVariable([2, 3, 3, 1], rng), randomVariable([2, 3, 3, 1], rng)];
    const rep = checkGradients(
      () => gazeMedSegConsistency(lv, { mode: "prop", propLogits: pv as unknown as tf.Tensor4D[] }),
      { q1: pv[0], q2: pv[1] },
    );
    assertEquals(rep.failures, []);
    assertThrows(() => gazeMedSegConsistency([l1, l2], { mode: "prop" }), Error, "propLogits");
    tf.dispose([l1, l2, q1, q2, g, g0, lv, pv]);
  });
});

Deno.test("rampUpWeight: exp(-5 (1 - t/4000)^2), 1 from 4000 on", () => {
  assertAlmostEquals(rampUpWeight(0), Math.exp(-5), 1e-12);
  assertAlmostEquals(rampUpWeight(2000), Math.exp(-1.25), 1e-12);
  assertEquals(rampUpWeight(4000), 1);
  assertEquals(rampUpWeight(15000), 1);
  assertAlmostEquals(rampUpWeight(50, { length: 100 }), Math.exp(-1.25), 1e-12);
  assertThrows(() => rampUpWeight(1, { length: 0 }), Error, "length");
});
