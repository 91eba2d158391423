/**
 * Spatial flips, the only training augmentation of docs/METHOD.md: each axis is
 * flipped with p = 0.5, jointly for the image, its ground truth and every map
 * that travels with it (gaze heatmap, CRF map).
 *
 * @module
 */
import type { Raster, RasterData } from "./raster.ts";

/** Which axes to flip. */
export interface Flip {
  /** Mirror left-right (reverse the columns, the W axis). */
  horizontal: boolean;
  /** Mirror top-bottom (reverse the rows, the H axis). */
  vertical: boolean;
}

/** Draw a flip: each axis independently with probability 0.5, horizontal first. */
export function drawFlip(rng: { next(): number }): Flip {
  const horizontal = rng.next() < 0.5;
  const vertical = rng.next() < 0.5;
  return { horizontal, vertical };
}

/**
 * Flip a raster (returns a new raster of the same type; the input is unchanged,
 * or returned as is when no axis is flipped).
 *
 * @example
 * ```ts
 * import { flipRaster } from "../../mod.ts";
 * const r = { width: 2, height: 2, channels: 1, data: new Uint8Array([1, 2, 3, 4]) };
 * if (flipRaster(r, { horizontal: true, vertical: false }).data.join() !== "2,1,4,3") throw new Error("h");
 * if (flipRaster(r, { horizontal: false, vertical: true }).data.join() !== "3,4,1,2") throw new Error("v");
 * ```
 */
export function flipRaster<T extends RasterData>(r: Raster<T>, flip: Flip): Raster<T> {
  if (!flip.horizontal && !flip.vertical) return r;
  const { width: W, height: H, channels: C, data } = r;
  const out = new (data.constructor as { new (n: number): T })(data.length);
  for (let y = 0; y < H; y++) {
    const sy = flip.vertical ? H - 1 - y : y;
    for (let x = 0; x < W; x++) {
      const sx = flip.horizontal ? W - 1 - x : x;
      const si = (sy * W + sx) * C, di = (y * W + x) * C;
      for (let c = 0; c < C; c++) out[di + c] = data[si + c];
    }
  }
  return { width: W, height: H, channels: C, data: out };
}
