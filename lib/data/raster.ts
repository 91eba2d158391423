/**
 * The in-memory image type used across the toolkit: an interleaved
 * height x width x channels array (row-major, channels last, like tfjs NHWC).
 *
 * @module
 */

/** Pixel storage a {@link Raster} may use. */
export type RasterData = Uint8Array | Uint16Array | Int16Array | Float32Array;

/** An interleaved H x W x C image. `data.length === height * width * channels`. */
export interface Raster<T extends RasterData = RasterData> {
  /** Columns. */
  width: number;
  /** Rows. */
  height: number;
  /** Interleaved channels per pixel (1 grey/mask, 3 RGB). */
  channels: number;
  /** Pixel values, index `(y * width + x) * channels + c`. */
  data: T;
}

/**
 * Create a raster, checking that the data length matches the shape.
 *
 * @example
 * ```ts
 * import { makeRaster } from "../../mod.ts";
 * const r = makeRaster(2, 1, 3, new Uint8Array(6));
 * if (r.data.length !== 6) throw new Error("bad");
 * ```
 */
export function makeRaster<T extends RasterData>(width: number, height: number, channels: number, data: T): Raster<T> {
  if (data.length !== width * height * channels) {
    throw new Error(
      `raster data has ${data.length} values, expected ${width}x${height}x${channels} = ${width * height * channels}`,
    );
  }
  return { width, height, channels, data };
}

/** Copy a raster into float32 (values unchanged). */
export function toFloat32(r: Raster): Raster<Float32Array> {
  return { width: r.width, height: r.height, channels: r.channels, data: Float32Array.from(r.data) };
}
