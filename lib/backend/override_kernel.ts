/**
 * Replace a tfjs kernel of one backend by the toolkit's own, keeping the previous kernel as the
 * fallback for the cases the new one does not handle.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelFunc, TensorInfo } from "./tensor_types.ts";

/** Arguments every kernel function receives. */
export type KernelArgs = Parameters<KernelFunc>[0];

/** A replacement kernel: returns outputs, or calls `fallback(args)` for cases it does not handle. */
export type OverrideFunc = (
  args: KernelArgs,
  fallback: (args: KernelArgs) => TensorInfo | TensorInfo[],
) => TensorInfo | TensorInfo[];

const overridden = new Set<string>();
const stats: Record<string, number> = {};

/** Count one use of a kernel path (shown by {@link kernelPathStats}). */
export function countKernelPath(path: string): void {
  stats[path] = (stats[path] ?? 0) + 1;
}

/**
 * How many times each toolkit kernel path ran in this process, e.g.
 * `{"Conv2D/s1": 46, "Conv2D/fallback": 1, "Concat/gaze": 4}`. For tests and profiling.
 */
export function kernelPathStats(): Record<string, number> {
  return { ...stats };
}

/**
 * Register `fn` as kernel `name` of `backendName`, replacing the registered one (kept as the
 * fallback; its setup function runs on first fallback use). Idempotent per (backend, name).
 *
 * @returns true when registered by this call.
 */
export function overrideKernel(name: string, backendName: string, fn: OverrideFunc): boolean {
  const key = `${backendName}/${name}`;
  if (overridden.has(key)) return false;
  const prev = tf.getKernel(name, backendName);
  let prevSetup = false;
  const fallback = (args: KernelArgs) => {
    if (!prev) throw new Error(`${name} (${backendName}): this case is not supported by the toolkit's kernel`);
    countKernelPath(`${name}/fallback`);
    if (!prevSetup && prev.setupFunc) prev.setupFunc(args.backend);
    prevSetup = true;
    return prev.kernelFunc(args);
  };
  if (prev) tf.unregisterKernel(name, backendName);
  tf.registerKernel({ kernelName: name, backendName, kernelFunc: (args) => fn(args, fallback) });
  overridden.add(key);
  return true;
}
