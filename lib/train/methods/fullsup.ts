/**
 * `fullsup`: the fully supervised upper bound. One BasicUNet (`unet` widths, 1 logit) trained on
 * the REAL masks with BCE-with-logits over all pixels; SGD per `config.optimizer`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { bceWithLogits } from "../../losses/bce_with_logits.ts";
import { unetForward } from "../../models/unet.ts";
import type { Model, UNetConfig } from "../../models/types.ts";
import { buildNetworks, disposeNetworks, optimizerSettings, singlePhase } from "./networks.ts";
import type { MethodOptions, TrainBatch, TrainMethod } from "./types.ts";

/**
 * Create the `fullsup` method.
 *
 * @example
 * ```ts
 * import { createFullsup, selectBackend, validateTrainConfig } from "../../../mod.ts";
 * await selectBackend("cpu");
 * const config = validateTrainConfig({ dataset: "synthetic", profile: "smoke", imageSize: 32, batchSize: 2, iterations: 2,
 *   models: { teacher: [8, 8, 16, 16, 32, 8], student: [4, 4, 8, 8, 16, 4], unet: [4, 4, 8, 8, 16, 4] } });
 * const m = createFullsup({ config, channels: 3 });
 * m.dispose();
 * ```
 */
export function createFullsup(options: MethodOptions): TrainMethod {
  const { config } = options;
  const networks = buildNetworks(["unet"], config, { channels: options.channels, existing: options.networks });
  const unet = networks.get("unet") as Model<UNetConfig>;
  return {
    name: "fullsup",
    needs: { masks: true, gaze: false, text: false },
    networks,
    reported: "unet",
    phases: () => singlePhase(config, ["unet"]),
    optimizerFor: () => optimizerSettings(config, config.optimizer.type),
    prepare(batch: TrainBatch) {
      if (!batch.mask) throw new Error("fullsup: the batch has no ground-truth masks");
      const mask = batch.mask;
      return {
        compute() {
          const logits = unetForward(unet, { image: batch.image }, { training: true }).logits;
          const bce = bceWithLogits(logits, mask);
          return { total: bce, terms: { BCE: bce } };
        },
        stats: {},
        dispose() {},
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
