/**
 * Multi-level gaze pseudo-masks (docs/METHOD.md section 3.3). At load time the CRF
 * map is resized BILINEARLY to the training size together with the image and
 * flipped with it (the data batcher does both), and only then thresholded here
 * with `>=`. Two levels per dataset: Kvasir / ISIC / synthetic 0.5 and 0.3,
 * NCI-ISBI 0.2 and 0.4. Per sample the two masks are ordered by area: the
 * SMALLER is M_hc (high confidence, supervises the teacher), the larger M_bc
 * (broad coverage, supervises the student). Masks from one map at thresholds
 * t1 > t2 are nested (mask(t1) is inside mask(t2)), so the smaller one is the
 * higher threshold's; ties (equal areas) keep the threshold order.
 *
 * GazeMedSeg's other level sets (1 to 5 levels) are in {@link GAZEMEDSEG_LEVEL_SETS}.
 * Everything here is plain typed-array code: no tensors.
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";
import type { DatasetName } from "../data/types.ts";

/** The two thresholds per dataset used by FGI (in the order the code lists them). */
export const LEVEL_THRESHOLDS: Readonly<Record<DatasetName, readonly [number, number]>> = {
  kvasir: [0.5, 0.3],
  isic: [0.5, 0.3],
  synthetic: [0.5, 0.3],
  "nci-isbi": [0.2, 0.4],
};

/** GazeMedSeg's threshold sets by number of levels (Kvasir / ISIC values; 2 levels = {@link LEVEL_THRESHOLDS}). */
export const GAZEMEDSEG_LEVEL_SETS: Readonly<Record<1 | 2 | 3 | 4 | 5, readonly number[]>> = {
  1: [0.5],
  2: [0.5, 0.3],
  3: [0.5, 0.3, 0.4],
  4: [0.5, 0.3, 0.367, 0.433],
  5: [0.5, 0.3, 0.35, 0.4, 0.45],
};

/**
 * The thresholds for a dataset and number of levels: 2 levels gives the
 * dataset's own pair ({@link LEVEL_THRESHOLDS}); other counts give
 * {@link GAZEMEDSEG_LEVEL_SETS} (defined for Kvasir-style thresholds only).
 */
export function levelThresholds(dataset: DatasetName, levels = 2): readonly number[] {
  if (levels === 2) return LEVEL_THRESHOLDS[dataset];
  const set = GAZEMEDSEG_LEVEL_SETS[levels as 1 | 2 | 3 | 4 | 5];
  if (!set) throw new Error(`levelThresholds: levels must be 1 to 5, got ${levels}`);
  return set;
}

function mapData(map: Raster | Float32Array): ArrayLike<number> {
  if (map instanceof Float32Array) return map;
  if (map.channels !== 1) throw new Error(`gaze levels: expected a 1-channel map, got ${map.channels} channels`);
  return map.data;
}

/**
 * Binary mask (0/1 bytes) of `map >= threshold`; `map` is a float map in
 * [0, 1] (a Float32Array or a 1-channel raster).
 *
 * @example
 * ```ts
 * import { thresholdMap } from "../../mod.ts";
 * const m = thresholdMap(new Float32Array([0.29, 0.3, 0.7]), 0.3);
 * if (m.join() !== "0,1,1") throw new Error(m.join());
 * ```
 */
export function thresholdMap(map: Raster | Float32Array, threshold: number): Uint8Array {
  const src = mapData(map), out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[i] >= threshold ? 1 : 0;
  return out;
}

/** One level: its threshold, its mask and its area (foreground pixels). */
export interface GazeLevel {
  /** Threshold the mask was cut at (`>=`). */
  threshold: number;
  /** 0/1 mask, same length as the map. */
  mask: Uint8Array;
  /** Number of foreground pixels. */
  area: number;
}

/**
 * Cut a map at each threshold (in the given order).
 */
export function gazeLevels(map: Raster | Float32Array, thresholds: readonly number[]): GazeLevel[] {
  return thresholds.map((threshold) => {
    const mask = thresholdMap(map, threshold);
    let area = 0;
    for (let i = 0; i < mask.length; i++) area += mask[i];
    return { threshold, mask, area };
  });
}

/** The two FGI masks of one sample. */
export interface ConfidenceMasks {
  /** M_hc: the smaller-area level (supervises the teacher). */
  hc: GazeLevel;
  /** M_bc: the larger-area level (supervises the student). */
  bc: GazeLevel;
}

/**
 * M_hc / M_bc of one sample: cut the (already resized and flipped) map at the
 * two thresholds and order by area, smaller first. Ties keep threshold order.
 *
 * @example
 * ```ts
 * import { confidenceMasks } from "../../mod.ts";
 * const { hc, bc } = confidenceMasks(new Float32Array([0.1, 0.35, 0.6, 0.9]), { thresholds: [0.5, 0.3] });
 * if (hc.area !== 2 || bc.area !== 3) throw new Error("bad order");
 * ```
 */
export function confidenceMasks(
  map: Raster | Float32Array,
  options: { thresholds: readonly number[] },
): ConfidenceMasks {
  if (options.thresholds.length !== 2) {
    throw new Error(`confidenceMasks: expected 2 thresholds, got ${options.thresholds.length}`);
  }
  const [a, b] = gazeLevels(map, options.thresholds);
  return b.area < a.area ? { hc: b, bc: a } : { hc: a, bc: b };
}

/** Levels sorted by area, smallest first (stable, so ties keep threshold order). */
export function orderLevelsByArea(levels: readonly GazeLevel[]): GazeLevel[] {
  return [...levels].sort((x, y) => x.area - y.area);
}
