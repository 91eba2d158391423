/**
 * Models (docs/METHOD.md section 5) as pure functions over named parameters: the MONAI BasicUNet, the FGI
 * teacher (text fusion, DistillProj) and student (DistillProj + adapter), the GazeMedSeg
 * multi-level model and the full-supervision UNet; their building blocks; profiles; checkpoints
 * (safetensors + JSON sidecar); stop-gradient.
 *
 * Tensors are NHWC float32; the foreground logit is the last channel of every model's logits.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { disposeModel, initModel, modelConfigFor, selectBackend, studentForward } from "../../mod.ts";
 * await selectBackend("cpu");
 * const model = initModel(modelConfigFor("student", "smoke"), { seed: 0 });
 * const out = studentForward(model, { image: tf.zeros([1, 32, 32, 3]) as tf.Tensor4D }, { training: false });
 * console.log(out.logits.shape); // [1, 32, 32, 2]
 * tf.dispose(out);
 * disposeModel(model);
 * ```
 *
 * @module
 */
export * from "./types.ts";
export * from "./profiles.ts";
export * from "./model.ts";
export * from "./teacher.ts";
export * from "./student.ts";
export * from "./gazemedseg.ts";
export * from "./unet.ts";
export * from "./feature_propagation.ts";
export * from "./stop_gradient.ts";
export * from "./safetensors.ts";
export * from "./checkpoint.ts";
export * from "./summary.ts";
// Building blocks (for users composing their own models).
export * from "./params.ts";
export * from "./init.ts";
export * from "./conv.ts";
export * from "./conv_transpose.ts";
export * from "./max_pool.ts";
export * from "./group_norm.ts";
export * from "./batch_norm.ts";
export * from "./layer_norm.ts";
export * from "./linear.ts";
export * from "./attention.ts";
export * from "./positional_embedding.ts";
export * from "./two_conv.ts";
export * from "./basic_unet.ts";
export * from "./text_fusion.ts";
export * from "./distill_proj.ts";
export * from "./adapter.ts";
export * from "./head.ts";
