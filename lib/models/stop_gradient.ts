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
import type { Scalar, Tensor } from "../backend/tensor_types.ts";

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

/**
 * `fn()` computed with the gradient tape off: one tape node without inputs, so the result is a
 * constant for any enclosing `tf.grad` / `tf.variableGrads` and none of `fn`'s ops is
 * differentiated (with {@link stopGradient} the ops downstream of it are still differentiated, to
 * produce a zero). For values derived from detached targets (CWC's confidence sets, AFC's teacher
 * maps). If the tensors `fn` reads must still get a (zero) gradient, add
 * {@link zeroGradientLink} of them to the result. Returns a new tensor the caller disposes.
 */
export function detached<T extends Tensor>(fn: () => T): T {
  const f = tf.customGrad(
    (() => ({ value: fn(), gradFunc: () => [] })) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return (f as unknown as () => T)();
}

/**
 * A scalar 0 whose gradient with respect to each of `xs` is zero. Adding it to a loss that uses
 * `xs` only through {@link detached} keeps them connected, so differentiating with respect to them
 * gives zeros (as with {@link stopGradient}) instead of an error. Costs one zero fill per input in
 * the backward pass.
 */
export function zeroGradientLink(xs: Tensor[]): Scalar {
  const f = tf.customGrad(
    ((...args: tf.Tensor[]) => {
      const inputs = args.slice(0, xs.length);
      return { value: tf.scalar(0), gradFunc: () => inputs.map((x) => tf.zerosLike(x)) };
    }) as unknown as Parameters<typeof tf.customGrad>[0],
  );
  return (f as unknown as (...t: tf.Tensor[]) => tf.Scalar)(...xs);
}
