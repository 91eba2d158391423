/**
 * Float maps in [0, 1] to the 8-bit maps that are stored, and the original
 * pipeline's lossy steps for bit-faithful reproduction.
 *
 * - `round` (the toolkit default): v8 = round(clamp(v, 0, 1) * 255), so that
 *   v8 / 255 >= 0.5 exactly when v >= 0.5 (to 1/510).
 * - `numpy-f16`: GazeMedSeg's heatmap, `(h.astype(np.float16) * 255).astype(np.uint8)`:
 *   round to float16, multiply by 255 in float16, truncate toward zero, wrap
 *   modulo 256 as numpy's cast does on x86 (-1 becomes 255). Values just over
 *   1 stay 255; bicubic ringing never reaches the -1/255 or 256/255 that would wrap.
 * - `numpy-f32`: GazeMedSeg's CRF map, `(q * 255).astype(np.uint8)` in float32.
 *
 * {@link jpegRoundTrip} re-creates the JPEG storage of the Kvasir maps (PIL's
 * default quality 75) with npm:image-js (jpeg-js); its DCT differs from
 * libjpeg's, so values can differ by a level or two from a PIL round trip.
 *
 * @module
 */
import { decode, encodeJpeg, Image } from "image-js";
import type { Raster } from "../data/raster.ts";

/** How a float map becomes 8-bit (see the module notes). */
export type QuantiseMode = "round" | "numpy-f16" | "numpy-f32";

function wrapU8(t: number): number {
  const m = t % 256;
  return m < 0 ? m + 256 : m;
}

/**
 * Quantise a 1-channel float map to uint8.
 *
 * @example
 * ```ts
 * import { quantiseMap } from "../../mod.ts";
 * const m = { width: 3, height: 1, channels: 1, data: new Float32Array([0, 0.5, 1.2]) };
 * const q = quantiseMap(m, { mode: "round" });
 * if (q.data.join() !== "0,128,255") throw new Error(q.data.join());
 * ```
 */
export function quantiseMap(map: Raster, options: { mode?: QuantiseMode } = {}): Raster<Uint8Array> {
  const mode = options.mode ?? "round";
  const src = map.data, out = new Uint8Array(src.length);
  if (mode === "round") {
    for (let i = 0; i < src.length; i++) {
      const v = src[i];
      out[i] = v >= 1 ? 255 : v > 0 ? Math.round(v * 255) : 0;
    }
  } else if (mode === "numpy-f16") {
    for (let i = 0; i < src.length; i++) out[i] = wrapU8(Math.trunc(Math.f16round(Math.f16round(src[i]) * 255)));
  } else if (mode === "numpy-f32") {
    for (let i = 0; i < src.length; i++) out[i] = wrapU8(Math.trunc(Math.fround(Math.fround(src[i]) * 255)));
  } else {
    throw new Error(`quantiseMap: unknown mode '${mode}' (expected round, numpy-f16 or numpy-f32)`);
  }
  return { width: map.width, height: map.height, channels: map.channels, data: out };
}

/** An 8-bit map back to float32 in [0, 1] (v / 255), as the original reads its stored maps. */
export function dequantiseMap(map: Raster<Uint8Array>): Raster<Float32Array> {
  const out = new Float32Array(map.data.length);
  for (let i = 0; i < out.length; i++) out[i] = map.data[i] / 255;
  return { width: map.width, height: map.height, channels: map.channels, data: out };
}

/**
 * Encode a 1-channel 8-bit map as JPEG and decode it again (the value change
 * the original's JPEG storage caused). Returns a new 1-channel raster.
 *
 * @example
 * ```ts
 * import { jpegRoundTrip } from "../../mod.ts";
 * const m = { width: 8, height: 8, channels: 1, data: new Uint8Array(64).fill(200) };
 * const back = jpegRoundTrip(m);
 * if (Math.abs(back.data[0] - 200) > 2) throw new Error("too lossy");
 * ```
 */
export function jpegRoundTrip(map: Raster<Uint8Array>, options: { quality?: number } = {}): Raster<Uint8Array> {
  if (map.channels !== 1) throw new Error(`jpegRoundTrip: expected a 1-channel map, got ${map.channels} channels`);
  const img = new Image(map.width, map.height, { colorModel: "GREY", data: map.data });
  const bytes = encodeJpeg(img, { quality: options.quality ?? 75 });
  const back = decode(bytes);
  const raw = back.getRawImage().data as Uint8Array, c = back.channels;
  const out = new Uint8Array(map.width * map.height);
  // decoded as RGBA; the encoder wrote R = G = B = v, so take the first channel (equal to the luma here)
  for (let i = 0; i < out.length; i++) out[i] = raw[i * c];
  return { width: map.width, height: map.height, channels: 1, data: out };
}
