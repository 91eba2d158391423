/**
 * Disk cache of decoded + resized samples, so the second epoch does not decode
 * JPEGs or DICOMs again. One file per sample, `<dir>/<id>.bin`, where `dir` is
 * `derivedDir(root, dataset, "cache-<size>")`.
 *
 * File format (little endian): `GZC1`, uint32 header length, the header as JSON
 * (id, size, source stamp, info, stats, array shapes and dtypes, byte offsets),
 * then the resized image bytes and the resized mask bytes at 8-byte-aligned
 * offsets. An entry is only used when its stamp equals the current sources'
 * stamp (path, byte size and modification time of the image and mask files), so
 * edited sources are decoded again. Entries are written atomically, and only
 * after a successful decode, so a corrupt source never leaves an entry.
 *
 * @module
 */
import { join } from "node:path";
import { atomicWrite } from "../core/atomic_write.ts";
import { assertPlainId, derivedDir } from "./data_root.ts";
import type { ImageStats } from "./normalise.ts";
import type { Raster } from "./raster.ts";
import type { Dataset, SampleInfo } from "./types.ts";

/** A sample resized to the training size, before normalisation and flips. */
export interface PreparedSample {
  /** Plain id. */
  id: string;
  /**
   * Image at size x size: uint8 for 8-bit sources (bilinear, rounded and clamped
   * like OpenCV on uint8 input), float32 otherwise (DICOM).
   */
  image: Raster<Uint8Array | Float32Array>;
  /** Ground truth at size x size (nearest), 1 channel 0/1, or null when unknown. */
  mask: Raster<Uint8Array> | null;
  /** What is known about the original (size, spacing, source). */
  info: SampleInfo;
  /** Mean and population std of the ORIGINAL-size image (for z-score normalisation). */
  stats: ImageStats;
}

/** Counters of a {@link SampleCache} since it was created. */
export interface CacheCounters {
  /** Entries found and valid. */
  hits: number;
  /** Lookups that found nothing valid (absent, stale or unreadable). */
  misses: number;
  /** Entries written. */
  writes: number;
}

type DType = "uint8" | "float32";
interface ArrayHeader {
  width: number;
  height: number;
  channels: number;
  dtype: DType;
  offset: number;
  bytes: number;
}
interface EntryHeader {
  version: 1;
  id: string;
  stamp: string;
  info: SampleInfo;
  stats: ImageStats;
  image: ArrayHeader;
  mask: ArrayHeader | null;
}

const MAGIC = [0x47, 0x5a, 0x43, 0x31]; // "GZC1"

function dtypeOf(data: Uint8Array | Float32Array): DType {
  if (data instanceof Uint8Array) return "uint8";
  if (data instanceof Float32Array) return "float32";
  throw new Error("SampleCache: only uint8 and float32 arrays are cached");
}

/**
 * The source stamp of a sample: path, size and mtime of each source file. A
 * missing file gives a stamp that never matches (the loader reports the error).
 */
export async function sourceStamp(files: string[]): Promise<string> {
  const parts: string[] = [];
  for (const f of files) {
    try {
      const st = await Deno.stat(f);
      parts.push(`${f}:${st.size}:${st.mtime?.getTime() ?? 0}`);
    } catch {
      parts.push(`${f}:missing:${crypto.randomUUID()}`);
    }
  }
  return parts.join("|");
}

/** A folder of cached {@link PreparedSample}s. */
export class SampleCache {
  /** The cache folder. */
  readonly dir: string;
  /** Hit/miss/write counters. */
  readonly counters: CacheCounters = { hits: 0, misses: 0, writes: 0 };

  /** A cache in `dir` (created on the first write). */
  constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * The cache of `dataset` at training size `size`:
   * `derivedDir(dataset.root, dataset.name, "cache-<size>")`.
   */
  static forDataset(dataset: Dataset, size: number): SampleCache {
    return new SampleCache(derivedDir(dataset.root, dataset.name, `cache-${size}`));
  }

  /** Path of the entry of `id`. */
  pathOf(id: string): string {
    return join(this.dir, `${assertPlainId(id, "SampleCache id")}.bin`);
  }

  /** The entry of `id` when present and made from sources with this `stamp`, else undefined. */
  async get(id: string, stamp: string): Promise<PreparedSample | undefined> {
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(this.pathOf(id));
    } catch {
      this.counters.misses++;
      return undefined;
    }
    const entry = decodeEntry(bytes, id, stamp);
    if (entry) this.counters.hits++;
    else this.counters.misses++;
    return entry;
  }

  /** Why writing was switched off (e.g. a read-only folder), or undefined while writes work. */
  disabled: string | undefined;

  /**
   * Write the entry of `sample.id` atomically. When the folder cannot be written
   * (e.g. a read-only mirror without $GAZE_DERIVED_DIR) the cache says so once on
   * stderr and stops writing; loading goes on uncached. Returns whether it wrote.
   */
  async put(sample: PreparedSample, stamp: string): Promise<boolean> {
    if (this.disabled) return false;
    const bytes = encodeEntry(sample, stamp);
    try {
      await atomicWrite(this.pathOf(sample.id), bytes);
    } catch (err) {
      this.disabled = (err as Error).message;
      console.error(`cache ${this.dir}: cannot write (${this.disabled}); continuing without a disk cache`);
      return false;
    }
    this.counters.writes++;
    return true;
  }
}

const align8 = (n: number) => (n + 7) & ~7;

function encodeEntry(s: PreparedSample, stamp: string): Uint8Array {
  const arrays = [s.image, s.mask].filter((r): r is Raster<Uint8Array | Float32Array> => r !== null);
  const bodies = arrays.map((r) => new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength));
  const heads: ArrayHeader[] = arrays.map((r) => ({
    width: r.width,
    height: r.height,
    channels: r.channels,
    dtype: dtypeOf(r.data as Uint8Array | Float32Array),
    offset: 0,
    bytes: r.data.byteLength,
  }));
  const header: EntryHeader = {
    version: 1,
    id: s.id,
    stamp,
    info: s.info,
    stats: s.stats,
    image: heads[0],
    mask: s.mask ? heads[1] : null,
  };
  // offsets depend on the header length, which depends on the offsets' digits: iterate to a fixed point
  let json = new Uint8Array(0);
  for (let k = 0; k < 4; k++) {
    json = new TextEncoder().encode(JSON.stringify(header));
    let off = align8(8 + json.length);
    for (const h of heads) {
      h.offset = off;
      off = align8(off + h.bytes);
    }
  }
  json = new TextEncoder().encode(JSON.stringify(header));
  const last = heads[heads.length - 1];
  const out = new Uint8Array(last.offset + last.bytes);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  if (heads[0].offset < 8 + json.length) throw new Error("SampleCache: header layout did not converge");
  heads.forEach((h, i) => out.set(bodies[i], h.offset));
  return out;
}

function readArray(bytes: Uint8Array, h: ArrayHeader): Raster<Uint8Array | Float32Array> | undefined {
  if (h.offset + h.bytes > bytes.length) return undefined;
  const slice = bytes.slice(h.offset, h.offset + h.bytes); // copy: aligned, owns its buffer
  const data = h.dtype === "uint8" ? slice : h.dtype === "float32" ? new Float32Array(slice.buffer) : undefined;
  if (!data || data.length !== h.width * h.height * h.channels) return undefined;
  return { width: h.width, height: h.height, channels: h.channels, data };
}

function decodeEntry(bytes: Uint8Array, id: string, stamp: string): PreparedSample | undefined {
  if (bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) return undefined;
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  if (8 + len > bytes.length) return undefined;
  let header: EntryHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  } catch {
    return undefined;
  }
  if (header.version !== 1 || header.id !== id || header.stamp !== stamp) return undefined;
  const image = readArray(bytes, header.image);
  const mask = header.mask ? readArray(bytes, header.mask) : null;
  if (!image || mask === undefined || (mask && !(mask.data instanceof Uint8Array))) return undefined;
  return { id, image, mask: mask as Raster<Uint8Array> | null, info: header.info, stats: header.stats };
}
