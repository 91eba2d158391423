/**
 * Multi-head attention with PyTorch `nn.MultiheadAttention` semantics (batch_first): packed
 * in-projection `in_proj_weight` / `in_proj_bias` for q, k, v, scaled dot product per head,
 * softmax over keys, out-projection `out_proj` with bias; weights averaged over heads.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import { constantValues, kaimingUniformBound, uniformValues, xavierUniformBound } from "./init.ts";
import { matMulRows } from "./linear.ts";
import { addParam, getParam } from "./params.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor1D, Tensor2D, Tensor3D, Tensor4D } from "../backend/tensor_types.ts";

/**
 * Add `<name>.in_proj_weight` (tfjs `[E, 3E]`, PyTorch `[3E, E]`, xavier-uniform over the packed
 * matrix), `<name>.in_proj_bias` (`[3E]`, zeros), `<name>.out_proj.weight` (`[E, E]`,
 * kaiming-uniform a = sqrt(5)) and `<name>.out_proj.bias` (zeros), as PyTorch initialises them.
 */
export function initMultiHeadAttention(
  store: ParamStore,
  name: string,
  options: { embedDim: number; rng: Rng },
): void {
  const { embedDim: e, rng } = options;
  addParam(store, `${name}.in_proj_weight`, uniformValues(3 * e * e, { bound: xavierUniformBound(e, 3 * e), rng }), {
    shape: [e, 3 * e],
    layout: "linear",
  });
  addParam(store, `${name}.in_proj_bias`, constantValues(3 * e, 0), { shape: [3 * e] });
  addParam(store, `${name}.out_proj.weight`, uniformValues(e * e, { bound: kaimingUniformBound(e), rng }), {
    shape: [e, e],
    layout: "linear",
  });
  addParam(store, `${name}.out_proj.bias`, constantValues(e, 0), { shape: [e] });
}

/** Options for {@link multiHeadAttention}. */
export interface MultiHeadAttentionOptions {
  /** Parameter store. */
  store: ParamStore;
  /** Parameter prefix. */
  name: string;
  /** Number of heads h (E divisible by h). */
  heads: number;
  /** Values `[B, L, E]` (default: the keys). */
  value?: Tensor3D;
  /** Key mask `[B, L]`: 1 = attend, 0 = padding (PyTorch `key_padding_mask` inverted). */
  keyMask?: Tensor2D;
}

/**
 * query `[B, N, E]`, key `[B, L, E]` -> `{ output: [B, N, E], weights: [B, N, L] }`:
 * softmax(q k^T / sqrt(E/h)) v per head, heads concatenated, out-projected; `weights` is the
 * attention averaged over heads.
 */
export function multiHeadAttention(
  query: Tensor3D,
  key: Tensor3D,
  options: MultiHeadAttentionOptions,
): { output: Tensor3D; weights: Tensor3D } {
  const { store, name, heads } = options;
  const [b, n, e] = query.shape;
  const l = key.shape[1];
  if (e % heads !== 0) throw new Error(`multiHeadAttention '${name}': width ${e} is not divisible by ${heads} heads`);
  if (key.shape[2] !== e) {
    throw new Error(`multiHeadAttention '${name}': key width ${key.shape[2]} != query width ${e}`);
  }
  const d = e / heads;
  const w = getParam(store, `${name}.in_proj_weight`) as Tensor2D;
  const bias = getParam(store, `${name}.in_proj_bias`) as Tensor1D;
  return tf.tidy(() => {
    const proj = (x: Tensor3D, part: number, len: number) => {
      const wp = tf.slice(w, [0, part * e], [e, e]);
      const bp = tf.slice(bias, [part * e], [e]);
      const y = tf.add(matMulRows(tf.reshape(x, [-1, e]) as Tensor2D, wp), bp);
      return tf.transpose(tf.reshape(y, [b, len, heads, d]), [0, 2, 1, 3]) as Tensor4D; // [B, h, len, d]
    };
    const q = proj(query, 0, n);
    const k = proj(key, 1, l);
    const v = proj(options.value ?? key, 2, l);
    let scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(d)) as Tensor4D; // [B, h, N, L]
    if (options.keyMask) {
      const pad = tf.mul(tf.sub(1, tf.reshape(options.keyMask, [b, 1, 1, l])), -1e9);
      scores = tf.add(scores, pad);
    }
    const attn = tf.softmax(scores, -1) as Tensor4D;
    const ctx = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [b * n, e]) as Tensor2D;
    const out = tf.add(
      matMulRows(ctx, getParam(store, `${name}.out_proj.weight`) as Tensor2D),
      getParam(store, `${name}.out_proj.bias`),
    );
    return {
      output: tf.reshape(out, [b, n, e]) as Tensor3D,
      weights: tf.mean(attn, 1) as Tensor3D,
    };
  });
}
