/**
 * Confident positive / negative pixel sets of CWC.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options for {@link confidenceSets}. */
export interface ConfidenceSetsOptions {
  /** Positive threshold: max prob >= tauPos (default 0.8). */
  tauPos?: number;
  /** Negative threshold: min prob < tauNeg (default 0.2). */
  tauNeg?: number;
}

/** The per-pixel sets, all `[B, H, W]` float32. */
export interface ConfidenceSets {
  /** 1 where max p >= tauPos. */
  positive: tf.Tensor3D;
  /** 1 where min p < tauNeg. */
  negative: tf.Tensor3D;
  /** c = max p. */
  maxProb: tf.Tensor3D;
  /** min p. */
  minProb: tf.Tensor3D;
  /** yhat = argmax p (0 / 1) as float. */
  label: tf.Tensor3D;
}

/**
 * p = softmax(target logits) over 2 channels (one channel z is read as the pair [0, z], i.e.
 * p1 = sigmoid(z)); returns c = max p, min p, yhat and the two sets. No gradient is meant to flow
 * (apply to detached targets).
 */
export function confidenceSets(targetLogits: tf.Tensor4D, options: ConfidenceSetsOptions = {}): ConfidenceSets {
  void targetLogits;
  void options;
  throw new Error("confidenceSets: not yet implemented");
}
