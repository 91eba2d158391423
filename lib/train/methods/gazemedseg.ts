/**
 * `gazemedseg`: the GazeMedSeg baseline (Zhong et al. 2024; docs/METHOD.md sections 5-6). K BasicUNets
 * from identical initial weights, network k supervised by the gaze level cut at
 * `config.gaze.levels[k]` (config order):
 * L = sum_k BCE(z_k, level_k) + consistencyWeight (3) * gazeMedSegConsistency(z, mode `prop`),
 * the consistency comparing each level's propagated prediction with the other levels' detached
 * probabilities. SGD with momentum `optimizer.gazeMedSegMomentum` (0.99). Prediction = mean of the
 * K logits.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { bceWithLogits } from "../../losses/bce_with_logits.ts";
import { gazeMedSegConsistency } from "../../losses/gazemedseg_consistency.ts";
import { gazeMedSegForward } from "../../models/gazemedseg.ts";
import type { GazeMedSegConfig, Model } from "../../models/types.ts";
import { buildNetworks, disposeNetworks, optimizerSettings, singlePhase } from "./networks.ts";
import type { MethodOptions, TrainBatch, TrainMethod } from "./types.ts";

/** Create the `gazemedseg` method. */
export function createGazeMedSeg(options: MethodOptions): TrainMethod {
  const { config } = options;
  const networks = buildNetworks(["gazemedseg"], config, { channels: options.channels, existing: options.networks });
  const model = networks.get("gazemedseg") as Model<GazeMedSegConfig>;
  const weight = config.gazemedseg.consistencyWeight, mode = config.gazemedseg.consistencyMode;
  return {
    name: "gazemedseg",
    needs: { masks: false, gaze: true, text: false },
    networks,
    reported: "gazemedseg",
    phases: () => singlePhase(config, ["gazemedseg"]),
    optimizerFor: () => optimizerSettings(config, "sgd", { momentum: config.optimizer.gazeMedSegMomentum }),
    prepare(batch: TrainBatch) {
      const K = config.gaze.levels.length;
      if (batch.levels.length !== K) {
        throw new Error(`gazemedseg: the batch has ${batch.levels.length} gaze levels, the config ${K}`);
      }
      return {
        compute() {
          const out = gazeMedSegForward(model, { image: batch.image }, { training: true });
          const terms: Record<string, tf.Scalar> = {};
          const bces = out.levelLogits.map((z, k) => (terms[`BCE_${k}`] = bceWithLogits(z, batch.levels[k])));
          const cons = gazeMedSegConsistency(out.levelLogits, { mode, propLogits: out.propLogits });
          terms.CONS = cons;
          const total = tf.add(tf.addN(bces), tf.mul(cons, weight)) as tf.Scalar;
          return { total, terms };
        },
        stats: {},
        dispose() {},
      };
    },
    predict(image) {
      return tf.tidy(() => gazeMedSegForward(model, { image }).logits);
    },
    needsText: () => false,
    attention: () => [],
    dispose: () => disposeNetworks(networks),
  };
}
