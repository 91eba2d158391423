/**
 * A fixed training batch for watching a run from the inside (issue 11, section 2): the first
 * `batchSize` training ids (split order, no flips), their gaze levels (M_hc, M_bc) and ground
 * truth, the clean normalised images and the same images masked by DARM from the gaze levels
 * (`darm` of the released code, a fixed seed derived from the run's seed, the config's DARM
 * numbers and window/stop switches). At every evaluation {@link probeOutputs} runs each network on
 * both inputs (eval mode) and pools {@link OutputStats} plus Dice against the ground truth at the
 * training size. Plain arrays are kept; tensors live only inside one call.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { deriveSeed, Rng } from "../core/rng.ts";
import { iterateBatches, resolveCache } from "../data/batches.ts";
import type { Dataset } from "../data/types.ts";
import { darmGaze } from "../darm/gaze.ts";
import type { TeacherConfig } from "../models/types.ts";
import { disposeTrainBatch, toTrainBatch } from "../train/batch.ts";
import { darmOptionsFor, type TrainConfig } from "../train/config.ts";
import type { TrainMethod } from "../train/methods/types.ts";
import type { Supervision } from "../train/supervision.ts";
import { batchDice, type OutputQuantity, OutputStats } from "./output_stats.ts";

/** The fixed batch (see module doc). */
export interface TrainingProbe {
  /** Training ids. */
  ids: string[];
  /** `[B, S, S, C]`. */
  shape: [number, number, number, number];
  /** Clean normalised images. */
  clean: Float32Array;
  /** DARM-masked images. */
  masked: Float32Array;
  /** Ground truth `B*S*S` at the training size, or null when a training image has none. */
  mask: Float32Array | null;
  /** Text tokens `B*L*D` (null when no network needs text or none are available). */
  text: Float32Array | null;
  /** [L, D] of the text tokens. */
  textShape: [number, number];
  /** |U| and masked area of the DARM draw. */
  darm: { candidates: number; maskedArea: number };
  /** CWC thresholds from the config. */
  thresholds: { tauPos: number; tauNeg: number };
}

/** Build the probe of a run (reads gaze maps, and text tokens when `text`, through `supervision`). */
export async function buildTrainingProbe(
  dataset: Dataset,
  config: TrainConfig,
  supervision: Supervision,
  options: { text?: boolean } = {},
): Promise<TrainingProbe> {
  const ids = dataset.ids("train").slice(0, config.batchSize);
  if (!ids.length) throw new Error(`training probe: dataset ${dataset.name} has no training images`);
  const gen = iterateBatches(dataset, ids, {
    size: config.imageSize,
    batchSize: ids.length,
    cache: resolveCache(dataset, config.imageSize) ?? "off",
    maps: async (p) => ({ crf: await supervision.crf(p.id, p) }),
  });
  const { value } = await gen.next();
  await gen.return(undefined);
  const batch = value!;
  const tb = toTrainBatch(batch, { levels: config.gaze.levels, single: config.gaze.single, masks: false, gaze: true });
  let mhc: Float32Array, mbc: Float32Array;
  try {
    [mhc, mbc] = (await Promise.all([tb.mhc!.data(), tb.mbc!.data()])) as Float32Array[];
  } finally {
    disposeTrainBatch(tb);
  }
  const [B, S, , C] = batch.shape;
  const r = darmGaze(
    { image: batch.images, mhc, mbc, shape: { batch: B, height: S, width: S, channels: C } },
    darmOptionsFor(config, new Rng(deriveSeed(config.seed, "probe:darm"))),
  );
  const [L, D] = [config.text.length, config.text.dim];
  let text: Float32Array | null = null;
  if (options.text) {
    text = new Float32Array(B * L * D);
    const toks = await Promise.all(ids.map((id) => supervision.text(id)));
    toks.forEach((t, b) => {
      if (t.length !== L * D) throw new Error(`training probe: text of '${ids[b]}' has ${t.length} values`);
      text!.set(t, b * L * D);
    });
  }
  return {
    ids,
    shape: batch.shape,
    clean: batch.images,
    masked: r.image,
    mask: batch.masks,
    text,
    textShape: [L, D],
    darm: { candidates: r.candidates, maskedArea: r.maskedArea },
    thresholds: { tauPos: config.fgi.tauPos, tauNeg: config.fgi.tauNeg },
  };
}

/**
 * Pooled outputs of `networks` on the probe's clean and masked inputs:
 * `{ clean: { <net>: stats }, masked: { <net>: stats } }` (Dice NaN without ground truth).
 * Networks that need text are skipped when the probe has none. Leaks no tensor.
 */
export async function probeOutputs(
  method: TrainMethod,
  probe: TrainingProbe,
  networks: readonly string[],
): Promise<Record<"clean" | "masked", Record<string, Record<OutputQuantity, number>>>> {
  if (!method.outputs) throw new Error(`training probe: ${method.name} does not provide raw logits`);
  const out: Record<"clean" | "masked", Record<string, Record<OutputQuantity, number>>> = { clean: {}, masked: {} };
  const [B] = probe.shape;
  for (const input of ["clean", "masked"] as const) {
    const image = tf.tensor4d(probe[input], probe.shape);
    try {
      for (const network of networks) {
        const needsText = method.needsText(network);
        if (needsText && !probe.text) continue;
        const cfg = method.networks.get(network)!.config as TeacherConfig;
        const text = needsText ? tf.tensor3d(probe.text!, [B, cfg.textLen, cfg.textDim]) : undefined;
        let logits: tf.Tensor4D;
        try {
          logits = method.outputs(image, { network, text });
        } finally {
          text?.dispose();
        }
        try {
          const stats = new OutputStats(probe.thresholds);
          await stats.add(logits);
          out[input][network] = stats.result(probe.mask ? await batchDice(logits, probe.mask) : NaN);
        } finally {
          logits.dispose();
        }
      }
    } finally {
      image.dispose();
    }
  }
  return out;
}
