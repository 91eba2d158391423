/**
 * DARM, `prediction` variant (the paper): candidates are the pixels where the teacher's and the
 * student's predictions disagree, visited from the largest disagreement down.
 *
 * @module
 */
import { checkDarmArrays, darmSettings, maskBlocks } from "./mask_blocks.ts";
import type { DarmOptions, DarmResult, DarmShape } from "./types.ts";

/** Inputs of {@link darmPrediction}. */
export interface DarmPredictionInputs {
  /** Normalised image `B*H*W*C`. */
  image: Float32Array;
  /** Broad-coverage mask M_bc `B*H*W` (0/1), masked like the image. */
  mbc: Float32Array | Uint8Array;
  /** Teacher foreground probability `B*H*W`. */
  teacherProb: Float32Array;
  /** Student foreground probability `B*H*W`. */
  studentProb: Float32Array;
  /** Geometry. */
  shape: DarmShape;
}

/**
 * U = {pixels where (p_T > 0.5) != (p_S > 0.5)}, ordered by |p_T - p_S| descending (ties in
 * shuffled order, from `options.rng`); blocks as in `maskBlocks`.
 */
export function darmPrediction(inputs: DarmPredictionInputs, options: DarmOptions): DarmResult {
  darmSettings(options);
  const { teacherProb: pt, studentProb: ps } = inputs;
  checkDarmArrays(inputs.shape, { image: inputs.image, mbc: inputs.mbc, teacherProb: pt, studentProb: ps });
  const u: number[] = [];
  for (let i = 0; i < pt.length; i++) {
    if ((pt[i] > 0.5) !== (ps[i] > 0.5)) u.push(i);
  }
  options.rng.shuffle(u);
  const gap = (i: number) => Math.abs(pt[i] - ps[i]);
  // Array.prototype.sort is stable, so equal gaps keep their shuffled order.
  u.sort((a, b) => gap(b) - gap(a));
  return maskBlocks({ image: inputs.image, mbc: inputs.mbc, order: u, shape: inputs.shape }, options);
}
