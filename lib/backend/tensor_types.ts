/**
 * Names for the tfjs tensor types that appear in the toolkit's public signatures.
 *
 * They are plain aliases of tfjs 4.22's own types (a value of one is a value of the other). The toolkit's exported
 * functions use these names rather than `tf.Tensor4D` so that the types are part of the toolkit's documented
 * surface: `deno doc --lint` otherwise reports every tfjs type reached from `mod.ts` as a private type, because
 * with a local `node_modules` the npm package's declarations count as local files.
 *
 * @example
 * ```ts
 * import * as tf from "npm:@tensorflow/tfjs@4.22.0";
 * import type { Tensor4D } from "../../mod.ts";
 * const x: Tensor4D = tf.zeros([1, 8, 8, 3]);
 * x.dispose();
 * ```
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** A tensor of any rank (tfjs `Tensor`). */
export type Tensor = tf.Tensor;
/** A rank-0 tensor (tfjs `Scalar`), e.g. a loss. */
export type Scalar = tf.Scalar;
/** A rank-1 tensor (tfjs `Tensor1D`). */
export type Tensor1D = tf.Tensor1D;
/** A rank-2 tensor (tfjs `Tensor2D`), e.g. a `[batch, length]` key mask. */
export type Tensor2D = tf.Tensor2D;
/** A rank-3 tensor (tfjs `Tensor3D`), e.g. text tokens `[batch, length, dim]`. */
export type Tensor3D = tf.Tensor3D;
/** A rank-4 tensor (tfjs `Tensor4D`), NHWC images, masks and logits. */
export type Tensor4D = tf.Tensor4D;
/** A trainable (or state) variable (tfjs `Variable`). */
export type Variable = tf.Variable;
/** A backend-level tensor handle (tfjs `TensorInfo`), as kernels see it. */
export type TensorInfo = tf.TensorInfo;
/** A tensor's data type ("float32", "int32", "bool", ...). */
export type DataType = tf.DataType;
/** A backend kernel implementation (tfjs `KernelFunc`). */
export type KernelFunc = tf.KernelFunc;
