import * as tf from "@tensorflow/tfjs";
import { assertAlmostEquals, assertEquals } from "../assert.ts";
import { createOptimizer } from "../../lib/train/optimizer.ts";
import { epochsFor, halfCosineLr } from "../../lib/train/lr_schedule.ts";

await tf.setBackend("cpu");

/** PyTorch SGD reference on plain numbers. */
function sgdRef(p: number, grads: number[], lr: number, mom: number, nest: boolean, wd: number): number {
  let buf: number | undefined;
  for (const g0 of grads) {
    let g = g0 + wd * p;
    buf = buf === undefined ? g : mom * buf + g;
    g = nest ? g + mom * buf : buf;
    p -= lr * g;
  }
  return p;
}

Deno.test("SGD: Nesterov momentum with weight decay follows torch.optim.SGD", () => {
  const before = tf.memory().numTensors;
  const w = tf.tidy(() => tf.variable(tf.tensor1d([1, -2])));
  const opt = createOptimizer(new Map([["w", w]]), { type: "sgd", momentum: 0.9, nesterov: true, weightDecay: 4e-4 });
  const gs = [[0.5, -1], [0.25, 0.5], [-0.1, 0.3]];
  for (const g of gs) {
    const t = tf.tensor1d(g);
    opt.apply(new Map([["w", t]]), 0.01);
    t.dispose();
  }
  const got = w.dataSync();
  assertAlmostEquals(got[0], sgdRef(1, gs.map((g) => g[0]), 0.01, 0.9, true, 4e-4), 1e-6);
  assertAlmostEquals(got[1], sgdRef(-2, gs.map((g) => g[1]), 0.01, 0.9, true, 4e-4), 1e-6);
  assertEquals(opt.steps, 3);
  opt.dispose();
  w.dispose();
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("Adam: matches torch.optim.Adam on a hand-worked first step", () => {
  const w = tf.variable(tf.scalar(1));
  const opt = createOptimizer(new Map([["w", w]]), {
    type: "adam",
    beta1: 0.9,
    beta2: 0.999,
    eps: 1e-8,
    weightDecay: 0,
  });
  const g = tf.scalar(0.3);
  opt.apply(new Map([["w", g]]), 0.1);
  // first Adam step moves by lr * g / (|g| + eps) = 0.1
  assertAlmostEquals(w.dataSync()[0], 0.9, 1e-6);
  g.dispose();
  opt.dispose();
  w.dispose();
});

Deno.test("optimizer state round trip continues identically", () => {
  const mk = () => tf.variable(tf.tensor1d([0.5, 1.5]));
  const cfg = { type: "sgd" as const, momentum: 0.9, nesterov: true, weightDecay: 1e-3 };
  const a = mk(), b = mk();
  const oa = createOptimizer(new Map([["w", a]]), cfg);
  const ob = createOptimizer(new Map([["w", b]]), cfg);
  const g1 = tf.tensor1d([0.2, -0.4]), g2 = tf.tensor1d([0.1, 0.3]);
  oa.apply(new Map([["w", g1]]), 0.05);
  ob.apply(new Map([["w", g1]]), 0.05);
  const saved = new Map([...ob.state()].map(([k, v]) => [k, v.clone()]));
  const ob2 = createOptimizer(new Map([["w", b]]), cfg);
  ob2.load(saved);
  oa.apply(new Map([["w", g2]]), 0.05);
  ob2.apply(new Map([["w", g2]]), 0.05);
  assertEquals([...a.dataSync()], [...b.dataSync()]);
  for (const t of [a, b, g1, g2, ...saved.values()]) t.dispose();
  for (const o of [oa, ob, ob2]) o.dispose();
});

Deno.test("half-cosine schedule: endpoints and epochs formula of docs/METHOD.md section 7", () => {
  assertEquals(epochsFor(15000, 113), 133); // Kvasir: 900 train / batch 8 = 113 batches
  assertAlmostEquals(halfCosineLr(0, { epochs: 10, lrMax: 1e-2, lrMin: 1e-4 }), 1e-2, 1e-12);
  assertAlmostEquals(halfCosineLr(5, { epochs: 10, lrMax: 1e-2, lrMin: 1e-4 }), (1e-2 + 1e-4) / 2, 1e-12);
  assertAlmostEquals(halfCosineLr(10, { epochs: 10, lrMax: 1e-2, lrMin: 1e-4 }), 1e-4, 1e-12);
});
