/**
 * Convolution plus per-channel bias, and transposed convolution plus bias, each as ONE kernel with
 * registered (lazy) gradients: `conv2dBias` for the models' `conv2d` and `conv2dTransposeBias` for
 * the UNets' up-sampling (`convTranspose2x2`).
 *
 * On the wasm backend the kernels ({@link CONV_BIAS_KERNEL}, {@link CONV_TRANSPOSE_BIAS_KERNEL}) are
 * registered by `registerWasmConvKernels` (which `selectBackend("wasm")` calls): the toolkit's
 * `Conv2D` / `Conv2DBackpropInput`, then the bias added in place (one f32 addition per element, as
 * `Add`), instead of that kernel plus an `Add`. The gradients are the ones tfjs derives for the
 * composites `add(conv2d(x, w), b)` and `add(conv2dTranspose(x, w), b)`, as the same kernels with
 * the same attributes (`Conv2DBackpropInput`/`Conv2D` for x, `Conv2DBackpropFilter` for w, `Sum`
 * over B, H, W for b), and like tfjs's own they are thunks: the engine computes only the ones on
 * the path to the variables (no input gradient for an image). So values and gradients are
 * bit-identical to the composites (tests/backend/wasm_fused_conv_test.ts). Backends without the
 * kernels run the composites themselves.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor, Tensor4D } from "./tensor_types.ts";

/** Kernel of {@link conv2dBias}: inputs `x`, `filter`, `bias`; attrs as `Conv2D` (NHWC, dilation 1). */
export const CONV_BIAS_KERNEL = "GazeConv2DBias";
/** Kernel of {@link conv2dTransposeBias}: inputs `dy` (the op's input), `filter`, `bias`; attrs as `Conv2DBackpropInput`. */
export const CONV_TRANSPOSE_BIAS_KERNEL = "GazeConv2DTransposeBias";

/** Stride and padding of {@link conv2dBias} and {@link conv2dTransposeBias} (as tfjs's conv2d / conv2dTranspose). */
export interface ConvBiasOptions {
  /** Stride (one number for both axes, or [height, width]). */
  strides: number | [number, number];
  /** Padding mode. */
  pad: "valid" | "same";
}

type Pad = ConvBiasOptions["pad"];
type Strides = ConvBiasOptions["strides"];

function backpropFilter(x: Tensor, dy: Tensor, filterShape: number[], strides: Strides, pad: Pad): Tensor {
  // tfjs-core's conv2DBackpropFilter op (not exported by the package) with the attrs it passes
  const attrs = { strides, pad, dataFormat: "NHWC", dimRoundingMode: undefined, filterShape };
  return tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, attrs as unknown as tf.NamedAttrMap) as Tensor;
}

/** The bias gradient of `add(y, bias)`: tfjs's Add gradient for the broadcast operand. */
function biasGrad(dy: Tensor, bias: Tensor): Tensor {
  return tf.reshape(tf.sum(dy, [0, 1, 2]), bias.shape);
}

tf.registerGradient({
  kernelName: CONV_BIAS_KERNEL,
  inputsToSave: ["x", "filter", "bias"],
  gradFunc: (dy, saved, attrs) => {
    const [x, filter, bias] = saved as Tensor4D[];
    const { strides, pad } = attrs as unknown as { strides: Strides; pad: Pad };
    const d = dy as Tensor4D;
    return {
      x: () => tf.conv2dTranspose(d, filter, x.shape, strides, pad),
      filter: () => backpropFilter(x, d, filter.shape, strides, pad),
      bias: () => biasGrad(d, bias),
    };
  },
});

tf.registerGradient({
  kernelName: CONV_TRANSPOSE_BIAS_KERNEL,
  inputsToSave: ["dy", "filter", "bias"],
  gradFunc: (ddx, saved, attrs) => {
    const [x, filter, bias] = saved as Tensor4D[];
    const { strides, pad } = attrs as unknown as { strides: Strides; pad: Pad };
    const d = ddx as Tensor4D;
    return {
      dy: () => tf.conv2d(d, filter, strides, pad, "NHWC", 1),
      filter: () => backpropFilter(d, x, filter.shape, strides, pad),
      bias: () => biasGrad(d, bias),
    };
  },
});

function fusable(kernel: string, x: Tensor, bias: Tensor, channels: number): boolean {
  return tf.getKernel(kernel, tf.getBackend()) !== undefined && x.dtype === "float32" && x.rank === 4 &&
    bias.dtype === "float32" && bias.rank === 1 && bias.shape[0] === channels;
}

/**
 * `add(conv2d(x, filter, strides, pad), bias)` (NHWC, dilation 1) as one kernel where the backend
 * has {@link CONV_BIAS_KERNEL} (see the module doc), the composite elsewhere.
 *
 * @param x `[B, H, W, in]`.
 * @param filter `[KH, KW, in, out]`.
 * @param bias `[out]`.
 */
export function conv2dBias(
  x: Tensor4D,
  filter: Tensor4D,
  bias: Tensor,
  options: ConvBiasOptions,
): Tensor4D {
  const { strides, pad } = options;
  if (!fusable(CONV_BIAS_KERNEL, x, bias, filter.shape[3])) {
    return tf.tidy(() => tf.add(tf.conv2d(x, filter, strides, pad), bias) as Tensor4D);
  }
  const attrs = { strides, pad, dataFormat: "NHWC", dilations: 1 } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(CONV_BIAS_KERNEL, { x, filter, bias }, attrs) as Tensor4D;
}

/**
 * `add(conv2dTranspose(x, filter, outputShape, strides, pad), bias)` (NHWC) as one kernel where the
 * backend has {@link CONV_TRANSPOSE_BIAS_KERNEL} (see the module doc), the composite elsewhere.
 *
 * @param x `[B, H, W, in]`.
 * @param filter `[KH, KW, out, in]` (tfjs conv2dTranspose layout).
 * @param bias `[out]`.
 * @param outputShape `[B, OH, OW, out]`.
 */
export function conv2dTransposeBias(
  x: Tensor4D,
  filter: Tensor4D,
  bias: Tensor,
  outputShape: [number, number, number, number],
  options: ConvBiasOptions,
): Tensor4D {
  const { strides, pad } = options;
  if (!fusable(CONV_TRANSPOSE_BIAS_KERNEL, x, bias, outputShape[3])) {
    return tf.tidy(() => tf.add(tf.conv2dTranspose(x, filter, outputShape, strides, pad), bias) as Tensor4D);
  }
  const attrs = { strides, pad, dataFormat: "NHWC", inputShape: outputShape } as unknown as tf.NamedAttrMap;
  return tf.engine().runKernel(CONV_TRANSPOSE_BIAS_KERNEL, { dy: x, filter, bias }, attrs) as Tensor4D;
}
