/**
 * The segmentation head (1x1 conv C -> C, LeakyReLU 0.1, 1x1 conv C -> C; `<name>.0`, `<name>.2`)
 * and the 1x1 classifier.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import { conv2d, initConv2d } from "./conv.ts";
import { LEAKY_SLOPE } from "./two_conv.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";

/** Add a head of width `channels`. */
export function initHead(store: ParamStore, name: string, options: { channels: number; rng: Rng }): void {
  const { channels: c, rng } = options;
  initConv2d(store, `${name}.0`, { inChannels: c, outChannels: c, kernelSize: 1, rng });
  initConv2d(store, `${name}.2`, { inChannels: c, outChannels: c, kernelSize: 1, rng });
}

/** `[B, H, W, C]` -> `[B, H, W, C]`. */
export function head(x: Tensor4D, options: { store: ParamStore; name: string }): Tensor4D {
  const { store, name } = options;
  return tf.tidy(() =>
    conv2d(tf.leakyRelu(conv2d(x, { store, name: `${name}.0` }), LEAKY_SLOPE), { store, name: `${name}.2` })
  );
}
