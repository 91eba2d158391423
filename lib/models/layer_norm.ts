/**
 * LayerNorm over the last axis (PyTorch `nn.LayerNorm(C)`, eps 1e-5).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { constantValues } from "./init.ts";
import { addParam, getParam } from "./params.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor } from "../backend/tensor_types.ts";

/** Add `<name>.weight` = 1 and `<name>.bias` = 0, both `[channels]`. */
export function initLayerNorm(store: ParamStore, name: string, options: { channels: number }): void {
  addParam(store, `${name}.weight`, constantValues(options.channels, 1), { shape: [options.channels] });
  addParam(store, `${name}.bias`, constantValues(options.channels, 0), { shape: [options.channels] });
}

/** `[..., C]` -> same shape: normalise over the last axis (biased variance), then `* weight + bias`. */
export function layerNorm<T extends Tensor>(x: T, options: { store: ParamStore; name: string; eps?: number }): T {
  const { store, name } = options;
  const eps = options.eps ?? 1e-5;
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(x, -1, true);
    const y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(y, getParam(store, `${name}.weight`)), getParam(store, `${name}.bias`)) as T;
  });
}
