/**
 * Fixations to a gaze heatmap, as GazeMedSeg builds it (docs/METHOD.md section 3.1):
 *
 * 1. a 768 x 768 float32 canvas of zeros, whatever the image size;
 * 2. each fixation adds its duration (ms) at row round(y * 768) - 1,
 *    column round(x * 768) - 1, with Python's `round` (halves to even: 5,082
 *    of the 26,832 Kvasir coordinates are exact halves, so this matters);
 * 3. Gaussian blur, sigma 70 canvas px (Kvasir, ISIC) or 50 (NCI-ISBI),
 *    scipy `reflect` borders, truncated at 4 sigma ({@link blurPoints});
 * 4. min-max normalisation to [0, 1] in float32;
 * 5. bicubic resize to the image's own size (Keys a = -0.75, half-pixel
 *    centres, clamped borders: cv2.INTER_CUBIC, lib/data/resize.ts).
 *
 * The result is float32 and may overshoot [0, 1] slightly where bicubic
 * interpolation rings; quantise.ts turns it into the stored 8-bit map.
 *
 * Edge case, round(v * 768) = 0 (v < 1/1536, i.e. a fixation in the first
 * half canvas pixel): the Python code then indexes -1, which numpy reads as the
 * LAST row/column, moving the fixation to the opposite border. No real row does
 * this (0 of 26,832 Kvasir and 0 of 17,397 NCI-ISBI fixations), so it changes
 * no published number; the default `edge: "clamp"` puts such a fixation in
 * row/column 0 where it was looked at, and `edge: "wrap"` reproduces numpy.
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";
import { resize } from "../data/resize.ts";
import type { DatasetName } from "../data/types.ts";
import type { Fixation } from "./fixations.ts";
import { blurPoints, type CanvasPoint } from "./gaussian_filter.ts";

/** Side of the square canvas fixations are drawn on (GazeMedSeg: 768). */
export const HEATMAP_CANVAS = 768;

/** Gaussian sigma in canvas pixels per dataset (docs/METHOD.md 3.1; synthetic follows Kvasir). */
export const HEATMAP_SIGMA: Readonly<Record<DatasetName, number>> = {
  kvasir: 70,
  isic: 70,
  "nci-isbi": 50,
  synthetic: 70,
};

/**
 * The sigma (canvas pixels) that {@link HeatmapOptions.sigma} stands for: a positive number as is, a dataset name
 * through {@link HEATMAP_SIGMA}. Anything else fails with a message naming what was given and what is accepted.
 *
 * @example
 * ```ts
 * import { heatmapSigma } from "../../mod.ts";
 * if (heatmapSigma("nci-isbi") !== 50 || heatmapSigma(12.5) !== 12.5) throw new Error("bad sigma");
 * ```
 */
export function heatmapSigma(sigma: number | DatasetName): number {
  if (typeof sigma === "string") {
    if (Object.hasOwn(HEATMAP_SIGMA, sigma)) return HEATMAP_SIGMA[sigma];
    throw new Error(
      `heatmap sigma: unknown dataset ${JSON.stringify(sigma)}; expected a number of canvas pixels or one of ${
        Object.keys(HEATMAP_SIGMA).join(", ")
      }`,
    );
  }
  if (typeof sigma === "number" && sigma > 0 && Number.isFinite(sigma)) return sigma;
  let shown: string;
  try {
    shown = JSON.stringify(sigma) ?? String(sigma);
  } catch {
    shown = String(sigma);
  }
  throw new Error(
    `heatmap sigma: expected a finite number of canvas pixels > 0 or a dataset name (${
      Object.keys(HEATMAP_SIGMA).join(", ")
    }), got ${shown}${
      typeof sigma === "object" && sigma !== null ? " (pass HEATMAP_SIGMA[dataset] or the dataset name)" : ""
    }`,
  );
}

/** How a coordinate that rounds to canvas index -1 is placed (see the module notes). */
export type CanvasEdge = "clamp" | "wrap";

/** Options for {@link gazeHeatmap}. */
export interface HeatmapOptions {
  /** Output width in pixels (the image's width). */
  width: number;
  /** Output height in pixels (the image's height). */
  height: number;
  /**
   * Gaussian sigma in canvas pixels (> 0), or a dataset name whose published sigma to use: `"kvasir"`, `"isic"`
   * and `"synthetic"` give 70, `"nci-isbi"` 50 (the values of {@link HEATMAP_SIGMA}).
   */
  sigma: number | DatasetName;
  /** Canvas side (default {@link HEATMAP_CANVAS}). */
  canvas?: number;
  /** Kernel truncation in sigmas (default 4). */
  truncate?: number;
  /** Index -1 handling (default "clamp"). */
  edge?: CanvasEdge;
}

/** Python 3 `round(t)`: nearest integer, exact halves to the even neighbour. */
export function roundHalfEven(t: number): number {
  const f = Math.floor(t), d = t - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Canvas index of a normalised coordinate: round(v * canvas) - 1, with the
 * -1 case handled by `edge`.
 *
 * @example
 * ```ts
 * import { canvasIndex } from "../../mod.ts";
 * if (canvasIndex(0.5, 768) !== 383) throw new Error("bad index");
 * if (canvasIndex(0, 768) !== 0 || canvasIndex(0, 768, "wrap") !== 767) throw new Error("bad edge");
 * ```
 */
export function canvasIndex(v: number, canvas: number, edge: CanvasEdge = "clamp"): number {
  if (!(v >= 0 && v <= 1)) throw new Error(`canvasIndex: coordinate ${v} is outside [0, 1]`);
  const i = roundHalfEven(v * canvas) - 1;
  if (i >= 0) return i;
  return edge === "wrap" ? canvas - 1 : 0;
}

/**
 * The non-zero pixels of the fixation canvas: one point per fixation, weight =
 * duration in ms (points on the same pixel add up when blurred).
 */
export function fixationCanvasPoints(
  fixations: readonly Pick<Fixation, "x" | "y" | "duration">[],
  options: { canvas?: number; edge?: CanvasEdge } = {},
): CanvasPoint[] {
  const canvas = options.canvas ?? HEATMAP_CANVAS;
  return fixations.map((f) => ({
    row: canvasIndex(f.y, canvas, options.edge),
    col: canvasIndex(f.x, canvas, options.edge),
    weight: f.duration,
  }));
}

/**
 * The min-max normalised canvas (before resizing), float32, `canvas` x `canvas`.
 * A canvas whose blurred values are all equal (impossible with at least one
 * fixation of positive duration) normalises to zeros instead of numpy's NaN.
 */
export function normalisedCanvas(
  fixations: readonly Pick<Fixation, "x" | "y" | "duration">[],
  options: Omit<HeatmapOptions, "width" | "height">,
): Float32Array {
  if (fixations.length === 0) throw new Error("gazeHeatmap: no fixations; a heatmap needs at least one");
  const canvas = options.canvas ?? HEATMAP_CANVAS;
  const blurred = blurPoints(fixationCanvasPoints(fixations, options), canvas, canvas, {
    sigma: heatmapSigma(options.sigma),
    truncate: options.truncate,
  });
  let mn = Infinity, mx = -Infinity;
  for (const v of blurred) {
    if (v < mn) mn = v;
    if (v > mx) mx = v;
  }
  const range = Math.fround(mx - mn);
  const out = new Float32Array(blurred.length);
  if (range > 0) { for (let i = 0; i < out.length; i++) out[i] = Math.fround(blurred[i] - mn) / range; }
  return out;
}

/**
 * The gaze heatmap of one image at the image's size: float32, 1 channel,
 * values in [0, 1] up to bicubic overshoot.
 *
 * @example
 * ```ts
 * import { gazeHeatmap } from "../../mod.ts";
 * const h = gazeHeatmap([{ x: 0.5, y: 0.5, duration: 200 }], { width: 40, height: 30, sigma: "kvasir" });
 * if (h.width !== 40 || h.height !== 30 || h.channels !== 1) throw new Error("bad shape");
 * ```
 */
export function gazeHeatmap(
  fixations: readonly Pick<Fixation, "x" | "y" | "duration">[],
  options: HeatmapOptions,
): Raster<Float32Array> {
  const { width, height } = options;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`gazeHeatmap: output size must be positive integers, got ${width}x${height}`);
  }
  const canvas = options.canvas ?? HEATMAP_CANVAS;
  const norm = normalisedCanvas(fixations, options);
  const src: Raster<Float32Array> = { width: canvas, height: canvas, channels: 1, data: norm };
  return resize(src, { width, height, mode: "bicubic" }) as Raster<Float32Array>;
}
