/**
 * Types shared by every model: the parameter store, the model configurations
 * and the forward outputs.
 *
 * Conventions (all models):
 * - tensors are NHWC float32: images `[B, H, W, Cin]`, logits `[B, H, W, K]`;
 * - the foreground logit is the LAST channel of `logits` (channel 1 of 2, or the only channel);
 * - H and W must be multiples of 16 (four 2x2 max-pools);
 * - parameters are plain named `Variable`s whose names follow the PyTorch `state_dict` keys of
 *   the reference code (MONAI BasicUNet inside an `encoder.` prefix, etc.);
 * - forward functions never dispose their inputs; the caller disposes the returned tensors
 *   (`tf.dispose(output)` walks the whole object).
 *
 * @module
 */
import type { Tensor2D, Tensor3D, Tensor4D, Variable } from "../backend/tensor_types.ts";

/** Six widths `[f0, f1, f2, f3, f4, f5]`: five encoder levels and the width after the last up-block. */
export type Features = readonly [number, number, number, number, number, number];

/**
 * How a parameter's tfjs layout maps to the PyTorch layout used in checkpoints.
 *
 * | layout   | tfjs shape                 | PyTorch shape (file)        |
 * |----------|----------------------------|-----------------------------|
 * | `conv`   | `[kh, kw, in, out]`        | `[out, in, kh, kw]`         |
 * | `deconv` | `[kh, kw, out, in]`        | `[in, out, kh, kw]`         |
 * | `linear` | `[in, out]`                | `[out, in]`                 |
 * | `plain`  | any                        | same                        |
 */
export type ParamLayout = "conv" | "deconv" | "linear" | "plain";

/**
 * All parameters of one model.
 *
 * - `trainable`: what the optimiser updates (conv/linear weights and biases, norm affines,
 *   positional embeddings, fusion weights lambda).
 * - `state`: non-trainable buffers (BatchNorm `running_mean` / `running_var`), updated in place
 *   by a forward pass with `training: true`.
 * - `layout`: for every name in either map, how it is stored in a safetensors checkpoint.
 */
export interface ParamStore {
  /** Trainable parameters by PyTorch-style name, e.g. `encoder.conv_0.conv_0.conv.weight`. */
  trainable: Map<string, Variable>;
  /** Non-trainable state by name, e.g. `distill.1.1.running_mean`. */
  state: Map<string, Variable>;
  /** Checkpoint layout of every parameter and state entry. */
  layout: Map<string, ParamLayout>;
}

/** Model kinds, as used on the command line (`--model`). */
export type ModelKind = "teacher" | "student" | "gazemedseg" | "unet";

/** Fields shared by every model configuration. */
export interface BaseModelConfig {
  /** Input channels (3 for RGB, 1 for MRI). */
  inChannels: number;
  /** BasicUNet widths `[f0..f4, f5]`. */
  features: Features;
  /** Output width of the BasicUNet's final 1x1 conv (MONAI `out_channels`); default `features[5]`. */
  featDim?: number;
  /** GroupNorm groups in every conv block (default 4). */
  groups?: number;
}

/** Text-fusion weighting at each scale: `none` = X + Z (code), `learnable` = X + lambda_s * Z (paper). */
export type FusionWeight = "none" | "learnable";

/** The FGI teacher (docs/METHOD.md section 5). */
export interface TeacherConfig extends BaseModelConfig {
  /** Discriminator. */
  kind: "teacher";
  /** Training / inference image side in pixels; sizes the positional embeddings (N_s = (size/2^s)^2). */
  inputSize: number;
  /** Text token count L of the `[B, L, D]` text input. */
  textLen: number;
  /** Text token width D. */
  textDim: number;
  /** Attention heads (default 8); every x1..x4 width must be divisible by it. */
  heads?: number;
  /** Fusion weighting (default `none`). */
  fusion?: FusionWeight;
  /** Initial value of every lambda_s for `fusion: "learnable"` (default 1). */
  lambdaInit?: number;
  /** False = the "no text" ablation: no fusion modules at all, DistillProj on the raw maps (default true). */
  text?: boolean;
  /** Logit channels (default 2; foreground = last). */
  numClasses?: number;
}

/** The FGI student (docs/METHOD.md section 5). */
export interface StudentConfig extends BaseModelConfig {
  /** Discriminator. */
  kind: "student";
  /** The teacher's widths x1..x4 = `teacherFeatures[1..4]` size the adapters. */
  teacherFeatures: Features;
  /** Logit channels (default 2; foreground = last). */
  numClasses?: number;
}

/** The GazeMedSeg multi-level model (K BasicUNets from identical initial weights). */
export interface GazeMedSegConfig extends BaseModelConfig {
  /** Discriminator. */
  kind: "gazemedseg";
  /** K, the number of gaze levels / networks (default 2). */
  levels?: number;
}

/** The fully supervised upper bound: one BasicUNet + 1x1 classifier. */
export interface UNetConfig extends BaseModelConfig {
  /** Discriminator. */
  kind: "unet";
  /** Logit channels (default 1; foreground = last). */
  numClasses?: number;
  /** Add the teacher/student head (1x1 conv, LeakyReLU 0.1, 1x1 conv) before the classifier (default false). */
  head?: boolean;
}

/** Any model configuration. */
export type ModelConfig = TeacherConfig | StudentConfig | GazeMedSegConfig | UNetConfig;

/** The configuration type of model kind `K`, e.g. `ConfigOf<"teacher">` = {@link TeacherConfig}. */
export type ConfigOf<K extends ModelKind> = Extract<ModelConfig, { kind: K }>;

/** A model: its configuration and its parameters. Create with `initModel`, free with `disposeModel`. */
export interface Model<C extends ModelConfig = ModelConfig> {
  /** The configuration it was built from (saved in the checkpoint sidecar). */
  config: C;
  /** Its parameters. */
  params: ParamStore;
}

/** Options of every forward function. */
export interface ForwardOptions {
  /**
   * Training mode (default false). Only BatchNorm depends on it: batch statistics plus an in-place
   * update of the running statistics (momentum 0.1, unbiased variance) when true, running statistics
   * when false. GroupNorm / LayerNorm behave the same in both modes.
   */
  training?: boolean;
}

/** Inputs of the teacher. */
export interface TeacherInputs {
  /** Normalised image `[B, H, W, inChannels]`, H = W = `config.inputSize`. */
  image: Tensor4D;
  /** Text tokens `[B, L, D]` (L = `textLen`, D = `textDim`); required unless `config.text === false`. */
  text?: Tensor3D;
  /** Optional key mask `[B, L]`, 1 = real token, 0 = padding (ignored by attention). */
  textMask?: Tensor2D;
}

/**
 * What the teacher returns. Dispose with `tf.dispose(output)` (a type alias, not an interface, so it
 * is assignable to `tf.TensorContainer`).
 */
export type TeacherOutput = {
  /** Logits `[B, H, W, numClasses]`; foreground = last channel. */
  logits: Tensor4D;
  /** Decoder features after the BasicUNet final conv `[B, H, W, featDim]` (head input). */
  features: Tensor4D;
  /** D_1..D_4: DistillProj outputs `[B, H/2^s, W/2^s, f_s]`, the AFC targets. */
  distill: Tensor4D[];
  /**
   * Attention weights per scale s = 1..4, `[B, N_s, L]` averaged over heads (PyTorch
   * `average_attn_weights=True`), N_s = (H/2^s)(W/2^s) in row-major pixel order.
   * Empty when `config.text === false`.
   */
  attention: Tensor3D[];
};

/** Inputs of the student, the UNet and the GazeMedSeg model. */
export interface ImageInputs {
  /** Normalised image `[B, H, W, inChannels]`. */
  image: Tensor4D;
}

/** What the student returns. Dispose with `tf.dispose(output)`. */
export type StudentOutput = {
  /** Logits `[B, H, W, numClasses]`; foreground = last channel. */
  logits: Tensor4D;
  /** Decoder features after the BasicUNet final conv `[B, H, W, featDim]`. */
  features: Tensor4D;
  /** S_1..S_4: adapter outputs `[B, H/2^s, W/2^s, teacherFeatures[s]]`, aligned to the teacher's D_s by AFC. */
  aligned: Tensor4D[];
};

/** What the GazeMedSeg model returns. Dispose with `tf.dispose(output)`. */
export type GazeMedSegOutput = {
  /** Mean of the K level logits `[B, H, W, 1]` (the prediction). */
  logits: Tensor4D;
  /** Per-level logits, K tensors `[B, H, W, 1]`. */
  levelLogits: Tensor4D[];
  /** Per-level logits after feature propagation, K tensors `[B, H, W, 1]`. */
  propLogits: Tensor4D[];
  /** Per-level features `[B, H, W, featDim]`. */
  features: Tensor4D[];
};

/** What the full-supervision UNet returns. Dispose with `tf.dispose(output)`. */
export type UNetOutput = {
  /** Logits `[B, H, W, numClasses]`; foreground = last channel. */
  logits: Tensor4D;
  /** Decoder features `[B, H, W, featDim]`. */
  features: Tensor4D;
};

/** One row of a model summary (see `summarizeModel`). */
export interface ModuleSummary {
  /** Module name prefix, e.g. `encoder.down_1`, `fusion.2`, `head`. */
  module: string;
  /** Trainable parameter count. */
  params: number;
  /** Non-trainable state count (BatchNorm running statistics). */
  state: number;
  /** Output shape for the summary's input, when the module has one well-defined output. */
  outputShape?: number[];
}

/** A whole-model summary. */
export interface ModelSummary {
  /** The model kind. */
  kind: ModelKind;
  /** Input shape `[B, H, W, C]` the output shapes refer to. */
  inputShape: number[];
  /** Per-module rows, in forward order. */
  modules: ModuleSummary[];
  /** Total trainable parameters. */
  totalParams: number;
  /** Total non-trainable state entries. */
  totalState: number;
  /** Output shapes of the named forward outputs (e.g. `logits`, `distill.1`). */
  outputs: Record<string, number[]>;
}
