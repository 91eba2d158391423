/**
 * DistillProj: 1x1 conv, BatchNorm, ReLU, 1x1 conv, BatchNorm (C -> C). Names follow an
 * `nn.Sequential`: `<name>.0` conv, `<name>.1` BN, `<name>.3` conv, `<name>.4` BN.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import { batchNorm, initBatchNorm } from "./batch_norm.ts";
import { conv2d, initConv2d } from "./conv.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";

/** Add a DistillProj `channels -> channels`. */
export function initDistillProj(store: ParamStore, name: string, options: { channels: number; rng: Rng }): void {
  const { channels: c, rng } = options;
  initConv2d(store, `${name}.0`, { inChannels: c, outChannels: c, kernelSize: 1, rng });
  initBatchNorm(store, `${name}.1`, { channels: c });
  initConv2d(store, `${name}.3`, { inChannels: c, outChannels: c, kernelSize: 1, rng });
  initBatchNorm(store, `${name}.4`, { channels: c });
}

/** `[B, h, w, C]` -> `[B, h, w, C]`; BatchNorm in training or eval mode. */
export function distillProj(
  x: Tensor4D,
  options: { store: ParamStore; name: string; training?: boolean },
): Tensor4D {
  const { store, name, training } = options;
  return tf.tidy(() => {
    let y = batchNorm(conv2d(x, { store, name: `${name}.0` }), { store, name: `${name}.1`, training });
    y = tf.relu(y);
    return batchNorm(conv2d(y, { store, name: `${name}.3` }), { store, name: `${name}.4`, training });
  });
}
