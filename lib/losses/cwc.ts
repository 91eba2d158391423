/**
 * CWC, the confidence-weighted consistency loss (cross pseudo-supervision between teacher and
 * student). Helpers: `addUniformNoise` (uniform_noise.ts), `drawCutMixBox` / `applyCutMix`
 * (cutmix.ts), `confidenceSets` (confidence.ts).
 *
 * One direction, as the trainer uses it: targets y = sg(other network's logits); input =
 * CutMix(image + U(-0.2, 0.2)) and target = CutMix(y) with the same box; z = this network's
 * logits on that input; loss = `cwcLoss(z, target)`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { stopGradient } from "../models/mod.ts";
import { confidenceSets } from "./confidence.ts";
import { twoClassLogits } from "./foreground.ts";
import type { Scalar, Tensor, Tensor4D } from "../backend/tensor_types.ts";

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
 * With 2 classes and c != tauPos the two sets coincide and the weights sum to 1, so `source`
 * equals plain CE(z, yhat) averaged over the pixels with c >= tauPos.
 *
 * @param inputLogits z `[B, H, W, 1 | 2]` of the network being trained (on the noisy CutMix input).
 * @param targetLogits y `[B, H, W, 1 | 2]` of the other network (CutMixed with the same box); detached inside.
 * @returns a scalar.
 */
export function cwcLoss(inputLogits: Tensor4D, targetLogits: Tensor4D, options: CwcLossOptions = {}): Scalar {
  const variant = options.variant ?? "source";
  if (variant !== "source" && variant !== "both") {
    throw new Error(`cwcLoss: variant must be "source" or "both", got ${JSON.stringify(variant)}`);
  }
  const [b, h, w] = inputLogits.shape;
  const t = targetLogits.shape;
  if (t[0] !== b || t[1] !== h || t[2] !== w) {
    throw new Error(`cwcLoss: input logits [${inputLogits.shape}] and target logits [${t}] differ in B, H, W`);
  }
  return tf.tidy(() => {
    const target = stopGradient(targetLogits);
    const sets = confidenceSets(target, options);
    let positive = sets.positive, negative = sets.negative;
    if (variant === "both") {
      const own = confidenceSets(stopGradient(inputLogits), options);
      positive = tf.mul(positive, own.positive);
      negative = tf.mul(negative, own.negative);
    }
    const logq = tf.logSoftmax(twoClassLogits(inputLogits, "cwcLoss input"), -1);
    const y = sets.label;
    const onehot = tf.stack([tf.sub(1, y), y], 3);
    const ce = tf.neg(tf.sum(tf.mul(logq, onehot), 3)); // -log q[yhat]
    const q = tf.exp(logq);
    const qOther = tf.sum(tf.mul(q, tf.sub(1, onehot)), 3); // q[1 - yhat]
    const negTerm = tf.neg(tf.log(tf.clipByValue(tf.sub(1, qOther), 1e-6, 1)));
    const meanOver = (terms: Tensor, set: Tensor) => tf.div(tf.sum(tf.mul(terms, set)), tf.maximum(tf.sum(set), 1));
    const pos = meanOver(tf.mul(sets.maxProb, ce), positive);
    const neg = meanOver(tf.mul(sets.minProb, negTerm), negative);
    return tf.add(pos, neg) as Scalar;
  });
}
