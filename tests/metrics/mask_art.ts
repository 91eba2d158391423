/**
 * Test helpers: masks drawn as text ("#" = foreground, "." = background) and simple shapes.
 *
 * @module
 */
import type { Mask } from "../../lib/metrics/mask.ts";

/** A mask from rows of "#" and "." characters (all rows the same length). */
export function art(rows: string[]): Mask {
  const height = rows.length, width = rows[0].length;
  const data = new Uint8Array(width * height);
  rows.forEach((r, y) => {
    if (r.length !== width) throw new Error(`art: row ${y} has ${r.length} characters, expected ${width}`);
    for (let x = 0; x < width; x++) data[y * width + x] = r[x] === "#" ? 1 : 0;
  });
  return { width, height, data };
}

/** A width x height mask with the axis-aligned rectangle [x0, x1) x [y0, y1) set. */
export function rect(width: number, height: number, x0: number, y0: number, x1: number, y1: number): Mask {
  const data = new Uint8Array(width * height);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * width + x] = 1;
  return { width, height, data };
}

/** Render a 0/1 array back to rows of "#" and "." (for readable assertion messages). */
export function toArt(width: number, data: ArrayLike<number>): string[] {
  const rows: string[] = [];
  for (let i = 0; i < data.length; i += width) {
    rows.push(Array.from({ length: width }, (_, x) => (data[i + x] ? "#" : ".")).join(""));
  }
  return rows;
}
