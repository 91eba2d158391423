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
import { envSwitch } from "./env_switch.ts";
import { countKernelPath, type KernelArgs, type OverrideFunc, overrideKernel } from "./override_kernel.ts";
import { runItems, type WasmThreadPool, wasmThreadPool } from "./wasm_threads.ts";
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
 * Pooled Winograd convolutions transform their filter (and the weight gradient its partial sums)
 * on the pool too from this many input x output channels (64 x 64: 0.09 ms on one thread).
 */
const MIN_THREADED_FILTER = 64 * 64;
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
let winogradEnabled = envSwitch("GAZE_WINOGRAD");

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

/** The thread pool when a convolution of `macs` multiply-adds is worth it (else undefined: one thread). */
function poolFor(b: WasmBackendLike, macs: number): WasmThreadPool | undefined {
  return macs >= MIN_THREADED_MACS ? wasmThreadPool(b) : undefined;
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
  const pool = poolFor(b, B * OH * OW * KH * KW * CI * CO);
  const st = heapState(b);
  const nb = st.k.conv_s1_packed_floats(CI, CO, KH, KW), tstride = st.k.conv_s1_thread_floats();
  if (pool) {
    // the whole batch padded, its work items (images x blocks of virtual rows) shared out
    count(`${kernel}/s1-threads`);
    const nx = B * Hp * Wp * CI + SLACK;
    const s = scratch(b, st, 4 * (nb + nx + tstride * pool.nthreads));
    const bp = s, xp = s + 4 * nb, ts = xp + 4 * nx;
    st.k.conv_s1_pack(ptr(b, w), bp, CI, CO, KH, KW, flip);
    st.k.pad_batch(ptr(b, x), xp, B, H, W, CI, Hp, Wp, PT, PL);
    const args = [xp, bp, ptr(b, out), ts, tstride, B, Hp, Wp, CI, CO, KH, KW, OH, OW];
    pool.run("conv_s1_run", args, st.k.conv_s1_items(B, KW, OH, OW));
    return;
  }
  count(`${kernel}/s1`);
  // one image at a time, so the padded copy in scratch stays one image large
  const direct = PT === 0 && PL === 0 && Hp === H && Wp === W;
  const nx = direct ? 0 : Hp * Wp * CI + SLACK;
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
  const pool = poolFor(b, B * OH * OW * 9 * CI * CO);
  const wt = winoChunk(B * (OH / 2) * (OW / 2), pool?.nthreads ?? 1);
  // one column panel of outputs: the kernel fused per tile (no GEMM calls, no M buffer)
  const fn = CO <= 8 ? "conv_wino1_run" : "conv_wino_run";
  count(pool ? `${kernel}/wino-threads` : `${kernel}/wino`);
  const st = heapState(b);
  const nx = B * Hp * Wp * CI + SLACK;
  const nu = st.k.conv_wino_packed_floats(CI, CO), tstride = st.k.conv_wino_thread_floats(CI, CO, wt);
  const s = scratch(b, st, 4 * (nu + nx + tstride * (pool?.nthreads ?? 1)));
  const ub = s, xp = s + 4 * nu, ts = xp + 4 * nx;
  if (pool && CI * CO >= MIN_THREADED_FILTER) {
    if (CO % 8) new Float32Array(b.wasm.asm.memory.buffer, ub, nu).fill(0); // columns past CO
    pool.run("conv_wino_pack_run", [ptr(b, w), ub, CI, CO, flip], CI);
  } else {
    st.k.conv_wino_pack(ptr(b, w), ub, CI, CO, flip);
  }
  st.k.pad_batch(ptr(b, x), xp, B, H, W, CI, Hp, Wp, PT, PL);
  const args = [xp, ub, ptr(b, out), ts, tstride, B, Hp, Wp, CI, CO, wt, OH, OW];
  runItems(st.k, { name: fn, args, items: st.k.conv_wino_items(B, OH, OW, wt), chunk: 1, pool });
}

/** Winograd weight gradient of a stride-1 3x3 convolution on one thread or on the pool. */
function convWinoDw(b: WasmBackendLike, x: tf.TensorInfo, dy: tf.TensorInfo, out: tf.TensorInfo, g: S1Shape) {
  const { B, H, W, CI, CO, PT, PL, OH, OW } = g;
  const Hp = OH + 2, Wp = OW + 2, nx = B * Hp * Wp * CI + SLACK;
  const pool = poolFor(b, B * OH * OW * 9 * CI * CO), bigFilter = CI * CO >= MIN_THREADED_FILTER;
  count(pool ? "Conv2DBackpropFilter/wino-threads" : "Conv2DBackpropFilter/wino");
  const st = heapState(b);
  const nch = st.k.conv_wino_dw_chunks(B, OH, OW), np = st.k.conv_wino_dw_partial_floats(CI, CO);
  const tstride = st.k.conv_wino_dw_thread_floats(CI, CO, WINO_MAX_CHUNK);
  const s = scratch(b, st, 4 * (nx + nch * np + tstride * (pool?.nthreads ?? 1)));
  const xp = s, part = s + 4 * nx, ts = part + 4 * nch * np;
  st.k.pad_batch(ptr(b, x), xp, B, H, W, CI, Hp, Wp, PT, PL);
  // wide filters and fewer chunks than 2 per thread (small images): each chunk's 16 positions in two
  // halves, so threads share it (4 groups or more cost more in repeated transforms than they gain:
  // 8x4x4 128->128 on 2 threads, 1 / 2 / 4 / 8 groups: 0.91-1.45 / 0.81-0.91 / 0.95-1.64 / 1.41-2.26 ms)
  const xg = pool && bigFilter && nch < 2 * pool.nthreads ? 2 : 1;
  const args = [xp, ptr(b, dy), part, ts, tstride, B, Hp, Wp, CI, CO, WINO_MAX_CHUNK, OH, OW, xg];
  runItems(st.k, { name: "conv_wino_dw_run", args, items: nch * xg, chunk: 1, pool });
  const finish = [part, nch, ptr(b, out), CI, CO];
  runItems(st.k, { name: "conv_wino_dw_finish_run", args: finish, items: CI, pool: bigFilter ? pool : undefined });
}

/** Stride-1 weight gradient on one thread or on the pool. */
function convS1Dw(b: WasmBackendLike, x: tf.TensorInfo, dy: tf.TensorInfo, out: tf.TensorInfo, g: S1Shape) {
  const { B, H, W, CI, CO, KH, KW, PT, PL, OH, OW } = g;
  const Hp = OH + KH - 1, Wp = OW + KW - 1, nw = KH * KW * CI * CO;
  const pool = poolFor(b, B * OH * OW * KH * KW * CI * CO);
  const st = heapState(b);
  const tstride = st.k.conv_s1_dw_thread_floats(CO, KW, OH, OW), dw = ptr(b, out);
  new Float32Array(b.wasm.asm.memory.buffer, dw, nw).fill(0);
  const items = KH * KW * Math.ceil(CO / 8);
  if (pool) {
    // the whole batch padded; chunks of a third of the taps of one column panel (dy is packed once per chunk and image)
    count("Conv2DBackpropFilter/s1-threads");
    const nx = B * Hp * Wp * CI + SLACK;
    const s = scratch(b, st, 4 * (nx + tstride * pool.nthreads));
    st.k.pad_batch(ptr(b, x), s, B, H, W, CI, Hp, Wp, PT, PL);
    const args = [s, ptr(b, dy), dw, s + 4 * nx, tstride, B, Hp, Wp, CI, CO, KH, KW, OH, OW];
    pool.run("conv_s1_dw_run", args, items, Math.ceil(KH * KW / 3));
    return;
  }
  count("Conv2DBackpropFilter/s1");
  const nx = Hp * Wp * CI + SLACK;
  const s = scratch(b, st, 4 * (nx + tstride));
  const x0 = ptr(b, x), dy0 = ptr(b, dy);
  for (let i = 0; i < B; i++) {
    st.k.pad_batch(x0 + 4 * i * H * W * CI, s, 1, H, W, CI, Hp, Wp, PT, PL);
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
 * An im2col kernel on the thread pool, in place in the backend's heap: the threaded form (forward:
 * chunks of output pixels; input gradient: images; weight gradient: column panels of 8, one range
 * per thread). Each form computes every output element with the same code and in the same order
 * as the single-thread kernel, so the result does not depend on the thread count
 * (tests/backend/wasm_threads_test.ts).
 */
function im2colOnPool(
  kind: Im2colKind,
  b: WasmBackendLike,
  a: tf.TensorInfo,
  c: tf.TensorInfo,
  out: tf.TensorInfo,
  ci: Conv2DInfo,
  pool: WasmThreadPool,
) {
  const B = ci.batchSize, { inHeight: H, inWidth: W, inChannels: CI, outChannels: CO } = ci;
  const KH = ci.filterHeight, KW = ci.filterWidth, OH = ci.outHeight, OW = ci.outWidth, K = KH * KW * CI;
  const geometry = [B, H, W, CI, CO, KH, KW, ci.strideHeight, ci.strideWidth, ci.padInfo.top, ci.padInfo.left, OH, OW];
  const st = heapState(b), k = st.k, n = pool.nthreads;
  const pa = ptr(b, a), pc = ptr(b, c), y = ptr(b, out);
  if (kind === "forward") {
    count("Conv2D/im2col-threads");
    const nb = k.conv_im2col_packed_floats(K, CO), tstride = k.conv_im2col_thread_floats(K);
    const bp = scratch(b, st, 4 * (nb + tstride * n));
    k.conv_im2col_pack(pc, bp, K, CO);
    pool.run("conv_im2col_run", [pa, bp, y, bp + 4 * nb, tstride, ...geometry], k.conv_im2col_items(B, OH, OW));
  } else if (kind === "backpropInput") {
    count("Conv2DBackpropInput/im2col-threads");
    const nb = k.conv_im2col_dx_packed_floats(K, CO), tstride = k.conv_im2col_dx_thread_floats(K, CO);
    const bp = scratch(b, st, 4 * (nb + tstride * n));
    k.conv_im2col_dx_pack(pc, bp, K, CO);
    pool.run("conv_im2col_dx_run", [pa, bp, y, bp + 4 * nb, tstride, ...geometry], B);
  } else {
    count("Conv2DBackpropFilter/im2col-threads");
    const panels = Math.ceil(CO / 8), chunk = Math.ceil(panels / n);
    const tstride = k.conv_im2col_dw_thread_floats(K, chunk);
    const ts = scratch(b, st, 4 * tstride * n);
    new Float32Array(b.wasm.asm.memory.buffer, y, K * CO).fill(0);
    pool.run("conv_im2col_dw_run", [pa, pc, y, ts, tstride, ...geometry], panels, chunk);
  }
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
  } else if (poolFor(b, convMacs(ci))) {
    im2colOnPool("forward", b, x, w, out, ci, poolFor(b, convMacs(ci))!);
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
  } else if (poolFor(b, convMacs(ci))) {
    im2colOnPool("backpropInput", b, dy, w, out, ci, poolFor(b, convMacs(ci))!);
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
  } else if (poolFor(b, convMacs(ci))) {
    im2colOnPool("backpropFilter", b, x, dy, out, ci, poolFor(b, convMacs(ci))!);
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
