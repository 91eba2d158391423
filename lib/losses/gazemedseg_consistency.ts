/**
 * GazeMedSeg's multi-level consistency loss.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** `pure`: q_k = the level's own probabilities; `prop`: q_k = probabilities after feature propagation. */
export type ConsistencyMode = "prop" | "pure";

/** Options for {@link gazeMedSegConsistency}. */
export interface GazeMedSegConsistencyOptions {
  /** Mode (default `prop`). */
  mode?: ConsistencyMode;
  /** K propagated logits `[B, H, W, 1]`, required for `prop`. */
  propLogits?: tf.Tensor4D[];
}

/**
 * sum over k of consistency_k, consistency_k = -mean over j != k of
 * mean_pixels[q_k * sg(p_j) + (1 - q_k) * sg(1 - p_j)], p = sigmoid(level logits).
 * (Multiply by the weight, 3 in GazeMedSeg, outside.)
 *
 * @param levelLogits K tensors `[B, H, W, 1]`, K >= 2.
 * @returns a scalar.
 */
export function gazeMedSegConsistency(
  levelLogits: tf.Tensor4D[],
  options: GazeMedSegConsistencyOptions = {},
): tf.Scalar {
  void levelLogits;
  void options;
  throw new Error("gazeMedSegConsistency: not yet implemented");
}
