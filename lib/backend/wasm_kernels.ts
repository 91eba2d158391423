/**
 * Everything the toolkit registers on the tfjs wasm backend, in one call (made by
 * `selectBackend("wasm")`): the SIMD conv kernels, the fused GroupNorm kernels, the copy kernels,
 * the reduce kernels, the small batched matmul, the per-pixel BCE losses and the SGD step's loop, all from
 * lib/backend/native/gaze_kernels.c.
 *
 * `GAZE_WASM_KERNELS=off` in the environment leaves the stock tfjs kernels in place (plus the
 * tf-ops Conv2DBackpropFilter), e.g. to measure the difference. Where the engine cannot compile
 * the module (it needs WebAssembly SIMD and relaxed SIMD), the stock kernels stay too.
 *
 * @module
 */
import { GAZE_KERNELS_WASM_BASE64 } from "./gaze_kernels_wasm.ts";
import { registerWasmConvKernels } from "./wasm_conv_kernels.ts";
import { registerWasmGroupNorm } from "./group_norm.ts";
import { registerWasmFeatureProp } from "./feature_prop.ts";
import { registerWasmCopyKernels } from "./wasm_copy_kernels.ts";
import { registerWasmReduceKernels } from "./wasm_reduce_kernels.ts";
import { registerWasmMatMulKernels } from "./wasm_matmul_kernels.ts";
import { useNativeSgdStep } from "./sgd_kernel.ts";
import { registerWasmPixelBce } from "./pixel_bce.ts";

/** What {@link registerGazeWasmKernels} did. */
export interface GazeWasmKernelsResult {
  /** Kernel names registered by this call. */
  registered: string[];
  /** Why nothing was registered, when so. */
  skipped?: string;
}

function moduleCompiles(): boolean {
  const bin = atob(GAZE_KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return WebAssembly.validate(bytes as BufferSource);
}

/**
 * Register the toolkit's kernels on a wasm backend (default "wasm"), unless `GAZE_WASM_KERNELS=off`
 * or the engine cannot compile the module. Idempotent.
 */
export function registerGazeWasmKernels(backendName = "wasm"): GazeWasmKernelsResult {
  let env: string | undefined;
  try {
    env = Deno.env.get("GAZE_WASM_KERNELS");
  } catch {
    env = undefined;
  }
  if (env === "off") return { registered: [], skipped: "GAZE_WASM_KERNELS=off" };
  if (env !== undefined && env !== "" && env !== "on") {
    throw new Error(`GAZE_WASM_KERNELS must be 'on' or 'off', got '${env}'`);
  }
  if (!moduleCompiles()) {
    return { registered: [], skipped: "this engine cannot compile gaze_kernels.wasm (needs wasm SIMD + relaxed SIMD)" };
  }
  const registered = [...registerWasmConvKernels(backendName)];
  if (registerWasmGroupNorm(backendName)) registered.push("GazeGroupNorm", "GazeGroupNormGrad");
  if (registerWasmFeatureProp(backendName)) registered.push("GazeFeatureProp", "GazeFeaturePropGrad");
  registered.push(...registerWasmCopyKernels(backendName), ...registerWasmReduceKernels(backendName));
  registered.push(...registerWasmMatMulKernels(backendName));
  if (registerWasmPixelBce(backendName)) registered.push("GazePixelBce", "GazePixelBceGrad");
  useNativeSgdStep(backendName);
  return { registered };
}
