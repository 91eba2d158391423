/**
 * Test helper: finite-difference gradient checks on the cpu backend (float32), and a tensor-leak
 * guard. Central differences f(v + h) - f(v - h) / 2h on a sample of coordinates of each variable,
 * compared with tfjs's analytic gradient (`tf.variableGrads`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/core/mod.ts";

/** Options for {@link checkGradients}. */
export interface GradCheckOptions {
  /** Coordinates sampled per variable (default 6). */
  samples?: number;
  /** Step (default 1e-2). */
  h?: number;
  /** Relative tolerance (default 2e-2). */
  rtol?: number;
  /** Absolute tolerance as a share of the largest analytic gradient entry (default 2e-3). */
  atolShare?: number;
  /** Seed of the coordinate sampling (default 0). */
  seed?: number;
}

/** Result: the worst coordinate per variable, for assertion messages. */
export interface GradCheckReport {
  /** Number of coordinates compared. */
  compared: number;
  /** Human-readable list of mismatches (empty when all agree). */
  failures: string[];
  /** Largest analytic gradient magnitude seen (to assert the check is not vacuous). */
  maxAbsGrad: number;
}

/**
 * Compare analytic and finite-difference gradients of `f` with respect to `vars`.
 * `f` must be deterministic and return a scalar; it is called inside `tf.tidy`.
 */
export function checkGradients(
  f: () => tf.Scalar,
  vars: Record<string, tf.Variable>,
  options: GradCheckOptions = {},
): GradCheckReport {
  const samples = options.samples ?? 6, h = options.h ?? 1e-2, rtol = options.rtol ?? 2e-2;
  const rng = new Rng(options.seed ?? 0);
  const list = Object.values(vars);
  const { value, grads } = tf.variableGrads(f, list);
  value.dispose();
  const failures: string[] = [];
  let compared = 0, maxAbsGrad = 0;
  const analytic = new Map<string, Float32Array>();
  for (const [name, v] of Object.entries(vars)) {
    const g = grads[v.name];
    const data = g.dataSync() as Float32Array;
    analytic.set(name, data);
    for (const x of data) maxAbsGrad = Math.max(maxAbsGrad, Math.abs(x));
  }
  tf.dispose(grads);
  const atol = (options.atolShare ?? 2e-3) * maxAbsGrad;
  const evalAt = (v: tf.Variable, base: Float32Array, i: number, delta: number) => {
    const changed = base.slice();
    changed[i] += delta;
    tf.tidy(() => v.assign(tf.tensor(changed, v.shape, "float32")));
    const y = tf.tidy(() => f().dataSync()[0]);
    return y;
  };
  for (const [name, v] of Object.entries(vars)) {
    const base = v.dataSync().slice() as Float32Array;
    const g = analytic.get(name)!;
    const idx = new Set<number>();
    // Always include the largest-gradient coordinate, then random ones.
    let best = 0;
    for (let i = 1; i < g.length; i++) if (Math.abs(g[i]) > Math.abs(g[best])) best = i;
    idx.add(best);
    while (idx.size < Math.min(samples, base.length)) idx.add(rng.int(0, base.length - 1));
    for (const i of idx) {
      const fd = (evalAt(v, base, i, h) - evalAt(v, base, i, -h)) / (2 * h);
      compared++;
      const tol = atol + rtol * Math.max(Math.abs(fd), Math.abs(g[i]));
      if (!(Math.abs(fd - g[i]) <= tol)) failures.push(`${name}[${i}]: analytic ${g[i]}, finite difference ${fd}`);
    }
    tf.tidy(() => v.assign(tf.tensor(base, v.shape, "float32")));
  }
  return { compared, failures, maxAbsGrad };
}

/** Random normal values as a variable (seeded with the toolkit's Rng, not tf's). */
export function randomVariable(shape: number[], rng: Rng, scale = 1): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal(0, scale);
  return tf.tidy(() => tf.variable(tf.tensor(data, shape, "float32")));
}

/** Random normal values as a tensor (seeded). */
export function randomTensor(shape: number[], rng: Rng, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal(0, scale);
  return tf.tensor(data, shape, "float32");
}

/** Run `fn` and throw when the number of live tensors differs before and after. */
export async function noLeak(what: string, fn: () => void | Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`${what}: leaked ${after - before} tensors (${before} -> ${after})`);
}
