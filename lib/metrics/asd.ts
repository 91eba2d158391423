/**
 * Average surface distances, medpy's `asd` (directed) and `assd` (symmetric).
 *
 * @module
 */
import type { Mask } from "./mask.ts";
import {
  emptyCaseValue,
  type SurfaceDistanceOptions,
  type SurfaceDistances,
  surfaceDistances,
} from "./surface_distance.ts";

function meanOf(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s / a.length;
}

/** ASD from precomputed distances: the mean of the directed prediction -> GT distances. */
export function asdFromDistances(d: SurfaceDistances): number {
  return meanOf(d.predToGt);
}

/**
 * ASSD from precomputed distances: medpy's `mean((asd(P, G), asd(G, P)))`, i.e. the mean
 * of the two directed MEANS (not the mean over the pooled distances).
 */
export function assdFromDistances(d: SurfaceDistances): number {
  return (meanOf(d.predToGt) + meanOf(d.gtToPred)) / 2;
}

/**
 * Average surface distance (medpy `asd(result=pred, reference=gt)`): the mean distance
 * from each surface pixel of the prediction to the nearest surface pixel of the ground
 * truth, in spacing units. Empty masks follow `options.empty` (default `null`).
 *
 * @example
 * ```ts
 * import { asd } from "../../mod.ts";
 * const a = { width: 4, height: 1, data: new Uint8Array([1, 0, 0, 0]) };
 * const b = { width: 4, height: 1, data: new Uint8Array([0, 0, 1, 1]) };
 * const d = asd(a, b); // 2
 * ```
 */
export function asd(pred: Mask, gt: Mask, options: SurfaceDistanceOptions = {}): number | null {
  const d = surfaceDistances(pred, gt, options);
  return d ? asdFromDistances(d) : emptyCaseValue(pred, gt, options);
}

/**
 * Average symmetric surface distance (medpy `assd`): the mean of ASD(P, G) and ASD(G, P).
 * Empty masks follow `options.empty` (default `null`).
 */
export function assd(pred: Mask, gt: Mask, options: SurfaceDistanceOptions = {}): number | null {
  const d = surfaceDistances(pred, gt, options);
  return d ? assdFromDistances(d) : emptyCaseValue(pred, gt, options);
}
