/**
 * Fast convolution kernels for the tfjs wasm backend: `Conv2D`, `Conv2DBackpropInput`
 * (also the forward pass of `conv2dTranspose`) and `Conv2DBackpropFilter`, computed by
 * the toolkit's own WebAssembly SIMD module (lib/backend/native/gaze_kernels.c).
 *
 * The module imports the wasm backend's memory, so kernels read their inputs and
 * write their outputs in place in the tfjs heap (no copies). Stride-1 convolutions
 * (the 3x3 convs of a UNet and their gradients) run as one GEMM per image over
 * "virtual rows" of the zero-padded input, without an im2col buffer; other strides
 * use im2col in chunks. Cases the module does not cover (NCHW, dilation > 1,
 * non-float32) go to the kernel that was registered before. Paths taken are counted in
 * {@link kernelPathStats} (`Conv2D/s1`, `Conv2D/im2col`, `Conv2D/fallback`, ...).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapState, ptr, scratch, type WasmBackendLike } from "./gaze_wasm_module.ts";
import { countKernelPath, type OverrideFunc, overrideKernel } from "./override_kernel.ts";

const count = countKernelPath;

type Conv2DInfo = tf.backend_util.Conv2DInfo;

function convInfo(
  xShape: number[],
  filterShape: number[],
  attrs: Record<string, unknown>,
  dilations: number | [number, number] = 1,
): Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as number | [number, number],
    dilations,
    attrs.pad as "valid" | "same" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    false,
    "channelsLast",
  );
}

function supported(attrs: Record<string, unknown>, ...inputs: tf.TensorInfo[]): boolean {
  const fmt = attrs.dataFormat as string | undefined;
  if (fmt && fmt !== "NHWC") return false;
  const dil = attrs.dilations as number | number[] | undefined;
  if (dil !== undefined && !(dil === 1 || (Array.isArray(dil) && dil.every((d) => d === 1)))) return false;
  return inputs.every((t) => t.dtype === "float32" && t.shape.length === 4);
}

function conv2dForward(b: WasmBackendLike, x: tf.TensorInfo, w: tf.TensorInfo, ci: Conv2DInfo): tf.TensorInfo {
  const st = heapState(b);
  const out = b.makeOutput([ci.batchSize, ci.outHeight, ci.outWidth, ci.outChannels], "float32");
  if (out.shape.some((d) => d === 0)) return out;
  const { inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, filterHeight: KH, filterWidth: KW } = ci;
  const PT = ci.padInfo.top, PL = ci.padInfo.left, OH = ci.outHeight, OW = ci.outWidth;
  count(`Conv2D/${ci.strideHeight === 1 && ci.strideWidth === 1 ? "s1" : "im2col"}`);
  if (ci.strideHeight === 1 && ci.strideWidth === 1) {
    const s = scratch(b, st, st.k.conv_s1_scratch(H, W, CI, CO, KH, KW, PT, PL, OH, OW));
    // pointers are taken after the scratch allocation (which may grow the heap; offsets stay valid)
    st.k.conv_s1(ptr(b, x), ptr(b, w), ptr(b, out), s, ci.batchSize, H, W, CI, CO, KH, KW, PT, PL, OH, OW, 0);
  } else {
    const s = scratch(b, st, st.k.conv_im2col_scratch(CI, CO, KH, KW));
    st.k.conv_im2col(
      ptr(b, x),
      ptr(b, w),
      ptr(b, out),
      s,
      ci.batchSize,
      H,
      W,
      CI,
      CO,
      KH,
      KW,
      ci.strideHeight,
      ci.strideWidth,
      PT,
      PL,
      OH,
      OW,
    );
  }
  return out;
}

function conv2dBackpropInput(
  b: WasmBackendLike,
  dy: tf.TensorInfo,
  w: tf.TensorInfo,
  ci: Conv2DInfo,
): tf.TensorInfo {
  const st = heapState(b);
  const out = b.makeOutput([ci.batchSize, ci.inHeight, ci.inWidth, ci.inChannels], "float32");
  if (out.shape.some((d) => d === 0)) return out;
  const { inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, filterHeight: KH, filterWidth: KW } = ci;
  const PT = ci.padInfo.top, PL = ci.padInfo.left, OH = ci.outHeight, OW = ci.outWidth;
  count(`Conv2DBackpropInput/${ci.strideHeight === 1 && ci.strideWidth === 1 ? "s1" : "im2col"}`);
  if (ci.strideHeight === 1 && ci.strideWidth === 1) {
    // dx = conv(dy, flipped transposed filter) with padding K-1-p, output H x W
    const pt = KH - 1 - PT, pl = KW - 1 - PL;
    const s = scratch(b, st, st.k.conv_s1_scratch(OH, OW, CO, CI, KH, KW, pt, pl, H, W));
    st.k.conv_s1(ptr(b, dy), ptr(b, w), ptr(b, out), s, ci.batchSize, OH, OW, CO, CI, KH, KW, pt, pl, H, W, 1);
  } else {
    const s = scratch(b, st, st.k.conv_im2col_dx_scratch(CI, CO, KH, KW));
    st.k.conv_im2col_dx(
      ptr(b, dy),
      ptr(b, w),
      ptr(b, out),
      s,
      ci.batchSize,
      H,
      W,
      CI,
      CO,
      KH,
      KW,
      ci.strideHeight,
      ci.strideWidth,
      PT,
      PL,
      OH,
      OW,
    );
  }
  return out;
}

function conv2dBackpropFilter(
  b: WasmBackendLike,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  ci: Conv2DInfo,
): tf.TensorInfo {
  const st = heapState(b);
  const out = b.makeOutput([ci.filterHeight, ci.filterWidth, ci.inChannels, ci.outChannels], "float32");
  const { inHeight: H, inWidth: W, inChannels: CI, outChannels: CO, filterHeight: KH, filterWidth: KW } = ci;
  const PT = ci.padInfo.top, PL = ci.padInfo.left, OH = ci.outHeight, OW = ci.outWidth;
  if (ci.batchSize === 0 || OH === 0 || OW === 0) {
    new Float32Array(b.wasm.asm.memory.buffer, ptr(b, out), KH * KW * CI * CO).fill(0);
    return out;
  }
  count(`Conv2DBackpropFilter/${ci.strideHeight === 1 && ci.strideWidth === 1 ? "s1" : "im2col"}`);
  if (ci.strideHeight === 1 && ci.strideWidth === 1) {
    const s = scratch(b, st, st.k.conv_s1_dw_scratch(H, W, CI, CO, KH, KW, PT, PL, OH, OW));
    st.k.conv_s1_dw(ptr(b, x), ptr(b, dy), ptr(b, out), s, ci.batchSize, H, W, CI, CO, KH, KW, PT, PL, OH, OW);
  } else {
    const s = scratch(b, st, st.k.conv_im2col_dw_scratch(CI, CO, KH, KW));
    st.k.conv_im2col_dw(
      ptr(b, x),
      ptr(b, dy),
      ptr(b, out),
      s,
      ci.batchSize,
      H,
      W,
      CI,
      CO,
      KH,
      KW,
      ci.strideHeight,
      ci.strideWidth,
      PT,
      PL,
      OH,
      OW,
    );
  }
  return out;
}

/**
 * Replace `Conv2D`, `Conv2DBackpropInput` and `Conv2DBackpropFilter` of a wasm backend
 * (default "wasm") by the toolkit's SIMD kernels; configurations they do not cover
 * (NCHW, dilations > 1, non-float32) fall back to the kernels registered before.
 * Call it after {@link registerWasmConv2DBackpropFilter} so that kernel is the fallback.
 *
 * @returns the kernel names replaced by this call (empty when already registered).
 */
export function registerWasmConvKernels(backendName = "wasm"): string[] {
  const done: string[] = [];
  const reg = (name: string, fn: OverrideFunc) => overrideKernel(name, backendName, fn) && done.push(name);
  reg("Conv2D", (args, fallback) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as Record<string, unknown>;
    if (!supported(a, x, filter)) return fallback(args);
    return conv2dForward(args.backend as unknown as WasmBackendLike, x, filter, convInfo(x.shape, filter.shape, a));
  });
  reg("Conv2DBackpropInput", (args, fallback) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as Record<string, unknown>;
    if (!supported(a, dy, filter)) return fallback(args);
    const info = convInfo(a.inputShape as number[], filter.shape, a);
    return conv2dBackpropInput(args.backend as unknown as WasmBackendLike, dy, filter, info);
  });
  reg("Conv2DBackpropFilter", (args, fallback) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = args.attrs as unknown as Record<string, unknown>;
    if (!supported(a, x, dy)) return fallback(args);
    const info = convInfo(x.shape, a.filterShape as number[], a);
    return conv2dBackpropFilter(args.backend as unknown as WasmBackendLike, x, dy, info);
  });
  return done;
}
