/**
 * The GazeMedSeg multi-level model (Zhong et al. 2024): K BasicUNets from identical initial
 * weights, one per gaze level, each with a 1x1 classifier to 1 logit; prediction = mean of the K
 * logits; each level also yields logits after feature propagation (see `featurePropagation`).
 * Parameter names: `model.{k}.encoder.*`, `model.{k}.classifier.*` (the reference module's
 * unused `head` is not built).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { basicUNetDecode, basicUNetEncode } from "./basic_unet.ts";
import { conv2d } from "./conv.ts";
import { featurePropagation } from "./feature_propagation.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";
import type { ForwardOptions, GazeMedSegConfig, GazeMedSegOutput, ImageInputs, Model } from "./types.ts";

/**
 * GazeMedSeg forward pass. Image `[B, H, W, inChannels]` -> mean logits `[B, H, W, 1]`,
 * K level logits, K propagated logits (same shapes) and K feature maps `[B, H, W, featDim]`.
 * `options.training` has no effect (no BatchNorm).
 */
export function gazeMedSegForward(
  model: Model<GazeMedSegConfig>,
  inputs: ImageInputs,
  options: ForwardOptions = {},
): GazeMedSegOutput {
  void options;
  const { config } = model;
  const { image } = inputs;
  if (image.rank !== 4 || image.shape[3] !== config.inChannels) {
    throw new Error(`gazeMedSegForward: image must be [B, H, W, ${config.inChannels}], got [${image.shape}]`);
  }
  const levels = config.levels ?? 2;
  return tf.tidy(() => {
    const levelLogits: tf.Tensor4D[] = [], propLogits: tf.Tensor4D[] = [], features: tf.Tensor4D[] = [];
    for (let k = 0; k < levels; k++) {
      const out = gazeMedSegLevelForward(model, image, k);
      features.push(out.features);
      levelLogits.push(out.logits);
      propLogits.push(out.propLogits);
    }
    const logits = tf.div(tf.addN(levelLogits), levels) as tf.Tensor4D;
    return { logits, levelLogits, propLogits, features };
  });
}

/** What {@link gazeMedSegLevelForward} returns for one level. Dispose with `tf.dispose(output)`. */
export type GazeMedSegLevelOutput = {
  /** The level's logits `[B, H, W, 1]`. */
  logits: Tensor4D;
  /** The level's logits after feature propagation `[B, H, W, 1]`. */
  propLogits: Tensor4D;
  /** The level's features `[B, H, W, featDim]`. */
  features: Tensor4D;
};

/**
 * One level of {@link gazeMedSegForward}: the pass of UNet `level` alone (it reads only the
 * parameters `model.{level}.*`), so a training step can differentiate one UNet at a time.
 *
 * @param image `[B, H, W, inChannels]` (not checked here; see {@link gazeMedSegForward}).
 * @param level 0 <= level < `config.levels`.
 */
export function gazeMedSegLevelForward(
  model: Model<GazeMedSegConfig>,
  image: Tensor4D,
  level: number,
): GazeMedSegLevelOutput {
  const store = model.params;
  return tf.tidy(() => {
    const feat = levelFeatures(model, image, level);
    return {
      logits: conv2d(feat, { store, name: `model.${level}.classifier` }),
      propLogits: conv2d(featurePropagation(feat), { store, name: `model.${level}.classifier` }),
      features: feat,
    };
  });
}

/**
 * The logits of UNet `level` alone (no feature propagation): {@link gazeMedSegLevelForward}'s
 * `logits` at the cost of the UNet pass only.
 */
export function gazeMedSegLevelLogits(model: Model<GazeMedSegConfig>, image: Tensor4D, level: number): Tensor4D {
  return tf.tidy(() =>
    conv2d(levelFeatures(model, image, level), { store: model.params, name: `model.${level}.classifier` })
  );
}

function levelFeatures(model: Model<GazeMedSegConfig>, image: Tensor4D, level: number): Tensor4D {
  const levels = model.config.levels ?? 2;
  if (!(Number.isInteger(level) && level >= 0 && level < levels)) {
    throw new Error(`gazeMedSeg: level must be an integer in [0, ${levels}), got ${level}`);
  }
  const store = model.params, groups = model.config.groups ?? 4, prefix = `model.${level}.encoder`;
  return basicUNetDecode(basicUNetEncode(image, { store, prefix, groups }), { store, prefix, groups });
}
