/**
 * Compute backends: selection (`auto | tensorflow | webgpu | wasm | cpu`) and the
 * kernels the toolkit registers where tfjs lacks them.
 *
 * @module
 */
export * from "./select.ts";
export * from "./wasm_conv2d_backprop_filter.ts";
export * from "./wasm_conv_kernels.ts";
export * from "./group_norm.ts";
export * from "./override_kernel.ts";
export * from "./wasm_copy_kernels.ts";
export * from "./wasm_reduce_kernels.ts";
export * from "./wasm_matmul_kernels.ts";
export * from "./wasm_threads.ts";
export * from "./tensor_types.ts";
export type { GazeKernelExports, WasmBackendLike } from "./gaze_wasm_module.ts";
export * from "./wasm_kernels.ts";
export * from "./sgd_kernel.ts";
export * from "./pixel_bce.ts";
export * from "./flop_counter.ts";
export * from "./probe.ts";
export * from "./conv_bias.ts";
export * from "./feature_prop.ts";
