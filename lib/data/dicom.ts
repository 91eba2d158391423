/**
 * DICOM slices (NCI-ISBI 2013 T2 MRI) through npm:dicom-parser: the pixel array
 * as float32, one channel, plus the pixel spacing for millimetre metrics.
 *
 * Supported: single-frame, 1 sample per pixel, uncompressed transfer syntaxes
 * (implicit VR little endian, explicit VR little/big endian), 8 or 16 bits
 * allocated, unsigned or signed (two's complement) pixels. Bits above Bits
 * Stored are masked off (unsigned) or sign-extended (signed), and the modality
 * rescale `value * RescaleSlope + RescaleIntercept` is applied when the file has
 * those tags (MR slices usually do not). No windowing, no normalisation, and
 * MONOCHROME1 is not inverted.
 *
 * @module
 */
import dicomParser from "dicom-parser";
import type { Raster } from "./raster.ts";

/** A decoded DICOM slice. */
export interface DicomSlice {
  /** Pixel values as float32, 1 channel, rows x columns. */
  image: Raster<Float32Array>;
  /** PixelSpacing (0028,0030) in mm as [row, column], when present. */
  spacing?: [number, number];
  /** Header facts used to decode the pixels. */
  meta: {
    transferSyntax: string;
    bitsAllocated: number;
    bitsStored: number;
    pixelRepresentation: 0 | 1;
    rescaleSlope: number;
    rescaleIntercept: number;
    photometric: string;
  };
}

const UNCOMPRESSED: Record<string, "little" | "big"> = {
  "1.2.840.10008.1.2": "little",
  "1.2.840.10008.1.2.1": "little",
  "1.2.840.10008.1.2.2": "big",
};

function parseNumbers(s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  const v = s.split("\\").map((x) => Number(x.trim()));
  return v.every(Number.isFinite) ? v : undefined;
}

/**
 * Decode one DICOM slice. `file` names the source in errors. Throws, naming the
 * file, when it is not DICOM, has no pixel data (7FE0,0010), uses a compressed
 * or unknown transfer syntax, is multi-frame or multi-sample, or its pixel data
 * is shorter than rows x columns x bytes per pixel.
 *
 * Shape contract: `image.data.length === rows * columns`, `image.channels === 1`.
 */
export function decodeDicom(bytes: Uint8Array, file: string): DicomSlice {
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String((err as { exception?: string })?.exception ?? err);
    throw new Error(`${file}: cannot parse DICOM (${msg}); the file may be corrupt, truncated or not DICOM`);
  }
  const pixel = ds.elements.x7fe00010;
  if (!pixel) throw new Error(`${file}: DICOM has no pixel data element (7FE0,0010)`);
  const ts = ds.string("x00020010") ?? "1.2.840.10008.1.2";
  const endian = UNCOMPRESSED[ts];
  if (!endian || pixel.encapsulatedPixelData) {
    throw new Error(`${file}: transfer syntax ${ts} is compressed or unknown; only uncompressed DICOM is supported`);
  }
  const rows = ds.uint16("x00280010"), cols = ds.uint16("x00280011");
  if (!rows || !cols) throw new Error(`${file}: DICOM lacks Rows (0028,0010) / Columns (0028,0011)`);
  const spp = ds.uint16("x00280002") ?? 1;
  if (spp !== 1) throw new Error(`${file}: expected 1 sample per pixel (grey), got ${spp}`);
  const frames = Number(ds.string("x00280008") ?? "1");
  if (frames !== 1) throw new Error(`${file}: expected a single-frame slice, got ${frames} frames`);
  const bitsAllocated = ds.uint16("x00280100") ?? 16;
  if (bitsAllocated !== 8 && bitsAllocated !== 16) {
    throw new Error(`${file}: Bits Allocated ${bitsAllocated} is not supported (expected 8 or 16)`);
  }
  const bitsStored = ds.uint16("x00280101") ?? bitsAllocated;
  const pr = ds.uint16("x00280103") ?? 0;
  if (pr !== 0 && pr !== 1) throw new Error(`${file}: Pixel Representation ${pr} is not 0 or 1`);
  const bytesPer = bitsAllocated / 8, n = rows * cols;
  if (pixel.length < n * bytesPer || pixel.dataOffset + n * bytesPer > bytes.length) {
    throw new Error(
      `${file}: pixel data holds ${Math.min(pixel.length, bytes.length - pixel.dataOffset)} bytes, ` +
        `expected ${n * bytesPer} for ${rows}x${cols} at ${bitsAllocated} bits; the file may be truncated`,
    );
  }
  const slope = Number(ds.string("x00281053") ?? "1"), intercept = Number(ds.string("x00281052") ?? "0");
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) {
    throw new Error(`${file}: Rescale Slope/Intercept are not numbers`);
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset + pixel.dataOffset, n * bytesPer);
  const little = endian === "little", out = new Float32Array(n);
  const storedMask = bitsStored >= 32 ? 0xffffffff : (1 << bitsStored) - 1, signBit = 1 << (bitsStored - 1);
  for (let i = 0; i < n; i++) {
    let v = bytesPer === 2 ? dv.getUint16(2 * i, little) : dv.getUint8(i);
    v &= storedMask;
    if (pr === 1 && v & signBit) v -= 1 << bitsStored;
    out[i] = v * slope + intercept;
  }
  const sp = parseNumbers(ds.string("x00280030"));
  return {
    image: { width: cols, height: rows, channels: 1, data: out },
    spacing: sp && sp.length >= 2 ? [sp[0], sp[1]] : undefined,
    meta: {
      transferSyntax: ts,
      bitsAllocated,
      bitsStored,
      pixelRepresentation: pr as 0 | 1,
      rescaleSlope: slope,
      rescaleIntercept: intercept,
      photometric: ds.string("x00280004") ?? "MONOCHROME2",
    },
  };
}
