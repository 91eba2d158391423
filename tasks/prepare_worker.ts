/**
 * Worker of `deno task prepare`: one per core. It opens the dataset and the
 * gaze source once, then for each image id it is sent computes (or, when both
 * maps already exist, re-reads) the heatmap and CRF map, writes them
 * atomically and reports the quality figures against the ground truth.
 *
 * Messages in: {@link WorkerInit} once, then `{ type: "job", id }`.
 * Messages out: `{ type: "ready" }`, then per job `{ type: "done", row }` or `{ type: "error", id, message }`.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { deriveSeed, Rng } from "../lib/core/rng.ts";
import { openDataset } from "../lib/data/open_dataset.ts";
import type { Dataset, DatasetName } from "../lib/data/types.ts";
import {
  computeGazeMaps,
  type Fixation,
  type FixationTable,
  gazeMapPath,
  type GazeMapSettings,
  readFixations,
  readGazeMap,
  ScanpathCanvas,
  simulateScanpath,
  writeGazeMap,
} from "../lib/gaze/mod.ts";
import { dice, iou } from "../lib/metrics/mod.ts";

/** The first message a worker receives. */
export interface WorkerInit {
  /** Always "init". */
  type: "init";
  /** Data root. */
  root: string;
  /** Dataset. */
  dataset: DatasetName;
  /** NCI-ISBI: read the mirror's sample slices. */
  samples: boolean;
  /** Real fixations from the CSV, or simulated from the ground truth. */
  gaze: "real" | "simulated";
  /** Seed of the simulator (per image: deriveSeed(seed, id)). */
  seed: number;
  /** Map folder variant ("" or e.g. "sim"). */
  variant: string;
  /** Map settings. */
  settings: GazeMapSettings;
  /** Recompute even when both maps exist. */
  force: boolean;
}

/** One row of quality.csv. */
export interface QualityRow {
  /** Image id. */
  id: string;
  /** Image width. */
  width: number;
  /** Image height. */
  height: number;
  /** Fixations used. */
  fixations: number;
  /** Dice of heatmap >= 0.5 (8-bit >= 128) vs GT; null without GT. */
  dice_heatmap_05: number | null;
  /** IoU of heatmap >= 0.5. */
  iou_heatmap_05: number | null;
  /** Dice of CRF >= 0.5 (8-bit >= 128). */
  dice_crf_05: number | null;
  /** IoU of CRF >= 0.5. */
  iou_crf_05: number | null;
  /** Dice of CRF >= 0.3 (8-bit >= 77). */
  dice_crf_03: number | null;
  /** IoU of CRF >= 0.3. */
  iou_crf_03: number | null;
  /** Seconds this image took (heatmap + CRF + writing), null when it was skipped. */
  seconds: number | null;
  /** Seconds of the CRF alone, null when skipped. */
  crf_seconds: number | null;
  /** True when the maps already existed and were only re-read. */
  skipped: boolean;
}

let state: {
  init: WorkerInit;
  ds: Dataset;
  table: FixationTable | null;
} | null = null;

function threshold(map: Uint8Array, atLeast: number): Uint8Array {
  const out = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) out[i] = map[i] >= atLeast ? 1 : 0;
  return out;
}

async function job(id: string): Promise<QualityRow> {
  const { init, ds, table } = state!;
  const t0 = performance.now();
  const hPath = gazeMapPath(init.root, init.dataset, "heatmap", id, { variant: init.variant });
  const cPath = gazeMapPath(init.root, init.dataset, "crf", id, { variant: init.variant });
  const sample = await ds.load(id);
  let heat: Uint8Array, crf: Uint8Array, crfSeconds: number | null = null, skipped = false;
  let existing: [Awaited<ReturnType<typeof readGazeMap>>, Awaited<ReturnType<typeof readGazeMap>>] | null = null;
  if (!init.force) {
    try {
      existing = [await readGazeMap(hPath), await readGazeMap(cPath)];
    } catch {
      existing = null;
    }
  }
  let fixations: Fixation[];
  if (init.gaze === "real") {
    const entry = table!.images.get(id);
    if (!entry) throw new Error(`${table!.file}: no fixations for image ${id}`);
    if (entry.width !== sample.image.width || entry.height !== sample.image.height) {
      throw new Error(
        `${
          table!.file
        }: image ${id} is ${entry.width}x${entry.height} in the CSV but ${sample.image.width}x${sample.image.height} on disk`,
      );
    }
    fixations = entry.fixations;
  } else {
    if (!sample.mask) {
      throw new Error(`${init.dataset}/${id}: simulated gaze needs the ground-truth mask, which is missing`);
    }
    fixations = simulateScanpath(new ScanpathCanvas(sample.mask), { rng: new Rng(deriveSeed(init.seed, id)) });
  }
  const fixCount = fixations.length;
  if (existing && existing[0].width === sample.image.width && existing[0].height === sample.image.height) {
    heat = existing[0].data;
    crf = existing[1].data;
    skipped = true;
  } else {
    const maps = computeGazeMaps(sample.image, fixations, init.settings);
    await writeGazeMap(hPath, maps.heatmap);
    await writeGazeMap(cPath, maps.crf);
    heat = maps.heatmap.data;
    crf = maps.crf.data;
    crfSeconds = maps.crfSeconds;
  }
  const seconds = skipped ? null : (performance.now() - t0) / 1000;
  const gt = sample.mask?.data ?? null;
  const score = (pred: Uint8Array) => (gt ? [dice(pred, gt), iou(pred, gt)] : [null, null]);
  const [dh, ih] = score(threshold(heat, 128));
  const [dc5, ic5] = score(threshold(crf, 128));
  const [dc3, ic3] = score(threshold(crf, 77));
  return {
    id,
    width: sample.image.width,
    height: sample.image.height,
    fixations: fixCount,
    dice_heatmap_05: dh,
    iou_heatmap_05: ih,
    dice_crf_05: dc5,
    iou_crf_05: ic5,
    dice_crf_03: dc3,
    iou_crf_03: ic3,
    seconds,
    crf_seconds: crfSeconds,
    skipped,
  };
}

self.onmessage = async (e: MessageEvent) => {
  const msg = e.data;
  try {
    if (msg.type === "init") {
      const init = msg as WorkerInit;
      const ds = await openDataset(init.dataset, { root: init.root, samples: init.samples, quiet: true });
      const table = init.gaze === "real" ? await readFixations(init.root, init.dataset as "kvasir" | "nci-isbi") : null;
      state = { init, ds, table };
      self.postMessage({ type: "ready" });
    } else if (msg.type === "job") {
      const row = await job(msg.id);
      self.postMessage({ type: "done", row });
    }
  } catch (err) {
    self.postMessage({ type: "error", id: msg.id ?? null, message: (err as Error).message });
  }
};
