/**
 * The learning-rate schedule and epoch count of docs/METHOD.md section 7:
 * lr goes from `lrMax` (1e-2) to `lrMin` (1e-4) along a half cosine, stepped
 * once per EPOCH (not per iteration), over
 * `epochs = floor(iterations / batchesPerEpoch) + 1`.
 *
 * lr(e) = lrMin + (lrMax - lrMin) * (1 + cos(pi * e / epochs)) / 2, e = 0..epochs-1
 * (the form of torch's CosineAnnealingLR with T_max = epochs, eta_min = lrMin).
 *
 * @module
 */

/** Number of epochs needed to cover `iterations` at `batchesPerEpoch` (last partial batch kept). */
export function epochsFor(iterations: number, batchesPerEpoch: number): number {
  if (batchesPerEpoch < 1) throw new Error(`epochsFor: batchesPerEpoch must be >= 1, got ${batchesPerEpoch}`);
  return Math.floor(iterations / batchesPerEpoch) + 1;
}

/**
 * Learning rate for epoch `epoch` (0-based) of `epochs`.
 *
 * @example
 * ```ts
 * import { halfCosineLr } from "../../mod.ts";
 * halfCosineLr(0, { epochs: 10, lrMax: 1e-2, lrMin: 1e-4 }); // 1e-2
 * ```
 */
export function halfCosineLr(epoch: number, options: { epochs: number; lrMax: number; lrMin: number }): number {
  const { epochs, lrMax, lrMin } = options;
  return lrMin + (lrMax - lrMin) * (1 + Math.cos((Math.PI * epoch) / epochs)) / 2;
}
