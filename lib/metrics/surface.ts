/**
 * The surface (boundary) of a binary mask, as medpy computes it for HD95/ASD:
 * `mask XOR binary_erosion(mask, structure)`, i.e. the foreground pixels that the
 * erosion removes.
 *
 * Connectivity (scipy's `generate_binary_structure(2, c)`):
 * - `1` (default, medpy's default `connectivity=1`): the cross structure, so a
 *   foreground pixel is on the surface when one of its 4 edge neighbours
 *   (up, down, left, right) is background. The surface itself is then 8-connected.
 * - `2`: the 3x3 square, so a pixel is on the surface when any of its 8 neighbours is
 *   background (a thicker, 4-connected surface).
 *
 * As in scipy (`border_value=0`), pixels outside the image count as background, so
 * foreground pixels on the image border are always surface pixels.
 *
 * @module
 */
import { checkMask, type Mask } from "./mask.ts";

/** Neighbourhood of the erosion: 1 = 4-neighbourhood (medpy default), 2 = 8-neighbourhood. */
export type Connectivity = 1 | 2;

/**
 * Surface pixels of `mask` (1 = surface, 0 otherwise), same size. An empty mask has an
 * empty surface; a one-pixel object is its own surface.
 *
 * @example
 * ```ts
 * import { surfacePixels } from "../../mod.ts";
 * const m = { width: 3, height: 3, data: new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1, 1]) };
 * const s = surfacePixels(m, { connectivity: 1 });
 * // all border pixels: [1,1,1, 1,0,1, 1,1,1]
 * ```
 */
export function surfacePixels(mask: Mask, options: { connectivity?: Connectivity } = {}): Uint8Array {
  checkMask(mask);
  const conn = options.connectivity ?? 1;
  if (conn !== 1 && conn !== 2) throw new Error(`surfacePixels: connectivity must be 1 or 2, got ${conn}`);
  const { width: W, height: H, data } = mask;
  const out = new Uint8Array(W * H);
  const fg = (x: number, y: number) => x >= 0 && y >= 0 && x < W && y < H && data[y * W + x] !== 0;
  for (let y = 0; y < H; y++) {
    const row = y * W;
    for (let x = 0; x < W; x++) {
      if (data[row + x] === 0) continue;
      let interior = fg(x - 1, y) && fg(x + 1, y) && fg(x, y - 1) && fg(x, y + 1);
      if (interior && conn === 2) {
        interior = fg(x - 1, y - 1) && fg(x + 1, y - 1) && fg(x - 1, y + 1) && fg(x + 1, y + 1);
      }
      if (!interior) out[row + x] = 1;
    }
  }
  return out;
}
