/**
 * The standard normal distribution's tails, for the large-sample Wilcoxon test.
 * erfc is computed to near double precision: a positive-term series for |x| < 1.5 and
 * a continued fraction beyond (no subtractive cancellation in the tails).
 *
 * @module
 */

const SQRT_PI = Math.sqrt(Math.PI);

/**
 * The complementary error function erfc(x) = 1 - erf(x), relative error below 1e-13
 * or better over the whole real line.
 *
 * @example
 * ```ts
 * import { erfc } from "../../mod.ts";
 * const v = erfc(1); // 0.15729920705028513
 * ```
 */
export function erfc(x: number): number {
  if (Number.isNaN(x)) throw new Error("erfc: x is NaN");
  if (x < 0) return 2 - erfc(-x);
  if (x < 1.5) {
    // erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1*3*...*(2n+1))
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-17) break;
    }
    return 1 - (2 / SQRT_PI) * Math.exp(-x2) * sum;
  }
  if (x > 27) return 0;
  // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated backwards
  let f = x;
  for (let k = 120; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / SQRT_PI / f;
}

/** P(Z <= z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** P(Z > z) for a standard normal Z (the upper tail, accurate far out). */
export function normalSf(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}
