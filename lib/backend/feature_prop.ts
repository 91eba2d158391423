/**
 * GazeMedSeg's feature propagation as two wasm kernels: `GazeFeatureProp` (affinities and the
 * propagated features in one pass) and `GazeFeaturePropGrad` (its gradient, gathered per pixel).
 * The composite form in lib/models/feature_propagation.ts builds the same result from 25 shifted
 * copies (pad, slice, multiply, add: ~55 % of a GazeMedSeg training step at the cpu profile
 * before these kernels); lib/models uses these kernels when the backend has them.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapState, ptr, scratch, type WasmBackendLike } from "./gaze_wasm_module.ts";
import type { TensorInfo } from "./tensor_types.ts";

/** Forward kernel: inputs `{ f }` `[B, H, W, C]`; attrs `{ kernelSize, dilation }`; outputs `[value, a, corr]`. */
export const FEATURE_PROP_KERNEL = "GazeFeatureProp";
/** Gradient kernel: inputs `{ dy, f, a, corr }`; same attrs; output `df` `[B, H, W, C]`. */
export const FEATURE_PROP_GRAD_KERNEL = "GazeFeaturePropGrad";

/** Attributes of both kernels. */
export interface FeaturePropAttrs {
  /** Neighbourhood side k (odd). */
  kernelSize: number;
  /** Dilation of the neighbourhood. */
  dilation: number;
}

/**
 * Register {@link FEATURE_PROP_KERNEL} and {@link FEATURE_PROP_GRAD_KERNEL} for a wasm backend
 * (default "wasm"). `value = sum_n a_n f_n`, `a = softmax_n(relu(corr))`, `corr_n = <f, f_n>` over
 * the k*k neighbours f_n (zero outside the image); `a` and `corr` are `[B, H, W, k*k]`.
 *
 * @returns true when registered by this call, false when already registered.
 */
export function registerWasmFeatureProp(backendName = "wasm"): boolean {
  if (tf.getKernel(FEATURE_PROP_KERNEL, backendName)) return false;
  tf.registerKernel({
    kernelName: FEATURE_PROP_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendLike;
      const { f } = inputs as Record<string, TensorInfo>;
      const { kernelSize: k, dilation } = attrs as unknown as FeaturePropAttrs;
      const [B, H, W, C] = f.shape;
      const value = b.makeOutput(f.shape, "float32");
      const a = b.makeOutput([B, H, W, k * k], "float32");
      const corr = b.makeOutput([B, H, W, k * k], "float32");
      if (B * H * W > 0) {
        heapState(b).k.feature_prop(ptr(b, f), ptr(b, value), ptr(b, a), ptr(b, corr), B, H, W, C, k, dilation);
      }
      return [value, a, corr];
    },
  });
  tf.registerKernel({
    kernelName: FEATURE_PROP_GRAD_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendLike;
      const { dy, f, a, corr } = inputs as Record<string, TensorInfo>;
      const { kernelSize: k, dilation } = attrs as unknown as FeaturePropAttrs;
      const [B, H, W, C] = f.shape;
      const df = b.makeOutput(f.shape, "float32");
      if (B * H * W > 0) {
        const st = heapState(b);
        const dc = scratch(b, st, 4 * B * H * W * k * k);
        st.k.feature_prop_grad(ptr(b, dy), ptr(b, f), ptr(b, a), ptr(b, corr), ptr(b, df), dc, B, H, W, C, k, dilation);
      }
      return df;
    },
  });
  return true;
}
