/**
 * What a segmentation network's raw 2-channel logits look like, pooled over pixels (issue 11,
 * "see inside a run"): mean channel-0 and channel-1 logits, the share of pixels called foreground
 * by sigmoid(channel 1) > 0.5 (channel-1 logit > 0, what the evaluation thresholds) and by the
 * softmax argmax (channel 1 > channel 0), and the share of pixels in CWC's positive set
 * (max softmax >= tauPos) and negative set (min softmax < tauNeg) when these logits are the CWC
 * target. Accumulate batch by batch with {@link OutputStats}; each `add` reads back six numbers.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor4D } from "../backend/tensor_types.ts";

/** The pooled quantities (plus `dice`, which the caller supplies from its own scoring). */
export const OUTPUT_QUANTITIES = ["logit0", "logit1", "fg_sigmoid", "fg_argmax", "cwc_pos", "cwc_neg", "dice"] as const;

/** One pooled quantity. */
export type OutputQuantity = (typeof OUTPUT_QUANTITIES)[number];

/** Accumulates {@link OUTPUT_QUANTITIES} (except `dice`) over batches of logits `[B, H, W, 1 | 2]`. */
export class OutputStats {
  #sums = [0, 0, 0, 0, 0, 0];
  #pixels = 0;
  /** CWC thresholds (default 0.8 / 0.2). */
  constructor(readonly thresholds: { tauPos?: number; tauNeg?: number } = {}) {}

  /** Add a batch of logits (not disposed). A single channel z is read as the pair [0, z]. */
  async add(logits: Tensor4D): Promise<void> {
    const [b, h, w, k] = logits.shape;
    if (k !== 1 && k !== 2) throw new Error(`OutputStats: expected 1 or 2 logit channels, got ${k}`);
    const tauPos = this.thresholds.tauPos ?? 0.8, tauNeg = this.thresholds.tauNeg ?? 0.2;
    const sums = tf.tidy(() => {
      const z1 = tf.slice(logits, [0, 0, 0, k - 1], [b, h, w, 1]);
      const z0 = k === 2 ? tf.slice(logits, [0, 0, 0, 0], [b, h, w, 1]) : tf.zerosLike(z1);
      const p1 = tf.sigmoid(tf.sub(z1, z0)); // softmax channel 1 of [z0, z1]
      const maxP = tf.maximum(p1, tf.sub(1, p1)), minP = tf.minimum(p1, tf.sub(1, p1));
      const count = (m: tf.Tensor) => tf.sum(tf.cast(m, "float32"));
      return tf.stack([
        tf.sum(z0),
        tf.sum(z1),
        count(tf.greater(z1, 0)),
        count(tf.greater(z1, z0)),
        count(tf.greaterEqual(maxP, tauPos)),
        count(tf.less(minP, tauNeg)),
      ]);
    });
    const v = await sums.data();
    sums.dispose();
    for (let i = 0; i < 6; i++) this.#sums[i] += v[i];
    this.#pixels += b * h * w;
  }

  /** Pixels added so far. */
  get pixels(): number {
    return this.#pixels;
  }

  /** The means and shares so far (NaN before any `add`); `dice` is passed through. */
  result(dice: number): Record<OutputQuantity, number> {
    const n = this.#pixels || NaN;
    const [s0, s1, fs, fa, pos, neg] = this.#sums;
    return {
      logit0: s0 / n,
      logit1: s1 / n,
      fg_sigmoid: fs / n,
      fg_argmax: fa / n,
      cwc_pos: pos / n,
      cwc_neg: neg / n,
      dice,
    };
  }
}

/** Mean per-image Dice of foreground logits `[B, H, W, 1 | 2]` (last channel > 0) against 0/1 masks `B*H*W`. */
export async function batchDice(logits: Tensor4D, masks: Float32Array): Promise<number> {
  const [b, h, w, k] = logits.shape;
  const fg = tf.tidy(() => tf.greater(tf.slice(logits, [0, 0, 0, k - 1], [b, h, w, 1]), 0));
  const pred = (await fg.data()) as Uint8Array;
  fg.dispose();
  const px = h * w;
  let total = 0;
  for (let i = 0; i < b; i++) {
    let inter = 0, p = 0, g = 0;
    for (let j = i * px; j < (i + 1) * px; j++) {
      const a = pred[j] ? 1 : 0, t = masks[j] > 0.5 ? 1 : 0;
      inter += a & t;
      p += a;
      g += t;
    }
    total += (2 * inter) / (p + g + 1e-7);
  }
  return total / b;
}
