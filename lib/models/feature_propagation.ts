/**
 * GazeMedSeg feature propagation: every pixel's feature is replaced by an affinity-weighted mean
 * of its 5x5 neighbourhood with dilation 2 (25 positions, centre included, zero padding):
 * a_n = softmax_n(relu(<f_c, f_n>)), f' = sum_n a_n f_n. Zero-padded neighbours have f_n = 0,
 * so they get affinity relu(0) = 0 (still in the softmax) and contribute nothing to the sum.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** Options for {@link featurePropagation}. */
export interface FeaturePropagationOptions {
  /** Neighbourhood side (odd, default 5). */
  kernelSize?: number;
  /** Dilation (default 2). */
  dilation?: number;
}

/** Feature propagation on `[B, H, W, C]` features; returns `[B, H, W, C]`. Differentiable. */
export function featurePropagation(features: tf.Tensor4D, options: FeaturePropagationOptions = {}): tf.Tensor4D {
  void features;
  void options;
  throw new Error("featurePropagation: not yet implemented");
}
