/**
 * Confident positive / negative pixel sets of CWC.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { twoClassLogits } from "./foreground.ts";
import type { Tensor3D, Tensor4D } from "../backend/tensor_types.ts";

/** Options for {@link confidenceSets}. */
export interface ConfidenceSetsOptions {
  /** Positive threshold: max prob >= tauPos (default 0.8). */
  tauPos?: number;
  /** Negative threshold: min prob < tauNeg (default 0.2). */
  tauNeg?: number;
}

/** The per-pixel sets, all `[B, H, W]` float32; dispose with `tf.dispose(sets)`. */
export type ConfidenceSets = {
  /** 1 where max p >= tauPos. */
  positive: Tensor3D;
  /** 1 where min p < tauNeg. */
  negative: Tensor3D;
  /** c = max p. */
  maxProb: Tensor3D;
  /** min p. */
  minProb: Tensor3D;
  /** yhat = argmax p (0 / 1; ties -> 0) as float. */
  label: Tensor3D;
};

/**
 * p = softmax(target logits) over 2 channels (one channel z is read as the pair [0, z], i.e.
 * p1 = sigmoid(z)); returns c = max p, min p, yhat and the two sets. Apply to detached targets
 * (the values are used as constants by `cwcLoss`).
 */
export function confidenceSets(targetLogits: Tensor4D, options: ConfidenceSetsOptions = {}): ConfidenceSets {
  const tauPos = options.tauPos ?? 0.8, tauNeg = options.tauNeg ?? 0.2;
  return tf.tidy(() => {
    const p = tf.softmax(twoClassLogits(targetLogits, "confidenceSets"), -1);
    const maxProb = tf.max(p, 3) as Tensor3D;
    const minProb = tf.min(p, 3) as Tensor3D;
    const [b, h, w] = targetLogits.shape;
    const p1 = tf.reshape(tf.slice(p, [0, 0, 0, 1], [b, h, w, 1]), [b, h, w]);
    const p0 = tf.reshape(tf.slice(p, [0, 0, 0, 0], [b, h, w, 1]), [b, h, w]);
    // tf.step instead of comparisons: it has a (zero) gradient, so these masks may sit downstream
    // of a tensor that is being differentiated (comparison ops have no gradient in tfjs and make
    // tf.grad throw even behind stopGradient). step(v) = 1 if v > 0 else 0.
    return {
      positive: tf.sub(1, tf.step(tf.sub(tauPos, maxProb))) as Tensor3D, // c >= tauPos
      negative: tf.step(tf.sub(tauNeg, minProb)) as Tensor3D, // min p < tauNeg
      maxProb,
      minProb,
      label: tf.step(tf.sub(p1, p0)) as Tensor3D, // argmax, ties -> 0
    };
  });
}
