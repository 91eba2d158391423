/**
 * Create, inspect and free models: `initModel` builds the parameters of any model
 * kind deterministically from a seed (PyTorch default initialisation, values drawn
 * with the toolkit's own {@link Rng}, so equal seeds give bit-identical weights on
 * every backend).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ImageInputs, Model, ModelConfig, ParamStore, TeacherInputs } from "./types.ts";

/** Options for {@link initModel}. */
export interface InitModelOptions {
  /** Seed of the weight initialisation (default 0). */
  seed?: number;
}

/**
 * Build a model's parameters from its configuration.
 *
 * Initialisation (PyTorch defaults): conv / linear / transposed-conv weights and biases
 * kaiming-uniform with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (transposed conv:
 * fan_in = out_channels * k * k, as PyTorch computes it); GroupNorm, BatchNorm, LayerNorm weight 1,
 * bias 0; BatchNorm running mean 0, var 1; attention in-projection xavier-uniform with zero biases,
 * out-projection bias 0; positional embeddings truncated normal std 0.02 (cut at +-2);
 * fusion lambdas `lambdaInit`. The K GazeMedSeg networks share identical initial values.
 *
 * @example
 * ```ts
 * import { initModel, disposeModel, modelConfigFor } from "./mod.ts";
 * const model = initModel(modelConfigFor("student", "smoke"), { seed: 0 });
 * disposeModel(model);
 * ```
 */
export function initModel<C extends ModelConfig>(config: C, options: InitModelOptions = {}): Model<C> {
  void config;
  void options;
  throw new Error("initModel: not yet implemented");
}

/** Dispose every variable of a model (it cannot be used afterwards). */
export function disposeModel(model: Model): void {
  for (const v of model.params.trainable.values()) v.dispose();
  for (const v of model.params.state.values()) v.dispose();
}

/** The trainable variables of a model, in a stable (insertion) order, e.g. for an optimiser's var list. */
export function trainableVariables(model: Model | ParamStore): tf.Variable[] {
  const store = "params" in model ? model.params : model;
  return [...store.trainable.values()];
}

/** Number of trainable scalars (and of state scalars) in a model. */
export function countParams(model: Model | ParamStore): { trainable: number; state: number } {
  const store = "params" in model ? model.params : model;
  let trainable = 0, state = 0;
  for (const v of store.trainable.values()) trainable += v.size;
  for (const v of store.state.values()) state += v.size;
  return { trainable, state };
}

/**
 * The segmentation logits of any model kind, for evaluation: `[B, H, W, K]`, foreground = last
 * channel (teacher and student: 2 channels; GazeMedSeg: the mean of the K level logits, 1 channel;
 * UNet: `numClasses`). The teacher needs `inputs.text` unless built with `text: false`.
 * Intermediate tensors are disposed.
 */
export function predictLogits(
  model: Model,
  inputs: TeacherInputs | ImageInputs,
  options: { training?: boolean } = {},
): tf.Tensor4D {
  void model;
  void inputs;
  void options;
  throw new Error("predictLogits: not yet implemented");
}
