/**
 * Uniform input noise for CWC: x + U(-0.2, 0.2) per element, drawn from the toolkit's seeded Rng.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";
import type { Tensor } from "../backend/tensor_types.ts";

/** Options for {@link addUniformNoise}. */
export interface UniformNoiseOptions {
  /** The generator (a fresh draw per call). */
  rng: Rng;
  /** Half-width a of U(-a, a) (default 0.2). */
  amplitude?: number;
}

/** `x + U(-a, a)` element-wise, any shape; returns a new tensor (values drawn in row-major order). */
export function addUniformNoise<T extends Tensor>(x: T, options: UniformNoiseOptions): T {
  const a = options.amplitude ?? 0.2;
  const noise = new Float32Array(x.size);
  for (let i = 0; i < noise.length; i++) noise[i] = (options.rng.next() * 2 - 1) * a;
  return tf.tidy(() => tf.add(x, tf.tensor(noise, x.shape, "float32")) as T);
}
