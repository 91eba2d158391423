/**
 * CutMix for CWC (METHOD section 6): lambda ~ Beta(4, 4) once per batch, box side
 * floor(side * sqrt(1 - lambda)) per axis, box centre an integer uniform in [floor(side/8), side)
 * per axis, box = [centre - floor(cut/2), centre + floor(cut/2)) clipped to the image; the same box,
 * taken from a random batch permutation, is pasted into the image and into the target logits.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";

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

/** Draw one CutMix box for a batch of `batch` images of `height x width`. */
export function drawCutMixBox(
  batch: number,
  size: { height: number; width: number },
  options: DrawCutMixBoxOptions,
): CutMixBox {
  void batch;
  void size;
  void options;
  throw new Error("drawCutMixBox: not yet implemented");
}

/**
 * Paste `box` from `x[permutation[i]]` into `x[i]` for every i. `x` is `[B, H, W, C]`; returns a
 * new tensor of the same shape. Apply it with the same box to the image and to the target logits.
 */
export function applyCutMix(x: tf.Tensor4D, box: CutMixBox): tf.Tensor4D {
  void x;
  void box;
  throw new Error("applyCutMix: not yet implemented");
}
