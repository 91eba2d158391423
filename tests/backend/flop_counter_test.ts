// The engine-level FLOP counter against hand-worked counts and the unet-step bench's analytic formula.
import * as tf from "@tensorflow/tfjs";
import { assertEquals } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { kernelFlops, startFlopCounter } from "../../lib/backend/flop_counter.ts";
import { basicUNetConvs, makeUNetStep, UNET_STEP_CONFIG, unetStepFlops } from "../../tasks/bench/unet_step.ts";

await selectBackend("wasm", { quiet: true });

Deno.test("kernelFlops: hand-worked conv, transposed conv and matmul counts", () => {
  // 3x3 conv 2 -> 4 channels on a 1x5x5 output: 25 * 9 * 2 * 4 MACs.
  assertEquals(
    kernelFlops("Conv2D", { x: { shape: [1, 5, 5, 2] }, filter: { shape: [3, 3, 2, 4] } }, {}, {
      shape: [1, 5, 5, 4],
    }),
    2 * 25 * 9 * 2 * 4,
  );
  // transposed 2x2 stride 2, 8 -> 4 channels from a 2x3x3x8 input (dy of the kernel): 18 * 4 * 4 * 8 MACs.
  assertEquals(
    kernelFlops("Conv2DBackpropInput", { dy: { shape: [2, 3, 3, 8] }, filter: { shape: [2, 2, 4, 8] } }, {}, {
      shape: [2, 6, 6, 4],
    }),
    2 * 18 * 4 * 4 * 8,
  );
  assertEquals(
    kernelFlops("BatchMatMul", { a: { shape: [3, 5, 7] }, b: { shape: [3, 11, 7] } }, { transposeB: true }, {
      shape: [3, 5, 11],
    }),
    2 * 3 * 5 * 7 * 11,
  );
  assertEquals(kernelFlops("Add", { a: { shape: [9] }, b: { shape: [9] } }, {}, { shape: [9] }), 0);
});

Deno.test("counter: a forward conv, its gradients, and stopping", () => {
  const counter = startFlopCounter();
  const x = tf.randomNormal([2, 6, 6, 3]) as tf.Tensor4D;
  const w = tf.variable(tf.randomNormal([3, 3, 3, 5]));
  const macs = 2 * 6 * 6 * 9 * 3 * 5;
  tf.tidy(() => tf.conv2d(x, w as tf.Tensor4D, 1, "same"));
  assertEquals(counter.read().total, 2 * macs);
  counter.reset();
  // gradient w.r.t. both x and w: forward + input gradient + filter gradient
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same")));
  tf.dispose(g([x, w]));
  assertEquals(counter.read().total, 3 * 2 * macs);
  assertEquals(counter.read().calls, { Conv2D: 1, Conv2DBackpropInput: 1, Conv2DBackpropFilter: 1 });
  counter.stop();
  tf.tidy(() => tf.conv2d(x, w as tf.Tensor4D, 1, "same"));
  assertEquals(counter.read().total, 3 * 2 * macs);
  tf.dispose([x, w]);
});

Deno.test("counter: one unet-step training step executes the bench's analytic count (less the image's gradient)", async () => {
  const runner = makeUNetStep();
  const counter = startFlopCounter();
  try {
    await runner.step();
    const cfg = UNET_STEP_CONFIG;
    const first = basicUNetConvs(cfg.features, cfg.inChannels, cfg.outChannels, cfg.size)[0];
    const firstInputGrad = 2 * cfg.batch * first.hw * first.hw * first.k * first.k * first.cin * first.cout;
    assertEquals(counter.read().total, unetStepFlops(cfg).stepFlops - firstInputGrad);
  } finally {
    counter.stop();
    runner.dispose();
  }
});
