/**
 * From a lib/data {@link Batch} (plain NHWC arrays, the CRF map already resized bilinearly and
 * flipped with the image) to the tensors a method trains on: images, ground truth, the gaze levels
 * (cut with `>=` AFTER the resize and flip, docs/METHOD.md 3.3), M_hc / M_bc per sample (smallest /
 * largest level area) and the text tokens.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Batch } from "../data/batches.ts";
import { gazeLevels, orderLevelsByArea, thresholdMap } from "../gaze/levels.ts";
import type { TrainBatch } from "./methods/types.ts";

/** Options of {@link toTrainBatch}. */
export interface ToTrainBatchOptions {
  /** Thresholds of the gaze levels, config order (`config.gaze.levels`). */
  levels: readonly number[];
  /** The single level of gaze1 (`config.gaze.single`). */
  single: number;
  /** Build `mask` from the batch's ground truth (error when the batch has none). */
  masks: boolean;
  /** Build the gaze tensors from the batch map `crf` (error when absent). */
  gaze: boolean;
  /** Text tokens per sample, each L*D values (row-major), in batch order; with `textShape`. */
  text?: Float32Array[];
  /** [L, D] of each text entry. */
  textShape?: [number, number];
}

/**
 * Turn a batch into tensors. The caller disposes the result with {@link disposeTrainBatch}.
 * Gaze: for each sample the CRF map (`batch.maps.crf`, values in [0, 1]) is cut at every
 * threshold; `levels[k]` holds threshold k for all samples; `mhc` / `mbc` hold, per sample, the
 * level with the smallest / largest area (ties keep the threshold order, so with two nested levels
 * M_hc is the higher threshold's mask).
 */
export function toTrainBatch(batch: Batch, options: ToTrainBatchOptions): TrainBatch {
  const [B, H, W, C] = batch.shape;
  const px = H * W;
  const image = tf.tensor4d(batch.images, [B, H, W, C]);
  let mask: tf.Tensor4D | null = null;
  if (options.masks) {
    if (!batch.masks) {
      image.dispose();
      throw new Error(`batch [${batch.ids.join(", ")}]: a sample has no ground-truth mask (needed for training)`);
    }
    mask = tf.tensor4d(batch.masks, [B, H, W, 1]);
  }
  const out: TrainBatch = { ids: batch.ids, image, mask, levels: [], mhc: null, mbc: null, single: null, text: null };
  if (options.gaze) {
    const crf = batch.maps.crf;
    if (!crf || crf.shape[3] !== 1) {
      disposeTrainBatch(out);
      throw new Error(`batch [${batch.ids.join(", ")}]: no 1-channel 'crf' gaze map (needed for training)`);
    }
    const K = options.levels.length;
    const levelData = Array.from({ length: K }, () => new Float32Array(B * px));
    const hc = new Float32Array(B * px), bc = new Float32Array(B * px), single = new Float32Array(B * px);
    for (let b = 0; b < B; b++) {
      const map = crf.data.subarray(b * px, (b + 1) * px);
      const lv = gazeLevels(map, options.levels);
      lv.forEach((l, k) => levelData[k].set(l.mask, b * px));
      const ordered = orderLevelsByArea(lv);
      hc.set(ordered[0].mask, b * px);
      bc.set(ordered[ordered.length - 1].mask, b * px);
      single.set(thresholdMap(map, options.single), b * px);
    }
    out.levels = levelData.map((d) => tf.tensor4d(d, [B, H, W, 1]));
    out.mhc = tf.tensor4d(hc, [B, H, W, 1]);
    out.mbc = tf.tensor4d(bc, [B, H, W, 1]);
    out.single = tf.tensor4d(single, [B, H, W, 1]);
  }
  if (options.text) {
    const [L, D] = options.textShape ?? [0, 0];
    const data = new Float32Array(B * L * D);
    options.text.forEach((t, b) => {
      if (t.length !== L * D) {
        disposeTrainBatch(out);
        throw new Error(`text tokens of '${batch.ids[b]}' have ${t.length} values, expected ${L}x${D}`);
      }
      data.set(t, b * L * D);
    });
    out.text = tf.tensor3d(data, [B, L, D]);
  }
  return out;
}

/** Samples `start..end-1` of a batch (new tensors; for gradient accumulation). */
export function sliceTrainBatch(batch: TrainBatch, start: number, end: number): TrainBatch {
  const n = end - start;
  const cut4 = (t: tf.Tensor4D | null) => (t ? tf.slice(t, [start, 0, 0, 0], [n, -1, -1, -1]) : null);
  return {
    ids: batch.ids.slice(start, end),
    image: cut4(batch.image)!,
    mask: cut4(batch.mask),
    levels: batch.levels.map((t) => cut4(t)!),
    mhc: cut4(batch.mhc),
    mbc: cut4(batch.mbc),
    single: cut4(batch.single),
    text: batch.text ? tf.slice(batch.text, [start, 0, 0], [n, -1, -1]) : null,
  };
}

/** Dispose every tensor of a batch. */
export function disposeTrainBatch(batch: TrainBatch): void {
  tf.dispose([batch.image, ...batch.levels]);
  for (const t of [batch.mask, batch.mhc, batch.mbc, batch.single, batch.text]) t?.dispose();
}
