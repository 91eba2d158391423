/**
 * Counts the floating-point operations of the convolutions and matrix products the tfjs engine
 * actually executes, forward and backward, the way the `unet-step` bench counts them analytically
 * (tasks/bench/unet_step.ts): 2 x multiply-accumulates of every convolution, transposed convolution
 * and matrix product; norms, activations, pooling, element-wise ops and optimisers are not counted.
 *
 * Per executed kernel (NHWC; filter `[KH, KW, Cin, Cout]`):
 * - `Conv2D`, `FusedConv2D`, `GazeConv2DBias` (lib/backend/conv_bias.ts): MACs = size(output) * KH * KW * Cin;
 * - `Conv2DBackpropInput` (the input gradient of a conv, and the forward pass of a transposed conv;
 *   also `GazeConv2DTransposeBias`, the transposed conv + bias of lib/backend/conv_bias.ts):
 *   MACs = size(dy) * KH * KW * Cin (for a transposed conv: inH * inW * KH * KW * Cin_t * Cout_t);
 * - `Conv2DBackpropFilter`: MACs = size(dy) * KH * KW * Cin;
 * - `BatchMatMul`, `_FusedMatMul`: MACs = batch * M * N * K.
 *
 * So a training step counts forward + input gradients + weight gradients as executed: 3 x forward
 * for every trained layer except the first layer's input gradient (the image needs none), 1 x forward
 * for a frozen forward pass. The counter hooks the engine's `runKernelFunc` (every kernel, forward or
 * gradient, goes through it); it costs a few microseconds per kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { CONV_BIAS_KERNEL, CONV_TRANSPOSE_BIAS_KERNEL } from "./conv_bias.ts";

/** Floating-point operations by kernel name, since the counter started or was last reset. */
export interface FlopCount {
  /** Total FLOPs (2 x MACs). */
  total: number;
  /** FLOPs per kernel name. */
  byKernel: Record<string, number>;
  /** Executions per counted kernel name. */
  calls: Record<string, number>;
}

/** A running counter; {@link startFlopCounter} makes one. */
export interface FlopCounter {
  /** The count so far. */
  read(): FlopCount;
  /** Zero the count. */
  reset(): void;
  /** Unhook from the engine (the count stays readable). */
  stop(): void;
}

type Shape = readonly number[];
/** Anything with a shape (a tensor or the engine's tensor info). */
export type TensorLike = { shape: readonly number[] };

const size = (s: Shape) => s.reduce((a, b) => a * b, 1);

/**
 * FLOPs (2 x MACs) of one kernel execution, or 0 for a kernel that is not counted.
 * `inputs` and `output` are what the engine passes and returns.
 */
export function kernelFlops(
  kernelName: string,
  inputs: Record<string, TensorLike | undefined | null>,
  attrs: Record<string, unknown>,
  output: TensorLike,
): number {
  switch (kernelName) {
    case "Conv2D":
    case "FusedConv2D":
    case CONV_BIAS_KERNEL: {
      const [kh, kw, cin] = inputs.filter!.shape;
      return 2 * size(output.shape) * kh * kw * cin;
    }
    case "Conv2DBackpropInput":
    case CONV_TRANSPOSE_BIAS_KERNEL: {
      const [kh, kw, cin] = inputs.filter!.shape;
      return 2 * size(inputs.dy!.shape) * kh * kw * cin;
    }
    case "Conv2DBackpropFilter": {
      const [kh, kw, cin] = output.shape;
      return 2 * size(inputs.dy!.shape) * kh * kw * cin;
    }
    case "BatchMatMul":
    case "_FusedMatMul": {
      const a = inputs.a!.shape, b = inputs.b!.shape;
      const k = attrs.transposeA ? a[a.length - 2] : a[a.length - 1];
      const n = attrs.transposeB ? b[b.length - 2] : b[b.length - 1];
      return 2 * (size(a) / k) * n * k;
    }
    default:
      return 0;
  }
}

let active: { hooks: number; listeners: Set<(name: string, flops: number) => void>; restore: () => void } | null = null;

/**
 * Start counting the FLOPs of every kernel the engine runs from now on (see module doc). Several
 * counters may run at once; the engine is unhooked when the last one stops.
 */
export function startFlopCounter(): FlopCounter {
  if (!active) {
    // deno-lint-ignore no-explicit-any
    const engine = tf.engine() as any;
    const original = engine.runKernelFunc;
    const listeners = new Set<(name: string, flops: number) => void>();
    // deno-lint-ignore no-explicit-any
    engine.runKernelFunc = function (params: any) {
      const out = original.call(this, params);
      if (params && typeof params.kernelName === "string" && listeners.size) {
        const first = Array.isArray(out) ? out[0] : out;
        const flops = first ? kernelFlops(params.kernelName, params.inputs ?? {}, params.attrs ?? {}, first) : 0;
        if (flops) { for (const l of listeners) l(params.kernelName, flops); }
      }
      return out;
    };
    active = {
      hooks: 0,
      listeners,
      restore: () => {
        engine.runKernelFunc = original;
      },
    };
  }
  const state = active;
  state.hooks++;
  let count: FlopCount = { total: 0, byKernel: {}, calls: {} };
  const listener = (name: string, flops: number) => {
    count.total += flops;
    count.byKernel[name] = (count.byKernel[name] ?? 0) + flops;
    count.calls[name] = (count.calls[name] ?? 0) + 1;
  };
  state.listeners.add(listener);
  let stopped = false;
  return {
    read: () => structuredClone(count),
    reset() {
      count = { total: 0, byKernel: {}, calls: {} };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      state.listeners.delete(listener);
      if (--state.hooks === 0) {
        state.restore();
        if (active === state) active = null;
      }
    },
  };
}
