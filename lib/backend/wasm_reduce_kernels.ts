/**
 * `Sum` and `Mean` over leading axes (the bias gradient of a conv, BatchNorm statistics: reductions
 * over batch, rows and columns of an NHWC tensor) and `MaxPoolGrad` for the tfjs wasm backend, in
 * the toolkit's wasm module. The stock reductions transpose the reduced axes to the end first; the
 * stock `MaxPoolGrad` misroutes windows whose values are all negative. Other cases use the stock
 * kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapState, ptr, scratch, type WasmBackendLike } from "./gaze_wasm_module.ts";
import { countKernelPath, type OverrideFunc, overrideKernel } from "./override_kernel.ts";

/** Sum (scale 1) or Mean (scale 1/count) over leading axes. */
function leadingReduce(kernel: string, mean: boolean): OverrideFunc {
  return (args, fallback) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const a = args.attrs as unknown as { axis: number | number[]; keepDims: boolean };
    if (x.dtype !== "float32" || tf.util.sizeFromShape(x.shape) === 0) return fallback(args);
    const axes = [...new Set(tf.util.parseAxisParam(a.axis, x.shape))].sort((p, q) => p - q);
    if (axes.length === 0 || !axes.every((ax, i) => ax === i)) return fallback(args);
    const k = axes.length;
    const shape = a.keepDims ? x.shape.map((d, i) => (i < k ? 1 : d)) : x.shape.slice(k);
    const b = args.backend as unknown as WasmBackendLike;
    const st = heapState(b);
    const out = b.makeOutput(shape, "float32");
    const outer = tf.util.sizeFromShape(x.shape.slice(0, k));
    const inner = tf.util.sizeFromShape(x.shape.slice(k));
    const s = scratch(b, st, 12 * inner + 16);
    st.k.sum_leading(ptr(b, x), ptr(b, out), s, outer, inner, mean ? 1 / outer : 1);
    countKernelPath(`${kernel}/leading`);
    return out;
  };
}

const maxPoolGrad: OverrideFunc = (args, fallback) => {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const a = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: "valid" | "same" | number;
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  if (dy.dtype !== "float32" || input.dtype !== "float32" || input.shape.length !== 4) return fallback(args);
  const ci = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
  const b = args.backend as unknown as WasmBackendLike;
  const st = heapState(b);
  const dx = b.makeOutput(input.shape, "float32");
  if (tf.util.sizeFromShape(input.shape) === 0) return dx;
  st.k.max_pool_grad(
    ptr(b, dy),
    ptr(b, input),
    ptr(b, dx),
    ci.batchSize,
    ci.inHeight,
    ci.inWidth,
    ci.inChannels,
    ci.outHeight,
    ci.outWidth,
    ci.filterHeight,
    ci.filterWidth,
    ci.strideHeight,
    ci.strideWidth,
    ci.padInfo.top,
    ci.padInfo.left,
  );
  countKernelPath("MaxPoolGrad/gaze");
  return dx;
};

/**
 * Replace `Sum` and `Mean` (reductions over leading axes) and `MaxPoolGrad` of a wasm backend
 * (default "wasm"); other cases fall back to the stock kernels.
 *
 * @returns the kernel names replaced by this call (empty when already registered).
 */
export function registerWasmReduceKernels(backendName = "wasm"): string[] {
  const done: string[] = [];
  const reg = (name: string, fn: OverrideFunc) => overrideKernel(name, backendName, fn) && done.push(name);
  reg("Sum", leadingReduce("Sum", false));
  reg("Mean", leadingReduce("Mean", true));
  reg("MaxPoolGrad", maxPoolGrad);
  return done;
}
