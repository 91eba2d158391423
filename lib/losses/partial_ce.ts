/**
 * Partial cross-entropy (the paper's teacher loss): only labelled pixels count.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { pixelBce, pixelBceKernelAvailable } from "../backend/pixel_bce.ts";
import { pixelMap, twoClassLogits } from "./foreground.ts";
import type { Scalar, Tensor, Tensor4D } from "../backend/tensor_types.ts";

/** Options for {@link partialCrossEntropy}. */
export interface PartialCrossEntropyOptions {
  /** `[B, H, W]` or `[B, H, W, 1]`; 1 = ignore this pixel (e.g. the ring where two gaze levels disagree), 0 = labelled. */
  ignore: Tensor;
}

/**
 * Cross-entropy averaged over the labelled pixels (all images together, like PyTorch's
 * `ignore_index` with mean reduction); 0 when no pixel is labelled.
 * Two logit channels: softmax CE with class = target (0 background, 1 foreground);
 * one channel z: binary CE with logits (the same as softmax CE over [0, z]).
 * On the cpu and wasm backends this is one fused kernel each way (lib/backend/pixel_bce.ts);
 * elsewhere tf ops.
 *
 * @param logits `[B, H, W, 1 | 2]`.
 * @param target `[B, H, W]` or `[B, H, W, 1]` with values 0 / 1 (rounded).
 * @returns a scalar.
 */
export function partialCrossEntropy(
  logits: Tensor4D,
  target: Tensor,
  options: PartialCrossEntropyOptions,
): Scalar {
  return tf.tidy(() => {
    const [b, h, w, k] = logits.shape;
    const t = pixelMap(target, [b, h, w], "partialCrossEntropy target");
    const ignore = pixelMap(options.ignore, [b, h, w], "partialCrossEntropy ignore");
    if (pixelBceKernelAvailable() && (k === 1 || k === 2)) return pixelBce(logits, t, { mode: "partial", ignore });
    const y = tf.round(t);
    const labelled = tf.sub(1, tf.step(tf.sub(ignore, 0.5))); // step (not greater) keeps tf.grad happy
    const logp = tf.logSoftmax(twoClassLogits(logits, "partialCrossEntropy logits"), -1);
    const onehot = tf.stack([tf.sub(1, y), y], 3);
    const ce = tf.neg(tf.sum(tf.mul(logp, onehot), 3));
    const count = tf.sum(labelled);
    return tf.div(tf.sum(tf.mul(ce, labelled)), tf.maximum(count, 1)) as Scalar;
  });
}
