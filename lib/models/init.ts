/**
 * Deterministic parameter initialisers (PyTorch defaults), drawing from the toolkit's seeded
 * {@link Rng} so that a seed gives the same weights on every backend.
 *
 * @module
 */
import type { Rng } from "../core/mod.ts";

/** `n` values from U(-bound, bound). */
export function uniformValues(n: number, options: { bound: number; rng: Rng }): Float32Array {
  const out = new Float32Array(n);
  const { bound, rng } = options;
  for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * bound;
  return out;
}

/**
 * PyTorch's default for conv / linear weights and biases, kaiming-uniform with a = sqrt(5):
 * bound = sqrt(6 / ((1 + a^2) fan_in)) = 1 / sqrt(fan_in).
 */
export function kaimingUniformBound(fanIn: number): number {
  if (!(fanIn > 0)) throw new Error(`kaimingUniformBound: fan_in must be > 0, got ${fanIn}`);
  return 1 / Math.sqrt(fanIn);
}

/** Xavier (Glorot) uniform bound sqrt(6 / (fan_in + fan_out)). */
export function xavierUniformBound(fanIn: number, fanOut: number): number {
  return Math.sqrt(6 / (fanIn + fanOut));
}

/**
 * `n` values from a normal(0, std) truncated to [a, b] (absolute bounds, like PyTorch's
 * `nn.init.trunc_normal_(t, std=std)` whose defaults are a = -2, b = 2), by rejection.
 */
export function truncatedNormalValues(
  n: number,
  options: { std: number; rng: Rng; a?: number; b?: number },
): Float32Array {
  const { std, rng } = options;
  const a = options.a ?? -2, b = options.b ?? 2;
  if (!(b > a)) throw new Error(`truncatedNormalValues: need a < b, got [${a}, ${b}]`);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v: number;
    do v = rng.normal(0, std); while (v < a || v > b);
    out[i] = v;
  }
  return out;
}

/** `n` copies of `value`. */
export function constantValues(n: number, value: number): Float32Array {
  return new Float32Array(n).fill(value);
}
