/**
 * `gaze1`: single-level gaze supervision. One BasicUNet (`unet` widths, 1 logit) trained on the
 * gaze level cut at `config.gaze.single` (0.5 on Kvasir):
 * - `gaze1.loss = "partial-ce"` (default, the main table's row): cross-entropy on labelled pixels
 *   only; the pixels where the two levels of `config.gaze.levels` disagree (the ring between the
 *   high- and the broad-coverage masks) are ignored, so "foreground" = inside the single level and
 *   "background" = outside the broad level;
 * - `gaze1.loss = "bce"`: BCE-with-logits on every pixel against the single level.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { bceWithLogits } from "../../losses/bce_with_logits.ts";
import { partialCrossEntropy } from "../../losses/partial_ce.ts";
import { unetForward } from "../../models/unet.ts";
import type { Model, UNetConfig } from "../../models/types.ts";
import { buildNetworks, disposeNetworks, optimizerSettings, singlePhase } from "./networks.ts";
import type { MethodOptions, TrainBatch, TrainMethod } from "./types.ts";

/** Create the `gaze1` method. */
export function createGaze1(options: MethodOptions): TrainMethod {
  const { config } = options;
  const networks = buildNetworks(["unet"], config, { channels: options.channels, existing: options.networks });
  const unet = networks.get("unet") as Model<UNetConfig>;
  return {
    name: "gaze1",
    needs: { masks: false, gaze: true, text: false },
    networks,
    reported: "unet",
    phases: () => singlePhase(config, ["unet"]),
    optimizerFor: () => optimizerSettings(config, config.optimizer.type),
    prepare(batch: TrainBatch) {
      if (!batch.single || !batch.mhc || !batch.mbc) throw new Error("gaze1: the batch has no gaze levels");
      const target = batch.single;
      const ignore = config.gaze1.loss === "partial-ce" ? tf.notEqual(batch.mhc, batch.mbc).toFloat() : null;
      return {
        compute() {
          const logits = unetForward(unet, { image: batch.image }, { training: true }).logits;
          const loss = ignore ? partialCrossEntropy(logits, target, { ignore }) : bceWithLogits(logits, target);
          return { total: loss, terms: { [ignore ? "PCE" : "BCE"]: loss } };
        },
        stats: {},
        dispose: () => ignore?.dispose(),
      };
    },
    predict(image) {
      return tf.tidy(() => unetForward(unet, { image }).logits);
    },
    needsText: () => false,
    attention: () => [],
    dispose: () => disposeNetworks(networks),
  };
}
