/**
 * Create, inspect and free models: `initModel` builds the parameters of any model
 * kind deterministically from a seed (PyTorch default initialisation, values drawn
 * with the toolkit's own {@link Rng}, so equal seeds give bit-identical weights on
 * every backend).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../core/mod.ts";
import { initAdapter } from "./adapter.ts";
import { initBasicUNet, validateFeatures } from "./basic_unet.ts";
import { initConv2d } from "./conv.ts";
import { initDistillProj } from "./distill_proj.ts";
import { gazeMedSegForward } from "./gazemedseg.ts";
import { initHead } from "./head.ts";
import { createParamStore } from "./params.ts";
import { studentForward } from "./student.ts";
import { teacherForward } from "./teacher.ts";
import { initTextFusion } from "./text_fusion.ts";
import { unetForward } from "./unet.ts";
import type {
  GazeMedSegConfig,
  ImageInputs,
  Model,
  ModelConfig,
  ParamStore,
  StudentConfig,
  TeacherConfig,
  TeacherInputs,
  UNetConfig,
} from "./types.ts";
import type { Tensor4D, Variable } from "../backend/tensor_types.ts";

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
 * import { disposeModel, initModel, modelConfigFor, selectBackend } from "../../mod.ts";
 * await selectBackend("cpu");
 * const model = initModel(modelConfigFor("student", "smoke"), { seed: 0 });
 * disposeModel(model);
 * ```
 */
export function initModel<C extends ModelConfig>(config: C, options: InitModelOptions = {}): Model<C> {
  validateConfig(config);
  const rng = new Rng(options.seed ?? 0);
  const store = createParamStore();
  const featDim = config.featDim ?? config.features[5];
  const f = config.features;
  switch (config.kind) {
    case "teacher": {
      const c = config as TeacherConfig;
      initBasicUNet(store, "encoder", { inChannels: c.inChannels, features: f, featDim, rng });
      for (let s = 1; s <= 4; s++) {
        if (c.text ?? true) {
          const side = c.inputSize / 2 ** s;
          initTextFusion(store, `fusion.${s - 1}`, {
            channels: f[s],
            tokens: side * side,
            textDim: c.textDim,
            weight: c.fusion ?? "none",
            lambdaInit: c.lambdaInit,
            rng,
          });
        }
        initDistillProj(store, `distill.${s - 1}`, { channels: f[s], rng });
      }
      initHead(store, "head", { channels: featDim, rng });
      initConv2d(store, "classifier", { inChannels: featDim, outChannels: c.numClasses ?? 2, kernelSize: 1, rng });
      break;
    }
    case "student": {
      const c = config as StudentConfig;
      initBasicUNet(store, "encoder", { inChannels: c.inChannels, features: f, featDim, rng });
      for (let s = 1; s <= 4; s++) {
        initDistillProj(store, `distill.${s - 1}`, { channels: f[s], rng });
        initAdapter(store, `adapter.${s - 1}`, { inChannels: f[s], outChannels: c.teacherFeatures[s], rng });
      }
      initHead(store, "head", { channels: featDim, rng });
      initConv2d(store, "classifier", { inChannels: featDim, outChannels: c.numClasses ?? 2, kernelSize: 1, rng });
      break;
    }
    case "gazemedseg": {
      const c = config as GazeMedSegConfig;
      const first = createParamStore();
      initBasicUNet(first, "model.0.encoder", { inChannels: c.inChannels, features: f, featDim, rng });
      initConv2d(first, "model.0.classifier", { inChannels: featDim, outChannels: 1, kernelSize: 1, rng });
      const levels = c.levels ?? 2;
      for (let k = 0; k < levels; k++) {
        for (const [name, v] of first.trainable) {
          const renamed = name.replace(/^model\.0\./, `model.${k}.`);
          store.trainable.set(renamed, k === 0 ? v : tf.variable(v, true));
          store.layout.set(renamed, first.layout.get(name)!);
        }
      }
      break;
    }
    case "unet": {
      const c = config as UNetConfig;
      initBasicUNet(store, "encoder", { inChannels: c.inChannels, features: f, featDim, rng });
      if (c.head) initHead(store, "head", { channels: featDim, rng });
      initConv2d(store, "classifier", { inChannels: featDim, outChannels: c.numClasses ?? 1, kernelSize: 1, rng });
      break;
    }
  }
  return { config, params: store };
}

function validateConfig(config: ModelConfig): void {
  const where = `model config (${(config as { kind?: string })?.kind ?? "no kind"})`;
  if (!config || !["teacher", "student", "gazemedseg", "unet"].includes(config.kind)) {
    throw new Error(`${where}: field 'kind' must be teacher, student, gazemedseg or unet`);
  }
  if (!Number.isInteger(config.inChannels) || config.inChannels < 1) {
    throw new Error(`${where}: field 'inChannels' must be a positive integer, got ${config.inChannels}`);
  }
  const groups = config.groups ?? 4;
  validateFeatures(config.features, groups, where);
  if (config.featDim !== undefined && !(Number.isInteger(config.featDim) && config.featDim > 0)) {
    throw new Error(`${where}: field 'featDim' must be a positive integer, got ${config.featDim}`);
  }
  if (config.kind === "teacher") {
    const heads = config.heads ?? 8;
    if (!Number.isInteger(config.inputSize) || config.inputSize % 16 !== 0 || config.inputSize < 16) {
      throw new Error(`${where}: field 'inputSize' must be a positive multiple of 16, got ${config.inputSize}`);
    }
    if (config.text ?? true) {
      for (let s = 1; s <= 4; s++) {
        if (config.features[s] % heads !== 0) {
          throw new Error(`${where}: width f${s} = ${config.features[s]} is not divisible by ${heads} attention heads`);
        }
      }
      if (!(Number.isInteger(config.textDim) && config.textDim > 0)) {
        throw new Error(`${where}: field 'textDim' must be a positive integer, got ${config.textDim}`);
      }
      if (!(Number.isInteger(config.textLen) && config.textLen > 0)) {
        throw new Error(`${where}: field 'textLen' must be a positive integer, got ${config.textLen}`);
      }
    }
    if (config.fusion !== undefined && config.fusion !== "none" && config.fusion !== "learnable") {
      throw new Error(`${where}: field 'fusion' must be "none" or "learnable", got ${JSON.stringify(config.fusion)}`);
    }
  }
  if (config.kind === "student") validateFeatures(config.teacherFeatures, groups, `${where} teacherFeatures`);
  if (config.kind === "gazemedseg" && !(Number.isInteger(config.levels ?? 2) && (config.levels ?? 2) >= 1)) {
    throw new Error(`${where}: field 'levels' must be a positive integer, got ${config.levels}`);
  }
}

/** Dispose every variable of a model (it cannot be used afterwards). */
export function disposeModel(model: Model): void {
  for (const v of model.params.trainable.values()) v.dispose();
  for (const v of model.params.state.values()) v.dispose();
}

/** The trainable variables of a model, in a stable (insertion) order, e.g. for an optimiser's var list. */
export function trainableVariables(model: Model | ParamStore): Variable[] {
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
): Tensor4D {
  return tf.tidy(() => {
    switch (model.config.kind) {
      case "teacher": {
        const out = teacherForward(model as Model<TeacherConfig>, inputs as TeacherInputs, options);
        return out.logits;
      }
      case "student":
        return studentForward(model as Model<StudentConfig>, inputs, options).logits;
      case "gazemedseg":
        return gazeMedSegForward(model as Model<GazeMedSegConfig>, inputs, options).logits;
      case "unet":
        return unetForward(model as Model<UNetConfig>, inputs, options).logits;
    }
  });
}
