/**
 * CutMix for CWC (docs/METHOD.md section 6.4): lambda ~ Beta(4, 4) once per batch, box side
 * floor(side * sqrt(1 - lambda)) per axis, box centre an integer uniform in [floor(side/8), side)
 * per axis, box = [centre - floor(cut/2), centre + floor(cut/2)) clipped to the image; the same box,
 * taken from a random batch permutation, is pasted into the image and into the target logits.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";

/** A CutMix draw: the box (half-open pixel ranges), lambda and the batch permutation. */
export interface CutMixBox {
  /** Mixing ratio drawn from Beta(4, 4). */
  lambda: number;
  /** First row of the box. */
  y0: number;
  /** One past the last row. */
  y1: number;
  /** First column. */
  x0: number;
  /** One past the last column. */
  x1: number;
  /** Sample i receives the box from sample `permutation[i]`. */
  permutation: number[];
}

/** Options for {@link drawCutMixBox}. */
export interface DrawCutMixBoxOptions {
  /** The generator. */
  rng: Rng;
  /** Beta parameters (default 4, 4). */
  alpha?: number;
}

/**
 * Draw one CutMix box for a batch of `batch` images of `height x width` (order of draws: lambda,
 * row centre, column centre, permutation).
 */
export function drawCutMixBox(
  batch: number,
  size: { height: number; width: number },
  options: DrawCutMixBoxOptions,
): CutMixBox {
  const { rng } = options;
  const alpha = options.alpha ?? 4;
  const { height: h, width: w } = size;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`drawCutMixBox: batch must be >= 1, got ${batch}`);
  if (!(h >= 8 && w >= 8)) throw new Error(`drawCutMixBox: image must be at least 8 x 8, got ${h} x ${w}`);
  const lambda = rng.beta(alpha, alpha);
  const cut = Math.sqrt(1 - lambda);
  const ch = Math.floor(h * cut), cw = Math.floor(w * cut);
  const cy = rng.int(Math.floor(h / 8), h - 1), cx = rng.int(Math.floor(w / 8), w - 1);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const permutation = rng.shuffle([...Array(batch).keys()]);
  return {
    lambda,
    y0: clip(cy - Math.floor(ch / 2), h),
    y1: clip(cy + Math.floor(ch / 2), h),
    x0: clip(cx - Math.floor(cw / 2), w),
    x1: clip(cx + Math.floor(cw / 2), w),
    permutation,
  };
}

/** The box as a `[1, H, W, 1]` 0/1 float mask (1 inside). */
export function cutMixMask(box: CutMixBox, size: { height: number; width: number }): Tensor4D {
  const { height: h, width: w } = size;
  const m = new Float32Array(h * w);
  for (let y = box.y0; y < box.y1; y++) m.fill(1, y * w + box.x0, y * w + box.x1);
  return tf.tensor4d(m, [1, h, w, 1]);
}

/**
 * Paste `box` from `x[permutation[i]]` into `x[i]` for every i. `x` is `[B, H, W, C]`; returns a
 * new tensor of the same shape. Apply it with the same box to the image and to the target logits.
 */
export function applyCutMix(x: Tensor4D, box: CutMixBox): Tensor4D {
  const [b, h, w] = x.shape;
  if (box.permutation.length !== b) {
    throw new Error(`applyCutMix: permutation has ${box.permutation.length} entries for a batch of ${b}`);
  }
  return tf.tidy(() => {
    const m = cutMixMask(box, { height: h, width: w });
    const other = tf.gather(x, tf.tensor1d(box.permutation, "int32"), 0);
    return tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(other, m)) as Tensor4D;
  });
}
