/**
 * Binary masks as the metrics see them: a width x height grid of bytes where any
 * non-zero value is foreground. A 1-channel `Raster<Uint8Array>` is a mask as is.
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";

/** A binary mask: `data[y * width + x] !== 0` is foreground. `data.length === width * height`. */
export interface Mask {
  /** Columns. */
  width: number;
  /** Rows. */
  height: number;
  /** One byte per pixel, row-major; non-zero = foreground. */
  data: Uint8Array;
}

/**
 * Check that `mask` is well formed (`data.length === width * height`), naming
 * `what` in the error; returns the mask.
 */
export function checkMask(mask: Mask, what = "mask"): Mask {
  if (!(mask.data instanceof Uint8Array)) throw new Error(`${what}: data must be a Uint8Array`);
  if (!(Number.isInteger(mask.width) && Number.isInteger(mask.height) && mask.width > 0 && mask.height > 0)) {
    throw new Error(`${what}: width and height must be positive integers, got ${mask.width}x${mask.height}`);
  }
  if (mask.data.length !== mask.width * mask.height) {
    throw new Error(
      `${what}: data has ${mask.data.length} values, expected ${mask.width}x${mask.height} = ${
        mask.width * mask.height
      } (one byte per pixel)`,
    );
  }
  return mask;
}

/** Throw a clear error unless the two masks have the same width and height. */
export function checkSameSize(pred: Mask, gt: Mask): void {
  checkMask(pred, "prediction");
  checkMask(gt, "ground truth");
  if (pred.width !== gt.width || pred.height !== gt.height) {
    throw new Error(
      `prediction is ${pred.width}x${pred.height} but ground truth is ${gt.width}x${gt.height}; ` +
        "score at the ground truth's size (upsample the prediction first, e.g. scoreLogits)",
    );
  }
}

/** Number of foreground (non-zero) pixels. */
export function countForeground(data: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < data.length; i++) if (data[i] !== 0) n++;
  return n;
}

/** Options for {@link maskFromRaster}. */
export interface MaskFromRasterOptions {
  /**
   * Foreground when the (grey) value is strictly greater than this. Default: 127 for
   * integer rasters (8-bit masks: grey/255 > 0.5, as for Kvasir's JPEG masks), 0.5 for float32.
   */
  threshold?: number;
}

/**
 * Binarise a raster into a {@link Mask}. One channel is used as is; three or four
 * channels are first converted to grey with the ITU-R 601 luma weights of OpenCV's
 * `IMREAD_GRAYSCALE` (0.299 R + 0.587 G + 0.114 B, in OpenCV's 14-bit fixed point for
 * 8-bit data, as lib/data's mask loader; alpha ignored).
 *
 * @example
 * ```ts
 * import { maskFromRaster } from "../../mod.ts";
 * const m = maskFromRaster({ width: 3, height: 1, channels: 1, data: new Uint8Array([0, 127, 128]) });
 * // m.data = [0, 0, 1]
 * ```
 */
export function maskFromRaster(raster: Raster, options: MaskFromRasterOptions = {}): Mask {
  const { width, height, channels: C, data } = raster;
  if (data.length !== width * height * C) {
    throw new Error(`maskFromRaster: raster data has ${data.length} values, expected ${width}x${height}x${C}`);
  }
  if (C !== 1 && C !== 3 && C !== 4) throw new Error(`maskFromRaster: expected 1, 3 or 4 channels, got ${C}`);
  const t = options.threshold ?? (data instanceof Float32Array ? 0.5 : 127);
  const n = width * height, out = new Uint8Array(n);
  if (C === 1) {
    for (let i = 0; i < n; i++) out[i] = data[i] > t ? 1 : 0;
  } else if (data instanceof Uint8Array) {
    // OpenCV's fixed-point BT.601 grey (as lib/data's mask loader): equal channels give exactly that value
    for (let i = 0; i < n; i++) {
      const j = i * C;
      out[i] = (4899 * data[j] + 9617 * data[j + 1] + 1868 * data[j + 2] + 8192) >> 14 > t ? 1 : 0;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const j = i * C;
      out[i] = 0.299 * data[j] + 0.587 * data[j + 1] + 0.114 * data[j + 2] > t ? 1 : 0;
    }
  }
  return { width, height, data: out };
}
