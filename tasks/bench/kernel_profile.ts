/**
 * Per-kernel time shares of a piece of work, for the bench cases' profiling pass (run apart from
 * the timed iterations, so the wrapping does not inflate the medians).
 *
 * Every kernel registered for the backend is wrapped so that each call is timed with the wall
 * clock (`performance.now`; the wasm and cpu kernels run synchronously, so this is the kernel's
 * own time). Only top-level calls count: a kernel that runs other kernels (one written with tf
 * ops, e.g. a fused loss) is charged for them, so the shares do not overlap and add up, with
 * `(outside kernels)` (JS dispatch, the gradient tape, tidy bookkeeping, host work such as DARM
 * and the optimiser's scalar code), to the measured time.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** One row of a {@link KernelProfile}. */
export interface KernelRow {
  /** Kernel name (or `(outside kernels)`). */
  name: string;
  /** Top-level calls per repetition. */
  calls: number;
  /** Milliseconds per repetition. */
  ms: number;
  /** Share of the repetition's wall time (0..1). */
  share: number;
}

/** What {@link profileKernels} returns (per repetition: means over `reps`). */
export interface KernelProfile {
  /** Clock used. */
  clock: "wall";
  /** Repetitions averaged. */
  reps: number;
  /** Wall ms of one repetition (with the wrapping's own small overhead). */
  total_ms: number;
  /** Summed top-level kernel ms. */
  kernel_ms: number;
  /** Top-level kernel calls. */
  kernel_calls: number;
  /** Rows sorted by time, `(outside kernels)` included; kernels beyond `top` are merged into `(other kernels)`. */
  kernels: KernelRow[];
}

/**
 * Run `fn` `reps` times with every kernel of `backend` wrapped (see module doc) and return the
 * per-kernel shares, the `top` largest kernels listed by name (default 15).
 */
export async function profileKernels(
  backend: string,
  fn: () => Promise<unknown>,
  options: { reps?: number; top?: number } = {},
): Promise<KernelProfile> {
  const reps = options.reps ?? 1, top = options.top ?? 15;
  const rows = new Map<string, { calls: number; ms: number }>();
  const originals = tf.getKernelsForBackend(backend);
  let depth = 0;
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        if (depth > 0) return k.kernelFunc(args);
        depth++;
        const t0 = performance.now();
        try {
          return k.kernelFunc(args);
        } finally {
          const dt = performance.now() - t0;
          depth--;
          const r = rows.get(k.kernelName) ?? { calls: 0, ms: 0 };
          r.calls++;
          r.ms += dt;
          rows.set(k.kernelName, r);
        }
      },
    });
  }
  let total = 0;
  try {
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      await fn();
      total += performance.now() - t0;
    }
  } finally {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, backend);
      tf.registerKernel(k);
    }
  }
  total /= reps;
  const sorted = [...rows.entries()].map(([name, r]) => ({ name, calls: r.calls / reps, ms: r.ms / reps }))
    .sort((a, b) => b.ms - a.ms);
  const kernelMs = sorted.reduce((s, r) => s + r.ms, 0);
  const kernelCalls = sorted.reduce((s, r) => s + r.calls, 0);
  const listed = sorted.slice(0, top);
  const rest = sorted.slice(top);
  if (rest.length) {
    listed.push({
      name: `(other kernels: ${rest.length})`,
      calls: rest.reduce((s, r) => s + r.calls, 0),
      ms: rest.reduce((s, r) => s + r.ms, 0),
    });
  }
  listed.push({ name: "(outside kernels)", calls: 0, ms: Math.max(0, total - kernelMs) });
  listed.sort((a, b) => b.ms - a.ms);
  const round = (v: number, d: number) => +v.toFixed(d);
  return {
    clock: "wall",
    reps,
    total_ms: round(total, 1),
    kernel_ms: round(kernelMs, 1),
    kernel_calls: round(kernelCalls, 1),
    kernels: listed.map((r) => ({
      name: r.name,
      calls: round(r.calls, 1),
      ms: round(r.ms, 2),
      share: round(r.ms / total, 4),
    })),
  };
}
