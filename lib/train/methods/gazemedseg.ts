/**
 * `gazemedseg`: the GazeMedSeg baseline (Zhong et al. 2024; docs/METHOD.md sections 5-6). K BasicUNets
 * from identical initial weights, network k supervised by the gaze level cut at
 * `config.gaze.levels[k]` (config order):
 * L = sum_k BCE(z_k, level_k) + consistencyWeight (3) * gazeMedSegConsistency(z, mode `prop`),
 * the consistency comparing each level's propagated prediction with the other levels' detached
 * probabilities. SGD with momentum `optimizer.gazeMedSegMomentum` (0.99). Prediction = mean of the
 * K logits.
 *
 * With micro-batches (`accumulate > 1`, how a memory-bound run such as the paper profile on the 4 GiB
 * wasm heap is configured) the step is offered in K stages (one tape per UNet, see
 * PreparedStep.stages): stage k differentiates UNet k's BCE_k + consistencyWeight * consistency_k,
 * whose other-level probabilities are stop-gradient constants in the single-tape loss too, so the
 * summed gradients are the single-tape ones. Those constants come from a tape-free forward pass of
 * UNets 1..K-1 in `prepare` (one extra forward pass per micro-batch for K = 2, about +1/6 of the
 * FLOPs) and, for UNet 0, from stage 0. With `accumulate` 1 the step is one tape, without that pass.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { bceWithLogits } from "../../losses/bce_with_logits.ts";
import { gazeMedSegConsistency, gazeMedSegConsistencyTerm } from "../../losses/gazemedseg_consistency.ts";
import { gazeMedSegForward, gazeMedSegLevelForward, gazeMedSegLevelLogits } from "../../models/gazemedseg.ts";
import type { Tensor4D } from "../../backend/tensor_types.ts";
import type { GazeMedSegConfig, Model } from "../../models/types.ts";
import { buildNetworks, disposeNetworks, optimizerSettings, singlePhase } from "./networks.ts";
import type { LossStage, LossTerms, MethodOptions, TrainBatch, TrainMethod } from "./types.ts";

/** Create the `gazemedseg` method. */
export function createGazeMedSeg(options: MethodOptions): TrainMethod {
  const { config } = options;
  const networks = buildNetworks(["gazemedseg"], config, { channels: options.channels, existing: options.networks });
  const model = networks.get("gazemedseg") as Model<GazeMedSegConfig>;
  const weight = config.gazemedseg.consistencyWeight, mode = config.gazemedseg.consistencyMode;
  // one tape per UNet only where memory is the constraint (micro-batches); it costs a forward pass
  const staged = config.accumulate > 1;
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
      // p_j = sigmoid(level logits_j) of UNets 1..K-1, without a tape (stage 0 adds p_0)
      const probs: (Tensor4D | null)[] = [null];
      for (let j = 1; staged && j < K; j++) {
        probs.push(tf.tidy(() => tf.sigmoid(gazeMedSegLevelLogits(model, batch.image, j)) as Tensor4D));
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
        stages: staged ? levelStages() : undefined,
        stats: {},
        dispose: () => tf.dispose(probs.splice(0).filter((p): p is Tensor4D => p !== null)),
      };

      /** Stage k: UNet k's BCE_k + weight * consistency_k against the other levels' constant probabilities. */
      function levelStages(): LossStage[] {
        return Array.from({ length: K }, (_, k) => ({
          networks: ["gazemedseg"],
          paramPrefixes: [`model.${k}.`],
          compute(): LossTerms {
            const out = gazeMedSegLevelForward(model, batch.image, k);
            if (k === 0) probs[0] = tf.keep(tf.sigmoid(out.logits)) as Tensor4D;
            const bce = bceWithLogits(out.logits, batch.levels[k]);
            const own = mode === "prop" ? out.propLogits : out.logits;
            const cons = gazeMedSegConsistencyTerm(own, probs.filter((_, j) => j !== k) as Tensor4D[]);
            const total = tf.add(bce, tf.mul(cons, weight)) as tf.Scalar;
            return { total, terms: { [`BCE_${k}`]: bce, CONS: cons } };
          },
        }));
      }
    },
    predict(image) {
      return tf.tidy(() => gazeMedSegForward(model, { image }).logits);
    },
    needsText: () => false,
    attention: () => [],
    dispose: () => disposeNetworks(networks),
  };
}
