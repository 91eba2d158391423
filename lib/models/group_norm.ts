/**
 * GroupNorm (tfjs has none), NHWC: statistics per sample and group over H, W and the group's
 * channels; biased variance; eps 1e-5; per-channel affine (PyTorch `nn.GroupNorm`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { constantValues } from "./init.ts";
import { addParam, getParam } from "./params.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";

/** Add `<name>.weight` = 1 and `<name>.bias` = 0, both `[channels]`. */
export function initGroupNorm(store: ParamStore, name: string, options: { channels: number }): void {
  addParam(store, `${name}.weight`, constantValues(options.channels, 1), { shape: [options.channels] });
  addParam(store, `${name}.bias`, constantValues(options.channels, 0), { shape: [options.channels] });
}

/** Options for {@link groupNorm}. */
export interface GroupNormOptions {
  /** Parameter store. */
  store: ParamStore;
  /** Parameter prefix. */
  name: string;
  /** Number of groups G; C must be divisible by G. */
  groups: number;
  /** Variance epsilon (default 1e-5). */
  eps?: number;
}

/**
 * `[B, H, W, C]` -> same shape: reshape to `[B, H, W, G, C/G]`, normalise with the mean and
 * (biased) variance over axes H, W, C/G, reshape back, then `* weight + bias`.
 */
export function groupNorm(x: Tensor4D, options: GroupNormOptions): Tensor4D {
  const { store, name, groups } = options;
  const eps = options.eps ?? 1e-5;
  const [b, h, w, c] = x.shape;
  if (c % groups !== 0) throw new Error(`groupNorm '${name}': ${c} channels are not divisible by ${groups} groups`);
  return tf.tidy(() => {
    const g = tf.reshape(x, [b, h, w, groups, c / groups]);
    const { mean, variance } = tf.moments(g, [1, 2, 4], true);
    const normed = tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, eps)));
    const y = tf.reshape(normed, [b, h, w, c]);
    return tf.add(tf.mul(y, getParam(store, `${name}.weight`)), getParam(store, `${name}.bias`));
  });
}
