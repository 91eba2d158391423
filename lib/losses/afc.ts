/**
 * AFC, the feature-alignment loss between the student's S_s and the teacher's D_s.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { stopGradient } from "../models/mod.ts";
import type { Scalar, Tensor4D } from "../backend/tensor_types.ts";

/** Options for {@link afcLoss}. */
export interface AfcLossOptions {
  /** Norm clamp of the cosine (PyTorch `F.cosine_similarity` eps; default 1e-6). */
  eps?: number;
  /** Factor in front (default 0.5). */
  scale?: number;
}

/**
 * scale * mean over scales s of mean over pixels of (1 - cos(S_s, sg(D_s))), the cosine taken
 * along channels as sum(a b) / (max(|a|, eps) max(|b|, eps)) (PyTorch 2.x semantics). No gradient
 * reaches `teacher` (stop-gradient inside).
 *
 * @param student S_1..S_n, each `[B, h_s, w_s, C_s]`.
 * @param teacher D_1..D_n, the same shapes.
 * @returns a scalar.
 */
export function afcLoss(student: Tensor4D[], teacher: Tensor4D[], options: AfcLossOptions = {}): Scalar {
  const eps = options.eps ?? 1e-6, scale = options.scale ?? 0.5;
  if (student.length === 0 || student.length !== teacher.length) {
    throw new Error(
      `afcLoss: need as many student as teacher maps (>= 1), got ${student.length} and ${teacher.length}`,
    );
  }
  student.forEach((s, i) => {
    const t = teacher[i];
    if (s.shape.length !== t.shape.length || s.shape.some((d, j) => d !== t.shape[j])) {
      throw new Error(`afcLoss: scale ${i + 1}: student [${s.shape}] and teacher [${t.shape}] shapes differ`);
    }
  });
  return tf.tidy(() => {
    const terms = student.map((s, i) => {
      const t = stopGradient(teacher[i]);
      const dot = tf.sum(tf.mul(s, t), 3);
      // max(|a|, eps) as sqrt(max(|a|^2, eps^2)): same value, but a finite gradient at a = 0.
      const ns = tf.sqrt(tf.maximum(tf.sum(tf.square(s), 3), eps * eps));
      const nt = tf.sqrt(tf.maximum(tf.sum(tf.square(t), 3), eps * eps));
      return tf.mean(tf.sub(1, tf.div(dot, tf.mul(ns, nt))));
    });
    return tf.mul(scale, tf.div(tf.addN(terms), terms.length)) as Scalar;
  });
}
