/**
 * Mini-batches for training and evaluation as plain Float32Arrays in NHWC
 * order, ready for `tf.tensor4d(batch.images, batch.shape)` (this folder does
 * not import tfjs, so nothing here owns a tensor: whoever makes tensors from a
 * batch disposes them).
 *
 * Per epoch: optional seeded shuffle of the ids (one `rng.shuffle`), then
 * batches of `batchSize` in that order, the last partial batch kept. Per sample:
 * prepared (decoded + resized, through the disk cache), normalised for its
 * dataset, and, with `flip`, flipped along each axis with p = 0.5 (two
 * `rng.next()` draws per sample, horizontal then vertical, in batch order);
 * the ground truth and every extra map get the same flip.
 *
 * @module
 */
import type { Rng } from "../core/rng.ts";
import { type PreparedSample, SampleCache } from "./cache.ts";
import { drawFlip, type Flip, flipRaster } from "./flip.ts";
import { type Normalisation, normalisationFor } from "./normalise.ts";
import { inputImage, prepareSample } from "./preprocess.ts";
import type { Raster } from "./raster.ts";
import { resize } from "./resize.ts";
import type { Dataset, SampleInfo } from "./types.ts";

/**
 * Supplies extra per-sample float maps (e.g. the gaze heatmap and CRF map) by
 * name. A map must be at the sample's original size (`sample.info.width` x
 * `height`) or already at the training size; it is resized bilinearly to the
 * training size, then flipped with the image. Values are converted to float32
 * unchanged, so supply them in the units the consumer expects (e.g. [0, 1]).
 */
export type MapLoader = (sample: PreparedSample) => Promise<Record<string, Raster>> | Record<string, Raster>;

/** Options for {@link iterateBatches}. */
export interface BatchOptions {
  /** Training size (square side, pixels). */
  size: number;
  /** Samples per batch; the last batch may be smaller. */
  batchSize: number;
  /** Random source for shuffling and flips (required when either is on). */
  rng?: Rng;
  /** Shuffle the ids once at the start (default false). */
  shuffle?: boolean;
  /** Random flips along each axis, p = 0.5 each (default false). */
  flip?: boolean;
  /** Extra maps per sample, resized and flipped with the image. */
  maps?: MapLoader;
  /**
   * Disk cache: `"auto"` (default) = {@link SampleCache.forDataset} for file-backed
   * datasets (none for synthetic); `"off"`; or a cache object (e.g. to read its counters).
   */
  cache?: SampleCache | "auto" | "off";
  /** Override the dataset's normalisation (default {@link normalisationFor}). */
  normalisation?: Normalisation;
}

/** One extra map stacked over a batch. */
export interface BatchMap {
  /** [B, H, W, C] with H = W = size. */
  shape: [number, number, number, number];
  /** Values, NHWC. */
  data: Float32Array;
}

/** One mini-batch, NHWC float32 arrays. */
export interface Batch {
  /** Sample ids in batch order. */
  ids: string[];
  /** Image shape [B, H, W, C] (C = dataset channels). */
  shape: [number, number, number, number];
  /** Normalised (and flipped) images, length B*H*W*C. */
  images: Float32Array;
  /** Ground truth 0/1 as float32, shape [B, H, W, 1]; null when any sample of the batch has no mask. */
  masks: Float32Array | null;
  /** Extra maps by name (from {@link BatchOptions.maps}), flipped like the images. */
  maps: Record<string, BatchMap>;
  /** The flip applied to each sample (all false without `flip`). */
  flips: Flip[];
  /** Original size, spacing and source of each sample (e.g. to upsample predictions for evaluation). */
  infos: SampleInfo[];
}

/** Number of batches for `n` samples with the last partial batch kept: ceil(n / batchSize). */
export function batchCount(n: number, batchSize: number): number {
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new Error(`batchSize must be a positive integer`);
  return Math.ceil(n / batchSize);
}

/** Resolve the `cache` option of {@link BatchOptions} to a cache or undefined. */
export function resolveCache(
  dataset: Dataset,
  size: number,
  cache: SampleCache | "auto" | "off" = "auto",
): SampleCache | undefined {
  if (cache === "off") return undefined;
  if (cache instanceof SampleCache) return cache;
  return dataset.sourceFiles ? SampleCache.forDataset(dataset, size) : undefined;
}

const NO_FLIP: Flip = { horizontal: false, vertical: false };

/**
 * Iterate over `ids` in batches (one epoch). Shuffles and flips draw from
 * `options.rng`, so a fixed seed gives a fixed sequence of batches.
 *
 * @example
 * ```ts
 * import { Rng } from "../../mod.ts";
 * import { openSynthetic } from "../../mod.ts";
 * import { iterateBatches } from "../../mod.ts";
 * const ds = openSynthetic({ train: 5, test: 0, size: 32 });
 * const rng = new Rng(0);
 * const sizes = [];
 * for await (const b of iterateBatches(ds, ds.ids("train"), { size: 16, batchSize: 2, rng, shuffle: true, flip: true })) {
 *   sizes.push(b.shape[0]); // images: Float32Array of b.shape = [B, 16, 16, 3]
 * }
 * if (sizes.join() !== "2,2,1") throw new Error(sizes.join());
 * ```
 */
export async function* iterateBatches(
  dataset: Dataset,
  ids: readonly string[],
  options: BatchOptions,
): AsyncGenerator<Batch> {
  const { size, batchSize } = options;
  batchCount(ids.length, batchSize);
  if ((options.shuffle || options.flip) && !options.rng) {
    throw new Error("iterateBatches: shuffle and flip need options.rng (a seeded Rng)");
  }
  const cache = resolveCache(dataset, size, options.cache);
  const normalisation = options.normalisation ?? normalisationFor(dataset.name);
  const order = options.shuffle ? options.rng!.shuffle([...ids]) : [...ids];
  for (let start = 0; start < order.length; start += batchSize) {
    const batchIds = order.slice(start, start + batchSize);
    const B = batchIds.length, C = dataset.channels, px = size * size;
    const images = new Float32Array(B * px * C);
    let masks: Float32Array | null = new Float32Array(B * px);
    const maps: Record<string, BatchMap> = {};
    const flips: Flip[] = [], infos: SampleInfo[] = [];
    for (let b = 0; b < B; b++) {
      const id = batchIds[b];
      const p = await prepareSample(dataset, id, { size, cache });
      if (p.image.channels !== C) {
        throw new Error(`${p.info.source}: image has ${p.image.channels} channels, dataset ${dataset.name} has ${C}`);
      }
      const flip = options.flip ? drawFlip(options.rng!) : NO_FLIP;
      flips.push(flip);
      infos.push(p.info);
      images.set(inputImage(p, { normalisation, flip }).data, b * px * C);
      if (masks && p.mask) {
        const m = flipRaster(p.mask, flip).data;
        for (let i = 0; i < px; i++) masks[b * px + i] = m[i];
      } else {
        masks = null;
      }
      if (options.maps) {
        const got = await options.maps(p);
        const names = Object.keys(got).sort();
        if (b > 0 && names.join() !== Object.keys(maps).sort().join()) {
          throw new Error(`maps for '${id}' are [${names}] but earlier samples gave [${Object.keys(maps).sort()}]`);
        }
        for (const name of names) {
          const r = got[name];
          const atOriginal = r.width === p.info.width && r.height === p.info.height;
          if (!atOriginal && !(r.width === size && r.height === size)) {
            throw new Error(
              `map '${name}' of '${id}' is ${r.width}x${r.height}; expected the image's ${p.info.width}x${p.info.height} ` +
                `or the training size ${size}x${size}`,
            );
          }
          const resized = r.width === size && r.height === size
            ? { ...r, data: Float32Array.from(r.data) }
            : resize(r, { width: size, height: size, mode: "bilinear" });
          const flipped = flipRaster(resized, flip);
          if (!maps[name]) {
            maps[name] = { shape: [B, size, size, r.channels], data: new Float32Array(B * px * r.channels) };
          }
          if (maps[name].shape[3] !== r.channels) {
            throw new Error(
              `map '${name}' of '${id}' has ${r.channels} channels, earlier samples had ${maps[name].shape[3]}`,
            );
          }
          maps[name].data.set(flipped.data, b * px * r.channels);
        }
      }
    }
    yield { ids: batchIds, shape: [B, size, size, C], images, masks, maps, flips, infos };
  }
}
