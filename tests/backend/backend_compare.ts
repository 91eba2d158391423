/**
 * Test helper: run the same tensor computation on two backends and compare.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/core/mod.ts";
import {
  kernelPathStats,
  selectBackend,
  setWasmThreads,
  stopWasmThreads,
  type WasmBackendLike,
  wasmThreadPool,
} from "../../lib/backend/mod.ts";
import { assert } from "../assert.ts";

/** Deterministic uniform values in [-1, 1). */
export function randomValues(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.uniform(-1, 1);
  return v;
}

/**
 * Run `fn` on a backend inside tf.tidy and return the values of its outputs.
 * The inputs are plain arrays so both backends see the same numbers.
 */
export async function runOn(
  backend: "cpu" | "wasm" | "webgpu",
  fn: () => tf.Tensor[],
): Promise<Float32Array[]> {
  await selectBackend(backend, { quiet: true });
  const before = tf.memory().numTensors;
  const outs = tf.tidy(fn);
  const vals = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  assert(tf.memory().numTensors === before, `${backend}: leaked ${tf.memory().numTensors - before} tensors`);
  return vals;
}

/** Max |a-b| relative to max(1, max|b|); throws with a description when above `tol`. */
export function assertClose(a: Float32Array, b: Float32Array, tol: number, what: string): number {
  assert(a.length === b.length, `${what}: length ${a.length} vs ${b.length}`);
  let maxDiff = 0, maxRef = 1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= maxDiff)) maxDiff = Number.isNaN(d) ? Infinity : d;
    maxRef = Math.max(maxRef, Math.abs(b[i]));
  }
  const rel = maxDiff / maxRef;
  assert(rel <= tol, `${what}: max abs diff ${maxDiff} (relative ${rel.toExponential(2)}) > ${tol}`);
  return rel;
}

/** One convolution case of the backend-agreement tests: batch, size, channels in/out, kernel, stride, padding. */
export interface ConvCase {
  b: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  s: number;
  pad: "same" | "valid";
}

/**
 * Run `code` with `deno eval` in an environment holding only NO_COLOR=1 and `env`, as a check of
 * what a module reads from the environment at load. `noConfig`: pass `--no-config` (the code then
 * cannot import through the project's import map).
 */
export async function evalWithEnv(
  code: string,
  env: Record<string, string | undefined>,
  options: { noConfig?: boolean } = {},
): Promise<{ ok: boolean; out: string; err: string }> {
  const vars: Record<string, string> = { NO_COLOR: "1" };
  for (const [k, v] of Object.entries(env)) if (v !== undefined) vars[k] = v;
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["eval", ...(options.noConfig ? ["--no-config"] : []), code],
    env: vars,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout).trim(), err: dec.decode(r.stderr) };
}

/** What {@link runOnOneAndTwoThreads} returns. */
export interface ThreadRuns {
  /** The outputs on one wasm thread. */
  one: Float32Array[];
  /** The outputs on two. */
  two: Float32Array[];
  /** How many times kernel path `key` (kernelPathStats) was taken in the 2-thread run. */
  taken(key: string): number;
}

/**
 * Run `fn` on the wasm backend with 1 thread, then with 2; undefined (after saying so on stderr)
 * when the thread pool cannot start here. Always leaves 1 thread set and the pool stopped.
 */
export async function runOnOneAndTwoThreads(fn: () => tf.Tensor[]): Promise<ThreadRuns | undefined> {
  try {
    setWasmThreads(1);
    const one = await runOn("wasm", fn);
    setWasmThreads(2);
    if (!wasmThreadPool(tf.backend() as unknown as WasmBackendLike)) {
      console.error("skipped: the wasm thread pool could not start here");
      return undefined;
    }
    const before = kernelPathStats();
    const two = await runOn("wasm", fn);
    const after = kernelPathStats();
    return { one, two, taken: (key) => (after[key] ?? 0) - (before[key] ?? 0) };
  } finally {
    setWasmThreads(1);
    stopWasmThreads();
  }
}

/** Assert that two lists of outputs are the same bit for bit (`names` labels them). */
export function assertSameBits(a: Float32Array[], b: Float32Array[], names: string[]): void {
  for (const [j, what] of names.entries()) {
    assert(a[j].length === b[j].length, `${what}: length ${a[j].length} vs ${b[j].length}`);
    assert(a[j].every((v, k) => Object.is(v, b[j][k])), `${what} differs between 1 and 2 threads`);
  }
}
