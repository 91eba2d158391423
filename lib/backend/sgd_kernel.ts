/**
 * One fused kernel for a PyTorch SGD step of one parameter (`GazeSgdStep`, registered for the
 * `wasm` and `cpu` backends), instead of the eight element-wise ops and four scalar tensors the
 * update costs when written with tf ops: at the cpu profile the two FGI networks have 292
 * parameter tensors, most of them tiny, so the per-op overhead of ~2,300 kernels a step
 * dominated the optimiser's time.
 *
 * The kernel computes exactly what the tf-op chain computes, rounding to float32 after every
 * operation in the same order (`Math.fround`), so results are bit-identical to it:
 * ```
 * g   = g0 + p * wd                        (wd = 0: g = g0)
 * buf = first ? g : buf * momentum + g     (momentum = 0: no buffer)
 * g   = nesterov ? g + buf * momentum : buf
 * p   = p - g * lr
 * ```
 * On wasm the loop runs in the toolkit's WebAssembly module (`sgd_step` in
 * lib/backend/native/gaze_kernels.c, SIMD, same rounding) once {@link useNativeSgdStep} was called
 * for the backend (`selectBackend("wasm")` does, unless `GAZE_WASM_KERNELS=off`); before that, in
 * JavaScript. Other backends (webgpu, tensorflow) keep the tf-op chain: {@link sgdStepKernelAvailable}.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapState, ptr, type WasmBackendLike } from "./gaze_wasm_module.ts";
import { countKernelPath } from "./override_kernel.ts";
import type { Tensor } from "./tensor_types.ts";

/** Kernel name. */
export const SGD_STEP_KERNEL = "GazeSgdStep";

/** Attributes of {@link SGD_STEP_KERNEL}. */
export interface SgdStepAttrs {
  /** Learning rate. */
  lr: number;
  /** Momentum (0: plain SGD, the buffer input is ignored and no buffer is returned). */
  momentum: number;
  /** Nesterov momentum. */
  nesterov: boolean;
  /** L2 weight decay added to the gradient. */
  weightDecay: number;
  /** First step: the buffer becomes the gradient (PyTorch). */
  first: boolean;
}

/**
 * The update on plain arrays: writes the new parameter into `pOut` and the new momentum buffer
 * into `bufOut` (when momentum != 0). Inputs and outputs may not alias.
 */
export function sgdStepArrays(
  p: Float32Array,
  g0: Float32Array,
  buf: Float32Array | null,
  pOut: Float32Array,
  bufOut: Float32Array | null,
  a: SgdStepAttrs,
): void {
  const f = Math.fround;
  const wd = f(a.weightDecay), m = f(a.momentum), lr = f(a.lr);
  const n = p.length;
  if (m && wd && a.nesterov && !a.first && buf && bufOut) {
    // the training steps' case (SGD-Nesterov with weight decay), kept monomorphic for the JIT
    for (let i = 0; i < n; i++) {
      const pi = p[i];
      const g = f(g0[i] + f(pi * wd));
      const nb = f(f(buf[i] * m) + g);
      bufOut[i] = nb;
      pOut[i] = f(pi - f(f(g + f(nb * m)) * lr));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const pi = p[i];
    let g = wd ? f(g0[i] + f(pi * wd)) : g0[i];
    if (m) {
      const nb = a.first ? g : f(f(buf![i] * m) + g);
      bufOut![i] = nb;
      g = a.nesterov ? f(g + f(nb * m)) : nb;
    }
    pOut[i] = f(pi - f(g * lr));
  }
}

function check(
  inputs: tf.NamedTensorInfoMap,
  a: SgdStepAttrs,
): { p: tf.TensorInfo; g: tf.TensorInfo; buf?: tf.TensorInfo } {
  const { p, g, buf } = inputs as { p: tf.TensorInfo; g: tf.TensorInfo; buf?: tf.TensorInfo };
  const same = (t: tf.TensorInfo) => t.dtype === "float32" && tf.util.arraysEqual(t.shape, p.shape);
  if (p.dtype !== "float32" || !same(g) || (a.momentum && !a.first && !(buf && same(buf)))) {
    throw new Error(`${SGD_STEP_KERNEL}: p, g (and buf) must be float32 of one shape, got [${p.shape}] [${g.shape}]`);
  }
  return { p, g, buf };
}

function cpuKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }) {
  const a = args.attrs as unknown as SgdStepAttrs;
  const { p, g, buf } = check(args.inputs, a);
  const b = args.backend as {
    data: { get(id: unknown): { values: Float32Array } };
    makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
  };
  const n = tf.util.sizeFromShape(p.shape);
  const pOut = new Float32Array(n), bufOut = a.momentum ? new Float32Array(n) : null;
  const vals = (t: tf.TensorInfo) => b.data.get(t.dataId).values;
  sgdStepArrays(vals(p), vals(g), buf && !a.first ? vals(buf) : null, pOut, bufOut, a);
  const outs = [b.makeTensorInfo(p.shape, "float32", pOut)];
  if (bufOut) outs.push(b.makeTensorInfo(p.shape, "float32", bufOut));
  return outs;
}

const nativeBackends = new Set<string>();

/**
 * Run {@link SGD_STEP_KERNEL} of the wasm backend `backendName` (default "wasm") in the toolkit's
 * WebAssembly module instead of JavaScript (bit-identical; called by `registerGazeWasmKernels`);
 * `on = false` goes back to the JavaScript loop (to measure the difference).
 */
export function useNativeSgdStep(backendName = "wasm", on = true): void {
  if (on) nativeBackends.add(backendName);
  else nativeBackends.delete(backendName);
}

function wasmKernel(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: unknown }) {
  const a = args.attrs as unknown as SgdStepAttrs;
  const { p, g, buf } = check(args.inputs, a);
  const b = args.backend as unknown as WasmBackendLike;
  const pOutInfo = b.makeOutput(p.shape, "float32");
  const bufOutInfo = a.momentum ? b.makeOutput(p.shape, "float32") : null;
  if (nativeBackends.has("wasm")) {
    countKernelPath(`${SGD_STEP_KERNEL}/native`);
    const readBuf = buf && !a.first && a.momentum ? ptr(b, buf) : 0;
    heapState(b).k.sgd_step(
      ptr(b, p),
      ptr(b, g),
      readBuf,
      ptr(b, pOutInfo),
      bufOutInfo ? ptr(b, bufOutInfo) : 0,
      tf.util.sizeFromShape(p.shape),
      a.lr,
      a.momentum,
      a.weightDecay,
      a.nesterov ? 1 : 0,
      a.first ? 1 : 0,
    );
    return bufOutInfo ? [pOutInfo, bufOutInfo] : [pOutInfo];
  }
  // views after every allocation (an allocation may grow, and so detach, the heap)
  const heap = b.wasm.asm.memory.buffer;
  const n = tf.util.sizeFromShape(p.shape);
  const view = (t: tf.TensorInfo) => new Float32Array(heap, ptr(b, t), n);
  sgdStepArrays(
    view(p),
    view(g),
    buf && !a.first ? view(buf) : null,
    view(pOutInfo),
    bufOutInfo ? view(bufOutInfo) : null,
    a,
  );
  return bufOutInfo ? [pOutInfo, bufOutInfo] : [pOutInfo];
}

for (const [backendName, kernelFunc] of [["cpu", cpuKernel], ["wasm", wasmKernel]] as const) {
  if (!tf.getKernel(SGD_STEP_KERNEL, backendName)) {
    tf.registerKernel({ kernelName: SGD_STEP_KERNEL, backendName, kernelFunc: kernelFunc as tf.KernelFunc });
  }
}

/** Whether the active backend has the fused kernel. */
export function sgdStepKernelAvailable(): boolean {
  return tf.getKernel(SGD_STEP_KERNEL, tf.getBackend()) !== undefined;
}

/**
 * One SGD step of parameter `p` with gradient `g` and momentum buffer `buf` (ignored on the first
 * step and when momentum is 0) on the fused kernel: returns the new parameter and, with momentum,
 * the new buffer (new tensors). Throws when the active backend lacks the kernel.
 */
export function sgdStep(
  p: Tensor,
  g: Tensor,
  buf: Tensor | null,
  attrs: SgdStepAttrs,
): { p: Tensor; buf: Tensor | null } {
  const inputs: Record<string, tf.Tensor> = { p, g };
  if (buf && attrs.momentum && !attrs.first) inputs.buf = buf;
  const out = tf.engine().runKernel(SGD_STEP_KERNEL, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { p: out[0], buf: out[1] ?? null };
}
