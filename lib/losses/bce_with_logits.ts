/**
 * Binary cross-entropy with logits on the foreground channel over all pixels (the code's teacher
 * loss L_T and the student loss L_S; GazeMedSeg's per-level loss).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options for {@link bceWithLogits}. */
export interface BceWithLogitsOptions {
  /** Logit channel that is the foreground (default: the last channel). */
  channel?: number;
}

/**
 * mean over all B*H*W pixels of  max(z, 0) - z*y + log(1 + exp(-|z|))  (numerically stable BCE),
 * z = `logits[..., channel]`.
 *
 * @param logits `[B, H, W, K]`.
 * @param target `[B, H, W]` or `[B, H, W, 1]`, values in [0, 1] (0/1 masks or soft targets).
 * @returns a scalar.
 */
export function bceWithLogits(logits: tf.Tensor4D, target: tf.Tensor, options: BceWithLogitsOptions = {}): tf.Scalar {
  void logits;
  void target;
  void options;
  throw new Error("bceWithLogits: not yet implemented");
}
