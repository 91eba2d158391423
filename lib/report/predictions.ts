/**
 * Predictions of a trained method on single images, for the figures: the binary mask
 * at the ground truth's original size (exactly as the evaluation computes it: bilinear
 * upsampling of the logits, foreground = logit > 0) and the FGI teacher's
 * text-to-image attention maps.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { normalisationFor } from "../data/normalise.ts";
import { inputImage, prepareSample } from "../data/preprocess.ts";
import type { Raster } from "../data/raster.ts";
import { resize } from "../data/resize.ts";
import type { Dataset } from "../data/types.ts";
import { logitsToMask } from "../metrics/per_image.ts";
import type { TeacherConfig } from "../models/types.ts";
import type { TrainMethod } from "../train/methods/types.ts";
import type { Supervision } from "../train/supervision.ts";
import type { Tensor3D, Tensor4D } from "../backend/tensor_types.ts";

/** The network input `[1, S, S, C]` of one image of `dataset` (resized, normalised; the caller disposes). */
export async function inputTensor(dataset: Dataset, id: string, imageSize: number): Promise<Tensor4D> {
  const s = await prepareSample(dataset, id, { size: imageSize });
  const x = inputImage(s, { normalisation: normalisationFor(dataset.name) });
  return tf.tensor4d(x.data, [1, x.height, x.width, x.channels]);
}

/** Options of {@link predictMask}. */
export interface PredictMaskOptions {
  /** Training image side of the method. */
  imageSize: number;
  /** Network (default the method's reported one). */
  network?: string;
  /** Text source when the network needs text (the FGI teacher). */
  supervision?: Supervision;
  /** Output size (default the sample's original size). */
  size?: { width: number; height: number };
}

/**
 * The predicted binary mask (1 channel, 0/1) of `id` at its original size, and the
 * foreground logits at the training size. Leaks no tensor.
 */
export async function predictMask(
  method: TrainMethod,
  dataset: Dataset,
  id: string,
  options: PredictMaskOptions,
): Promise<{ mask: Raster<Uint8Array>; logits: Raster<Float32Array> }> {
  const network = options.network ?? method.reported;
  const image = await inputTensor(dataset, id, options.imageSize);
  let text: Tensor3D | undefined;
  try {
    if (method.needsText(network)) text = await textTensor(method, network, id, options.supervision);
    const S = options.imageSize;
    const data = tf.tidy(() => method.predict(image, { network, text }).dataSync() as Float32Array);
    const logits: Raster<Float32Array> = { width: S, height: S, channels: 1, data: Float32Array.from(data) };
    const size = options.size ?? (await dataset.load(id)).info;
    const m = logitsToMask(logits, { width: size.width, height: size.height });
    return { mask: { width: m.width, height: m.height, channels: 1, data: m.data }, logits };
  } finally {
    image.dispose();
    text?.dispose();
  }
}

async function textTensor(
  method: TrainMethod,
  network: string,
  id: string,
  supervision: Supervision | undefined,
): Promise<Tensor3D> {
  if (!supervision) throw new Error(`predict: network '${network}' needs text; pass options.supervision`);
  const cfg = method.networks.get(network)!.config as TeacherConfig;
  const t = await supervision.text(id);
  if (t.length !== cfg.textLen * cfg.textDim) {
    throw new Error(`predict: text of '${id}' has ${t.length} values, expected ${cfg.textLen}x${cfg.textDim}`);
  }
  return tf.tensor3d(t, [1, cfg.textLen, cfg.textDim]);
}

/** The teacher's attention of one image. */
export interface AttentionMaps {
  /** Per scale s = 1..4: per text token (field) l, an `h_s x w_s` map (1 channel float32, sums to 1 over tokens per pixel). */
  perScale: Raster<Float32Array>[][];
  /** Per token: the mean over the 4 scales after bilinear upsampling to `size`. */
  perToken: Raster<Float32Array>[];
  /** Per pixel, the largest of the per-token maps (1/L = attention spread evenly over the fields). */
  peak: Raster<Float32Array>;
}

/**
 * The FGI teacher's text-to-image attention of `id` (method `fgi` with text fusion):
 * `[1, N_s, L]` per scale from the method, reshaped to `L` maps of `h_s x w_s`, then
 * per token the mean over scales upsampled (bilinear) to `options.size` (default the
 * training size). `peak` is, per pixel, the largest weight over the tokens (how
 * strongly the pixel attends to one field rather than spreading evenly: 1/L = uniform).
 * Leaks no tensor.
 */
export async function attentionMaps(
  method: TrainMethod,
  dataset: Dataset,
  id: string,
  options: { imageSize: number; supervision: Supervision; size?: { width: number; height: number } },
): Promise<AttentionMaps> {
  if (!method.networks.has("teacher")) throw new Error(`attentionMaps: method ${method.name} has no teacher`);
  const image = await inputTensor(dataset, id, options.imageSize);
  const text = await textTensor(method, "teacher", id, options.supervision);
  let arrays: { data: Float32Array; n: number; L: number }[];
  try {
    const att = method.attention(image, text);
    if (!att.length) throw new Error("attentionMaps: the teacher has no text fusion (ablation no-text?)");
    arrays = att.map((a) => ({ data: Float32Array.from(a.dataSync() as Float32Array), n: a.shape[1], L: a.shape[2] }));
    tf.dispose(att);
  } finally {
    image.dispose();
    text.dispose();
  }
  const size = options.size ?? { width: options.imageSize, height: options.imageSize };
  const perScale = arrays.map(({ data, n, L }) => {
    const side = Math.round(Math.sqrt(n));
    if (side * side !== n) throw new Error(`attentionMaps: ${n} image tokens is not a square map`);
    return Array.from({ length: L }, (_, l) => {
      const m = new Float32Array(n);
      for (let i = 0; i < n; i++) m[i] = data[i * L + l];
      return { width: side, height: side, channels: 1, data: m } as Raster<Float32Array>;
    });
  });
  const L = perScale[0].length;
  const perToken: Raster<Float32Array>[] = [];
  for (let l = 0; l < L; l++) {
    const acc = new Float32Array(size.width * size.height);
    for (const scale of perScale) {
      const up = resize(scale[l], { ...size, mode: "bilinear" });
      for (let i = 0; i < acc.length; i++) acc[i] += up.data[i] / perScale.length;
    }
    perToken.push({ ...size, channels: 1, data: acc });
  }
  const peak = new Float32Array(size.width * size.height);
  for (let i = 0; i < peak.length; i++) {
    let m = 0;
    for (const t of perToken) m = Math.max(m, t.data[i]);
    peak[i] = m;
  }
  return { perScale, perToken, peak: { ...size, channels: 1, data: peak } };
}
