/**
 * The FGI student (METHOD section 5): a smaller BasicUNet without text; each encoder map x1..x4
 * also passes its own DistillProj and adapter (1x1 conv to the teacher's width, BatchNorm, ReLU)
 * giving S_s for the AFC alignment only. The decoder uses the raw maps.
 *
 * @module
 */
import type { ForwardOptions, ImageInputs, Model, StudentConfig, StudentOutput } from "./types.ts";

/**
 * Student forward pass. Image `[B, H, W, inChannels]` (H, W multiples of 16) ->
 * logits `[B, H, W, numClasses]`, features, and S_1..S_4 `[B, H/2^s, W/2^s, teacherFeatures[s]]`.
 */
export function studentForward(
  model: Model<StudentConfig>,
  inputs: ImageInputs,
  options: ForwardOptions = {},
): StudentOutput {
  void model;
  void inputs;
  void options;
  throw new Error("studentForward: not yet implemented");
}
