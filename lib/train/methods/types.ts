/**
 * The contract of a training method plug-in. ONE loop (lib/train/loop.ts) drives every method; a
 * method says which networks it trains, in which phases, with which optimiser, and how to turn a
 * batch into a loss. It also predicts foreground logits for evaluation.
 *
 * Flow per iteration (the loop): batch -> for each micro-batch: `prepare` (outside the gradient
 * tape: DARM, noise, CutMix boxes, frozen-network passes) -> `compute` inside
 * `tf.variableGrads` over the phase's networks -> gradients summed over micro-batches, weighted by
 * their share of the batch -> one optimiser step per network.
 *
 * @module
 */
import type { Rng } from "../../core/rng.ts";
import type { Model } from "../../models/types.ts";
import type { OptimizerConfig } from "../optimizer.ts";
import type { MethodName, TrainConfig } from "../config.ts";
import type { Scalar, Tensor3D, Tensor4D } from "../../backend/tensor_types.ts";

/** One training mini-batch (or micro-batch) as tensors. The loop owns and disposes them. */
export interface TrainBatch {
  /** Sample ids, batch order. */
  ids: string[];
  /** Normalised, flipped images `[B, S, S, C]`. */
  image: Tensor4D;
  /** Ground-truth masks `[B, S, S, 1]` (0/1, nearest-resized, flipped) when the method needs them. */
  mask: Tensor4D | null;
  /** Gaze levels `[B, S, S, 1]`, one per `config.gaze.levels` threshold in config order (0/1). */
  levels: Tensor4D[];
  /** M_hc `[B, S, S, 1]`: per sample the smaller of the two levels (empty array when no gaze). */
  mhc: Tensor4D | null;
  /** M_bc `[B, S, S, 1]`: per sample the larger of the two levels. */
  mbc: Tensor4D | null;
  /** The `gaze.single` level `[B, S, S, 1]` (gaze1). */
  single: Tensor4D | null;
  /** Text tokens `[B, L, D]` when the method needs text. */
  text: Tensor3D | null;
}

/** A stretch of iterations in which a fixed set of networks is trained. */
export interface Phase {
  /** Name used in logs: `main`, `joint`, `teacher`, `student`. */
  name: string;
  /** First iteration (inclusive, 0-based). */
  start: number;
  /** One past the last iteration. */
  end: number;
  /** Networks whose parameters are updated. */
  networks: string[];
}

/** What a method gets for one (micro-)batch. */
export interface StepContext {
  /** Global iteration, 0-based. */
  iteration: number;
  /** The phase of this iteration. */
  phase: Phase;
  /** Consistency ramp weight w(t), t = iteration - phase.start + the method's `rampOffset`. */
  rampWeight: number;
  /** Per-iteration generators (derived from the run seed and the iteration). */
  rng: { darm: Rng; cwc: Rng };
}

/** The loss of one micro-batch, evaluated inside the gradient tape. */
export interface LossTerms {
  /** The scalar that is differentiated. */
  total: Scalar;
  /** Named terms for the log (unweighted values, e.g. `L_T`, `L_S`, `CWC_T`, `AFC`). */
  terms: Record<string, Scalar>;
}

/**
 * One part of a loss that reaches the trainable parameters of `networks` only (every value it takes
 * from another network is a stop-gradient constant). See {@link PreparedStep.stages}.
 */
export interface LossStage {
  /** Networks whose parameters this part differentiates (those outside the phase are skipped). */
  networks: string[];
  /**
   * Only the parameters of `networks` whose names start with one of these prefixes (default: all
   * of them): a part that reaches one sub-network of a network (GazeMedSeg's UNet k, `model.k.`).
   */
  paramPrefixes?: string[];
  /** Build this part (called inside its own `tf.variableGrads`, in list order). */
  compute(): LossTerms;
}

/** A micro-batch made ready for differentiation. */
export interface PreparedStep {
  /** Build the loss (called inside `tf.variableGrads`). */
  compute(): LossTerms;
  /**
   * The same loss as `compute`, split into parts that the loop differentiates one after another
   * (one tape each) and whose gradients it sums: the tape then holds one part's activations, not
   * all of them (the FGI joint step at 224 px: one network's passes instead of four). The parts'
   * totals add up to `compute`'s total and their terms to its terms; forward passes run once each,
   * in an order that keeps each network's own passes (and BatchNorm updates) in `compute`'s order.
   */
  stages?: LossStage[];
  /** Numbers for the log gathered while preparing (e.g. DARM candidates and masked area). */
  stats: Record<string, number>;
  /** Free what `prepare` made. */
  dispose(): void;
}

/** Options of {@link TrainMethod.predict}. */
export interface PredictOptions {
  /** Which network (default: the method's `reported` network). */
  network?: string;
  /** Text tokens `[B, L, D]` for a network that needs them (the FGI teacher). */
  text?: Tensor3D;
}

/** A training method. */
export interface TrainMethod {
  /** Method name. */
  readonly name: MethodName;
  /** Which supervision the loop must load. `textAtTest`: predicting with some network needs text. */
  readonly needs: { masks: boolean; gaze: boolean; text: boolean };
  /** The networks, by name (e.g. `unet`; `gazemedseg`; `teacher` and `student`). */
  readonly networks: ReadonlyMap<string, Model>;
  /** The network whose Dice selects the `best` checkpoint and that is reported (FGI: `student`). */
  readonly reported: string;
  /** Added to the ramp-up clock (iteration - phase start) before w(t) is taken (default 0; FGI `rampStart: "one"`: 1). */
  readonly rampOffset?: number;
  /** The training phases, covering iterations 0..config.iterations-1 without gaps. */
  phases(): Phase[];
  /** Optimiser and lr range of one network. */
  optimizerFor(network: string): { config: OptimizerConfig; lrMax: number; lrMin: number };
  /** Prepare one micro-batch (outside the tape; may read tensors back asynchronously, e.g. for DARM). */
  prepare(batch: TrainBatch, ctx: StepContext): PreparedStep | Promise<PreparedStep>;
  /** Foreground logits `[B, H, W, 1]` of a network on normalised images `[B, H, W, C]` (eval mode). */
  predict(image: Tensor4D, options?: PredictOptions): Tensor4D;
  /**
   * All logit channels `[B, H, W, K]` of a network on normalised images (eval mode), for
   * diagnostics (FGI: K = 2; the evaluation's foreground logit is the last channel). Optional.
   */
  outputs?(image: Tensor4D, options?: PredictOptions): Tensor4D;
  /** Whether predicting with `network` needs text tokens. */
  needsText(network: string): boolean;
  /** The teacher's text-to-image attention `[B, N_s, L]` per scale s = 1..4 (FGI with text only; else empty). */
  attention(image: Tensor4D, text: Tensor3D): Tensor3D[];
  /** Free every network. */
  dispose(): void;
}

/** What a method factory receives. */
export interface MethodOptions {
  /** The validated config. */
  config: TrainConfig;
  /** Image channels of the dataset (3 RGB, 1 MRI). */
  channels: number;
  /** Networks to use instead of fresh ones (e.g. loaded from a checkpoint); missing ones are initialised. */
  networks?: Map<string, Model>;
}
