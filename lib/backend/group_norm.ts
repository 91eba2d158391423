/**
 * GroupNorm with an optional fused LeakyReLU, as one op with its own gradient.
 *
 * On the wasm backend (after {@link registerWasmGroupNorm}, which `selectBackend("wasm")` calls)
 * the forward pass is one kernel (`GazeGroupNorm`: statistics and output in three passes over x)
 * and the backward pass another (`GazeGroupNormGrad`: two passes), instead of the ~30 small
 * kernels the composite formulation costs with autodiff; with the thread pool on
 * (lib/backend/wasm_threads.ts) those of at least 2^16 elements run by images on all its threads,
 * with the same result as on one thread (counted in `kernelPathStats` as `GazeGroupNorm/threads`,
 * `GazeGroupNormGrad/threads`). On other backends the same math runs
 * as composite tfjs ops (reshape, moments, affine, leakyRelu).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapState, ptr, scratch, type WasmBackendLike } from "./gaze_wasm_module.ts";
import { countKernelPath } from "./override_kernel.ts";
import { f32Bits, runItems, type WasmThreadPool, wasmThreadPoolFor } from "./wasm_threads.ts";
import type { Tensor, Tensor4D, TensorInfo } from "./tensor_types.ts";

/** Kernel names registered by {@link registerWasmGroupNorm}. */
export const GROUP_NORM_KERNEL = "GazeGroupNorm";
/** The gradient kernel's name. */
export const GROUP_NORM_GRAD_KERNEL = "GazeGroupNormGrad";

/** Options of {@link fusedGroupNorm}. */
export interface FusedGroupNormOptions {
  /** Number of groups G (C must be divisible by G); groups are runs of C/G consecutive channels. */
  groups: number;
  /** Variance epsilon (default 1e-5, as PyTorch). */
  epsilon?: number;
  /**
   * Slope of a LeakyReLU applied after the affine transform (0.1 in BasicUNet; 0 = ReLU).
   * Omitted: no activation. Must be >= 0.
   */
  negativeSlope?: number;
}

interface GroupNormAttrs {
  groups: number;
  epsilon: number;
  slope: number;
}

function check(x: Tensor, gamma: Tensor, beta: Tensor, o: FusedGroupNormOptions): GroupNormAttrs {
  if (x.rank !== 4) throw new Error(`fusedGroupNorm: x must be [B, H, W, C], got shape [${x.shape}]`);
  const c = x.shape[3] as number;
  if (!Number.isInteger(o.groups) || o.groups < 1 || c % o.groups !== 0) {
    throw new Error(`fusedGroupNorm: ${c} channels are not divisible into ${o.groups} groups`);
  }
  for (const [n, t] of [["gamma", gamma], ["beta", beta]] as const) {
    if (t.rank !== 1 || t.shape[0] !== c) throw new Error(`fusedGroupNorm: ${n} must be [${c}], got [${t.shape}]`);
  }
  const slope = o.negativeSlope ?? 1;
  if (!(slope >= 0)) throw new Error(`fusedGroupNorm: negativeSlope must be >= 0, got ${o.negativeSlope}`);
  return { groups: o.groups, epsilon: o.epsilon ?? 1e-5, slope };
}

function composite(x: Tensor4D, gamma: Tensor, beta: Tensor, a: GroupNormAttrs): Tensor4D {
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const g = tf.reshape(x, [b, h, w, a.groups, c / a.groups]);
    const { mean, variance } = tf.moments(g, [1, 2, 4], true);
    const normed = tf.reshape(tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, a.epsilon))), [b, h, w, c]);
    const z = tf.add(tf.mul(normed, gamma), beta) as Tensor4D;
    return a.slope === 1 ? z : tf.leakyRelu(z, a.slope);
  });
}

/**
 * GroupNorm over `[B, H, W, C]` (statistics per sample and group over H, W and the group's
 * channels; biased variance), then `* gamma + beta` per channel, then LeakyReLU when
 * `negativeSlope` is given. Same semantics as PyTorch `GroupNorm` (+ `LeakyReLU`).
 *
 * @param x `[B, H, W, C]` float32.
 * @param gamma `[C]` scale; `beta` `[C]` shift (variables or tensors; both get gradients).
 * @returns `[B, H, W, C]`.
 */
export function fusedGroupNorm(
  x: Tensor4D,
  gamma: Tensor,
  beta: Tensor,
  options: FusedGroupNormOptions,
): Tensor4D {
  const attrs = check(x, gamma, beta, options);
  const be = tf.getBackend();
  if (
    x.size === 0 || x.dtype !== "float32" || !tf.getKernel(GROUP_NORM_KERNEL, be) ||
    !tf.getKernel(GROUP_NORM_GRAD_KERNEL, be)
  ) {
    return composite(x, gamma, beta, attrs);
  }
  const kAttrs = attrs as unknown as tf.NamedAttrMap;
  const f = tf.customGrad((...args: unknown[]) => {
    const [xi, gi, bi, save] = args as [Tensor, Tensor, Tensor, tf.GradSaveFunc];
    const [y, mean, rstd] = tf.engine().runKernel(
      GROUP_NORM_KERNEL,
      { x: xi, gamma: gi, beta: bi },
      kAttrs,
    ) as Tensor[];
    save([xi, y, gi, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: Tensor | Tensor[], saved: Tensor[]) => {
        const [xs, ys, gs, ms, rs] = saved;
        return tf.engine().runKernel(
          GROUP_NORM_GRAD_KERNEL,
          { dy: dy as Tensor, x: xs, y: ys, gamma: gs, mean: ms, rstd: rs },
          kAttrs,
        ) as Tensor[];
      },
    };
  });
  return f(x, gamma, beta) as Tensor4D;
}

/** The thread pool for a GroupNorm of `x` when it is large enough and has several images. */
function groupNormPool(b: WasmBackendLike, x: TensorInfo): WasmThreadPool | undefined {
  return x.shape[0] > 1 ? wasmThreadPoolFor(b, tf.util.sizeFromShape(x.shape)) : undefined;
}

/**
 * Register `GazeGroupNorm` and `GazeGroupNormGrad` for a wasm backend (default "wasm"), so
 * {@link fusedGroupNorm} runs as two kernels there.
 *
 * @returns true when registered by this call, false when already registered.
 */
export function registerWasmGroupNorm(backendName = "wasm"): boolean {
  if (tf.getKernel(GROUP_NORM_KERNEL, backendName)) return false;
  tf.registerKernel({
    kernelName: GROUP_NORM_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendLike;
      const { x, gamma, beta } = inputs as Record<string, TensorInfo>;
      const a = attrs as unknown as GroupNormAttrs;
      const [B, H, W, C] = x.shape;
      const st = heapState(b);
      const y = b.makeOutput(x.shape, "float32");
      const mean = b.makeOutput([B, a.groups], "float32");
      const rstd = b.makeOutput([B, a.groups], "float32");
      const pool = groupNormPool(b, x);
      const tstride = st.k.group_norm_scratch(C) / 4;
      const s = scratch(b, st, 4 * tstride * (pool?.nthreads ?? 1));
      const args = [ptr(b, x), ptr(b, gamma), ptr(b, beta), ptr(b, y), ptr(b, mean), ptr(b, rstd), s, tstride];
      args.push(H * W, C, a.groups, f32Bits(a.epsilon), f32Bits(a.slope));
      if (pool) countKernelPath(`${GROUP_NORM_KERNEL}/threads`);
      runItems(st.k, { name: "group_norm_run", args, items: B, pool });
      return [y, mean, rstd];
    },
  });
  tf.registerKernel({
    kernelName: GROUP_NORM_GRAD_KERNEL,
    backendName,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendLike;
      const { dy, x, y, gamma, mean, rstd } = inputs as Record<string, TensorInfo>;
      const a = attrs as unknown as GroupNormAttrs;
      const [B, H, W, C] = x.shape;
      const st = heapState(b);
      const dx = b.makeOutput(x.shape, "float32");
      const dgamma = b.makeOutput([C], "float32");
      const dbeta = b.makeOutput([C], "float32");
      const pool = groupNormPool(b, x);
      const tstride = st.k.group_norm_scratch(C) / 4;
      const s = scratch(b, st, 4 * (tstride * (pool?.nthreads ?? 1) + 2 * B * C));
      const dpart = s + 4 * tstride * (pool?.nthreads ?? 1);
      const args = [ptr(b, dy), ptr(b, x), ptr(b, y), ptr(b, gamma), ptr(b, mean), ptr(b, rstd), ptr(b, dx), dpart];
      args.push(s, tstride, H * W, C, a.groups, f32Bits(a.slope));
      if (pool) countKernelPath(`${GROUP_NORM_GRAD_KERNEL}/threads`);
      runItems(st.k, { name: "group_norm_grad_run", args, items: B, pool });
      st.k.group_norm_grad_finish(dpart, B, C, ptr(b, dgamma), ptr(b, dbeta));
      return [dx, dgamma, dbeta];
    },
  });
  return true;
}
