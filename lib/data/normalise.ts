/**
 * Per-dataset intensity normalisation (docs/METHOD.md section 2):
 * - `imagenet` (Kvasir-SEG, ISIC, synthetic): (x / 255 - mean_c) / std_c with
 *   ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225);
 * - `zscore` (NCI-ISBI): (x - mean) / std of the slice's own raw pixel array,
 *   population std (numpy's default, ddof 0), statistics taken at ORIGINAL size.
 *
 * Both are affine per channel, so applying them after a (bilinear) resize equals
 * resizing the normalised image; the pipeline resizes first and normalises with
 * statistics recorded from the original pixels.
 *
 * @module
 */
import type { Raster } from "./raster.ts";
import type { DatasetName } from "./types.ts";

/** Normalisation methods. */
export type Normalisation = "imagenet" | "zscore";

/** ImageNet channel means on x/255. */
export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
/** ImageNet channel standard deviations on x/255. */
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** Mean and population standard deviation of all values of an image. */
export interface ImageStats {
  /** Mean over all pixels and channels. */
  mean: number;
  /** Population standard deviation (ddof 0) over all pixels and channels. */
  std: number;
}

/** The normalisation a dataset uses: `zscore` for NCI-ISBI, `imagenet` otherwise. */
export function normalisationFor(name: DatasetName): Normalisation {
  return name === "nci-isbi" ? "zscore" : "imagenet";
}

/**
 * Mean and population std of every value of `r` (two passes, float64 sums).
 *
 * @example
 * ```ts
 * import { imageStats } from "../../mod.ts";
 * const s = imageStats({ width: 2, height: 1, channels: 1, data: new Float32Array([1, 3]) });
 * if (s.mean !== 2 || s.std !== 1) throw new Error(JSON.stringify(s));
 * ```
 */
export function imageStats(r: Raster): ImageStats {
  const d = r.data, n = d.length;
  if (n === 0) throw new Error("imageStats: empty image");
  let sum = 0;
  for (let i = 0; i < n; i++) sum += d[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (d[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / n) };
}

/** Options for {@link normaliseImage}. */
export interface NormaliseOptions {
  /** Which normalisation. */
  method: Normalisation;
  /**
   * For `zscore`: statistics to use (those of the original-size slice); default:
   * computed from `r` itself. A constant slice (std 0) maps to all zeros.
   */
  stats?: ImageStats;
}

/**
 * Normalise an image to float32 (same shape). `imagenet` needs 3 channels of
 * 0..255 values; `zscore` takes any channel count.
 *
 * @example
 * ```ts
 * import { normaliseImage } from "../../mod.ts";
 * const r = normaliseImage({ width: 1, height: 1, channels: 3, data: new Uint8Array([255, 0, 0]) }, {
 *   method: "imagenet",
 * });
 * // r.data[0] = (1 - 0.485) / 0.229 = 2.2489..., r.data[1] = -0.456 / 0.224
 * ```
 */
export function normaliseImage(r: Raster, options: NormaliseOptions): Raster<Float32Array> {
  const d = r.data, n = d.length, out = new Float32Array(n);
  if (options.method === "imagenet") {
    if (r.channels !== 3) throw new Error(`normaliseImage: imagenet needs 3 channels, got ${r.channels}`);
    const scale = IMAGENET_STD.map((s) => 1 / (255 * s)), shift = IMAGENET_MEAN.map((m, c) => m / IMAGENET_STD[c]);
    for (let i = 0; i < n; i += 3) {
      for (let c = 0; c < 3; c++) out[i + c] = d[i + c] * scale[c] - shift[c];
    }
  } else if (options.method === "zscore") {
    const { mean, std } = options.stats ?? imageStats(r);
    const inv = std > 0 ? 1 / std : 0;
    for (let i = 0; i < n; i++) out[i] = (d[i] - mean) * inv;
  } else {
    throw new Error(`normaliseImage: unknown method '${options.method}' (expected imagenet or zscore)`);
  }
  return { width: r.width, height: r.height, channels: r.channels, data: out };
}
