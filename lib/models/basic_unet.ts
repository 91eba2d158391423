/**
 * MONAI `BasicUNet` (2D) as functions: `conv_0` (TwoConv), `down_1..4` (2x2 max-pool, TwoConv),
 * `upcat_4..1` (2x2 transposed conv, concatenate [skip, upsampled], TwoConv) and `final_conv`
 * (1x1, f5 -> featDim). Upsampling halves the channels (in // 2) except in `upcat_1`, which keeps
 * f1 and whose TwoConv maps f0 + f1 -> f5. Norm: GroupNorm (4 groups); activation LeakyReLU 0.1;
 * conv biases on. Names: `<prefix>.conv_0...`, `<prefix>.down_1.convs...`,
 * `<prefix>.upcat_4.upsample.deconv...`, `<prefix>.upcat_4.convs...`, `<prefix>.final_conv...`.
 *
 * The encoder and the decoder are separate functions so that models can modify x1..x4 in between.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import { conv2d, initConv2d } from "./conv.ts";
import { convTranspose2x2, initConvTranspose2x2 } from "./conv_transpose.ts";
import { maxPool2x2 } from "./max_pool.ts";
import { initTwoConv, twoConv } from "./two_conv.ts";
import type { Features, ParamStore } from "./types.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";

/** Options for {@link initBasicUNet}. */
export interface InitBasicUNetOptions {
  /** Input channels. */
  inChannels: number;
  /** Widths f0..f5. */
  features: Features;
  /** Output width of `final_conv` (MONAI `out_channels`). */
  featDim: number;
  /** Generator. */
  rng: Rng;
}

/** Check the widths (positive integers, divisible by the GroupNorm groups). */
export function validateFeatures(features: readonly number[], groups: number, where: string): void {
  if (!Array.isArray(features) || features.length !== 6) {
    throw new Error(`${where}: 'features' must list 6 widths [f0..f4, f5], got ${JSON.stringify(features)}`);
  }
  for (const f of features) {
    if (!Number.isInteger(f) || f <= 0 || f % groups !== 0) {
      throw new Error(`${where}: every width must be a positive multiple of ${groups} (GroupNorm groups), got ${f}`);
    }
  }
  for (const k of [4, 3, 2]) {
    const up = Math.floor(features[k] / 2);
    if (up < 1) throw new Error(`${where}: width f${k} = ${features[k]} is too small to halve`);
  }
}

/** Add all BasicUNet parameters under `prefix`. */
export function initBasicUNet(store: ParamStore, prefix: string, options: InitBasicUNetOptions): void {
  const { inChannels, features: f, featDim, rng } = options;
  initTwoConv(store, `${prefix}.conv_0`, { inChannels, outChannels: f[0], rng });
  for (let i = 1; i <= 4; i++) {
    initTwoConv(store, `${prefix}.down_${i}.convs`, { inChannels: f[i - 1], outChannels: f[i], rng });
  }
  for (let i = 4; i >= 1; i--) {
    const up = i === 1 ? f[1] : Math.floor(f[i] / 2);
    const out = i === 1 ? f[5] : f[i - 1];
    initConvTranspose2x2(store, `${prefix}.upcat_${i}.upsample.deconv`, { inChannels: f[i], outChannels: up, rng });
    initTwoConv(store, `${prefix}.upcat_${i}.convs`, { inChannels: f[i - 1] + up, outChannels: out, rng });
  }
  initConv2d(store, `${prefix}.final_conv`, { inChannels: f[5], outChannels: featDim, kernelSize: 1, rng });
}

/** Options of the BasicUNet forward functions. */
export interface BasicUNetOptions {
  /** Parameter store. */
  store: ParamStore;
  /** Parameter prefix (e.g. `encoder`). */
  prefix: string;
  /** GroupNorm groups (default 4). */
  groups?: number;
}

/**
 * Encoder: image `[B, H, W, Cin]` (H, W multiples of 16) -> [x0..x4], x_s `[B, H/2^s, W/2^s, f_s]`.
 */
export function basicUNetEncode(image: Tensor4D, options: BasicUNetOptions): Tensor4D[] {
  const { store, prefix } = options;
  const groups = options.groups ?? 4;
  const [, h, w] = image.shape;
  if (h % 16 !== 0 || w % 16 !== 0) {
    throw new Error(`BasicUNet '${prefix}': input height and width must be multiples of 16, got ${h} x ${w}`);
  }
  return tf.tidy(() => {
    const xs = [twoConv(image, { store, name: `${prefix}.conv_0`, groups })];
    for (let i = 1; i <= 4; i++) {
      const pooled = maxPool2x2(xs[i - 1]);
      xs.push(twoConv(pooled, { store, name: `${prefix}.down_${i}.convs`, groups }));
    }
    return xs;
  });
}

/**
 * Decoder: [x0..x4] -> features `[B, H, W, featDim]` (after `final_conv`).
 * u4 = upcat_4(x4, x3), u3 = upcat_3(u4, x2), u2 = upcat_2(u3, x1), u1 = upcat_1(u2, x0).
 */
export function basicUNetDecode(xs: Tensor4D[], options: BasicUNetOptions): Tensor4D {
  const { store, prefix } = options;
  const groups = options.groups ?? 4;
  if (xs.length !== 5) throw new Error(`BasicUNet '${prefix}': the decoder needs 5 maps x0..x4, got ${xs.length}`);
  return tf.tidy(() => {
    let u = xs[4];
    for (let i = 4; i >= 1; i--) {
      const up = convTranspose2x2(u, { store, name: `${prefix}.upcat_${i}.upsample.deconv` });
      u = twoConv(tf.concat([xs[i - 1], up], 3), { store, name: `${prefix}.upcat_${i}.convs`, groups });
    }
    return conv2d(u, { store, name: `${prefix}.final_conv` });
  });
}
