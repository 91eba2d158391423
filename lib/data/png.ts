/**
 * PNG and JPEG encode/decode through npm:image-js, on {@link Raster}s.
 *
 * @module
 */
import { decode, encodePng, Image } from "image-js";
import type { Raster } from "./raster.ts";

/**
 * Encode an 8-bit raster (1 grey or 3 RGB channels) as PNG.
 *
 * @example
 * ```ts
 * import { encodePngRaster } from "../../mod.ts";
 * const png = encodePngRaster({ width: 2, height: 2, channels: 1, data: new Uint8Array([0, 255, 255, 0]) });
 * if (png[1] !== 0x50) throw new Error("not a PNG");
 * ```
 */
export function encodePngRaster(r: Raster<Uint8Array>): Uint8Array {
  if (r.channels !== 1 && r.channels !== 3 && r.channels !== 4) {
    throw new Error(`encodePngRaster: expected 1, 3 or 4 channels, got ${r.channels}`);
  }
  const colorModel = r.channels === 1 ? "GREY" : r.channels === 3 ? "RGB" : "RGBA";
  const img = new Image(r.width, r.height, { colorModel, data: r.data });
  return encodePng(img);
}

/**
 * Decode PNG/JPEG bytes to an 8-bit raster, dropping alpha. `file` names the
 * source in error messages.
 */
export function decodeImageBytes(bytes: Uint8Array, file: string): Raster<Uint8Array> {
  if (bytes.length === 0) throw new Error(`${file}: cannot decode image (0-byte file)`);
  const jpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  const png = bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47;
  if (!jpeg && !png) {
    const head = [...bytes.subarray(0, 4)].map((x) => x.toString(16).padStart(2, "0")).join(" ");
    throw new Error(`${file}: cannot decode image (not a JPEG or PNG file: it starts with bytes ${head})`);
  }
  let img;
  try {
    img = decode(bytes);
  } catch (err) {
    throw new Error(`${file}: cannot decode image (${(err as Error).message}); the file may be corrupt or truncated`);
  }
  if (img.bitDepth !== 8) throw new Error(`${file}: expected an 8-bit image, got ${img.bitDepth}-bit`);
  const raw = img.getRawImage().data as Uint8Array;
  const inC = img.channels;
  const keep = img.colorModel === "GREY" || img.colorModel === "GREYA" ? 1 : 3;
  if (inC === keep) return { width: img.width, height: img.height, channels: keep, data: Uint8Array.from(raw) };
  const n = img.width * img.height, out = new Uint8Array(n * keep);
  for (let i = 0; i < n; i++) for (let c = 0; c < keep; c++) out[i * keep + c] = raw[i * inC + c];
  return { width: img.width, height: img.height, channels: keep, data: out };
}

/** Encode a PNG as a `data:` URL (for Plotly image traces and HTML reports). */
export function pngDataUrl(r: Raster<Uint8Array>): string {
  const png = encodePngRaster(r);
  let s = "";
  for (let i = 0; i < png.length; i += 0x8000) s += String.fromCharCode(...png.subarray(i, i + 0x8000));
  return `data:image/png;base64,${btoa(s)}`;
}
