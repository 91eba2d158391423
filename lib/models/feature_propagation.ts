/**
 * GazeMedSeg feature propagation: every pixel's feature is replaced by an affinity-weighted mean
 * of its 5x5 neighbourhood with dilation 2 (25 positions, centre included, zero padding):
 * a_n = softmax_n(relu(<f_c, f_n>)), f' = sum_n a_n f_n. Zero-padded neighbours have f_n = 0,
 * so they get affinity relu(0) = 0 (still in the softmax) and contribute nothing to the sum
 * (as with PyTorch's `F.unfold` zero padding in the reference).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor3D, Tensor4D } from "../backend/tensor_types.ts";

/** Options for {@link featurePropagation}. */
export interface FeaturePropagationOptions {
  /** Neighbourhood side (odd, default 5). */
  kernelSize?: number;
  /** Dilation (default 2). */
  dilation?: number;
}

/** Feature propagation on `[B, H, W, C]` features; returns `[B, H, W, C]`. Differentiable. */
export function featurePropagation(features: Tensor4D, options: FeaturePropagationOptions = {}): Tensor4D {
  const k = options.kernelSize ?? 5, dil = options.dilation ?? 2;
  if (!(Number.isInteger(k) && k > 0 && k % 2 === 1)) {
    throw new Error(`featurePropagation: kernelSize must be a positive odd integer, got ${k}`);
  }
  const r = ((k - 1) / 2) * dil;
  const [b, h, w, c] = features.shape;
  return tf.tidy(() => {
    const padded = tf.pad(features, [[0, 0], [r, r], [r, r], [0, 0]]);
    const neighbours: Tensor4D[] = [];
    const corr: Tensor3D[] = [];
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const fn = tf.slice(padded, [0, i * dil, j * dil, 0], [b, h, w, c]) as Tensor4D;
        neighbours.push(fn);
        corr.push(tf.sum(tf.mul(features, fn), 3) as Tensor3D);
      }
    }
    const a = tf.softmax(tf.relu(tf.stack(corr, 3)), -1); // [B, H, W, k*k]
    const parts = neighbours.map((fn, n) => tf.mul(fn, tf.slice(a, [0, 0, 0, n], [b, h, w, 1])));
    return tf.addN(parts) as Tensor4D;
  });
}
