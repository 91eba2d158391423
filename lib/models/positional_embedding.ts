/**
 * Learnable positional embedding for flattened image tokens, sized from the input size.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import { truncatedNormalValues } from "./init.ts";
import { addParam, getParam } from "./params.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor3D } from "../backend/tensor_types.ts";

/** Add `<name>` of shape `[1, tokens, channels]`, truncated normal std 0.02 (cut at +-2). */
export function initPositionalEmbedding(
  store: ParamStore,
  name: string,
  options: { tokens: number; channels: number; rng: Rng },
): void {
  const { tokens, channels, rng } = options;
  addParam(store, name, truncatedNormalValues(tokens * channels, { std: 0.02, rng }), { shape: [1, tokens, channels] });
}

/** tokens `[B, N, C]` + P (`[1, N, C]`, broadcast over the batch); N must match the embedding. */
export function addPositionalEmbedding(tokens: Tensor3D, options: { store: ParamStore; name: string }): Tensor3D {
  const p = getParam(options.store, options.name);
  if (p.shape[1] !== tokens.shape[1] || p.shape[2] !== tokens.shape[2]) {
    throw new Error(
      `positional embedding '${options.name}' is sized for ${p.shape[1]} tokens x ${p.shape[2]} channels, got ` +
        `${tokens.shape[1]} x ${tokens.shape[2]} (the input size differs from the config's inputSize)`,
    );
  }
  return tf.add(tokens, p);
}
