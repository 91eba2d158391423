/**
 * DARM on tensors: reads the batch back (`dataSync`), runs the array version, returns tensors.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { DarmOptions } from "./types.ts";

/** Tensor inputs of {@link darmTensors}: `gaze` needs `mhc`, `prediction` needs both probabilities. */
export interface DarmTensorInputs {
  /** Normalised image `[B, H, W, C]`. */
  image: tf.Tensor4D;
  /** M_bc `[B, H, W]` or `[B, H, W, 1]`. */
  mbc: tf.Tensor;
  /** M_hc (gaze variant), same shape as `mbc`. */
  mhc?: tf.Tensor;
  /** Teacher foreground probability (prediction variant), same shape as `mbc`. */
  teacherProb?: tf.Tensor;
  /** Student foreground probability (prediction variant), same shape as `mbc`. */
  studentProb?: tf.Tensor;
}

/** Tensor outputs of {@link darmTensors}. */
export interface DarmTensorResult {
  /** Masked image `[B, H, W, C]`. */
  image: tf.Tensor4D;
  /** Masked M_bc, same shape as the input `mbc`. */
  mbc: tf.Tensor;
  /** Block map `[B, H, W]` float32 (1 = masked). */
  blocks: tf.Tensor3D;
  /** |U|. */
  candidates: number;
  /** Masked area counted with overlaps. */
  maskedArea: number;
}

/** Run DARM variant `options.variant` on tensors (inputs are not disposed). */
export function darmTensors(
  inputs: DarmTensorInputs,
  options: DarmOptions & { variant: "gaze" | "prediction" },
): DarmTensorResult {
  void inputs;
  void options;
  throw new Error("darmTensors: not yet implemented");
}
