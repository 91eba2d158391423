/**
 * Fast convolution kernels for the tfjs wasm backend: `Conv2D`, `Conv2DBackpropInput`
 * (also the forward pass of `conv2dTranspose`) and `Conv2DBackpropFilter`, computed by
 * the toolkit's own WebAssembly SIMD module (lib/backend/native/gaze_kernels.c), and the
 * toolkit's `GazeConv2DBias` / `GazeConv2DTransposeBias` (lib/backend/conv_bias.ts): the same
 * convolutions, then the bias added in place (bit-identical to the conv followed by `Add`).
 *
 * The module imports the wasm backend's memory, so kernels read their inputs and
 * write their outputs in place in the tfjs heap (no copies). Stride-1 convolutions
 * (the 3x3 convs of a UNet and their gradients) run as one GEMM per image over
 * "virtual rows" of the zero-padded input, without an im2col buffer; other strides,
 * and stride 1 on small images, use im2col in chunks. With the thread pool on
 * (lib/backend/wasm_threads.ts) convolutions above a few million multiply-adds run on all
 * its threads (`.../s1-threads`, `.../im2col-threads`), with the same result as on one
 * thread. Cases the module does not cover (NCHW, dilation > 1, non-float32) go to the
 * kernel that was registered before. Paths taken are
 * counted in {@link kernelPathStats} (`Conv2D/s1`, `Conv2D/im2col`, `Conv2D/fallback`, ...).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapState, ptr, scratch, type WasmBackendLike } from "./gaze_wasm_module.ts";
import { countKernelPath, type KernelArgs, type OverrideFunc, overrideKernel } from "./override_kernel.ts";
import { wasmThreadPool } from "./wasm_threads.ts";
import { CONV_BIAS_KERNEL, CONV_TRANSPOSE_BIAS_KERNEL } from "./conv_bias.ts";

const count = countKernelPath;

/** Shapes of a stride-1 convolution as the module sees it (input H x W x CI -> output OH x OW x CO). */
interface S1Shape {
  B: number;
  H: number;
  W: number;
  CI: number;
  CO: number;
  KH: number;
  KW: number;
  PT: number;
  PL: number;
  OH: number;
  OW: number;
  /** 1: the filter is [KH][KW][CO][CI] and used flipped (Conv2DBackpropInput). */
  flip: number;
}

/** Floats of zero padding after a padded batch (read by the weight-gradient micro-kernel). */
const SLACK = 8;
/** Convolutions smaller than this many multiply-adds stay on one thread. */
const MIN_THREADED_MACS = 4e6;
/**
 * Below these output sizes (pixels per image) the stride-1 kernels use im2col
 * instead of virtual rows: small images waste more of the virtual rows (Wp - OW of every Wp), and
 * im2col's chunks span images. Measured on the unet-step shapes (CPU time): im2col wins for the
 * forward pass up to 16x16 and for both gradients up to 32x32.
 */
const IM2COL_MAX_PIXELS = { forward: 256, backpropInput: 1024, backpropFilter: 1024 };
/** Most 2x2 output tiles per work item of the Winograd kernel (a multiple of {@link MR}). */
const WINO_MAX_CHUNK = 48;
/** Rows of the GEMM micro-kernel's register tile (gaze_kernels.c MR). */
const MR = 6;
let winogradEnabled = winogradFromEnv();

function winogradFromEnv(): boolean {
  let v: string | undefined;
  try {
    v = Deno.env.get("GAZE_WINOGRAD");
  } catch {
    return true; // no env permission: default
  }
  if (v === undefined || v === "" || v === "1") return true;
  if (v === "0") return false;
  throw new Error(`GAZE_WINOGRAD must be 0 or 1, got '${v}'`);
}

/**
 * Turn the Winograd F(2x2,3x3) path for stride-1 3x3 convolutions (forward, input and weight
 * gradients) on or off (default on; `GAZE_WINOGRAD=0` in the environment turns it off at load).
 * Off, those convolutions take the direct kernels, whose sums differ from Winograd's by round-off
 * only; runs trained before the Winograd kernels reproduce bit for bit only with it off.
 */
export function setWinograd(on: boolean): void {
  winogradEnabled = on;
}

/** Whether stride-1 3x3 convolutions take the Winograd path (see {@link setWinograd}). */
export function winogradOn(): boolean {
  return winogradEnabled;
}

/**
 * Whether a convolution takes the stride-1 virtual-row kernels (else im2col). The choice depends
 * on the shapes only, never on the thread count: the two paths sum in different orders, and a
 * result must not change with the number of threads (the pool splits either path into items with
 * disjoint outputs, each summed in the same order as on one thread).
 */
function useS1(ci: Conv2DInfo, pixels: number, maxIm2col: number): boolean {
  return ci.strideHeight === 1 && ci.strideWidth === 1 && pixels > maxIm2col;
}

/** Zero-padded copy of B images [H][W][C] (at src[s0]) into [Hp][Wp][C] each (at dst[d0]), then SLACK zeros. */
function padInto(dst: Float32Array, d0: number, src: Float32Array, s0: number, g: S1Shape, Hp: number, Wp: number) {
  const { B, H, W, CI: C, PT, PL } = g;
  const x0 = Math.max(0, PL), x1 = Math.min(Wp, PL + W);
  for (let b = 0; b < B; b++) {
    for (let yy = 0; yy < Hp; yy++) {
      const d = d0 + ((b * Hp + yy) * Wp) * C;
      const sy = yy - PT;
      if (sy < 0 || sy >= H || x1 <= x0) {
        dst.fill(0, d, d + Wp * C);
        continue;
      }
      if (x0 > 0) dst.fill(0, d, d + x0 * C);
      const s = s0 + ((b * H + sy) * W + (x0 - PL)) * C;
      dst.set(src.subarray(s, s + (x1 - x0) * C), d + x0 * C);
      if (x1 < Wp) dst.fill(0, d + x1 * C, d + Wp * C);
    }
  }
  dst.fill(0, d0 + B * Hp * Wp * C, d0 + B * Hp * Wp * C + SLACK);
}

/** Stride-1 convolution (flip=1: Conv2DBackpropInput) on one thread or on the pool. */
function convS1(
  kernel: string,
  b: WasmBackendLike,
  x: tf.TensorInfo,
  w: tf.TensorInfo,
  out: tf.TensorInfo,
  g: S1Shape,
) {
  const { B, H, W, CI, CO, KH, KW, PT, PL, OH, OW, flip } = g;
  const Hp = OH + KH - 1, Wp = OW + KW - 1;
  const pool = B * OH * OW * KH * KW * CI * CO >= MIN_THREADED_MACS ? wasmThreadPool() : undefined;
  if (pool) {
    count(`${kernel}/s1-threads`);
    const k = pool.k;
    pool.reset();
    const xp = pool.alloc(4 * (B * Hp * Wp * CI + SLACK));
    const ws = pool.alloc(4 * KH * KW * CI * CO);
    const bp = pool.alloc(4 * k.conv_s1_packed_floats(CI, CO, KH, KW));
    const y = pool.alloc(4 * B * OH * OW * CO);
    const tstride = k.conv_s1_thread_floats();
    const ts = pool.alloc(4 * tstride * pool.nthreads);
    const heap = new Float32Array(b.wasm.asm.memory.buffer);
    const sh = new Float32Array(pool.memory.buffer);
    padInto(sh, xp / 4, heap, ptr(b, x) / 4, g, Hp, Wp);
    const w0 = ptr(b, w) / 4;
    sh.set(heap.subarray(w0, w0 + KH * KW * CI * CO), ws / 4);
    k.conv_s1_pack(ws, bp, CI, CO, KH, KW, flip);
    pool.run(
      "conv_s1_run",
      [xp, bp, y, ts, tstride, B, Hp, Wp, CI, CO, KH, KW, OH, OW],
      k.conv_s1_items(B, KW, OH, OW),
    );
    const o0 = ptr(b, out) / 4;
    new Float32Array(b.wasm.asm.memory.buffer).set(sh.subarray(y / 4, y / 4 + B * OH * OW * CO), o0);
    return;
  }
  count(`${kernel}/s1`);
  // one image at a time, so the padded copy in scratch stays one image large
  const st = heapState(b);
  const direct = PT === 0 && PL === 0 && Hp === H && Wp === W;
  const nb = st.k.conv_s1_packed_floats(CI, CO, KH, KW), nx = direct ? 0 : Hp * Wp * CI + SLACK;
  const tstride = st.k.conv_s1_thread_floats();
  const s = scratch(b, st, 4 * (nb + nx + tstride));
  const bp = s, xp = s + 4 * nb, ts = xp + 4 * nx;
  st.k.conv_s1_pack(ptr(b, w), bp, CI, CO, KH, KW, flip);
  const x0 = ptr(b, x), y0 = ptr(b, out);
  for (let i = 0; i < B; i++) {
    const xi = x0 + 4 * i * H * W * CI;
    if (!direct) st.k.pad_batch(xi, xp, 1, H, W, CI, Hp, Wp, PT, PL);
    const items = st.k.conv_s1_items(1, KW, OH, OW);
    st.k.conv_s1_run(
      direct ? xi : xp,
      bp,
      y0 + 4 * i * OH * OW * CO,
      ts,
      0,
      1,
      Hp,
      Wp,
      CI,
      CO,
      KH,
      KW,
      OH,
      OW,
      0,
      0,
      items,
    );
  }
}

/**
 * Tiles per work item of the Winograd kernel: at most {@link WINO_MAX_CHUNK}, with the item count a
 * multiple of the thread count so that threads get equal shares. (Any chunking gives the same
 * result: every tile is computed alike.)
 */
function winoChunk(tiles: number, threads: number): number {
  const items = threads * Math.ceil(tiles / (WINO_MAX_CHUNK * threads));
  return Math.min(WINO_MAX_CHUNK, Math.max(MR, Math.ceil(tiles / items / MR) * MR));
}

/**
 * Whether a convolution (as the S1Shape of its forward or input-gradient form) takes the Winograd
 * F(2x2,3x3) kernel: 3x3, stride 1, channel counts multiples of 4, even output sides. Shapes only,
 * never the thread count (see {@link useS1}).
 */
function useWino(ci: Conv2DInfo, g: Pick<S1Shape, "CI" | "CO" | "OH" | "OW">): boolean {
  return winogradEnabled && ci.filterHeight === 3 && ci.filterWidth === 3 && ci.strideHeight === 1 &&
    ci.strideWidth === 1 && g.CI % 4 === 0 && g.CO % 4 === 0 && g.OH % 2 === 0 && g.OW % 2 === 0;
}

/** Winograd F(2x2,3x3) stride-1 3x3 convolution (flip=1: Conv2DBackpropInput) on one thread or on the pool. */
function convWino(
  kernel: string,
  b: WasmBackendLike,
  x: tf.TensorInfo,
  w: tf.TensorInfo,
  out: tf.TensorInfo,
  g: S1Shape,
) {
  const { B, H, W, CI, CO, PT, PL, OH, OW, flip } = g;
  const Hp = OH + 2, Wp = OW + 2;
  const pool = B * OH * OW * 9 * CI * CO >= MIN_THREADED_MACS ? wasmThreadPool() : undefined;
  const wt = winoChunk(B * (OH / 2) * (OW / 2), pool?.nthreads ?? 1);
  // one column panel of outputs: the kernel fused per tile (no GEMM calls, no M buffer)
  const fn = CO <= 8 ? "conv_wino1_run" : "conv_wino_run";
  const nx = B * Hp * Wp * CI + SLACK, nw = 9 * CI * CO;
  if (pool) {
    count(`${kernel}/wino-threads`);
    const k = pool.k;
    pool.reset();
    const xp = pool.alloc(4 * nx);
    const ws = pool.alloc(4 * nw);
    const ub = pool.alloc(4 * k.conv_wino_packed_floats(CI, CO));
    const y = pool.alloc(4 * B * OH * OW * CO);
    const tstride = k.conv_wino_thread_floats(CI, CO, wt);
    const ts = pool.alloc(4 * tstride * pool.nthreads);
    const heap = new Float32Array(b.wasm.asm.memory.buffer);
    const sh = new Float32Array(pool.memory.buffer);
    padInto(sh, xp / 4, heap, ptr(b, x) / 4, g, Hp, Wp);
    const w0 = ptr(b, w) / 4;
    sh.set(heap.subarray(w0, w0 + nw), ws / 4);
    k.conv_wino_pack(ws, ub, CI, CO, flip);
    pool.run(
      fn,
      [xp, ub, y, ts, tstride, B, Hp, Wp, CI, CO, wt, OH, OW],
      k.conv_wino_items(B, OH, OW, wt),
      1,
    );
    new Float32Array(b.wasm.asm.memory.buffer).set(sh.subarray(y / 4, y / 4 + B * OH * OW * CO), ptr(b, out) / 4);
    return;
  }
  count(`${kernel}/wino`);
  const st = heapState(b);
  const nu = st.k.conv_wino_packed_floats(CI, CO), tstride = st.k.conv_wino_thread_floats(CI, CO, wt);
  const s = scratch(b, st, 4 * (nu + nx + tstride));
  const ub = s, xp = s + 4 * nu, ts = xp + 4 * nx;
  st.k.conv_wino_pack(ptr(b, w), ub, CI, CO, flip);
  st.k.pad_batch(ptr(b, x), xp, B, H, W, CI, Hp, Wp, PT, PL);
  const items = st.k.conv_wino_items(B, OH, OW, wt);
  st.k[fn](xp, ub, ptr(b, out), ts, 0, B, Hp, Wp, CI, CO, wt, OH, OW, 0, 0, items);
}

/** Winograd weight gradient of a stride-1 3x3 convolution on one thread or on the pool. */
function convWinoDw(b: WasmBackendLike, x: tf.TensorInfo, dy: tf.TensorInfo, out: tf.TensorInfo, g: S1Shape) {
  const { B, H, W, CI, CO, PT, PL, OH, OW } = g;
  const Hp = OH + 2, Wp = OW + 2, nx = B * Hp * Wp * CI + SLACK, ndy = B * OH * OW * CO;
  const pool = B * OH * OW * 9 * CI * CO >= MIN_THREADED_MACS ? wasmThreadPool() : undefined;
  const k = pool ? pool.k : heapState(b).k;
  const nch = k.conv_wino_dw_chunks(B, OH, OW), np = k.conv_wino_dw_partial_floats(CI, CO);
  const tstride = k.conv_wino_dw_thread_floats(CI, CO, WINO_MAX_CHUNK);
  const geometry = [B, Hp, Wp, CI, CO, WINO_MAX_CHUNK, OH, OW];
  if (pool) {
    count("Conv2DBackpropFilter/wino-threads");
    pool.reset();
    const xp = pool.alloc(4 * nx), dys = pool.alloc(4 * ndy), part = pool.alloc(4 * nch * np);
    const dw = pool.alloc(4 * 9 * CI * CO), ts = pool.alloc(4 * tstride * pool.nthreads);
    const heap = new Float32Array(b.wasm.asm.memory.buffer);
    const sh = new Float32Array(pool.memory.buffer);
    padInto(sh, xp / 4, heap, ptr(b, x) / 4, g, Hp, Wp);
    const d0 = ptr(b, dy) / 4;
    sh.set(heap.subarray(d0, d0 + ndy), dys / 4);
    pool.run("conv_wino_dw_run", [xp, dys, part, ts, tstride, ...geometry], nch, 1);
    k.conv_wino_dw_finish(part, nch, dw, CI, CO);
    new Float32Array(b.wasm.asm.memory.buffer).set(sh.subarray(dw / 4, dw / 4 + 9 * CI * CO), ptr(b, out) / 4);
    return;
  }
  count("Conv2DBackpropFilter/wino");
  const st = heapState(b);
  const s = scratch(b, st, 4 * (nx + nch * np + tstride));
  const xp = s, part = s + 4 * nx, ts = part + 4 * nch * np;
  st.k.pad_batch(ptr(b, x), xp, B, H, W, CI, Hp, Wp, PT, PL);
  st.k.conv_wino_dw_run(xp, ptr(b, dy), part, ts, 0, ...geometry, 0, 0, nch);
  st.k.conv_wino_dw_finish(part, nch, ptr(b, out), CI, CO);
}

/** Stride-1 weight gradient on one thread or on the pool. */
function convS1Dw(b: WasmBackendLike, x: tf.TensorInfo, dy: tf.TensorInfo, out: tf.TensorInfo, g: S1Shape) {
  const { B, H, W, CI, CO, KH, KW, PT, PL, OH, OW } = g;
  const Hp = OH + KH - 1, Wp = OW + KW - 1, nw = KH * KW * CI * CO;
  const pool = B * OH * OW * KH * KW * CI * CO >= MIN_THREADED_MACS ? wasmThreadPool() : undefined;
  if (pool) {
    count("Conv2DBackpropFilter/s1-threads");
    const k = pool.k;
    pool.reset();
    const xp = pool.alloc(4 * (B * Hp * Wp * CI + SLACK));
    const dys = pool.alloc(4 * B * OH * OW * CO);
    const dw = pool.alloc(4 * nw);
    const tstride = k.conv_s1_dw_thread_floats(CO, KW, OH, OW);
    const ts = pool.alloc(4 * tstride * pool.nthreads);
    const heap = new Float32Array(b.wasm.asm.memory.buffer);
    const sh = new Float32Array(pool.memory.buffer);
    padInto(sh, xp / 4, heap, ptr(b, x) / 4, g, Hp, Wp);
    const d0 = ptr(b, dy) / 4;
    sh.set(heap.subarray(d0, d0 + B * OH * OW * CO), dys / 4);
    sh.fill(0, dw / 4, dw / 4 + nw);
    const items = KH * KW * Math.ceil(CO / 8);
    // chunks of a third of the taps of one column panel: dy is packed once per chunk and image
    pool.run(
      "conv_s1_dw_run",
      [xp, dys, dw, ts, tstride, B, Hp, Wp, CI, CO, KH, KW, OH, OW],
      items,
      Math.ceil(KH * KW / 3),
    );
    new Float32Array(b.wasm.asm.memory.buffer).set(sh.subarray(dw / 4, dw / 4 + nw), ptr(b, out) / 4);
    return;
  }
  count("Conv2DBackpropFilter/s1");
  const st = heapState(b);
  const nx = Hp * Wp * CI + SLACK, tstride = st.k.conv_s1_dw_thread_floats(CO, KW, OH, OW);
  const s = scratch(b, st, 4 * (nx + tstride));
  const x0 = ptr(b, x), dy0 = ptr(b, dy), dw = ptr(b, out);
  new Float32Array(b.wasm.asm.memory.buffer, dw, nw).fill(0);
  for (let i = 0; i < B; i++) {
    st.k.pad_batch(x0 + 4 * i * H * W * CI, s, 1, H, W, CI, Hp, Wp, PT, PL);
    const items = KH * KW * Math.ceil(CO / 8);
    st.k.conv_s1_dw_run(
      s,
      dy0 + 4 * i * OH * OW * CO,
      dw,
      s + 4 * nx,
      0,
      1,
      Hp,
      Wp,
      CI,
      CO,
      KH,
      KW,
      OH,
      OW,
      0,
      0,
      items,
    );
  }
}

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

/** Multiply-adds of a convolution (any of its three kernels does as many). */
function convMacs(ci: Conv2DInfo): number {
  return ci.batchSize * ci.outHeight * ci.outWidth * ci.filterHeight * ci.filterWidth * ci.inChannels *
    ci.outChannels;
}

/** Which im2col kernel {@link im2colOnPool} runs. */
type Im2colKind = "forward" | "backpropInput" | "backpropFilter";

/**
 * An im2col kernel on the thread pool: copies the two inputs into the pool's heap, runs the
 * threaded form (forward: chunks of output pixels; input gradient: images; weight gradient:
 * column panels of 8, one range per thread) and copies the output back. Each form computes every
 * output element with the same code and in the same order as the single-thread kernel, so the
 * result does not depend on the thread count (tests/backend/wasm_threads_test.ts).
 */
function im2colOnPool(
  kind: Im2colKind,
  b: WasmBackendLike,
  a: tf.TensorInfo,
  c: tf.TensorInfo,
  out: tf.TensorInfo,
  ci: Conv2DInfo,
  pool: NonNullable<ReturnType<typeof wasmThreadPool>>,
) {
  const B = ci.batchSize, { inHeight: H, inWidth: W, inChannels: CI, outChannels: CO } = ci;
  const KH = ci.filterHeight, KW = ci.filterWidth, OH = ci.outHeight, OW = ci.outWidth, K = KH * KW * CI;
  const geometry = [B, H, W, CI, CO, KH, KW, ci.strideHeight, ci.strideWidth, ci.padInfo.top, ci.padInfo.left, OH, OW];
  const k = pool.k;
  pool.reset();
  const heap = new Float32Array(b.wasm.asm.memory.buffer);
  const copyIn = (t: tf.TensorInfo, floats: number) => {
    const at = pool.alloc(4 * floats + 4 * SLACK);
    const sh = new Float32Array(pool.memory.buffer);
    const t0 = ptr(b, t) / 4;
    sh.set(heap.subarray(t0, t0 + floats), at / 4);
    sh.fill(0, at / 4 + floats, at / 4 + floats + SLACK);
    return at;
  };
  const nOut = kind === "forward" ? B * OH * OW * CO : kind === "backpropInput" ? B * H * W * CI : K * CO;
  const nA = kind === "backpropInput" ? B * OH * OW * CO : B * H * W * CI;
  const nC = kind === "backpropFilter" ? B * OH * OW * CO : K * CO;
  const pa = copyIn(a, nA), pc = copyIn(c, nC);
  const y = pool.alloc(4 * nOut);
  if (kind === "forward") {
    count("Conv2D/im2col-threads");
    const bp = pool.alloc(4 * k.conv_im2col_packed_floats(K, CO));
    k.conv_im2col_pack(pc, bp, K, CO);
    const tstride = k.conv_im2col_thread_floats(K);
    const ts = pool.alloc(4 * tstride * pool.nthreads);
    pool.run("conv_im2col_run", [pa, bp, y, ts, tstride, ...geometry], k.conv_im2col_items(B, OH, OW));
  } else if (kind === "backpropInput") {
    count("Conv2DBackpropInput/im2col-threads");
    const bp = pool.alloc(4 * k.conv_im2col_dx_packed_floats(K, CO));
    k.conv_im2col_dx_pack(pc, bp, K, CO);
    const tstride = k.conv_im2col_dx_thread_floats(K, CO);
    const ts = pool.alloc(4 * tstride * pool.nthreads);
    pool.run("conv_im2col_dx_run", [pa, bp, y, ts, tstride, ...geometry], B);
  } else {
    count("Conv2DBackpropFilter/im2col-threads");
    const panels = Math.ceil(CO / 8), chunk = Math.ceil(panels / pool.nthreads);
    const tstride = k.conv_im2col_dw_thread_floats(K, chunk);
    const ts = pool.alloc(4 * tstride * pool.nthreads);
    new Float32Array(pool.memory.buffer).fill(0, y / 4, y / 4 + nOut);
    pool.run("conv_im2col_dw_run", [pa, pc, y, ts, tstride, ...geometry], panels, chunk);
  }
  const sh = new Float32Array(pool.memory.buffer);
  new Float32Array(b.wasm.asm.memory.buffer).set(sh.subarray(y / 4, y / 4 + nOut), ptr(b, out) / 4);
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
  const g: S1Shape = { B: ci.batchSize, H, W, CI, CO, KH, KW, PT, PL, OH, OW, flip: 0 };
  if (useWino(ci, g)) {
    convWino("Conv2D", b, x, w, out, g);
  } else if (useS1(ci, OH * OW, IM2COL_MAX_PIXELS.forward)) {
    convS1("Conv2D", b, x, w, out, g);
  } else if (convMacs(ci) >= MIN_THREADED_MACS && wasmThreadPool()) {
    im2colOnPool("forward", b, x, w, out, ci, wasmThreadPool()!);
  } else {
    count("Conv2D/im2col");
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
  // dx = conv(dy, flipped transposed filter) with padding K-1-p, output H x W
  const g: S1Shape = {
    B: ci.batchSize,
    H: OH,
    W: OW,
    CI: CO,
    CO: CI,
    KH,
    KW,
    PT: KH - 1 - PT,
    PL: KW - 1 - PL,
    OH: H,
    OW: W,
    flip: 1,
  };
  if (useWino(ci, g)) {
    convWino("Conv2DBackpropInput", b, dy, w, out, g);
  } else if (useS1(ci, H * W, IM2COL_MAX_PIXELS.backpropInput)) {
    convS1("Conv2DBackpropInput", b, dy, w, out, g);
  } else if (convMacs(ci) >= MIN_THREADED_MACS && wasmThreadPool()) {
    im2colOnPool("backpropInput", b, dy, w, out, ci, wasmThreadPool()!);
  } else {
    count("Conv2DBackpropInput/im2col");
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
  const g: S1Shape = { B: ci.batchSize, H, W, CI, CO, KH, KW, PT, PL, OH, OW, flip: 0 };
  if (useWino(ci, g)) {
    convWinoDw(b, x, dy, out, g);
  } else if (useS1(ci, OH * OW, IM2COL_MAX_PIXELS.backpropFilter)) {
    convS1Dw(b, x, dy, out, g);
  } else if (convMacs(ci) >= MIN_THREADED_MACS && wasmThreadPool()) {
    im2colOnPool("backpropFilter", b, x, dy, out, ci, wasmThreadPool()!);
  } else {
    count("Conv2DBackpropFilter/im2col");
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
 * (NCHW, dilations > 1, non-float32) fall back to the kernels registered before. Also registers
 * `GazeConv2DBias` and `GazeConv2DTransposeBias` (lib/backend/conv_bias.ts).
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
  const withBias = (name: string, conv: (b: WasmBackendLike, args: KernelArgs) => tf.TensorInfo) => {
    if (tf.getKernel(name, backendName)) return;
    tf.registerKernel({
      kernelName: name,
      backendName,
      kernelFunc: (args) => {
        const b = args.backend as unknown as WasmBackendLike;
        const out = conv(b, args);
        if (tf.util.sizeFromShape(out.shape) > 0) {
          const [B, OH, OW, CO] = out.shape;
          heapState(b).k.add_bias(ptr(b, out), ptr(b, (args.inputs as { bias: tf.TensorInfo }).bias), B * OH * OW, CO);
        }
        return out;
      },
    });
    done.push(name);
  };
  withBias(CONV_BIAS_KERNEL, (b, args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as Record<string, unknown>;
    if (!supported(a, x, filter)) throw new Error(`${CONV_BIAS_KERNEL}: NHWC float32 with dilation 1 only`);
    return conv2dForward(b, x, filter, convInfo(x.shape, filter.shape, a));
  });
  withBias(CONV_TRANSPOSE_BIAS_KERNEL, (b, args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as Record<string, unknown>;
    if (!supported(a, dy, filter)) throw new Error(`${CONV_TRANSPOSE_BIAS_KERNEL}: NHWC float32 only`);
    return conv2dBackpropInput(b, dy, filter, convInfo(a.inputShape as number[], filter.shape, a));
  });
  return done;
}
