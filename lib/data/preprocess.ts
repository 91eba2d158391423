/**
 * From a loaded sample to network input: resize to the training size (bilinear
 * image, nearest ground truth), normalise per dataset, flip. The resized,
 * un-normalised sample is what the disk cache stores.
 *
 * @module
 */
import type { PreparedSample } from "./cache.ts";
import { SampleCache, sourceStamp } from "./cache.ts";
import { type Flip, flipRaster } from "./flip.ts";
import { imageStats, type Normalisation, normaliseImage } from "./normalise.ts";
import type { Raster } from "./raster.ts";
import { resize } from "./resize.ts";
import type { Dataset, Sample } from "./types.ts";

/**
 * Resize a loaded sample to `size` x `size`: bilinear for the image (rounded
 * and clamped back to uint8 for 8-bit images, as OpenCV does on uint8 input;
 * float32 otherwise), nearest for the mask. Records the original image's
 * mean/std for z-score normalisation. An image already at the size is copied.
 *
 * @example
 * ```ts
 * import { resizeSample } from "../../mod.ts";
 * const s = {
 *   id: "a",
 *   image: { width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(9) },
 *   mask: { width: 2, height: 2, channels: 1, data: new Uint8Array([1, 0, 0, 1]) },
 *   info: { dataset: "synthetic" as const, width: 2, height: 2, source: "mem" },
 * };
 * const p = resizeSample(s, 4);
 * if (p.image.width !== 4 || p.mask!.data.length !== 16) throw new Error("bad shape");
 * ```
 */
export function resizeSample(sample: Sample, size: number): PreparedSample {
  if (!(Number.isInteger(size) && size > 0)) {
    throw new Error(`resizeSample: size must be a positive integer, got ${size}`);
  }
  const src = sample.image;
  let image: Raster<Uint8Array | Float32Array>;
  if (src.width === size && src.height === size) {
    image = src.data instanceof Uint8Array
      ? { ...src, data: Uint8Array.from(src.data) }
      : { ...src, data: Float32Array.from(src.data) };
  } else {
    const r = resize(src, { width: size, height: size, mode: "bilinear" }) as Raster<Float32Array>;
    if (src.data instanceof Uint8Array) {
      const u = new Uint8Array(r.data.length);
      for (let i = 0; i < u.length; i++) u[i] = Math.min(255, Math.max(0, Math.round(r.data[i])));
      image = { ...r, data: u };
    } else {
      image = r;
    }
  }
  const mask = sample.mask
    ? (resize(sample.mask, { width: size, height: size, mode: "nearest" }) as Raster<Uint8Array>)
    : null;
  return { id: sample.id, image, mask, info: sample.info, stats: imageStats(src) };
}

/** Options for {@link prepareSample}. */
export interface PrepareOptions {
  /** Training size (square side, pixels). */
  size: number;
  /** Disk cache to read and fill; omit for no caching. Datasets without `sourceFiles` are never cached. */
  cache?: SampleCache;
}

/**
 * Load and resize one sample, through the disk cache when one is given: a valid
 * entry skips decoding; otherwise the sample is decoded, resized and then
 * written (so a file that fails to decode leaves no entry).
 */
export async function prepareSample(dataset: Dataset, id: string, options: PrepareOptions): Promise<PreparedSample> {
  const { size, cache } = options;
  const files = cache && dataset.sourceFiles ? dataset.sourceFiles(id) : undefined;
  const stamp = files ? await sourceStamp(files) : undefined;
  if (cache && stamp !== undefined) {
    const hit = await cache.get(id, stamp);
    if (hit && hit.image.width === size && hit.image.height === size) return hit;
  }
  const prepared = resizeSample(await dataset.load(id), size);
  if (cache && stamp !== undefined) await cache.put(prepared, stamp);
  return prepared;
}

/**
 * The network input of a prepared sample: normalised float32 image, optionally
 * flipped (the caller flips masks and maps with the same {@link Flip}).
 */
export function inputImage(sample: PreparedSample, options: { normalisation: Normalisation; flip?: Flip }): Raster<
  Float32Array
> {
  const norm = normaliseImage(sample.image, { method: options.normalisation, stats: sample.stats });
  return options.flip ? flipRaster(norm, options.flip) : norm;
}
