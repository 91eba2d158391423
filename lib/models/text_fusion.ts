/**
 * The FGI text-fusion module at one encoder scale:
 * Q = flatten(X) + P; T = Linear(D -> C)(F_t); A = MHA(Q, T, T); Z = LayerNorm(Q + A) reshaped;
 * X~ = X + Z (`none`) or X + lambda Z (`learnable`).
 * Names: `<name>.pos_embed`, `<name>.text_proj.*`, `<name>.attn.*`, `<name>.norm.*`, `<name>.lambda`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import { initMultiHeadAttention, multiHeadAttention } from "./attention.ts";
import { constantValues } from "./init.ts";
import { initLayerNorm, layerNorm } from "./layer_norm.ts";
import { initLinear, linear } from "./linear.ts";
import { addParam, getParam } from "./params.ts";
import { addPositionalEmbedding, initPositionalEmbedding } from "./positional_embedding.ts";
import type { FusionWeight, ParamStore } from "./types.ts";
import type { Tensor2D, Tensor3D, Tensor4D } from "../backend/tensor_types.ts";

/** Options for {@link initTextFusion}. */
export interface InitTextFusionOptions {
  /** Image channels C at this scale. */
  channels: number;
  /** Image tokens N = h * w at this scale (sizes the positional embedding). */
  tokens: number;
  /** Text token width D. */
  textDim: number;
  /** Fusion weighting. */
  weight: FusionWeight;
  /** Initial lambda for `learnable` (default 1). */
  lambdaInit?: number;
  /** Generator. */
  rng: Rng;
}

/** Add one fusion module's parameters. */
export function initTextFusion(store: ParamStore, name: string, options: InitTextFusionOptions): void {
  const { channels, tokens, textDim, rng } = options;
  initPositionalEmbedding(store, `${name}.pos_embed`, { tokens, channels, rng });
  initLinear(store, `${name}.text_proj`, { inFeatures: textDim, outFeatures: channels, rng });
  initMultiHeadAttention(store, `${name}.attn`, { embedDim: channels, rng });
  initLayerNorm(store, `${name}.norm`, { channels });
  if (options.weight === "learnable") {
    addParam(store, `${name}.lambda`, constantValues(1, options.lambdaInit ?? 1), { shape: [1] });
  }
}

/** Options for {@link textFusion}. */
export interface TextFusionOptions {
  /** Parameter store. */
  store: ParamStore;
  /** Parameter prefix. */
  name: string;
  /** Attention heads. */
  heads: number;
  /** Fusion weighting. */
  weight: FusionWeight;
  /** Optional text key mask `[B, L]` (1 = real token). */
  textMask?: Tensor2D;
}

/**
 * X `[B, h, w, C]`, text `[B, L, D]` -> `{ fused: X~ [B, h, w, C], attention: [B, h*w, L] }`.
 */
export function textFusion(
  x: Tensor4D,
  text: Tensor3D,
  options: TextFusionOptions,
): { fused: Tensor4D; attention: Tensor3D } {
  const { store, name, heads } = options;
  const [b, h, w, c] = x.shape;
  return tf.tidy(() => {
    const q = addPositionalEmbedding(tf.reshape(x, [b, h * w, c]) as Tensor3D, { store, name: `${name}.pos_embed` });
    const t = linear(text, { store, name: `${name}.text_proj` });
    const { output, weights } = multiHeadAttention(q, t, {
      store,
      name: `${name}.attn`,
      heads,
      keyMask: options.textMask,
    });
    const z = tf.reshape(layerNorm(tf.add(q, output), { store, name: `${name}.norm` }), [b, h, w, c]);
    const fused = options.weight === "learnable"
      ? tf.add(x, tf.mul(getParam(store, `${name}.lambda`), z))
      : tf.add(x, z);
    return { fused: fused as Tensor4D, attention: weights };
  });
}
