/**
 * The share of a split's pixels that the ground truth marks foreground, read the way training and
 * evaluation read the masks (resized to the training side, the same sample cache), so that it is
 * directly comparable with the share a network predicts foreground (`dyn/test/<network>/fg_sigmoid`,
 * pooled over the same pixels). The diagnosis table (issue 11) sets one against the other: a
 * collapsing student calls far fewer pixels foreground than the ground truth holds.
 *
 * @module
 */
import { iterateBatches } from "../data/batches.ts";
import type { Dataset } from "../data/types.ts";
import { progressBar } from "../core/progress.ts";

/** Options of {@link foregroundShare}. */
export interface ForegroundShareOptions {
  /** Square side the masks are resized to (the config's `imageSize`). */
  size: number;
  /** Masks read per batch (default 16). */
  batchSize?: number;
  /** No progress bar. */
  quiet?: boolean;
}

/**
 * Foreground share of the ground-truth masks of `ids` at `options.size`: foreground pixels over all
 * pixels, pooled over the images (equal sizes, so also the mean of the per-image shares). Throws,
 * naming the sample, when one has no mask.
 *
 * @example
 * ```ts
 * import { foregroundShare, openDataset } from "../../mod.ts";
 * const ds = await openDataset("synthetic", { synthetic: { seed: 0, train: 2, test: 2, size: 32 }, quiet: true });
 * const share = await foregroundShare(ds, ds.ids("test"), { size: 32, quiet: true });
 * console.log(share > 0 && share < 1); // true
 * ```
 */
export async function foregroundShare(
  dataset: Dataset,
  ids: readonly string[],
  options: ForegroundShareOptions,
): Promise<number> {
  if (!ids.length) throw new Error("foregroundShare: no images");
  const bar = progressBar(ids.length, { label: "ground-truth foreground share", quiet: options.quiet });
  let fg = 0, px = 0;
  for await (
    const batch of iterateBatches(dataset, ids, {
      size: options.size,
      batchSize: options.batchSize ?? 16,
      cache: "auto",
    })
  ) {
    if (!batch.masks) {
      const missing = batch.infos.map((i) => i.source).join(", ");
      throw new Error(`foregroundShare: a sample of the batch [${missing}] has no ground-truth mask`);
    }
    for (const v of batch.masks) fg += v > 0.5 ? 1 : 0;
    px += batch.masks.length;
    bar.tick(batch.ids.length);
  }
  bar.stop();
  return fg / px;
}
