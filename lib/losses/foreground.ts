/**
 * Shape helpers shared by the losses: pick the foreground logit channel and bring targets to
 * `[B, H, W]`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor3D, Tensor4D } from "../backend/tensor_types.ts";

/** The foreground channel of `k` logit channels: `channel` (checked), default the last. */
export function logitChannelIndex(k: number, channel?: number): number {
  const c = channel ?? k - 1;
  if (!(Number.isInteger(c) && c >= 0 && c < k)) throw new Error(`logit channel ${c} out of range for ${k} channels`);
  return c;
}

/** `[B, H, W, K]` -> `[B, H, W]`: channel `channel` (default the last). */
export function logitChannel(logits: Tensor4D, channel?: number): Tensor3D {
  const [b, h, w, k] = logits.shape;
  const c = logitChannelIndex(k, channel);
  return tf.reshape(tf.slice(logits, [0, 0, 0, c], [b, h, w, 1]), [b, h, w]);
}

/**
 * A per-pixel map `[B, H, W]` or `[B, H, W, 1]` as float32 `[B, H, W]`; `what` and `expected`
 * (`[B, H, W]`) name it in the error.
 */
export function pixelMap(x: Tensor, expected: readonly number[], what: string): Tensor3D {
  const [b, h, w] = expected;
  const ok = (x.rank === 3 || (x.rank === 4 && x.shape[3] === 1)) && x.shape[0] === b && x.shape[1] === h &&
    x.shape[2] === w;
  if (!ok) throw new Error(`${what}: expected shape [${b}, ${h}, ${w}] or [${b}, ${h}, ${w}, 1], got [${x.shape}]`);
  return tf.cast(tf.reshape(x, [b, h, w]), "float32") as Tensor3D;
}

/**
 * Two-class logits from `[B, H, W, 1 | 2]`: a 2-channel input is returned as is; a single channel
 * z becomes [0, z] (so softmax gives [1 - sigmoid(z), sigmoid(z)]).
 */
export function twoClassLogits(logits: Tensor4D, what: string): Tensor4D {
  const k = logits.shape[3];
  if (k === 2) return logits.clone();
  if (k === 1) return tf.concat([tf.zerosLike(logits), logits], 3);
  throw new Error(`${what}: expected 1 or 2 logit channels, got ${k}`);
}
