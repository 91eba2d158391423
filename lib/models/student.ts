/**
 * The FGI student (docs/METHOD.md section 5): a smaller BasicUNet without text; each encoder map x1..x4
 * also passes its own DistillProj and adapter (1x1 conv to the teacher's width, BatchNorm, ReLU)
 * giving S_s for the AFC alignment only. The decoder uses the raw maps.
 * Parameter names: `encoder.*`, `distill.{0..3}.*`, `adapter.{0..3}.*`, `head.*`, `classifier.*`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { adapter } from "./adapter.ts";
import { basicUNetDecode, basicUNetEncode } from "./basic_unet.ts";
import { conv2d } from "./conv.ts";
import { distillProj } from "./distill_proj.ts";
import { head } from "./head.ts";
import type { ForwardOptions, ImageInputs, Model, StudentConfig, StudentOutput } from "./types.ts";

/**
 * Student forward pass. Image `[B, H, W, inChannels]` (H, W multiples of 16) ->
 * logits `[B, H, W, numClasses]`, features, and S_1..S_4 `[B, H/2^s, W/2^s, teacherFeatures[s]]`.
 */
export function studentForward(
  model: Model<StudentConfig>,
  inputs: ImageInputs,
  options: ForwardOptions = {},
): StudentOutput {
  const { config, params: store } = model;
  const { image } = inputs;
  if (image.rank !== 4 || image.shape[3] !== config.inChannels) {
    throw new Error(`studentForward: image must be [B, H, W, ${config.inChannels}], got [${image.shape}]`);
  }
  const groups = config.groups ?? 4;
  return tf.tidy(() => {
    const xs = basicUNetEncode(image, { store, prefix: "encoder", groups });
    const aligned: tf.Tensor4D[] = [];
    for (let s = 1; s <= 4; s++) {
      const d = distillProj(xs[s], { store, name: `distill.${s - 1}`, training: options.training });
      aligned.push(adapter(d, { store, name: `adapter.${s - 1}`, training: options.training }));
    }
    const features = basicUNetDecode(xs, { store, prefix: "encoder", groups });
    const logits = conv2d(head(features, { store, name: "head" }), { store, name: "classifier" });
    return { logits, features, aligned };
  });
}
