/**
 * Partial cross-entropy (the paper's teacher loss): only labelled pixels count.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options for {@link partialCrossEntropy}. */
export interface PartialCrossEntropyOptions {
  /** `[B, H, W]` or `[B, H, W, 1]`; 1 = ignore this pixel (e.g. the ring where two gaze levels disagree), 0 = labelled. */
  ignore: tf.Tensor;
}

/**
 * Cross-entropy averaged over the labelled pixels (all images together, like PyTorch's
 * `ignore_index` with mean reduction); 0 when no pixel is labelled.
 * Two logit channels: softmax CE with class = target (0 background, 1 foreground);
 * one channel: binary CE with logits.
 *
 * @param logits `[B, H, W, 1 | 2]`.
 * @param target `[B, H, W]` or `[B, H, W, 1]` with values 0 / 1.
 * @returns a scalar.
 */
export function partialCrossEntropy(
  logits: tf.Tensor4D,
  target: tf.Tensor,
  options: PartialCrossEntropyOptions,
): tf.Scalar {
  void logits;
  void target;
  void options;
  throw new Error("partialCrossEntropy: not yet implemented");
}
