/**
 * CWC, the confidence-weighted consistency loss (cross pseudo-supervision between teacher and
 * student). Helpers: `addUniformNoise` (uniform_noise.ts), `drawCutMixBox` / `applyCutMix`
 * (cutmix.ts), `confidenceSets` (confidence.ts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** `source`: confidence of the target only (the released code); `both`: both networks must be confident (paper). */
export type CwcVariant = "source" | "both";

/** Options for {@link cwcLoss}. */
export interface CwcLossOptions {
  /** Variant (default `source`). */
  variant?: CwcVariant;
  /** Positive threshold (default 0.8). */
  tauPos?: number;
  /** Negative threshold (default 0.2). */
  tauNeg?: number;
}

/**
 * With p = softmax(sg(y)), c = max p, yhat = argmax p, q = softmax(z):
 * positive term c * CE(z, yhat) on pixels with c >= tauPos; negative term
 * min p * (-log clamp(1 - q[1 - yhat], 1e-6, 1)) on pixels with min p < tauNeg;
 * loss = mean over positive pixels + mean over negative pixels (an empty set adds 0).
 * Variant `both` additionally requires the input network to be confident on the pixel
 * (max softmax(sg(z)) >= tauPos for the positive set, min < tauNeg for the negative set);
 * the weights stay the target's (c and min p).
 *
 * @param inputLogits z `[B, H, W, 1 | 2]` of the network being trained (on the noisy CutMix input).
 * @param targetLogits y `[B, H, W, 1 | 2]` of the other network (CutMixed with the same box); detached inside.
 * @returns a scalar.
 */
export function cwcLoss(inputLogits: tf.Tensor4D, targetLogits: tf.Tensor4D, options: CwcLossOptions = {}): tf.Scalar {
  void inputLogits;
  void targetLogits;
  void options;
  throw new Error("cwcLoss: not yet implemented");
}
