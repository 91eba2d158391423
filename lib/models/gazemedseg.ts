/**
 * The GazeMedSeg multi-level model (Zhong et al. 2024): K BasicUNets from identical initial
 * weights, one per gaze level, each with a 1x1 classifier to 1 logit; prediction = mean of the K
 * logits; each level also yields logits after feature propagation (see `featurePropagation`).
 *
 * @module
 */
import type { ForwardOptions, GazeMedSegConfig, GazeMedSegOutput, ImageInputs, Model } from "./types.ts";

/**
 * GazeMedSeg forward pass. Image `[B, H, W, inChannels]` -> mean logits `[B, H, W, 1]`,
 * K level logits, K propagated logits (same shapes) and K feature maps `[B, H, W, featDim]`.
 */
export function gazeMedSegForward(
  model: Model<GazeMedSegConfig>,
  inputs: ImageInputs,
  options: ForwardOptions = {},
): GazeMedSegOutput {
  void model;
  void inputs;
  void options;
  throw new Error("gazeMedSegForward: not yet implemented");
}
