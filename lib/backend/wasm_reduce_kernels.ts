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
import { runItems, wasmThreadPoolFor } from "./wasm_threads.ts";

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
    const pool = wasmThreadPoolFor(b, outer * inner), scale = mean ? 1 / outer : 1;
    if (pool) {
      // blocks of 64 rows summed by the threads, then added in block order: sum_leading's bits
      const nblk = Math.ceil(outer / 64), s = scratch(b, st, 4 * nblk * inner);
      pool.run("sum_leading_run", [ptr(b, x), s, outer, inner], nblk);
      st.k.sum_leading_finish(s, nblk, inner, ptr(b, out), scale);
      countKernelPath(`${kernel}/leading-threads`);
    } else {
      const s = scratch(b, st, 12 * inner + 16);
      st.k.sum_leading(ptr(b, x), ptr(b, out), s, outer, inner, scale);
      countKernelPath(`${kernel}/leading`);
    }
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
  const geometry = [ptr(b, dy), ptr(b, input), ptr(b, dx), ci.batchSize, ci.inHeight, ci.inWidth, ci.inChannels];
  geometry.push(ci.outHeight, ci.outWidth, ci.filterHeight, ci.filterWidth, ci.strideHeight, ci.strideWidth);
  geometry.push(ci.padInfo.top, ci.padInfo.left);
  const pool = wasmThreadPoolFor(b, tf.util.sizeFromShape(input.shape));
  runItems(st.k, { name: "max_pool_grad_run", args: geometry, items: ci.batchSize, pool });
  countKernelPath(pool ? "MaxPoolGrad/gaze-threads" : "MaxPoolGrad/gaze");
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
