/**
 * Uniform input noise for CWC: x + U(-0.2, 0.2) per element, drawn from the toolkit's seeded Rng.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/mod.ts";

/** Options for {@link addUniformNoise}. */
export interface UniformNoiseOptions {
  /** The generator (a fresh draw per call). */
  rng: Rng;
  /** Half-width a of U(-a, a) (default 0.2). */
  amplitude?: number;
}

/** `x + U(-a, a)` element-wise, any shape; returns a new tensor. */
export function addUniformNoise<T extends tf.Tensor>(x: T, options: UniformNoiseOptions): T {
  void x;
  void options;
  throw new Error("addUniformNoise: not yet implemented");
}
