/**
 * DARM on tensors: reads the batch back (`dataSync`), runs the array version, returns tensors.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { darmGaze } from "./gaze.ts";
import { darmPrediction } from "./prediction.ts";
import type { DarmOptions, DarmResult } from "./types.ts";
import type { Tensor, Tensor3D, Tensor4D } from "../backend/tensor_types.ts";

/** Tensor inputs of {@link darmTensors}: `gaze` needs `mhc`, `prediction` needs both probabilities. */
export interface DarmTensorInputs {
  /** Normalised image `[B, H, W, C]`. */
  image: Tensor4D;
  /** M_bc `[B, H, W]` or `[B, H, W, 1]`. */
  mbc: Tensor;
  /** M_hc (gaze variant), same shape as `mbc`. */
  mhc?: Tensor;
  /** Teacher foreground probability (prediction variant), same shape as `mbc`. */
  teacherProb?: Tensor;
  /** Student foreground probability (prediction variant), same shape as `mbc`. */
  studentProb?: Tensor;
}

/** Tensor outputs of {@link darmTensors}. */
export type DarmTensorResult = {
  /** Masked image `[B, H, W, C]`. */
  image: Tensor4D;
  /** Masked M_bc, same shape as the input `mbc`. */
  mbc: Tensor;
  /** Block map `[B, H, W]` float32 (1 = masked). */
  blocks: Tensor3D;
  /** |U|. */
  candidates: number;
  /** Masked area counted with overlaps. */
  maskedArea: number;
};

/** Run DARM variant `options.variant` on tensors (inputs are not disposed). */
export function darmTensors(
  inputs: DarmTensorInputs,
  options: DarmOptions & { variant: "gaze" | "prediction" },
): DarmTensorResult {
  const [b, h, w, c] = inputs.image.shape;
  const shape = { batch: b, height: h, width: w, channels: c };
  const flat = (t: Tensor | undefined, name: string): Float32Array => {
    if (!t) throw new Error(`darmTensors: variant '${options.variant}' needs input '${name}'`);
    if (t.size !== b * h * w) {
      throw new Error(`darmTensors: '${name}' has shape [${t.shape}], expected [${b}, ${h}, ${w}]`);
    }
    return Float32Array.from(t.dataSync());
  };
  const image = Float32Array.from(inputs.image.dataSync());
  const mbc = flat(inputs.mbc, "mbc");
  let r: DarmResult;
  if (options.variant === "gaze") {
    r = darmGaze({ image, mbc, mhc: flat(inputs.mhc, "mhc"), shape }, options);
  } else if (options.variant === "prediction") {
    r = darmPrediction({
      image,
      mbc,
      teacherProb: flat(inputs.teacherProb, "teacherProb"),
      studentProb: flat(inputs.studentProb, "studentProb"),
      shape,
    }, options);
  } else {
    throw new Error(`darmTensors: variant must be "gaze" or "prediction", got ${JSON.stringify(options.variant)}`);
  }
  return {
    image: tf.tensor4d(r.image, [b, h, w, c]),
    mbc: tf.tensor(r.mbc, inputs.mbc.shape, "float32"),
    blocks: tf.tensor3d(Float32Array.from(r.blocks), [b, h, w]),
    candidates: r.candidates,
    maskedArea: r.maskedArea,
  };
}
