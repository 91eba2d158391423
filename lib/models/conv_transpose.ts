/**
 * 2x2 transposed convolution with stride 2 (the BasicUNet "deconv" upsampling), NHWC.
 *
 * @module
 */
import type { Rng } from "../core/mod.ts";
import { kaimingUniformBound, uniformValues } from "./init.ts";
import { addParam, getParam } from "./params.ts";
import type { ParamStore } from "./types.ts";
import type { Tensor4D } from "../backend/tensor_types.ts";
import { conv2dTransposeBias } from "../backend/mod.ts";

/** Options for {@link initConvTranspose2x2}. */
export interface InitConvTransposeOptions {
  /** Input channels. */
  inChannels: number;
  /** Output channels. */
  outChannels: number;
  /** Generator. */
  rng: Rng;
}

/**
 * Add `<name>.weight` (tfjs `[2, 2, out, in]`, PyTorch `[in, out, 2, 2]`) and `<name>.bias` (`[out]`).
 * PyTorch's `nn.ConvTranspose2d` computes fan_in from dim 1 of its weight, i.e. out * 2 * 2,
 * so both are U(-1/sqrt(4 out), 1/sqrt(4 out)).
 */
export function initConvTranspose2x2(store: ParamStore, name: string, options: InitConvTransposeOptions): void {
  const { inChannels: ci, outChannels: co, rng } = options;
  const bound = kaimingUniformBound(co * 4);
  addParam(store, `${name}.weight`, uniformValues(4 * ci * co, { bound, rng }), {
    shape: [2, 2, co, ci],
    layout: "deconv",
  });
  addParam(store, `${name}.bias`, uniformValues(co, { bound, rng }), { shape: [co] });
}

/** `[B, H, W, in]` -> `[B, 2H, 2W, out]`: kernel 2, stride 2, no overlap, plus bias. */
export function convTranspose2x2(x: Tensor4D, options: { store: ParamStore; name: string }): Tensor4D {
  const { store, name } = options;
  const w = getParam(store, `${name}.weight`) as Tensor4D;
  const [b, h, wd] = x.shape;
  const co = w.shape[2];
  // one kernel on wasm (bit-identical to conv2dTranspose + add, same gradients), the composite elsewhere
  return conv2dTransposeBias(x, w, getParam(store, `${name}.bias`), [b, 2 * h, 2 * wd, co], {
    strides: 2,
    pad: "valid",
  });
}
