/**
 * `BatchMatMul` for small inner sizes on the tfjs wasm backend: attention over a few text tokens
 * with heads of a few channels gives products like [64 x 1024 x 4] x [64 x 4 x 6], where the stock
 * kernel (an XNNPACK operator set up per batch entry) runs at 1-2 GFLOP/s. The toolkit's module
 * does them in one pass: B packed per batch entry, each output row accumulated in registers 8
 * columns at a time. Other products (N > 32, or both K and M > 32: XNNPACK does those well), batch
 * shapes that broadcast other than by a batch of 1, and non-float32 inputs use the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapState, ptr, scratch, type WasmBackendLike } from "./gaze_wasm_module.ts";
import { countKernelPath, type OverrideFunc, overrideKernel } from "./override_kernel.ts";

/** The toolkit's kernel takes products with N <= SMALL and K or M <= SMALL (and K <= MAX_K). */
const SMALL = 32;
/** The packed B of one batch entry (K x 8 floats per group) stays in L1. */
const MAX_K = 2048;

const batchMatMul: OverrideFunc = (args, fallback) => {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
  if (a.dtype !== "float32" || b.dtype !== "float32" || a.shape.length < 2 || b.shape.length < 2) return fallback(args);
  const ra = a.shape.length, rb = b.shape.length;
  const M = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const K2 = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== K2 || N > SMALL || Math.min(K, M) > SMALL || K > MAX_K || M * N * K === 0) return fallback(args);
  const batchA = a.shape.slice(0, -2), batchB = b.shape.slice(0, -2);
  const na = tf.util.sizeFromShape(batchA), nb = tf.util.sizeFromShape(batchB);
  let outBatch: number[];
  if (na === nb && tf.util.arraysEqual(batchA, batchB)) outBatch = batchA;
  else if (nb === 1) outBatch = batchA;
  else if (na === 1) outBatch = batchB;
  else return fallback(args);
  const b_ = args.backend as unknown as WasmBackendLike;
  const st = heapState(b_);
  const out = b_.makeOutput([...outBatch, M, N], "float32");
  const s = scratch(b_, st, 4 * K * 8 * Math.ceil(N / 8) + 16);
  const batch = Math.max(na, nb);
  st.k.bmm_small(
    ptr(b_, a),
    ptr(b_, b),
    ptr(b_, out),
    s,
    batch,
    M,
    N,
    K,
    transposeA ? 1 : 0,
    transposeB ? 1 : 0,
    na === 1 ? 0 : M * K,
    nb === 1 ? 0 : K * N,
  );
  countKernelPath("BatchMatMul/small");
  return out;
};

/**
 * Replace `BatchMatMul` of a wasm backend (default "wasm") for small inner sizes; other products
 * use the stock kernel.
 *
 * @returns the kernel names replaced by this call (empty when already registered).
 */
export function registerWasmMatMulKernels(backendName = "wasm"): string[] {
  return overrideKernel("BatchMatMul", backendName, batchMatMul) ? ["BatchMatMul"] : [];
}
