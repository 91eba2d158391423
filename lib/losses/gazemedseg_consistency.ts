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
    for (let i = 0; i < k; i++) {
      const parts: Tensor[] = [];
      for (let j = 0; j < k; j++) {
        if (j === i) continue;
        const pj = stopGradient(p[j]);
        const agree = tf.add(tf.mul(q[i], pj), tf.mul(tf.sub(1, q[i]), tf.sub(1, pj)));
        parts.push(tf.mean(agree));
      }
      terms.push(tf.neg(tf.div(tf.addN(parts), parts.length)));
    }
    return tf.addN(terms) as Scalar;
  });
}
