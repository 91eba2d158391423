/**
 * BatchNorm over NHWC maps (PyTorch `nn.BatchNorm2d`: eps 1e-5, momentum 0.1).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { constantValues } from "./init.ts";
import { addParam, getParam } from "./params.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";
import { fusedGroupNorm } from "../backend/mod.ts";

/** Add weight 1, bias 0 (trainable) and running_mean 0, running_var 1 (state), all `[channels]`. */
export function initBatchNorm(store: ParamStore, name: string, options: { channels: number }): void {
  const c = options.channels;
  addParam(store, `${name}.weight`, constantValues(c, 1), { shape: [c] });
  addParam(store, `${name}.bias`, constantValues(c, 0), { shape: [c] });
  addParam(store, `${name}.running_mean`, constantValues(c, 0), { shape: [c], trainable: false });
  addParam(store, `${name}.running_var`, constantValues(c, 1), { shape: [c], trainable: false });
}

/** Options for {@link batchNorm}. */
export interface BatchNormOptions {
  /** Parameter store. */
  store: ParamStore;
  /** Parameter prefix. */
  name: string;
  /** Training mode: batch statistics + running-statistics update (default false). */
  training?: boolean;
  /** Running-statistics momentum (default 0.1). */
  momentum?: number;
  /** Variance epsilon (default 1e-5). */
  eps?: number;
}

/**
 * `[B, H, W, C]` -> same shape. Training: normalise with the batch mean and biased variance over
 * B, H, W and set running = (1 - m) running + m batch (variance unbiased, n / (n - 1)), in place.
 * Eval: normalise with the running statistics.
 *
 * In training mode the normalisation runs as lib/backend's `fusedGroupNorm` with one group per
 * channel on the batch viewed as one image `[1, B*H, W, C]` (the same statistics: per channel over
 * B, H, W; on wasm two kernels forward + backward instead of ~30 small ones); the running
 * statistics are updated from `tf.moments` exactly as before. The output differs from the
 * composite `(x - mean) * rsqrt(var + eps) * weight + bias` by float round-off only (the
 * statistics are summed in another order).
 */
export function batchNorm(x: Tensor4D, options: BatchNormOptions): Tensor4D {
  const { store, name } = options;
  const eps = options.eps ?? 1e-5, m = options.momentum ?? 0.1;
  const weight = getParam(store, `${name}.weight`), bias = getParam(store, `${name}.bias`);
  const rm = getParam(store, `${name}.running_mean`), rv = getParam(store, `${name}.running_var`);
  return tf.tidy(() => {
    if (options.training) {
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const n = x.size / x.shape[3];
      const unbiased = n > 1 ? tf.mul(variance, n / (n - 1)) : variance;
      rm.assign(tf.add(tf.mul(rm, 1 - m), tf.mul(mean, m)));
      rv.assign(tf.add(tf.mul(rv, 1 - m), tf.mul(unbiased, m)));
      const [b, h, w, c] = x.shape;
      const y = fusedGroupNorm(tf.reshape(x, [1, b * h, w, c]), weight, bias, { groups: c, epsilon: eps });
      return tf.reshape(y, x.shape);
    }
    const y = tf.mul(tf.sub(x, rm), tf.rsqrt(tf.add(rv, eps)));
    return tf.add(tf.mul(y, weight), bias);
  });
}
