/**
 * AFC, the feature-alignment loss between the student's S_s and the teacher's D_s.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Options for {@link afcLoss}. */
export interface AfcLossOptions {
  /** Norm clamp of the cosine (PyTorch `F.cosine_similarity` eps; default 1e-6). */
  eps?: number;
  /** Factor in front (default 0.5). */
  scale?: number;
}

/**
 * scale * mean over scales s of mean over pixels of (1 - cos(S_s, sg(D_s))), the cosine taken
 * along channels with each norm clamped to >= eps (PyTorch 2.x semantics). No gradient reaches
 * `teacher` (stop-gradient inside).
 *
 * @param student S_1..S_n, each `[B, h_s, w_s, C_s]`.
 * @param teacher D_1..D_n, the same shapes.
 * @returns a scalar.
 */
export function afcLoss(student: tf.Tensor4D[], teacher: tf.Tensor4D[], options: AfcLossOptions = {}): tf.Scalar {
  void student;
  void teacher;
  void options;
  throw new Error("afcLoss: not yet implemented");
}
