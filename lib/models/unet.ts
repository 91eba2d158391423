/**
 * The fully supervised upper bound: one BasicUNet (`encoder.*`), an optional head (`head.*`) and
 * a 1x1 classifier (`classifier.*`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { basicUNetDecode, basicUNetEncode } from "./basic_unet.ts";
import { conv2d } from "./conv.ts";
import { head } from "./head.ts";
import type { ForwardOptions, ImageInputs, Model, UNetConfig, UNetOutput } from "./types.ts";

/**
 * UNet forward pass. Image `[B, H, W, inChannels]` -> logits `[B, H, W, numClasses]` and features
 * `[B, H, W, featDim]`. `options.training` has no effect (no BatchNorm).
 */
export function unetForward(model: Model<UNetConfig>, inputs: ImageInputs, options: ForwardOptions = {}): UNetOutput {
  void options;
  const { config, params: store } = model;
  const { image } = inputs;
  if (image.rank !== 4 || image.shape[3] !== config.inChannels) {
    throw new Error(`unetForward: image must be [B, H, W, ${config.inChannels}], got [${image.shape}]`);
  }
  const groups = config.groups ?? 4;
  return tf.tidy(() => {
    const features = basicUNetDecode(basicUNetEncode(image, { store, prefix: "encoder", groups }), {
      store,
      prefix: "encoder",
      groups,
    });
    const h = config.head ? head(features, { store, name: "head" }) : features;
    return { logits: conv2d(h, { store, name: "classifier" }), features };
  });
}
