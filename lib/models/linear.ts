/**
 * Fully connected layer over the last axis (PyTorch `nn.Linear`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import { kaimingUniformBound, uniformValues } from "./init.ts";
import { addParam, getParam } from "./params.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor, Tensor2D, Tensor4D } from "../backend/tensor_types.ts";

/**
 * Add `<name>.weight` (tfjs `[in, out]`, PyTorch `[out, in]`) and `<name>.bias` (`[out]`),
 * both U(-1/sqrt(in), 1/sqrt(in)).
 */
export function initLinear(
  store: ParamStore,
  name: string,
  options: { inFeatures: number; outFeatures: number; rng: Rng },
): void {
  const { inFeatures: i, outFeatures: o, rng } = options;
  const bound = kaimingUniformBound(i);
  addParam(store, `${name}.weight`, uniformValues(i * o, { bound, rng }), { shape: [i, o], layout: "linear" });
  addParam(store, `${name}.bias`, uniformValues(o, { bound, rng }), { shape: [o] });
}

/**
 * `[M, K] x [K, N] -> [M, N]`, computed as a 1x1 convolution of the rows (`[1, 1, M, K]` with a
 * `[1, 1, K, N]` filter). Same values as `tf.matMul`, but the convolution kernels (and their
 * gradients) are the fast path on the wasm backend, where `BatchMatMul`'s weight gradient
 * (transposed operand) runs at well under 1 GFLOP/s.
 */
export function matMulRows(x: Tensor2D, w: Tensor2D): Tensor2D {
  const [m, k] = x.shape;
  const n = w.shape[1];
  if (w.shape[0] !== k) throw new Error(`matMulRows: [${x.shape}] x [${w.shape}] do not match`);
  return tf.tidy(() =>
    tf.reshape(
      tf.conv2d(tf.reshape(x, [1, 1, m, k]) as Tensor4D, tf.reshape(w, [1, 1, k, n]) as Tensor4D, 1, "valid"),
      [
        m,
        n,
      ],
    )
  );
}

/** `[..., in]` -> `[..., out]`: x W + b. */
export function linear<T extends Tensor>(x: T, options: { store: ParamStore; name: string }): T {
  const { store, name } = options;
  const w = getParam(store, `${name}.weight`);
  return tf.tidy(() => {
    const shape = x.shape;
    const flat = tf.reshape(x, [-1, shape[shape.length - 1]]) as Tensor2D;
    const y = tf.add(matMulRows(flat, w as Tensor2D), getParam(store, `${name}.bias`));
    return tf.reshape(y, [...shape.slice(0, -1), w.shape[1] as number]) as T;
  });
}
