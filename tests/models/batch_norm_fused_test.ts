// batchNorm in training mode runs its normalisation as fusedGroupNorm (one group per channel over the
// batch viewed as one image): output and gradients equal the composite formulation it replaced to
// float round-off on wasm (the fused kernels) and cpu (composite GroupNorm), and the running
// statistics are bit-identical (still from tf.moments).
import * as tf from "@tensorflow/tfjs";
import { GROUP_NORM_GRAD_KERNEL, GROUP_NORM_KERNEL, selectBackend } from "../../lib/backend/mod.ts";
import { batchNorm, initBatchNorm } from "../../lib/models/batch_norm.ts";
import type { ParamStore } from "../../lib/models/types.ts";
import { assertEquals } from "../assert.ts";
import { assertClose, randomValues, runOn } from "../backend/backend_compare.ts";

/** The composite training-mode BatchNorm of lib/models/batch_norm.ts before the change. */
function composite(x: tf.Tensor4D, store: ParamStore, name: string): tf.Tensor4D {
  const p = (k: string) => store.trainable.get(`${name}.${k}`) ?? store.state.get(`${name}.${k}`)!;
  const [weight, bias, rm, rv] = ["weight", "bias", "running_mean", "running_var"].map(p);
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  const n = x.size / x.shape[3];
  const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
  rm.assign(tf.add(tf.mul(rm, 0.9), tf.mul(mean, 0.1)));
  rv.assign(tf.add(tf.mul(rv, 0.9), tf.mul(unbiased, 0.1)));
  const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  return tf.add(tf.mul(y, weight), bias) as tf.Tensor4D;
}

function run(shape: [number, number, number, number], fused: boolean): () => tf.Tensor[] {
  const [b, h, w, c] = shape;
  const xv = randomValues(b * h * w * c, 1).map((v, i) => 3 * v + (i % c)); // per-channel offsets
  const rv = randomValues(b * h * w * c, 2);
  return () => {
    const store: ParamStore = { trainable: new Map(), state: new Map(), layout: new Map() };
    initBatchNorm(store, "bn", { channels: c });
    store.trainable.get("bn.weight")!.assign(tf.tensor1d(randomValues(c, 3)));
    store.trainable.get("bn.bias")!.assign(tf.tensor1d(randomValues(c, 4)));
    const x = tf.variable(tf.tensor4d(xv, shape), true, "bn_test_x");
    const r = tf.tensor4d(rv, shape);
    const vars = [x, store.trainable.get("bn.weight")!, store.trainable.get("bn.bias")!];
    const { value, grads } = tf.variableGrads(() => {
      const y = fused ? batchNorm(x, { store, name: "bn", training: true }) : composite(x, store, "bn");
      return tf.sum(tf.mul(y, r)) as tf.Scalar;
    }, vars);
    const y = fused ? batchNorm(x, { store, name: "bn", training: true }) : composite(x, store, "bn");
    const out = [y, value, ...vars.map((v) => grads[v.name]), store.state.get("bn.running_mean")!.clone()];
    out.push(store.state.get("bn.running_var")!.clone());
    tf.dispose([...vars, ...store.state.values()]);
    return out;
  };
}

const NAMES = ["y", "loss", "dx", "dweight", "dbias", "running_mean", "running_var"];

Deno.test("batchNorm (training) via fusedGroupNorm: values and gradients equal the composite to round-off, running statistics exactly", async () => {
  await selectBackend("wasm", { quiet: true });
  const calls: Record<string, number> = { [GROUP_NORM_KERNEL]: 0, [GROUP_NORM_GRAD_KERNEL]: 0 };
  const saved = Object.keys(calls).map((n) => tf.getKernel(n, "wasm")!);
  for (const k of saved) {
    tf.unregisterKernel(k.kernelName, "wasm");
    tf.registerKernel({ ...k, kernelFunc: (a) => (calls[k.kernelName]++, k.kernelFunc(a)) });
  }
  try {
    for (const shape of [[4, 8, 8, 16], [2, 3, 5, 6]] as [number, number, number, number][]) {
      for (const backend of ["wasm", "cpu"] as const) {
        const ref = await runOn(backend, run(shape, false));
        const got = await runOn(backend, run(shape, true));
        for (let i = 0; i < NAMES.length; i++) {
          const tol = NAMES[i].startsWith("running") ? 0 : 2e-5;
          assertClose(got[i], ref[i], tol, `${backend} [${shape}] ${NAMES[i]}`);
        }
      }
    }
  } finally {
    for (const k of saved) {
      tf.unregisterKernel(k.kernelName, "wasm");
      tf.registerKernel(k);
    }
  }
  // per shape on wasm: 2 forward passes (one under the tape), 1 gradient
  assertEquals(calls, { [GROUP_NORM_KERNEL]: 4, [GROUP_NORM_GRAD_KERNEL]: 2 });
});
