/**
 * The student's alignment adapter: 1x1 conv to the teacher's width, BatchNorm, ReLU
 * (`<name>.0` conv, `<name>.1` BN).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import { batchNorm, initBatchNorm } from "./batch_norm.ts";
import { conv2d, initConv2d } from "./conv.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";

/** Add an adapter `inChannels -> outChannels`. */
export function initAdapter(
  store: ParamStore,
  name: string,
  options: { inChannels: number; outChannels: number; rng: Rng },
): void {
  initConv2d(store, `${name}.0`, { ...options, kernelSize: 1 });
  initBatchNorm(store, `${name}.1`, { channels: options.outChannels });
}

/** `[B, h, w, in]` -> `[B, h, w, out]`. */
export function adapter(x: Tensor4D, options: { store: ParamStore; name: string; training?: boolean }): Tensor4D {
  const { store, name, training } = options;
  return tf.tidy(() =>
    tf.relu(batchNorm(conv2d(x, { store, name: `${name}.0` }), { store, name: `${name}.1`, training }))
  );
}
