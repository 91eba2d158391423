/**
 * MONAI `TwoConv`: (3x3 conv with bias, GroupNorm, LeakyReLU 0.1) x 2. Parameter names follow
 * MONAI: `<name>.conv_{0,1}.conv.{weight,bias}` and `<name>.conv_{0,1}.adn.N.{weight,bias}`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import { fusedGroupNorm } from "../backend/mod.ts";
import { conv2d, initConv2d } from "./conv.ts";
import { initGroupNorm } from "./group_norm.ts";
import { getParam } from "./params.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";

/** LeakyReLU slope used throughout the BasicUNet and the heads. */
export const LEAKY_SLOPE = 0.1;

/** Add the parameters of a TwoConv block `inChannels -> outChannels`. */
export function initTwoConv(
  store: ParamStore,
  name: string,
  options: { inChannels: number; outChannels: number; rng: Rng },
): void {
  const { inChannels, outChannels, rng } = options;
  initConv2d(store, `${name}.conv_0.conv`, { inChannels, outChannels, kernelSize: 3, rng });
  initGroupNorm(store, `${name}.conv_0.adn.N`, { channels: outChannels });
  initConv2d(store, `${name}.conv_1.conv`, { inChannels: outChannels, outChannels, kernelSize: 3, rng });
  initGroupNorm(store, `${name}.conv_1.adn.N`, { channels: outChannels });
}

/**
 * `[B, H, W, in]` -> `[B, H, W, out]`. GroupNorm + LeakyReLU run as lib/backend's `fusedGroupNorm`
 * (one kernel each way on wasm; the same math as `groupNorm` then `tf.leakyRelu` elsewhere).
 */
export function twoConv(x: Tensor4D, options: { store: ParamStore; name: string; groups: number }): Tensor4D {
  const { store, name, groups } = options;
  return tf.tidy(() => {
    let y = x;
    for (const i of [0, 1]) {
      y = conv2d(y, { store, name: `${name}.conv_${i}.conv` });
      const n = `${name}.conv_${i}.adn.N`;
      y = fusedGroupNorm(y, getParam(store, `${n}.weight`), getParam(store, `${n}.bias`), {
        groups,
        negativeSlope: LEAKY_SLOPE,
      });
    }
    return y;
  });
}
