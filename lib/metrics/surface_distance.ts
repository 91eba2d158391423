/**
 * Surface distances between two binary masks, as medpy's `__surface_distances`:
 * for every surface pixel of one mask, the Euclidean distance (exact, with pixel
 * spacing) to the nearest surface pixel of the other. HD95, ASD and ASSD are
 * statistics of these sets.
 *
 * Empty masks. A mask with no foreground has no surface, so the distances are
 * undefined (medpy raises). The toolkit never crashes and never returns NaN; the
 * policy is chosen by {@link SurfaceDistanceOptions.empty}:
 * - `"null"` (default): HD95/ASD/ASSD are `null` whenever the prediction or the ground
 *   truth is empty (both empty included). Summaries leave nulls out of the mean and
 *   COUNT them (`nUndefined`), and tables show that count.
 * - `"diagonal"`: a penalty instead of a hole: the image diagonal in spacing units,
 *   sqrt((W * sx)^2 + (H * sy)^2), when exactly one mask is empty, and 0 when both are.
 *
 * @module
 */
import { checkSameSize, countForeground, type Mask } from "./mask.ts";
import { type Connectivity, surfacePixels } from "./surface.ts";
import { checkSpacing, distanceTransform, type Spacing } from "./distance_transform.ts";

/** What HD95/ASD/ASSD return when a mask is empty: see the module documentation. */
export type EmptyPolicy = "null" | "diagonal";

/** Options shared by the surface-distance metrics. */
export interface SurfaceDistanceOptions {
  /**
   * Pixel spacing `[row, column]`: the distance between row centres (along y), then between column centres (along
   * x), in mm when known; default `[1, 1]` (pixels). The order of DICOM PixelSpacing, of `SampleInfo.spacing` and
   * of `deno task score --spacing row,col`.
   */
  spacing?: Spacing;
  /** Erosion neighbourhood defining the surface: 1 (4-neighbourhood, medpy default) or 2 (8). */
  connectivity?: Connectivity;
  /** Result when the prediction or the ground truth is empty; default `"null"`. */
  empty?: EmptyPolicy;
}

/** Both directed surface-distance sets of a prediction P and a ground truth G. */
export interface SurfaceDistances {
  /** For each surface pixel of P (row-major order), the distance to the nearest surface pixel of G. */
  predToGt: Float64Array;
  /** For each surface pixel of G, the distance to the nearest surface pixel of P. */
  gtToPred: Float64Array;
}

/** Distances at the surface pixels of `fromSurface` to the nearest pixel of `toSurface`. */
function distancesBetween(
  fromSurface: Uint8Array,
  toSurface: Uint8Array,
  size: { width: number; height: number },
  spacing: Spacing | undefined,
): Float64Array {
  const dt = distanceTransform({ width: size.width, height: size.height, data: toSurface }, { spacing });
  let n = 0;
  for (let i = 0; i < fromSurface.length; i++) if (fromSurface[i]) n++;
  const out = new Float64Array(n);
  for (let i = 0, k = 0; i < fromSurface.length; i++) if (fromSurface[i]) out[k++] = dt[i];
  return out;
}

/**
 * Distances from every surface pixel of `from` to the nearest surface pixel of `to`
 * (medpy `__surface_distances(from, to)`), in row-major order of `from`'s surface.
 * Throws when either mask is empty (use {@link surfaceDistances} for the policy).
 */
export function directedSurfaceDistances(
  from: Mask,
  to: Mask,
  options: Omit<SurfaceDistanceOptions, "empty"> = {},
): Float64Array {
  checkSameSize(from, to);
  if (countForeground(from.data) === 0 || countForeground(to.data) === 0) {
    throw new Error("directedSurfaceDistances: a mask is empty, so it has no surface and distances are undefined");
  }
  const conn = options.connectivity ?? 1;
  return distancesBetween(
    surfacePixels(from, { connectivity: conn }),
    surfacePixels(to, { connectivity: conn }),
    to,
    options.spacing,
  );
}

/**
 * Both directed surface-distance sets, or `null` when the prediction or the ground
 * truth is empty (then see {@link emptyCaseValue}). Each surface and each distance
 * transform is computed once.
 */
export function surfaceDistances(
  pred: Mask,
  gt: Mask,
  options: SurfaceDistanceOptions = {},
): SurfaceDistances | null {
  checkSameSize(pred, gt);
  checkEmptyPolicy(options.empty);
  if (countForeground(pred.data) === 0 || countForeground(gt.data) === 0) return null;
  const conn = options.connectivity ?? 1;
  const ps = surfacePixels(pred, { connectivity: conn }), gs = surfacePixels(gt, { connectivity: conn });
  return {
    predToGt: distancesBetween(ps, gs, gt, options.spacing),
    gtToPred: distancesBetween(gs, ps, gt, options.spacing),
  };
}

/** The image diagonal sqrt((W * sx)^2 + (H * sy)^2) in spacing units (the "diagonal" penalty). */
export function imageDiagonal(size: { width: number; height: number }, spacing?: Spacing): number {
  const [sy, sx] = checkSpacing(spacing);
  return Math.hypot(size.width * sx, size.height * sy);
}

/**
 * The value HD95/ASD/ASSD take when a mask is empty, under `options.empty`:
 * `"null"` gives null; `"diagonal"` gives 0 when both are empty and the image diagonal
 * when one is. Throws if neither mask is empty (there is nothing to decide).
 */
export function emptyCaseValue(pred: Mask, gt: Mask, options: SurfaceDistanceOptions = {}): number | null {
  checkSameSize(pred, gt);
  const pe = countForeground(pred.data) === 0, ge = countForeground(gt.data) === 0;
  if (!pe && !ge) throw new Error("emptyCaseValue: neither mask is empty");
  const policy = checkEmptyPolicy(options.empty);
  if (policy === "null") return null;
  return pe && ge ? 0 : imageDiagonal(gt, options.spacing);
}

/** Validate an empty-mask policy (undefined means the default `"null"`). */
export function checkEmptyPolicy(policy: EmptyPolicy | undefined): EmptyPolicy {
  const p = policy ?? "null";
  if (p !== "null" && p !== "diagonal") {
    throw new Error(`empty-mask policy must be "null" or "diagonal", got ${JSON.stringify(p)}`);
  }
  return p;
}
