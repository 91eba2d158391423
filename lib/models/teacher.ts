/**
 * The FGI teacher (docs/METHOD.md section 5): a BasicUNet whose encoder maps x1..x4 are fused with the
 * text tokens, distilled (DistillProj) and added back before the decoder.
 * Parameter names: `encoder.*` (BasicUNet), `fusion.{0..3}.*` (x1..x4), `distill.{0..3}.*`,
 * `head.*`, `classifier.*`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { basicUNetDecode, basicUNetEncode } from "./basic_unet.ts";
import { conv2d } from "./conv.ts";
import { distillProj } from "./distill_proj.ts";
import { head } from "./head.ts";
import { textFusion } from "./text_fusion.ts";
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
  const { config, params: store } = model;
  const useText = config.text ?? true;
  const { image, text } = inputs;
  const size = config.inputSize;
  if (image.rank !== 4 || image.shape[1] !== size || image.shape[2] !== size || image.shape[3] !== config.inChannels) {
    throw new Error(
      `teacherForward: image must be [B, ${size}, ${size}, ${config.inChannels}] (config inputSize / inChannels), ` +
        `got [${image.shape}]`,
    );
  }
  if (useText) {
    if (!text) throw new Error("teacherForward: inputs.text [B, L, D] is required (config.text is not false)");
    if (text.rank !== 3 || text.shape[0] !== image.shape[0] || text.shape[2] !== config.textDim) {
      throw new Error(
        `teacherForward: text must be [${
          image.shape[0]
        }, L, ${config.textDim}] (batch, tokens, textDim), got [${text.shape}]`,
      );
    }
  }
  const groups = config.groups ?? 4;
  const heads = config.heads ?? 8;
  return tf.tidy(() => {
    const xs = basicUNetEncode(image, { store, prefix: "encoder", groups });
    const distill: tf.Tensor4D[] = [];
    const attention: tf.Tensor3D[] = [];
    const decoderIn = [xs[0]];
    for (let s = 1; s <= 4; s++) {
      let fused = xs[s];
      if (useText) {
        const r = textFusion(xs[s], text!, {
          store,
          name: `fusion.${s - 1}`,
          heads,
          weight: config.fusion ?? "none",
          textMask: inputs.textMask,
        });
        fused = r.fused;
        attention.push(r.attention);
      }
      const d = distillProj(fused, { store, name: `distill.${s - 1}`, training: options.training });
      distill.push(d);
      decoderIn.push(tf.add(xs[s], d));
    }
    const features = basicUNetDecode(decoderIn, { store, prefix: "encoder", groups });
    const logits = conv2d(head(features, { store, name: "head" }), { store, name: "classifier" });
    return { logits, features, distill, attention };
  });
}
