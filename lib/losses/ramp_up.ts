/**
 * The consistency ramp-up weight w(t).
 *
 * @module
 */

/** Options for {@link rampUpWeight}. */
export interface RampUpOptions {
  /** Ramp length in iterations (default 4000). */
  length?: number;
}

/**
 * w(t) = exp(-5 * (1 - min(t, length) / length)^2): exp(-5) ~ 0.0067 at t = 0, 1 from t = length on.
 *
 * @example
 * ```ts
 * import { rampUpWeight } from "../../mod.ts";
 * console.log(rampUpWeight(4000)); // 1
 * ```
 */
export function rampUpWeight(step: number, options: RampUpOptions = {}): number {
  const length = options.length ?? 4000;
  if (!(length > 0)) throw new Error(`rampUpWeight: length must be > 0, got ${length}`);
  if (!Number.isFinite(step)) throw new Error(`rampUpWeight: step must be a finite number, got ${step}`);
  const r = 1 - Math.min(Math.max(step, 0), length) / length;
  return Math.exp(-5 * r * r);
}
