/**
 * Data-movement kernels for the tfjs wasm backend where the stock ones copy or loop in
 * JavaScript: `Identity` and same-dtype `Cast` without a copy (a new reference to the same
 * data, as `Reshape` and the cpu backend do; tfjs data is immutable), and `Concat` / `SplitV` /
 * `Slice` as runs of memory copies in the toolkit's wasm module (the stock `Slice` first copies
 * the whole input into JavaScript). Other cases use the stock kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapState, ptr, scratch, type WasmBackendLike } from "./gaze_wasm_module.ts";
import { countKernelPath, type OverrideFunc, overrideKernel } from "./override_kernel.ts";
import { runItems, wasmThreadPoolFor } from "./wasm_threads.ts";

const FOUR_BYTE: readonly string[] = ["float32", "int32"];

function shareData(b: WasmBackendLike, x: tf.TensorInfo): tf.TensorInfo {
  b.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * concat_runs (split: split_runs) over `outer` leading indices of the tensors given as (pointer,
 * run bytes) pairs, into (split: from) `x`: on the thread pool by leading indices when large
 * enough. Counts `${kernel}/gaze` or `${kernel}/gaze-threads` in `kernelPathStats`.
 */
function copyRuns(
  b: WasmBackendLike,
  kernel: string,
  op: { split: boolean; x: number; pairs: number[]; outer: number },
) {
  const st = heapState(b), n = op.pairs.length / 2;
  const desc = scratch(b, st, 8 * n);
  writeDesc(b, desc, op.pairs);
  let bytes = 0;
  for (let i = 1; i < op.pairs.length; i += 2) bytes += op.outer * op.pairs[i];
  const pool = wasmThreadPoolFor(b, bytes / 4);
  if (op.split) runItems(st.k, { name: "split_runs_run", args: [op.x, desc, n], items: op.outer, pool });
  else runItems(st.k, { name: "concat_runs_run", args: [desc, n, op.x], items: op.outer, pool });
  countKernelPath(`${kernel}/gaze${pool ? "-threads" : ""}`);
}

function writeDesc(b: WasmBackendLike, at: number, pairs: number[]): void {
  new Int32Array(b.wasm.asm.memory.buffer, at, pairs.length).set(pairs);
}

const identity: OverrideFunc = (args, fallback) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === "string") return fallback(args);
  countKernelPath("Identity/shared");
  return shareData(args.backend as unknown as WasmBackendLike, x);
};

const cast: OverrideFunc = (args, fallback) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === "string" || (args.attrs as { dtype?: string }).dtype !== x.dtype) return fallback(args);
  countKernelPath("Cast/shared");
  return shareData(args.backend as unknown as WasmBackendLike, x);
};

const concat: OverrideFunc = (args, fallback) => {
  const all = Object.values(args.inputs) as tf.TensorInfo[];
  const ins = all.filter((t) => tf.util.sizeFromShape(t.shape) > 0);
  if (ins.length < 2 || !ins.every((t) => t.dtype === ins[0].dtype && FOUR_BYTE.includes(t.dtype))) {
    return fallback(args);
  }
  const axis = tf.util.parseAxisParam((args.attrs as { axis: number | number[] }).axis, ins[0].shape)[0];
  const shape = tf.backend_util.computeOutShape(ins.map((t) => t.shape), axis);
  const b = args.backend as unknown as WasmBackendLike;
  const out = b.makeOutput(shape, ins[0].dtype);
  const pairs = ins.flatMap((t) => [ptr(b, t), 4 * tf.util.sizeFromShape(t.shape.slice(axis))]);
  copyRuns(b, "Concat", { split: false, x: ptr(b, out), pairs, outer: tf.util.sizeFromShape(shape.slice(0, axis)) });
  return out;
};

const splitV: OverrideFunc = (args, fallback) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const a = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
  if (!FOUR_BYTE.includes(x.dtype)) return fallback(args);
  const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, a.numOrSizeSplits, axis);
  if (sizes.length < 2 || sizes.some((s) => s <= 0) || tf.util.sizeFromShape(x.shape) === 0) return fallback(args);
  const b = args.backend as unknown as WasmBackendLike;
  const outs = sizes.map((s) => b.makeOutput(x.shape.map((d, i) => (i === axis ? s : d)), x.dtype));
  const pairs = outs.flatMap((t) => [ptr(b, t), 4 * tf.util.sizeFromShape(t.shape.slice(axis))]);
  copyRuns(b, "SplitV", { split: true, x: ptr(b, x), pairs, outer: tf.util.sizeFromShape(x.shape.slice(0, axis)) });
  return outs;
};

const slice: OverrideFunc = (args, fallback) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const a = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
  if (!FOUR_BYTE.includes(x.dtype) || x.shape.length > 4 || x.shape.length === 0) return fallback(args);
  const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, a.begin, a.size);
  const b = args.backend as unknown as WasmBackendLike;
  if (tf.util.sizeFromShape(size) === 0) return fallback(args);
  const st = heapState(b);
  const out = b.makeOutput(size, x.dtype);
  const pad = 4 - x.shape.length;
  const s4 = [...Array(pad).fill(1), ...x.shape], b4 = [...Array(pad).fill(0), ...begin];
  const n4 = [...Array(pad).fill(1), ...size];
  st.k.slice4(ptr(b, x), ptr(b, out), s4[1], s4[2], s4[3], ...b4, ...n4);
  countKernelPath("Slice/gaze");
  return out;
};

/** `Pack` (tf.stack) as {@link concat}'s runs: out[o, k, :] = inputs[k][o, :]. */
const pack: OverrideFunc = (args, fallback) => {
  const ins = Object.values(args.inputs) as tf.TensorInfo[];
  const shape0 = ins[0]?.shape ?? [];
  if (
    ins.length < 2 || !FOUR_BYTE.includes(ins[0].dtype) || tf.util.sizeFromShape(shape0) === 0 ||
    !ins.every((t) => t.dtype === ins[0].dtype && tf.util.arraysEqual(t.shape, shape0))
  ) return fallback(args);
  const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, [...shape0, 1])[0];
  const shape = [...shape0.slice(0, axis), ins.length, ...shape0.slice(axis)];
  const b = args.backend as unknown as WasmBackendLike;
  const out = b.makeOutput(shape, ins[0].dtype);
  const run = 4 * tf.util.sizeFromShape(shape0.slice(axis)), pairs = ins.flatMap((t) => [ptr(b, t), run]);
  copyRuns(b, "Pack", { split: false, x: ptr(b, out), pairs, outer: tf.util.sizeFromShape(shape0.slice(0, axis)) });
  return out;
};

/** `Unpack` (tf.unstack) as {@link splitV}'s runs. */
const unpack: OverrideFunc = (args, fallback) => {
  const { value: x } = args.inputs as { value: tf.TensorInfo };
  if (!x || !FOUR_BYTE.includes(x.dtype) || tf.util.sizeFromShape(x.shape) === 0) return fallback(args);
  const axis = tf.util.parseAxisParam((args.attrs as { axis: number }).axis, x.shape)[0];
  const num = x.shape[axis];
  if (num < 2) return fallback(args);
  const outShape = x.shape.filter((_, i) => i !== axis);
  const b = args.backend as unknown as WasmBackendLike;
  const outs = Array.from({ length: num }, () => b.makeOutput(outShape, x.dtype));
  const run = 4 * tf.util.sizeFromShape(x.shape.slice(axis + 1)), pairs = outs.flatMap((t) => [ptr(b, t), run]);
  copyRuns(b, "Unpack", { split: true, x: ptr(b, x), pairs, outer: tf.util.sizeFromShape(x.shape.slice(0, axis)) });
  return outs;
};

/** Smallest run (elements copied per index) for which {@link gatherV2} copies runs itself. */
const GATHER_MIN_RUN = 16;

/**
 * `GatherV2` without batch dimensions as runs of memory copies: out[o, j, :] = x[o, idx[j], :]
 * (the stock kernel computes every element's source index). Runs shorter than 16 elements, batch
 * dimensions, other dtypes and out-of-range indices (the stock kernel reports them) fall back.
 */
const gatherV2: OverrideFunc = (args, fallback) => {
  const { x, indices } = args.inputs as { x: tf.TensorInfo; indices: tf.TensorInfo };
  const a = args.attrs as unknown as { axis: number; batchDims?: number };
  if (!FOUR_BYTE.includes(x.dtype) || indices.dtype !== "int32" || (a.batchDims ?? 0) !== 0) return fallback(args);
  const axis = tf.util.parseAxisParam(a.axis, x.shape)[0];
  const inner = tf.util.sizeFromShape(x.shape.slice(axis + 1));
  const nIdx = tf.util.sizeFromShape(indices.shape), dim = x.shape[axis];
  if (inner < GATHER_MIN_RUN || nIdx === 0 || tf.util.sizeFromShape(x.shape) === 0) return fallback(args);
  const b = args.backend as unknown as WasmBackendLike;
  const idx = new Int32Array(b.wasm.asm.memory.buffer, ptr(b, indices), nIdx).slice();
  if (idx.some((i) => i < 0 || i >= dim)) return fallback(args);
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const out = b.makeOutput(shape, x.dtype);
  const outer = tf.util.sizeFromShape(x.shape.slice(0, axis));
  // views after the allocation (it may grow the heap)
  const heap = b.wasm.asm.memory.buffer;
  const src = new Int32Array(heap, ptr(b, x), outer * dim * inner); // bit copies, float32 or int32
  const dst = new Int32Array(heap, ptr(b, out), outer * nIdx * inner);
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < nIdx; j++) {
      const from = (o * dim + idx[j]) * inner;
      dst.set(src.subarray(from, from + inner), (o * nIdx + j) * inner);
    }
  }
  countKernelPath("GatherV2/gaze");
  return out;
};

/**
 * Replace `Identity`, `Cast`, `Concat`, `SplitV`, `Slice` (rank <= 4), `GatherV2`, `Pack` and `Unpack`
 * of a wasm backend
 * (default "wasm"); other cases (strings, bool, one input) fall back to the stock kernels.
 *
 * @returns the kernel names replaced by this call (empty when already registered).
 */
export function registerWasmCopyKernels(backendName = "wasm"): string[] {
  const done: string[] = [];
  const reg = (name: string, fn: OverrideFunc) => overrideKernel(name, backendName, fn) && done.push(name);
  reg("Identity", identity);
  reg("Cast", cast);
  reg("Concat", concat);
  reg("SplitV", splitV);
  reg("Slice", slice);
  reg("GatherV2", gatherV2);
  reg("Pack", pack);
  reg("Unpack", unpack);
  return done;
}
