/**
 * Network configurations of every method from a {@link TrainConfig}, deterministic initialisation
 * (seed = deriveSeed(run seed, `weights:<network>`)), the optimiser choice per network, and the
 * foreground-logit helper shared by the methods.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { deriveSeed } from "../../core/rng.ts";
import { disposeModel, initModel } from "../../models/model.ts";
import type {
  GazeMedSegConfig,
  Model,
  ModelConfig,
  StudentConfig,
  TeacherConfig,
  UNetConfig,
} from "../../models/types.ts";
import { resolveSwitches, type TrainConfig } from "../config.ts";
import type { OptimizerConfig } from "../optimizer.ts";
import type { Phase } from "./types.ts";
import type { Tensor4D } from "../../backend/tensor_types.ts";

/** The model configuration of network `name` (`teacher`, `student`, `unet`, `gazemedseg`) under `config`. */
export function networkConfig(name: string, config: TrainConfig, channels: number): ModelConfig {
  const m = config.models;
  switch (name) {
    case "teacher": {
      const sw = resolveSwitches(config);
      const c: TeacherConfig = {
        kind: "teacher",
        inChannels: channels,
        features: m.teacher,
        inputSize: config.imageSize,
        textLen: config.text.length,
        textDim: config.text.dim,
        heads: 8,
        fusion: sw.fusion,
        text: config.ablation.text,
        numClasses: 2,
      };
      return c;
    }
    case "student": {
      const c: StudentConfig = {
        kind: "student",
        inChannels: channels,
        features: m.student,
        teacherFeatures: m.teacher,
        numClasses: 2,
      };
      return c;
    }
    case "unet": {
      const c: UNetConfig = { kind: "unet", inChannels: channels, features: m.unet, numClasses: 1 };
      return c;
    }
    case "gazemedseg": {
      const c: GazeMedSegConfig = {
        kind: "gazemedseg",
        inChannels: channels,
        features: m.unet,
        levels: config.gaze.levels.length,
      };
      return c;
    }
    default:
      throw new Error(`unknown network '${name}' (expected teacher, student, unet or gazemedseg)`);
  }
}

/**
 * The networks `names` of a method: those given in `existing` (checked against the config's
 * architecture) or fresh ones initialised from deriveSeed(seed, `weights:<name>`).
 */
export function buildNetworks(
  names: string[],
  config: TrainConfig,
  options: { channels: number; existing?: Map<string, Model> },
): Map<string, Model> {
  const out = new Map<string, Model>();
  for (const name of names) {
    const want = networkConfig(name, config, options.channels);
    const have = options.existing?.get(name);
    if (have) {
      if (JSON.stringify(sortKeys(have.config)) !== JSON.stringify(sortKeys(want))) {
        throw new Error(
          `network '${name}': the given model's config ${JSON.stringify(have.config)} differs from the training ` +
            `config's ${JSON.stringify(want)}`,
        );
      }
      out.set(name, have);
    } else {
      out.set(name, initModel(want, { seed: deriveSeed(config.seed, `weights:${name}`) }));
    }
  }
  return out;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** Optimiser settings for SGD or Adam from the config (SGD `momentum` may be overridden, e.g. 0.99). */
export function optimizerSettings(
  config: TrainConfig,
  type: "sgd" | "adam",
  options: { momentum?: number } = {},
): { config: OptimizerConfig; lrMax: number; lrMin: number } {
  const o = config.optimizer;
  if (type === "adam") {
    const a = o.adam;
    return {
      config: { type: "adam", beta1: a.beta1, beta2: a.beta2, eps: a.eps, weightDecay: a.weightDecay },
      lrMax: a.lrMax,
      lrMin: a.lrMin,
    };
  }
  return {
    config: { type: "sgd", momentum: options.momentum ?? o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay },
    lrMax: o.lrMax,
    lrMin: o.lrMin,
  };
}

/** The LAST channel of logits `[B, H, W, K]` as `[B, H, W, 1]` (the foreground logit). */
export function foregroundLogit(logits: Tensor4D): Tensor4D {
  const [b, h, w, k] = logits.shape;
  return tf.slice(logits, [0, 0, 0, k - 1], [b, h, w, 1]);
}

/** The single phase of a one-network method. */
export function singlePhase(config: TrainConfig, networks: string[]): Phase[] {
  return [{ name: "main", start: 0, end: config.iterations, networks }];
}

/** Free every network of a map. */
export function disposeNetworks(networks: ReadonlyMap<string, Model>): void {
  for (const m of networks.values()) disposeModel(m);
}
