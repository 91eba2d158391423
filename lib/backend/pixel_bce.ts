/**
 * One fused kernel for the per-pixel binary cross-entropy losses (`GazePixelBce` and its gradient
 * `GazePixelBceGrad`, registered for the `wasm` and `cpu` backends): BCE-with-logits over every
 * pixel (the code's L_T and L_S, GazeMedSeg's per-level loss, full supervision) and the partial
 * cross-entropy over labelled pixels (gaze1, the paper's teacher loss).
 *
 * Written with tf ops these losses cost 15-30 element-wise kernels, slices, concats and stacks
 * over the `[B, H, W]` logit maps, forward and backward; at the cpu profile (8 images of 64x64)
 * that was ~5 ms of a gaze1 iteration, all of it outside the thread pool. The fused kernels make
 * one pass over the pixels each way: on wasm in the toolkit's module (float32 SIMD, polynomial exp
 * and log1p good to a few float32 ulps, sums in float64), on cpu in JavaScript (float64); either
 * way the loss is rounded to float32 once.
 *
 * Per pixel, with d the foreground logit (`bce`: channel `channel`; `partial`: z for one channel,
 * z1 - z0 for two, so that softmax CE over [z0, z1] is BCE on d):
 * ```
 * l = max(d, 0) - d * y + log(1 + exp(-|d|))
 * bce:      y = target,        loss = sum(l) / (B*H*W)
 * partial:  y = round(target) (half to even, as tf.round), w = ignore > 0.5 ? 0 : 1,
 *           loss = sum(w * l) / max(sum(w), 1)
 * ```
 * Gradients: d loss / d d = w * (sigmoid(d) - y) / denominator (the two-channel partial form gives
 * +/- that to z1 / z0); d loss / d target = -d / (B*H*W) for `bce`, 0 for `partial` (tf.round has a
 * zero gradient); the ignore map gets 0 (as tf.step). At d = 0 exactly the tf-op chain's
 * `relu` / `abs` subgradients give -y where this kernel gives the derivative 0.5 - y (PyTorch's).
 *
 * The losses (lib/losses/bce_with_logits.ts, lib/losses/partial_ce.ts) take this kernel where
 * {@link pixelBceKernelAvailable} says so and the tf-op formulation elsewhere (webgpu, tensorflow,
 * with `GAZE_WASM_KERNELS=off` on wasm, or after `usePixelBceKernel(false)` / `GAZE_FUSED_LOSSES=0`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapState, ptr, type WasmBackendLike } from "./gaze_wasm_module.ts";
import { countKernelPath, type KernelArgs } from "./override_kernel.ts";
import { envSwitch } from "./env_switch.ts";
import type { Scalar, Tensor, Tensor3D, Tensor4D, TensorInfo } from "./tensor_types.ts";

/** Kernel name of the loss. */
export const PIXEL_BCE_KERNEL = "GazePixelBce";
/** Kernel name of its gradient. */
export const PIXEL_BCE_GRAD_KERNEL = "GazePixelBceGrad";

/** Options of {@link pixelBce}. */
export interface PixelBceOptions {
  /**
   * `"bce"` (default): BCE-with-logits on channel `channel` against the target, mean over all
   * pixels. `"partial"`: cross-entropy on the pixels the ignore map leaves, target rounded; one or
   * two logit channels.
   */
  mode?: "bce" | "partial";
  /** `bce`: the foreground logit channel (default the last). */
  channel?: number;
  /** `partial`: `[B, H, W]`, 1 = ignore the pixel (required in that mode). */
  ignore?: Tensor3D;
}

interface Attrs {
  partial: boolean;
  channel: number;
}

let enabled = envSwitch("GAZE_FUSED_LOSSES");

/**
 * Let the losses use the fused kernel (default) or not (`false`: the tf-op chain everywhere, to
 * compare or to reproduce runs from before it; `GAZE_FUSED_LOSSES=0` in the environment turns it
 * off at load).
 */
export function usePixelBceKernel(on: boolean): void {
  enabled = on;
}

/** Whether the losses take {@link pixelBce} on the active backend (see {@link usePixelBceKernel}). */
export function pixelBceKernelAvailable(): boolean {
  const be = tf.getBackend();
  return enabled && tf.getKernel(PIXEL_BCE_KERNEL, be) !== undefined &&
    tf.getKernel(PIXEL_BCE_GRAD_KERNEL, be) !== undefined;
}

/** tf.round's rounding: to the nearest integer, halves to even. */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Which logit channels make d: d = z[c] - (nc >= 0 ? z[nc] : 0). */
function channels(a: Attrs, k: number): { c: number; nc: number } {
  if (!a.partial) return { c: a.channel, nc: -1 };
  return k === 2 ? { c: 1, nc: 0 } : { c: 0, nc: -1 };
}

/** The arrays the cpu kernels work on. */
interface Views {
  z: Float32Array;
  y: Float32Array;
  ignore: Float32Array | null;
  /** Logit channels. */
  k: number;
}

/**
 * The loss's denominator: the labelled pixels (at least 1) when partial, else all. Used by both
 * backends' kernels (the wasm module counts the same way).
 */
function denominator(v: Views, a: Attrs): number {
  if (!a.partial) return v.y.length;
  let count = 0;
  for (let p = 0; p < v.y.length; p++) if (!(v.ignore![p] > 0.5)) count++;
  return Math.max(count, 1);
}

/**
 * Per pixel: d, the target and the weight (as the module docs), handed to `f`. Ignored pixels are
 * visited with weight 0 (so a NaN there still propagates, as with the tf ops' product).
 */
function eachPixel(v: Views, a: Attrs, f: (p: number, d: number, y: number, w: number) => void): void {
  const { c, nc } = channels(a, v.k);
  const { z, k } = v;
  for (let p = 0; p < v.y.length; p++) {
    const d = nc >= 0 ? z[p * k + c] - z[p * k + nc] : z[p * k + c];
    const y = a.partial ? roundHalfEven(v.y[p]) : v.y[p];
    f(p, d, y, a.partial && v.ignore![p] > 0.5 ? 0 : 1);
  }
}

/** The loss (float64 sums) of {@link PIXEL_BCE_KERNEL} on the cpu backend. */
function lossOf(v: Views, a: Attrs): number {
  let loss = 0;
  eachPixel(v, a, (_p, d, y, w) => {
    loss += w * (Math.max(d, 0) - d * y + Math.log1p(Math.exp(-Math.abs(d))));
  });
  return loss / denominator(v, a);
}

/** Gradients for the logits and the target given the upstream dy, on the cpu backend. */
function gradInto(v: Views, a: Attrs, dy: number, dz: Float32Array, dt: Float32Array): void {
  const scale = dy / denominator(v, a);
  const { c, nc } = channels(a, v.k);
  const k = v.k;
  dz.fill(0);
  dt.fill(0);
  eachPixel(v, a, (p, d, y, w) => {
    const e = Math.exp(-Math.abs(d));
    const g = scale * w * ((d >= 0 ? 1 / (1 + e) : e / (1 + e)) - y);
    dz[p * k + c] = g;
    if (nc >= 0) dz[p * k + nc] = -g;
    if (!a.partial) dt[p] = -scale * d;
  });
}

function check(
  inputs: tf.NamedTensorInfoMap,
  a: Attrs,
): { logits: TensorInfo; target: TensorInfo; ignore?: TensorInfo } {
  const { logits, target, ignore } = inputs as { logits: TensorInfo; target: TensorInfo; ignore?: TensorInfo };
  const [b, h, w, k] = logits.shape;
  const map = (t: TensorInfo | undefined) =>
    t !== undefined && t.dtype === "float32" && tf.util.arraysEqual(t.shape, [b, h, w]);
  const channelOk = a.partial ? k === 1 || k === 2 : Number.isInteger(a.channel) && a.channel >= 0 && a.channel < k;
  if (
    logits.dtype !== "float32" || logits.shape.length !== 4 || !channelOk || !map(target) ||
    (a.partial && !map(ignore))
  ) {
    throw new Error(
      `${PIXEL_BCE_KERNEL}: expected float32 logits [B, H, W, K] (${
        a.partial ? "K = 1 or 2" : `channel ${a.channel} < K`
      }) and float32 [B, H, W] target${a.partial ? " and ignore" : ""}, got [${logits.shape}], [${target?.shape}]`,
    );
  }
  return { logits, target, ignore };
}

interface CpuBackendLike {
  data: { get(id: unknown): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): TensorInfo;
}

/** A cpu kernel's checked inputs, attributes, backend and the arrays of its inputs. */
function cpuViews(args: KernelArgs): { a: Attrs; t: ReturnType<typeof check>; b: CpuBackendLike; v: Views } {
  const a = args.attrs as unknown as Attrs;
  const t = check(args.inputs, a);
  const b = args.backend as unknown as CpuBackendLike;
  const val = (x: TensorInfo) => b.data.get(x.dataId).values;
  const v = { z: val(t.logits), y: val(t.target), ignore: t.ignore ? val(t.ignore) : null, k: t.logits.shape[3] };
  return { a, t, b, v };
}

function cpuForward(args: KernelArgs): TensorInfo {
  const { a, b, v } = cpuViews(args);
  countKernelPath(PIXEL_BCE_KERNEL);
  return b.makeTensorInfo([], "float32", Float32Array.of(lossOf(v, a)));
}

function cpuGrad(args: KernelArgs): TensorInfo[] {
  const { a, t, b, v } = cpuViews(args);
  const dz = new Float32Array(v.z.length), dt = new Float32Array(v.y.length);
  gradInto(v, a, b.data.get((args.inputs as { dy: TensorInfo }).dy.dataId).values[0], dz, dt);
  const outs = [b.makeTensorInfo(t.logits.shape, "float32", dz), b.makeTensorInfo(t.target.shape, "float32", dt)];
  if (t.ignore) outs.push(b.makeTensorInfo(t.ignore.shape, "float32", new Float32Array(v.y.length)));
  return outs;
}

/** The wasm module's arguments shared by pixel_bce and pixel_bce_grad (gaze_kernels.c). */
function wasmArgs(b: WasmBackendLike, t: ReturnType<typeof check>, a: Attrs): number[] {
  const { c, nc } = channels(a, t.logits.shape[3]);
  const n = tf.util.sizeFromShape(t.target.shape);
  return [
    ptr(b, t.logits),
    t.logits.shape[3],
    c,
    nc,
    ptr(b, t.target),
    t.ignore ? ptr(b, t.ignore) : 0,
    a.partial ? 1 : 0,
    n,
  ];
}

function wasmForward({ inputs, backend, attrs }: KernelArgs): TensorInfo {
  const a = attrs as unknown as Attrs;
  const t = check(inputs, a);
  countKernelPath(PIXEL_BCE_KERNEL);
  const b = backend as unknown as WasmBackendLike;
  const loss = heapState(b).k.pixel_bce(...wasmArgs(b, t, a));
  const out = b.makeOutput([], "float32");
  new Float32Array(b.wasm.asm.memory.buffer, ptr(b, out), 1)[0] = loss;
  return out;
}

function wasmGrad({ inputs, backend, attrs }: KernelArgs): TensorInfo[] {
  const a = attrs as unknown as Attrs;
  const t = check(inputs, a);
  const b = backend as unknown as WasmBackendLike;
  const dy = new Float32Array(b.wasm.asm.memory.buffer, ptr(b, (inputs as { dy: TensorInfo }).dy), 1)[0];
  const outs = [b.makeOutput(t.logits.shape, "float32"), b.makeOutput(t.target.shape, "float32")];
  if (t.ignore) outs.push(b.makeOutput(t.ignore.shape, "float32"));
  heapState(b).k.pixel_bce_grad(...wasmArgs(b, t, a), dy, ptr(b, outs[0]), ptr(b, outs[1]));
  // after the last allocation (it may grow, and so detach, the heap)
  if (t.ignore) {
    new Float32Array(b.wasm.asm.memory.buffer, ptr(b, outs[2]), tf.util.sizeFromShape(t.ignore.shape)).fill(0);
  }
  return outs;
}

function register(backendName: string, forward: tf.KernelFunc, grad: tf.KernelFunc): boolean {
  if (tf.getKernel(PIXEL_BCE_KERNEL, backendName)) return false;
  tf.registerKernel({ kernelName: PIXEL_BCE_KERNEL, backendName, kernelFunc: forward });
  tf.registerKernel({ kernelName: PIXEL_BCE_GRAD_KERNEL, backendName, kernelFunc: grad });
  return true;
}

register("cpu", cpuForward as tf.KernelFunc, cpuGrad as tf.KernelFunc);

/**
 * Register `GazePixelBce` and `GazePixelBceGrad` for a wasm backend (default "wasm"), on the
 * toolkit's WebAssembly module (`pixel_bce`, `pixel_bce_grad` in lib/backend/native/gaze_kernels.c:
 * float32 SIMD with polynomial exp and log1p, sums in float64); `registerGazeWasmKernels` calls it.
 * The cpu backend's kernels (JavaScript, float64) are registered when this module loads.
 *
 * @returns true when registered by this call, false when already registered.
 */
export function registerWasmPixelBce(backendName = "wasm"): boolean {
  return register(backendName, wasmForward as tf.KernelFunc, wasmGrad as tf.KernelFunc);
}

/**
 * The per-pixel binary cross-entropy loss of the module docs as one op with its own gradient
 * (gradients for `logits`, `target` and `ignore`). Throws when the active backend lacks the kernels
 * ({@link pixelBceKernelAvailable}); the losses in lib/losses check first.
 *
 * @param logits `[B, H, W, K]` float32.
 * @param target `[B, H, W]` float32.
 * @returns the scalar loss.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { pixelBce, selectBackend } from "../../mod.ts";
 * await selectBackend("cpu");
 * const loss = pixelBce(tf.zeros([1, 2, 2, 1]) as tf.Tensor4D, tf.ones([1, 2, 2]) as tf.Tensor3D);
 * console.log(loss.dataSync()[0]); // log 2 = 0.693...
 * ```
 */
export function pixelBce(logits: Tensor4D, target: Tensor3D, options: PixelBceOptions = {}): Scalar {
  const partial = options.mode === "partial";
  if (partial && !options.ignore) throw new Error("pixelBce: mode 'partial' needs an ignore map");
  const attrs: Attrs = { partial, channel: options.channel ?? logits.shape[3] - 1 };
  const inputs: Tensor[] = partial ? [logits, target, options.ignore!] : [logits, target];
  const names = ["logits", "target", "ignore"];
  const named = (ts: Tensor[]) => Object.fromEntries(ts.map((t, i) => [names[i], t]));
  const f = tf.customGrad((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const ts = args as Tensor[];
    const value = tf.engine().runKernel(PIXEL_BCE_KERNEL, named(ts), attrs as unknown as tf.NamedAttrMap) as Scalar;
    save(ts);
    return {
      value,
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) =>
        tf.engine().runKernel(
          PIXEL_BCE_GRAD_KERNEL,
          { dy: dy as Tensor, ...named(saved) },
          attrs as unknown as tf.NamedAttrMap,
        ) as Tensor[],
    };
  });
  return f(...inputs) as Scalar;
}
