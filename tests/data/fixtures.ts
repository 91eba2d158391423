/**
 * Test fixtures for tests/data: a minimal DICOM Part 10 writer (explicit VR),
 * JPEG/PNG writers on rasters, and a tiny file-backed dataset laid out like
 * the data root in a temp folder.
 *
 * @module
 */
import { encodeJpeg, Image } from "image-js";
import { join } from "node:path";
import { encodePngRaster } from "../../lib/data/png.ts";
import type { Raster } from "../../lib/data/raster.ts";

/** Fields of a test DICOM. Pixel values are written as given (stored values). */
export interface DicomSpec {
  rows: number;
  cols: number;
  /** Stored values, row-major; omit `pixels` to write a file without pixel data. */
  pixels?: number[];
  bitsAllocated?: 8 | 16;
  bitsStored?: number;
  pixelRepresentation?: 0 | 1;
  spacing?: string;
  slope?: string;
  intercept?: string;
  transferSyntax?: string;
  /** Write only this many bytes of pixel data (to simulate truncation). */
  truncatePixelBytes?: number;
}

const LONG_VRS = new Set(["OB", "OW", "OF", "SQ", "UT", "UN"]);

function element(group: number, elem: number, vr: string, value: Uint8Array, little: boolean): Uint8Array {
  const padded = value.length % 2 ? new Uint8Array([...value, vr === "UI" ? 0 : 0x20]) : value;
  const long = LONG_VRS.has(vr);
  const head = new Uint8Array(long ? 12 : 8);
  const dv = new DataView(head.buffer);
  dv.setUint16(0, group, little);
  dv.setUint16(2, elem, little);
  head[4] = vr.charCodeAt(0);
  head[5] = vr.charCodeAt(1);
  if (long) dv.setUint32(8, padded.length, little);
  else dv.setUint16(6, padded.length, little);
  return new Uint8Array([...head, ...padded]);
}

const str = (s: string) => new TextEncoder().encode(s);
function us(v: number, little: boolean): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setUint16(0, v, little);
  return b;
}

/** Build a DICOM Part 10 file (explicit VR; little endian unless transferSyntax is 1.2.840.10008.1.2.2). */
export function buildDicom(spec: DicomSpec): Uint8Array {
  const ts = spec.transferSyntax ?? "1.2.840.10008.1.2.1";
  const little = ts !== "1.2.840.10008.1.2.2";
  const ba = spec.bitsAllocated ?? 16, bs = spec.bitsStored ?? ba;
  const meta = element(0x0002, 0x0010, "UI", str(ts), true);
  const metaLen = new Uint8Array(4);
  new DataView(metaLen.buffer).setUint32(0, meta.length, true);
  const parts: Uint8Array[] = [
    new Uint8Array(128),
    str("DICM"),
    element(0x0002, 0x0000, "UL", metaLen, true),
    meta,
    element(0x0010, 0x0020, "LO", str("TEST-0001"), little),
    element(0x0028, 0x0002, "US", us(1, little), little),
    element(0x0028, 0x0004, "CS", str("MONOCHROME2"), little),
    element(0x0028, 0x0010, "US", us(spec.rows, little), little),
    element(0x0028, 0x0011, "US", us(spec.cols, little), little),
  ];
  if (spec.spacing) parts.push(element(0x0028, 0x0030, "DS", str(spec.spacing), little));
  parts.push(
    element(0x0028, 0x0100, "US", us(ba, little), little),
    element(0x0028, 0x0101, "US", us(bs, little), little),
    element(0x0028, 0x0102, "US", us(bs - 1, little), little),
    element(0x0028, 0x0103, "US", us(spec.pixelRepresentation ?? 0, little), little),
  );
  if (spec.intercept) parts.push(element(0x0028, 0x1052, "DS", str(spec.intercept), little));
  if (spec.slope) parts.push(element(0x0028, 0x1053, "DS", str(spec.slope), little));
  if (spec.pixels) {
    const bytes = new Uint8Array(spec.pixels.length * (ba / 8));
    const dv = new DataView(bytes.buffer);
    spec.pixels.forEach((v, i) => (ba === 16 ? dv.setUint16(2 * i, v & 0xffff, little) : dv.setUint8(i, v & 0xff)));
    const data = spec.truncatePixelBytes !== undefined ? bytes.subarray(0, spec.truncatePixelBytes) : bytes;
    parts.push(element(0x7fe0, 0x0010, ba === 16 ? "OW" : "OB", data, little));
  }
  const total = parts.reduce((n, p) => n + p.length, 0), out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

/** Encode an 8-bit RGB or grey raster as JPEG (quality 95). */
export function encodeJpegRaster(r: Raster<Uint8Array>): Uint8Array {
  const img = new Image(r.width, r.height, { colorModel: r.channels === 1 ? "GREY" : "RGB", data: r.data });
  return encodeJpeg(img, { quality: 95 });
}

/** An RGB raster whose pixels follow `f(x, y, c)`. */
export function rgbRaster(width: number, height: number, f: (x: number, y: number, c: number) => number) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(x, y, c);
  }
  return { width, height, channels: 3, data };
}

/** A grey mask raster with 255 inside the rectangle [x0, x1) x [y0, y1), else 0. */
export function rectMask(width: number, height: number, box: [number, number, number, number]) {
  const [x0, y0, x1, y1] = box, data = new Uint8Array(width * height);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[y * width + x] = 255;
  return { width, height, channels: 1, data };
}

/**
 * Write a tiny Kvasir-SEG layout under `root`: `n` images (sizes vary) with
 * rectangle masks, `train.txt` with the first `nTrain` ids and `test.txt` the rest.
 * Returns the ids.
 */
export async function writeTinyKvasir(root: string, options: { n?: number; nTrain?: number } = {}): Promise<string[]> {
  const n = options.n ?? 4, nTrain = options.nTrain ?? 3;
  const ids = Array.from({ length: n }, (_, i) => `img${i}`);
  await Deno.mkdir(join(root, "kvasir-seg/images"), { recursive: true });
  await Deno.mkdir(join(root, "kvasir-seg/masks"), { recursive: true });
  await Deno.mkdir(join(root, "gazemedseg-splits/Kvasir-SEG"), { recursive: true });
  for (let i = 0; i < n; i++) {
    const w = 40 + 8 * i, h = 30 + 4 * i;
    await Deno.writeFile(
      join(root, `kvasir-seg/images/${ids[i]}.jpg`),
      encodeJpegRaster(rgbRaster(w, h, (x, y, c) => (x * 5 + y * 3 + c * 60) % 256)),
    );
    await Deno.writeFile(
      join(root, `kvasir-seg/masks/${ids[i]}.jpg`),
      encodeJpegRaster(rectMask(w, h, [10, 8, 30, 20])),
    );
  }
  await Deno.writeTextFile(
    join(root, "gazemedseg-splits/Kvasir-SEG/train.txt"),
    ids.slice(0, nTrain).join("\n") + "\n",
  );
  await Deno.writeTextFile(join(root, "gazemedseg-splits/Kvasir-SEG/test.txt"), ids.slice(nTrain).join("\n") + "\n");
  return ids;
}

/** Write a PNG raster to a file. */
export async function writePng(path: string, r: Raster<Uint8Array>): Promise<void> {
  await Deno.writeFile(path, encodePngRaster(r));
}
