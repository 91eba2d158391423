/**
 * Stop-gradient for tfjs, which has no such op.
 *
 * How the toolkit does it: {@link stopGradient} is a `tf.customGrad` identity whose gradient is
 * zero, so a value can be used inside a differentiated function (e.g. the teacher's D_s in AFC,
 * the target logits in CWC) without any gradient reaching the variables behind it. Targets that are
 * computed outside the function given to `tf.variableGrads` / `optimizer.minimize` are constants
 * anyway; `stopGradient` is for values computed inside it.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Tensor } from "../backend/tensor_types.ts";

// tfjs types the callback's arguments as a union of inputs and the save function, hence the cast.
const identityNoGrad = tf.customGrad(
  ((x: Tensor) => ({
    value: x.clone(),
    gradFunc: (dy: Tensor) => tf.zerosLike(dy),
  })) as unknown as Parameters<typeof tf.customGrad>[0],
);

/**
 * The value of `x` with a zero gradient (PyTorch `x.detach()`, JAX `lax.stop_gradient`).
 * Any shape; returns a new tensor the caller disposes.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { selectBackend, stopGradient } from "../../mod.ts";
 * await selectBackend("cpu");
 * const g = tf.grad((x: tf.Tensor) => tf.mul(stopGradient(x), x).sum())(tf.scalar(3));
 * g.print(); // 3 (only the second factor is differentiated)
 * ```
 */
export function stopGradient<T extends Tensor>(x: T): T {
  return identityNoGrad(x) as T;
}
