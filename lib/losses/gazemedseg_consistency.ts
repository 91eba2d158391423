/**
 * GazeMedSeg's multi-level consistency loss.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { stopGradient } from "../models/mod.ts";
import type { Scalar, Tensor, Tensor4D } from "../backend/tensor_types.ts";

/** `pure`: q_k = the level's own probabilities; `prop`: q_k = probabilities after feature propagation. */
export type ConsistencyMode = "prop" | "pure";

/** Options for {@link gazeMedSegConsistency}. */
export interface GazeMedSegConsistencyOptions {
  /** Mode (default `prop`). */
  mode?: ConsistencyMode;
  /** K propagated logits `[B, H, W, 1]`, required for `prop`. */
  propLogits?: Tensor4D[];
}

/**
 * sum over k of consistency_k, consistency_k = -mean over j != k of
 * mean_pixels[q_k * sg(p_j) + (1 - q_k) * sg(1 - p_j)], p = sigmoid(level logits),
 * q_k = p_k (`pure`) or sigmoid(propLogits_k) (`prop`). (Multiply by the weight, 3 in GazeMedSeg,
 * outside.) Gradients flow into q_k only.
 *
 * @param levelLogits K tensors `[B, H, W, 1]`, K >= 2.
 * @returns a scalar.
 */
export function gazeMedSegConsistency(
  levelLogits: Tensor4D[],
  options: GazeMedSegConsistencyOptions = {},
): Scalar {
  const mode = options.mode ?? "prop";
  const k = levelLogits.length;
  if (k < 2) throw new Error(`gazeMedSegConsistency: needs at least 2 levels, got ${k}`);
  if (mode !== "prop" && mode !== "pure") {
    throw new Error(`gazeMedSegConsistency: mode must be "prop" or "pure", got ${JSON.stringify(mode)}`);
  }
  if (mode === "prop" && options.propLogits?.length !== k) {
    throw new Error(`gazeMedSegConsistency: mode "prop" needs ${k} propLogits, got ${options.propLogits?.length ?? 0}`);
  }
  return tf.tidy(() => {
    const p = levelLogits.map((z) => tf.sigmoid(z));
    const q = mode === "prop" ? options.propLogits!.map((z) => tf.sigmoid(z)) : p;
    const terms: Tensor[] = [];
    for (let i = 0; i < k; i++) terms.push(consistencyTerm(q[i], p.filter((_, j) => j !== i)));
    return tf.addN(terms) as Scalar;
  });
}

/** -mean over j of mean_pixels[q * sg(p_j) + (1 - q) * sg(1 - p_j)] (the one place this is computed). */
function consistencyTerm(q: Tensor, others: Tensor[]): Tensor {
  const parts: Tensor[] = [];
  for (const other of others) {
    const pj = stopGradient(other);
    const agree = tf.add(tf.mul(q, pj), tf.mul(tf.sub(1, q), tf.sub(1, pj)));
    parts.push(tf.mean(agree));
  }
  return tf.neg(tf.div(tf.addN(parts), parts.length));
}

/**
 * One level's term of {@link gazeMedSegConsistency}: consistency_k = -mean over the other levels j
 * of mean_pixels[q_k * sg(p_j) + (1 - q_k) * sg(1 - p_j)], q_k = sigmoid(`ownLogits`) (the level's
 * propagated logits for mode `prop`, its level logits for `pure`). The sum over k of these terms is
 * {@link gazeMedSegConsistency}; gradients flow into `ownLogits` only, so each level's term can be
 * differentiated in its own tape with the other levels' probabilities computed beforehand.
 *
 * @param ownLogits `[B, H, W, 1]`: the logits whose probabilities q_k receive the gradient.
 * @param otherProbs the K - 1 other levels' probabilities p_j = sigmoid(level logits_j) (constants).
 * @returns a scalar.
 */
export function gazeMedSegConsistencyTerm(ownLogits: Tensor4D, otherProbs: Tensor4D[]): Scalar {
  if (otherProbs.length < 1) throw new Error("gazeMedSegConsistencyTerm: needs at least one other level");
  return tf.tidy(() => consistencyTerm(tf.sigmoid(ownLogits), otherProbs) as Scalar);
}
