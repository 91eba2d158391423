/**
 * The FGI teacher (METHOD section 5): a BasicUNet whose encoder maps x1..x4 are fused with the
 * text tokens, distilled (DistillProj) and added back before the decoder.
 *
 * @module
 */
import type { ForwardOptions, Model, TeacherConfig, TeacherInputs, TeacherOutput } from "./types.ts";

/**
 * Teacher forward pass.
 *
 * Per scale s = 1..4 (X_s: `[B, h, w, C_s]`, h = H/2^s):
 * Q = flatten(X_s) + P_s; T = Linear(D -> C_s)(F_t); A = MHA(Q, T, T); Z = LayerNorm(Q + A) reshaped;
 * X~ = X_s + Z (`fusion: "none"`) or X_s + lambda_s Z (`"learnable"`); D_s = DistillProj(X~);
 * the decoder receives X^ = X_s + D_s. Without text (`text: false`) D_s = DistillProj(X_s).
 * Then head (1x1 conv, LeakyReLU 0.1, 1x1 conv) and a 1x1 classifier to `numClasses` logits.
 *
 * Shapes: image `[B, S, S, inChannels]` with S = `config.inputSize`; text `[B, L, D]`.
 * BatchNorm (in DistillProj) uses batch statistics and updates its running statistics when
 * `options.training` is true.
 */
export function teacherForward(
  model: Model<TeacherConfig>,
  inputs: TeacherInputs,
  options: ForwardOptions = {},
): TeacherOutput {
  void model;
  void inputs;
  void options;
  throw new Error("teacherForward: not yet implemented");
}
