/**
 * Channel expansion for RGB datasets: a grey JPEG inside an RGB dataset becomes
 * three equal channels, so every image of the dataset has the same shape.
 *
 * @module
 */
import type { Raster } from "./raster.ts";

/**
 * Return `r` unchanged when it has 3 channels; repeat a 1-channel raster to 3.
 * Any other channel count is an error naming `file`.
 *
 * @example
 * ```ts
 * import { toRgb } from "../../mod.ts";
 * const r = toRgb({ width: 1, height: 1, channels: 1, data: new Uint8Array([7]) }, "x.jpg");
 * if (r.data.join() !== "7,7,7") throw new Error(r.data.join());
 * ```
 */
export function toRgb<T extends Raster>(r: T, file: string): T {
  if (r.channels === 3) return r;
  if (r.channels !== 1) throw new Error(`${file}: expected an RGB or grey image, got ${r.channels} channels`);
  const n = r.width * r.height;
  const out = new (r.data.constructor as { new (n: number): T["data"] })(3 * n);
  for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = r.data[i];
  return { ...r, channels: 3, data: out };
}
