/**
 * Binary cross-entropy with logits on the foreground channel over all pixels (the code's teacher
 * loss L_T and the student loss L_S; GazeMedSeg's per-level loss).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { pixelBce, pixelBceKernelAvailable } from "../backend/pixel_bce.ts";
import { logitChannel, logitChannelIndex, pixelMap } from "./foreground.ts";
import type { Scalar, Tensor, Tensor3D, Tensor4D } from "../backend/tensor_types.ts";

/** Options for {@link bceWithLogits}. */
export interface BceWithLogitsOptions {
  /** Logit channel that is the foreground (default: the last channel). */
  channel?: number;
}

/**
 * Per pixel  max(z, 0) - z*y + log(1 + exp(-|z|))  (numerically stable BCE), z = `logits[..., channel]`.
 * Not reduced: `[B, H, W]`.
 */
export function bceWithLogitsMap(
  logits: Tensor4D,
  target: Tensor,
  options: BceWithLogitsOptions = {},
): Tensor3D {
  return tf.tidy(() => {
    const z = logitChannel(logits, options.channel);
    const y = pixelMap(target, z.shape, "bceWithLogits target");
    return tf.add(tf.sub(tf.relu(z), tf.mul(z, y)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))) as Tensor3D;
  });
}

/**
 * mean over all B*H*W pixels of  max(z, 0) - z*y + log(1 + exp(-|z|))  (PyTorch
 * `BCEWithLogitsLoss`), z = `logits[..., channel]`. On the cpu and wasm backends one fused kernel
 * each way (lib/backend/pixel_bce.ts, the sum in float64); elsewhere the tf ops of
 * {@link bceWithLogitsMap}.
 *
 * @param logits `[B, H, W, K]`.
 * @param target `[B, H, W]` or `[B, H, W, 1]`, values in [0, 1] (0/1 masks or soft targets).
 * @returns a scalar.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { bceWithLogits, selectBackend } from "../../mod.ts";
 * await selectBackend("cpu");
 * const loss = bceWithLogits(tf.zeros([1, 2, 2, 2]) as tf.Tensor4D, tf.ones([1, 2, 2]));
 * console.log(loss.dataSync()[0]); // log 2 = 0.693...
 * ```
 */
export function bceWithLogits(logits: Tensor4D, target: Tensor, options: BceWithLogitsOptions = {}): Scalar {
  return tf.tidy(() => {
    if (!pixelBceKernelAvailable()) return tf.mean(bceWithLogitsMap(logits, target, options)) as Scalar;
    const [b, h, w, k] = logits.shape;
    const channel = logitChannelIndex(k, options.channel);
    return pixelBce(logits, pixelMap(target, [b, h, w], "bceWithLogits target"), { channel });
  });
}
