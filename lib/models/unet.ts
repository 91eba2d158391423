/**
 * The fully supervised upper bound: one BasicUNet and a 1x1 classifier.
 *
 * @module
 */
import type { ForwardOptions, ImageInputs, Model, UNetConfig, UNetOutput } from "./types.ts";

/** UNet forward pass. Image `[B, H, W, inChannels]` -> logits `[B, H, W, numClasses]` and features. */
export function unetForward(model: Model<UNetConfig>, inputs: ImageInputs, options: ForwardOptions = {}): UNetOutput {
  void model;
  void inputs;
  void options;
  throw new Error("unetForward: not yet implemented");
}
