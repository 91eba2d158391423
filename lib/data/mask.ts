/**
 * Ground-truth masks from decoded mask files: grey level, then a threshold.
 *
 * Kvasir-SEG masks are JPEGs (stored as 3 equal channels, with compression noise
 * around 0 and 255); GazeMedSeg reads them as greyscale, divides by 255 and keeps
 * > 0.5. A 3-channel mask is made grey with the ITU-R BT.601 luminance
 * 0.299 R + 0.587 G + 0.114 B, which is what OpenCV's and PIL's greyscale
 * conversions compute (on Kvasir's grey masks it equals the channel mean). For
 * uint8 data the grey value is computed in OpenCV's fixed point,
 * (4899 R + 9617 G + 1868 B + 8192) >> 14, so equal channels give exactly that value.
 *
 * @module
 */
import type { Raster } from "./raster.ts";

/** Options for {@link binariseMask}. */
export interface BinariseOptions {
  /** Threshold on the grey value (same units as the raster, e.g. 127.5 for grey/255 > 0.5). */
  threshold: number;
  /** `true`: foreground is grey >= threshold; `false` (default): grey > threshold. */
  inclusive?: boolean;
}

/**
 * Turn a decoded mask (1 grey channel, or 3 RGB channels made grey with BT.601
 * luminance) into a 1-channel uint8 mask of 0/1.
 *
 * - Kvasir/ISIC: `{ threshold: 127.5 }` (grey/255 > 0.5).
 * - NCI-ISBI label PNGs: `{ threshold: 1, inclusive: true }` (label >= 1).
 *
 * @example
 * ```ts
 * import { binariseMask } from "../../mod.ts";
 * const m = binariseMask({ width: 3, height: 1, channels: 1, data: new Uint8Array([127, 128, 255]) }, {
 *   threshold: 127.5,
 * });
 * if (m.data.join() !== "0,1,1") throw new Error(m.data.join());
 * ```
 */
export function binariseMask(r: Raster, options: BinariseOptions): Raster<Uint8Array> {
  const { threshold, inclusive = false } = options;
  const n = r.width * r.height, out = new Uint8Array(n), d = r.data;
  if (r.channels === 1) {
    for (let i = 0; i < n; i++) out[i] = (inclusive ? d[i] >= threshold : d[i] > threshold) ? 1 : 0;
  } else if (r.channels === 3) {
    const fixed = d instanceof Uint8Array;
    for (let i = 0; i < n; i++) {
      const g = fixed
        ? (4899 * d[3 * i] + 9617 * d[3 * i + 1] + 1868 * d[3 * i + 2] + 8192) >> 14
        : 0.299 * d[3 * i] + 0.587 * d[3 * i + 1] + 0.114 * d[3 * i + 2];
      out[i] = (inclusive ? g >= threshold : g > threshold) ? 1 : 0;
    }
  } else {
    throw new Error(`binariseMask: expected a 1- or 3-channel mask, got ${r.channels} channels`);
  }
  return { width: r.width, height: r.height, channels: 1, data: out };
}
