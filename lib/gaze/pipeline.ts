/**
 * Fixations + image to the two stored 8-bit maps, in the order of the original
 * pipeline (GazeMedSeg's gaze-annotation notebooks): heatmap -> quantise
 * (-> JPEG round trip) -> the CRF reads the STORED heatmap / 255 -> CRF map ->
 * quantise (-> JPEG round trip).
 *
 * Two storage settings:
 * - toolkit default: `quantise: "round"`, no JPEG (lossless, threshold-exact);
 * - `quantise: "original"` + `jpeg: true`: bit-faithful to the Kvasir original
 *   (float16 truncation for the heatmap, float32 truncation for the CRF map,
 *   PIL-default JPEG quality 75). NCI-ISBI's original stored PNG: use
 *   `quantise: "original"` alone there.
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";
import type { DatasetName } from "../data/types.ts";
import { denseCrf, type DenseCrfOptions } from "./crf.ts";
import type { Fixation } from "./fixations.ts";
import { type CanvasEdge, gazeHeatmap, HEATMAP_CANVAS, HEATMAP_SIGMA } from "./heatmap.ts";
import { dequantiseMap, jpegRoundTrip, quantiseMap } from "./quantise.ts";

/** Everything that determines the stored maps (recorded in settings.json next to them). */
export interface GazeMapSettings {
  /** Gaussian sigma in canvas pixels. */
  sigma: number;
  /** Canvas side (768). */
  canvas: number;
  /** Index -1 handling of the canvas (heatmap.ts). */
  edge: CanvasEdge;
  /** "round" (toolkit) or "original" (numpy float16 / float32 truncation). */
  quantise: "round" | "original";
  /** Apply a JPEG encode/decode to each 8-bit map before storing (the Kvasir original). */
  jpeg: boolean;
  /** JPEG quality when `jpeg` (PIL's default 75). */
  jpegQuality: number;
  /** Dense CRF parameters. */
  crf: Required<DenseCrfOptions>;
}

/**
 * The settings of docs/METHOD.md section 3 for a dataset; `faithful` switches to the
 * original's quantisation and JPEG storage.
 *
 * @example
 * ```ts
 * import { gazeMapSettings } from "../../mod.ts";
 * const s = gazeMapSettings("nci-isbi");
 * if (s.sigma !== 50 || s.crf.thetaXY !== 80) throw new Error("bad settings");
 * ```
 */
export function gazeMapSettings(dataset: DatasetName, options: { faithful?: boolean } = {}): GazeMapSettings {
  return {
    sigma: HEATMAP_SIGMA[dataset],
    canvas: HEATMAP_CANVAS,
    edge: "clamp",
    quantise: options.faithful ? "original" : "round",
    jpeg: options.faithful ?? false,
    jpegQuality: 75,
    crf: { thetaXY: 80, thetaRGB: 13, weight: 1, iterations: 10, clip: 1e-5 },
  };
}

/** The two 8-bit maps of one image and how long each took. */
export interface ComputedGazeMaps {
  /** Stored heatmap (1 channel uint8, image size). */
  heatmap: Raster<Uint8Array>;
  /** Stored CRF map (1 channel uint8, image size). */
  crf: Raster<Uint8Array>;
  /** Seconds spent on the heatmap (including quantisation). */
  heatmapSeconds: number;
  /** Seconds spent on the CRF (including quantisation). */
  crfSeconds: number;
  /** Permutohedral lattice vertices of the CRF. */
  latticeVertices: number;
}

function store(map: Raster<Float32Array>, settings: GazeMapSettings, kind: "heatmap" | "crf"): Raster<Uint8Array> {
  const mode = settings.quantise === "round" ? "round" : kind === "heatmap" ? "numpy-f16" : "numpy-f32";
  const q = quantiseMap(map, { mode });
  return settings.jpeg ? jpegRoundTrip(q, { quality: settings.jpegQuality }) : q;
}

/**
 * Compute the stored heatmap and CRF map of one image from its fixations.
 * `image` is the sample's image at original size (RGB uint8, or 1-channel MRI).
 */
export function computeGazeMaps(
  image: Raster,
  fixations: readonly Pick<Fixation, "x" | "y" | "duration">[],
  settings: GazeMapSettings,
): ComputedGazeMaps {
  const t0 = performance.now();
  const heat = gazeHeatmap(fixations, {
    width: image.width,
    height: image.height,
    sigma: settings.sigma,
    canvas: settings.canvas,
    edge: settings.edge,
  });
  const heatmap = store(heat, settings, "heatmap");
  const t1 = performance.now();
  const { q1, vertices } = denseCrf(image, dequantiseMap(heatmap), settings.crf);
  const crf = store(q1, settings, "crf");
  const t2 = performance.now();
  return { heatmap, crf, heatmapSeconds: (t1 - t0) / 1000, crfSeconds: (t2 - t1) / 1000, latticeVertices: vertices };
}
