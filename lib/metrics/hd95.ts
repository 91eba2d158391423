/**
 * The 95th-percentile Hausdorff distance, medpy's `hd95`.
 *
 * @module
 */
import type { Mask } from "./mask.ts";
import { percentile } from "./percentile.ts";
import {
  emptyCaseValue,
  type SurfaceDistanceOptions,
  type SurfaceDistances,
  surfaceDistances,
} from "./surface_distance.ts";

/**
 * HD95 from precomputed surface distances: the 95th percentile (numpy's linear rule) of
 * the UNION of both directed sets, as medpy `np.percentile(np.hstack((hd1, hd2)), 95)`.
 */
export function hd95FromDistances(d: SurfaceDistances): number {
  const all = new Float64Array(d.predToGt.length + d.gtToPred.length);
  all.set(d.predToGt);
  all.set(d.gtToPred, d.predToGt.length);
  all.sort();
  return percentile(all, 95, { sorted: true });
}

/**
 * HD95 of a prediction against a ground truth of the same size, in spacing units
 * (pixels, or mm when `options.spacing` is in mm). Empty masks follow `options.empty`
 * (default: `null`; see surface_distance.ts).
 *
 * @example
 * ```ts
 * import { hd95 } from "../../mod.ts";
 * const a = { width: 4, height: 1, data: new Uint8Array([1, 0, 0, 0]) };
 * const b = { width: 4, height: 1, data: new Uint8Array([0, 0, 0, 1]) };
 * const h = hd95(a, b); // 3
 * ```
 */
export function hd95(pred: Mask, gt: Mask, options: SurfaceDistanceOptions = {}): number | null {
  const d = surfaceDistances(pred, gt, options);
  return d ? hd95FromDistances(d) : emptyCaseValue(pred, gt, options);
}
