/**
 * The toolkit's WebAssembly module (lib/backend/native/gaze_kernels.c) bound to the heap of a
 * tfjs wasm backend: it imports that backend's `WebAssembly.Memory`, so kernels take tensor
 * memory offsets and work in place. One instance and one grow-only scratch buffer per heap.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { GAZE_KERNELS_WASM_BASE64 } from "./gaze_kernels_wasm.ts";
import { sharedMemoryImport } from "./wasm_binary.ts";
import type { DataType, TensorInfo } from "./tensor_types.ts";

/**
 * Functions exported by gaze_kernels.wasm. Pointers are byte offsets in the heap the instance was
 * bound to; argument lists and semantics are documented on each C function in
 * lib/backend/native/gaze_kernels.c.
 */
export interface GazeKernelExports {
  /** Work items of conv_s1_run (images x blocks of virtual rows). */
  conv_s1_items(b: number, kw: number, oh: number, ow: number): number;
  /** Floats of per-thread scratch conv_s1_run needs. */
  conv_s1_thread_floats(): number;
  /** Floats of a filter packed by conv_s1_pack. */
  conv_s1_packed_floats(ci: number, co: number, kh: number, kw: number): number;
  /** Pack a filter (flip=1: flipped and transposed, for Conv2DBackpropInput) for conv_s1_run. */
  conv_s1_pack(w: number, bp: number, ci: number, co: number, kh: number, kw: number, flip: number): void;
  /** Zero-pad a batch of NHWC images (+ SLACK zero floats). */
  pad_batch(...a: number[]): void;
  /** Stride-1 convolution of padded images, work items [i0, i1) with the scratch of thread `part`. */
  conv_s1_run(...a: number[]): void;
  /** Floats of per-thread scratch conv_s1_dw_run needs. */
  conv_s1_dw_thread_floats(co: number, kw: number, oh: number, ow: number): number;
  /** Stride-1 weight gradient from padded images, work items [i0, i1) with the scratch of thread `part`. */
  conv_s1_dw_run(...a: number[]): void;
  /** Floats of a 3x3 filter transformed and packed by conv_wino_pack. */
  conv_wino_packed_floats(ci: number, co: number): number;
  /** Transform and pack a 3x3 filter (flip=1: for Conv2DBackpropInput) for conv_wino_run. */
  conv_wino_pack(w: number, ub: number, ci: number, co: number, flip: number): void;
  /** conv_wino_pack for input channels [i0, i1) (columns past CO not zeroed). */
  conv_wino_pack_run(...a: number[]): void;
  /** Work items of conv_wino_run (chunks of `wt` 2x2 output tiles). */
  conv_wino_items(b: number, oh: number, ow: number, wt: number): number;
  /** Floats of per-thread scratch conv_wino_run needs. */
  conv_wino_thread_floats(ci: number, co: number, wt: number): number;
  /** Winograd F(2x2,3x3) convolution of padded images, work items [i0, i1) with the scratch of thread `part`. */
  conv_wino_run(...a: number[]): void;
  /** conv_wino_run for at most 8 output channels, 4 tiles at a time with no GEMM calls (same arguments). */
  conv_wino1_run(...a: number[]): void;
  /** Chunks (work items) of conv_wino_dw_run; a function of the shape only. */
  conv_wino_dw_chunks(b: number, oh: number, ow: number): number;
  /** Floats of one chunk's partial sums in conv_wino_dw_run. */
  conv_wino_dw_partial_floats(ci: number, co: number): number;
  /** Floats of per-thread scratch conv_wino_dw_run needs. */
  conv_wino_dw_thread_floats(ci: number, co: number, wt: number): number;
  /** Winograd weight gradient: partial sums of work items (chunk, group of positions) [i0, i1), scratch of thread `part`. */
  conv_wino_dw_run(...a: number[]): void;
  /** Add the partial sums in chunk order and transform them into the 3x3 weight gradient. */
  conv_wino_dw_finish(partial: number, nch: number, dw: number, ci: number, co: number): void;
  /** conv_wino_dw_finish for input channels [i0, i1). */
  conv_wino_dw_finish_run(...a: number[]): void;
  /** GazeMedSeg feature propagation, forward (lib/backend/feature_prop.ts). */
  feature_prop(...a: number[]): void;
  /** GazeMedSeg feature propagation, gradient (scratch: B*H*W*k*k floats). */
  feature_prop_grad(...a: number[]): void;
  /** Bytes of scratch conv_im2col needs. */
  conv_im2col_scratch(...a: number[]): number;
  /** Convolution (any stride and padding) by im2col chunks. */
  conv_im2col(...a: number[]): void;
  /** Bytes of scratch conv_im2col_dw needs. */
  conv_im2col_dw_scratch(...a: number[]): number;
  /** Weight gradient (any stride and padding) by im2col chunks. */
  conv_im2col_dw(...a: number[]): void;
  /** Bytes of scratch conv_im2col_dx needs. */
  conv_im2col_dx_scratch(...a: number[]): number;
  /** Input gradient (any stride and padding): dy x W^T, then col2im. */
  conv_im2col_dx(...a: number[]): void;
  /** Work items of conv_im2col_run (chunks of output pixels). */
  conv_im2col_items(b: number, oh: number, ow: number): number;
  /** Floats of a filter packed by conv_im2col_pack. */
  conv_im2col_packed_floats(k: number, co: number): number;
  /** Floats of per-thread scratch conv_im2col_run needs. */
  conv_im2col_thread_floats(k: number): number;
  /** Pack a [K][CO] filter for conv_im2col_run. */
  conv_im2col_pack(w: number, bp: number, k: number, co: number): void;
  /** conv_im2col's chunks [i0, i1) with the scratch of thread `part` (packed filter). */
  conv_im2col_run(...a: number[]): void;
  /** Floats of per-thread scratch conv_im2col_dw_run needs for `panels` column panels at a time. */
  conv_im2col_dw_thread_floats(k: number, panels: number): number;
  /** conv_im2col_dw's column panels [i0, i1) over every chunk (dw zero on entry). */
  conv_im2col_dw_run(...a: number[]): void;
  /** Floats of a filter packed by conv_im2col_dx_pack. */
  conv_im2col_dx_packed_floats(k: number, co: number): number;
  /** Floats of per-thread scratch conv_im2col_dx_run needs. */
  conv_im2col_dx_thread_floats(k: number, co: number): number;
  /** Pack a [K][CO] filter for conv_im2col_dx_run. */
  conv_im2col_dx_pack(w: number, bp: number, k: number, co: number): void;
  /** conv_im2col_dx for images [i0, i1) with the scratch of thread `part` (packed filter). */
  conv_im2col_dx_run(...a: number[]): void;
  /** Bytes of scratch (per thread) group_norm_run and group_norm_grad_run need. */
  group_norm_scratch(c: number): number;
  /** GroupNorm (+ LeakyReLU) forward of images [i0, i1), with per-(image, group) mean and rstd outputs. */
  group_norm_run(...a: number[]): void;
  /** GroupNorm (+ LeakyReLU) gradient of images [i0, i1): dx, and per-image dbeta/dgamma partial sums. */
  group_norm_grad_run(...a: number[]): void;
  /** Add the per-image partial sums of group_norm_grad_run in image order into dgamma and dbeta. */
  group_norm_grad_finish(dpart: number, b: number, c: number, dgamma: number, dbeta: number): void;
  /** Concatenate runs of bytes (descriptor of pointer/run pairs) along an axis. */
  concat_runs(desc: number, n: number, outer: number, out: number): void;
  /** Split runs of bytes along an axis (the inverse of concat_runs). */
  split_runs(inp: number, desc: number, n: number, outer: number): void;
  /** concat_runs for leading indices [i0, i1). */
  concat_runs_run(...a: number[]): void;
  /** split_runs for leading indices [i0, i1). */
  split_runs_run(...a: number[]): void;
  /** Sum a [outer][inner] float32 matrix over its rows, times `scale`. */
  sum_leading(x: number, out: number, scratch: number, outer: number, inner: number, scale: number): void;
  /** Sums of blocks of 64 rows [i0, i1) of a [outer][inner] matrix (sum_leading's f32 partials). */
  sum_leading_run(...a: number[]): void;
  /** Add the block sums of sum_leading_run in f64, in block order, times `scale` (= sum_leading). */
  sum_leading_finish(partial: number, nblk: number, inner: number, out: number, scale: number): void;
  /** Max-pool gradient routed to the first maximum of each window. */
  max_pool_grad(...a: number[]): void;
  /** max_pool_grad for images [i0, i1). */
  max_pool_grad_run(...a: number[]): void;
  /** A rank-4 slice of 4-byte elements. */
  slice4(...a: number[]): void;
  /** Batched matrix product with small inner sizes (optional transposes, batch broadcasting by stride 0). */
  bmm_small(...a: number[]): void;
  /** Add a per-channel bias to P rows of C floats in place (GazeConv2DBias, GazeConv2DTransposeBias). */
  add_bias(y: number, bias: number, p: number, c: number): void;
  /** One SGD step over n floats (GazeSgdStep; rounding as the tf-op chain). */
  sgd_step(...a: number[]): void;
  /** The per-pixel BCE loss of GazePixelBce (lib/backend/pixel_bce.ts); sums in float64. */
  pixel_bce(...a: number[]): number;
  /** Its gradients for the logits and the target (GazePixelBceGrad). */
  pixel_bce_grad(...a: number[]): void;
}

/** The parts of tfjs-backend-wasm's `BackendWasm` the kernels use. */
export interface WasmBackendLike {
  /** The Emscripten module: its exports (`asm.memory`) and allocator. */
  wasm: { asm: { memory: WebAssembly.Memory }; _malloc(bytes: number): number; _free(ptr: number): void };
  /** Tensor data records, with the byte offset of each tensor in the heap. */
  dataIdMap: { get(dataId: unknown): { memoryOffset: number } | undefined };
  /** Allocate an output tensor in the heap. */
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  /** Add a reference to tensor data (zero-copy outputs). */
  incRef(dataId: unknown): void;
}

/** Per-heap state: the module instance and the scratch buffer. */
export interface HeapState {
  /** The instance's exports. */
  k: GazeKernelExports;
  /** Byte offset of the scratch buffer (0: none yet). */
  scratchPtr: number;
  /** Its size in bytes. */
  scratchBytes: number;
}

const states = new WeakMap<WebAssembly.Memory, HeapState>();
let moduleCache: WebAssembly.Module | undefined;

function decodeBase64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Compile gaze_kernels.wasm (once per process; needs WebAssembly SIMD). */
export function gazeKernelsModule(): WebAssembly.Module {
  moduleCache ??= new WebAssembly.Module(decodeBase64(GAZE_KERNELS_WASM_BASE64) as BufferSource);
  return moduleCache;
}

let sharedModuleCache: WebAssembly.Module | undefined;

/**
 * Compile gaze_kernels.wasm with its memory import declared shared (once per process), for a
 * shared heap that several threads run kernels on. The code is unchanged: it uses no atomics
 * (threads write disjoint outputs and meet only at the pool's barrier, lib/backend/wasm_threads.ts).
 */
export function gazeKernelsSharedModule(): WebAssembly.Module {
  sharedModuleCache ??= new WebAssembly.Module(
    sharedMemoryImport(decodeBase64(GAZE_KERNELS_WASM_BASE64)) as BufferSource,
  );
  return sharedModuleCache;
}

/** The module instance bound to `backend`'s heap (created on first use). */
export function heapState(backend: WasmBackendLike): HeapState {
  const memory = backend.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) {
    throw new Error("gaze wasm kernels: the wasm backend does not expose its memory (tfjs-backend-wasm 4.22 expected)");
  }
  let st = states.get(memory);
  if (!st) {
    const module = memory.buffer instanceof SharedArrayBuffer ? gazeKernelsSharedModule() : gazeKernelsModule();
    const inst = new WebAssembly.Instance(module, { env: { memory } });
    st = { k: inst.exports as unknown as GazeKernelExports, scratchPtr: 0, scratchBytes: 0 };
    states.set(memory, st);
  }
  return st;
}

/**
 * A scratch buffer of at least `bytes` bytes in the heap (grow-only; valid until the next call).
 * Allocating may grow the heap: take tensor offsets with {@link ptr}, never cached typed arrays.
 */
export function scratch(backend: WasmBackendLike, st: HeapState, bytes: number): number {
  if (bytes > st.scratchBytes) {
    if (st.scratchPtr) backend.wasm._free(st.scratchPtr);
    const want = Math.max(bytes, Math.ceil(st.scratchBytes * 1.25));
    st.scratchPtr = backend.wasm._malloc(want) >>> 0;
    if (!st.scratchPtr) throw new Error(`gaze wasm kernels: could not allocate ${want} bytes of scratch`);
    st.scratchBytes = want;
  }
  return st.scratchPtr;
}

/** Byte offset of a tensor's data in the heap. */
export function ptr(backend: WasmBackendLike, t: tf.TensorInfo): number {
  const d = backend.dataIdMap.get(t.dataId);
  if (!d) throw new Error("gaze wasm kernels: tensor data not found in the wasm backend");
  return d.memoryOffset;
}
