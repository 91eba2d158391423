/**
 * 2D convolution with bias (3x3 "same" or 1x1), NHWC, stride 1.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import { kaimingUniformBound, uniformValues } from "./init.ts";
import { addParam, getParam, hasParam } from "./params.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";
import { conv2dBias } from "../backend/mod.ts";

/** Options for {@link initConv2d}. */
export interface InitConv2dOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Square kernel side (odd; 1 or 3 here). */
  kernelSize: number;
  /** Generator for the PyTorch default init. */
  rng: Rng;
  /** Add a bias (default true). */
  bias?: boolean;
}

/**
 * Add `<name>.weight` (tfjs `[k, k, in, out]`, PyTorch `[out, in, k, k]`) and `<name>.bias` (`[out]`),
 * both U(-1/sqrt(in*k*k), 1/sqrt(in*k*k)) like `nn.Conv2d`.
 */
export function initConv2d(store: ParamStore, name: string, options: InitConv2dOptions): void {
  const { inChannels: ci, outChannels: co, kernelSize: k, rng } = options;
  const bound = kaimingUniformBound(ci * k * k);
  addParam(store, `${name}.weight`, uniformValues(k * k * ci * co, { bound, rng }), {
    shape: [k, k, ci, co],
    layout: "conv",
  });
  if (options.bias ?? true) addParam(store, `${name}.bias`, uniformValues(co, { bound, rng }), { shape: [co] });
}

/**
 * `[B, H, W, in]` -> `[B, H, W, out]`: stride-1 convolution with zero "same" padding (pad (k-1)/2)
 * plus bias, using `<name>.weight` and `<name>.bias` (when present).
 */
export function conv2d(x: Tensor4D, options: { store: ParamStore; name: string }): Tensor4D {
  const { store, name } = options;
  const w = getParam(store, `${name}.weight`) as Tensor4D;
  // with a bias: one kernel on wasm (conv, then the bias added in place; bit-identical to conv2d + add,
  // with the same gradients), the composite elsewhere
  if (!hasParam(store, `${name}.bias`)) return tf.conv2d(x, w, 1, "same");
  return conv2dBias(x, w, getParam(store, `${name}.bias`), { strides: 1, pad: "same" });
}
