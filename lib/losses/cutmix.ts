/**
 * CutMix for CWC (docs/METHOD.md section 6.4), as the released code's `rand_bbox` / `cut_mix` draw it: per
 * call, lambda ~ Beta(4, 4) and a random batch permutation; box side cut = floor(side * sqrt(1 -
 * lambda)) per axis; and PER SAMPLE a box centre, an integer uniform in [floor(side/8), side) per
 * axis; box = [centre - floor(cut/2), centre + floor(cut/2)) clipped to the image. Sample i receives
 * its box from sample `permutation[i]`, in the image and (with the same draw) in the target logits.
 * The trainer calls it once per CWC direction. `perSample: false` draws one centre for the whole
 * batch (this toolkit's earlier behaviour, switch `cutMix: "shared"`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";

/** A box of half-open pixel ranges. */
export interface PixelBox {
  /** First row. */
  y0: number;
  /** One past the last row. */
  y1: number;
  /** First column. */
  x0: number;
  /** One past the last column. */
  x1: number;
}

/** A CutMix draw: lambda, the batch permutation and one box per sample. */
export interface CutMixBox {
  /** Mixing ratio drawn from Beta(4, 4). */
  lambda: number;
  /** Sample i receives its box from sample `permutation[i]`. */
  permutation: number[];
  /** The box of sample i (all equal for a shared draw). */
  boxes: PixelBox[];
}

/** Options for {@link drawCutMixBox}. */
export interface DrawCutMixBoxOptions {
  /** The generator. */
  rng: Rng;
  /** Beta parameters (default 4, 4). */
  alpha?: number;
  /** One box centre per sample (default true, the released code) or one for the batch. */
  perSample?: boolean;
}

/**
 * Draw CutMix boxes for a batch of `batch` images of `height x width`. Order of draws: lambda; then
 * all row centres (one per sample, or one), then all column centres (as numpy draws its `cx` and `cy`
 * arrays); then the permutation.
 */
export function drawCutMixBox(
  batch: number,
  size: { height: number; width: number },
  options: DrawCutMixBoxOptions,
): CutMixBox {
  const { rng } = options;
  const alpha = options.alpha ?? 4;
  const perSample = options.perSample ?? true;
  const { height: h, width: w } = size;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new Error(`drawCutMixBox: batch must be >= 1, got ${batch}`);
  if (!(h >= 8 && w >= 8)) throw new Error(`drawCutMixBox: image must be at least 8 x 8, got ${h} x ${w}`);
  const lambda = rng.beta(alpha, alpha);
  const cut = Math.sqrt(1 - lambda);
  const ch = Math.floor(h * cut), cw = Math.floor(w * cut);
  const n = perSample ? batch : 1;
  const cys = Array.from({ length: n }, () => rng.int(Math.floor(h / 8), h - 1));
  const cxs = Array.from({ length: n }, () => rng.int(Math.floor(w / 8), w - 1));
  const permutation = rng.shuffle([...Array(batch).keys()]);
  return {
    lambda,
    permutation,
    boxes: Array.from(
      { length: batch },
      (_, i) => cutMixBoxAt(cys[perSample ? i : 0], cxs[perSample ? i : 0], { ch, cw, h, w }),
    ),
  };
}

/** The box of centre (cy, cx) and cut sides (ch, cw): [c - floor(cut/2), c + floor(cut/2)) clipped to [0, side]. */
export function cutMixBoxAt(
  cy: number,
  cx: number,
  dims: { ch: number; cw: number; h: number; w: number },
): PixelBox {
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  return {
    y0: clip(cy - Math.floor(dims.ch / 2), dims.h),
    y1: clip(cy + Math.floor(dims.ch / 2), dims.h),
    x0: clip(cx - Math.floor(dims.cw / 2), dims.w),
    x1: clip(cx + Math.floor(dims.cw / 2), dims.w),
  };
}

/** The boxes as a `[B, H, W, 1]` 0/1 float mask (1 inside sample i's box). */
export function cutMixMask(box: CutMixBox, size: { height: number; width: number }): Tensor4D {
  const { height: h, width: w } = size;
  const b = box.boxes.length;
  const m = new Float32Array(b * h * w);
  box.boxes.forEach((r, i) => {
    for (let y = r.y0; y < r.y1; y++) m.fill(1, i * h * w + y * w + r.x0, i * h * w + y * w + r.x1);
  });
  return tf.tensor4d(m, [b, h, w, 1]);
}

/**
 * Paste sample i's box from `x[permutation[i]]` into `x[i]` for every i. `x` is `[B, H, W, C]`;
 * returns a new tensor of the same shape. Apply it with the same draw to the image and to the
 * target logits.
 */
export function applyCutMix(x: Tensor4D, box: CutMixBox): Tensor4D {
  const [b, h, w] = x.shape;
  if (box.permutation.length !== b || box.boxes.length !== b) {
    throw new Error(
      `applyCutMix: draw has ${box.permutation.length} permutation entries and ${box.boxes.length} boxes ` +
        `for a batch of ${b}`,
    );
  }
  return tf.tidy(() => {
    const m = cutMixMask(box, { height: h, width: w });
    const other = tf.gather(x, tf.tensor1d(box.permutation, "int32"), 0);
    return tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(other, m)) as Tensor4D;
  });
}
