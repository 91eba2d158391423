/**
 * A small thread pool for the toolkit's wasm kernels: worker threads (node:worker_threads, so
 * that they can be unref'd and never keep the process alive) each run an instance of the kernel
 * module on one shared `WebAssembly.Memory`. The tfjs wasm heap is not shared, so a threaded
 * kernel copies its inputs into the pool's heap, runs `fn(...args, part, nparts)` on every
 * thread (the calling thread does part 0) and copies the result back.
 *
 * By default the pool has one thread per core, at most {@link DEFAULT_WASM_THREADS_MAX} (2): on
 * this project's 2-core machine, with the Winograd kernels (commit e0283fa; 1 vs 2 threads
 * alternating in one process), two threads make a cpu-profile training iteration 1.09x (FGI),
 * 1.11x (GazeMedSeg) and 1.21x (full supervision) faster, single-level gaze within the noise
 * (README, "Tests and benchmarks"); more threads were not measured. `GAZE_WASM_THREADS=N` in the environment or
 * {@link setWasmThreads} sets another count (`N = 1`: no pool; `N = 0`: one per core, no cap). Work
 * is handed out in chunks that threads claim, so a thread that gets less CPU does less; still,
 * every kernel ends when the last claimed chunk is done, so on a machine whose cores are busy with
 * other jobs a preempted thread stalls the rest: when several trainings share the cores (two runs
 * on two cores, a SLURM node), give each `GAZE_WASM_THREADS` = its cores. A kernel's result does
 * not depend on the thread count (threads write disjoint outputs, each summed in the same order).
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { type GazeKernelExports, gazeKernelsSharedModule } from "./gaze_wasm_module.ts";

const PAGE = 65536;
const CTL_OFFSET = 1024;
const MAX_THREADS = 16;
const SLOTS = { seq: 0, fn: 1, nargs: 2, items: 3, chunk: 4, next: 5, args: 8, busy: 40, err: 40 + MAX_THREADS };
const CTL_INTS = 40 + 2 * MAX_THREADS;
const HEAP_START = 4096;
/** `next` while no job is open: its tag (bits 20-31, 0xfff) is no job's (seq mod 1024). */
const CLOSED = -1;
/** Kernel-module functions the pool can run on all threads (they take `part, nparts` last). */
export type PoolFunction =
  | "conv_s1_run"
  | "conv_s1_dw_run"
  | "conv_im2col_run"
  | "conv_im2col_dw_run"
  | "conv_im2col_dx_run"
  | "conv_wino_run"
  | "conv_wino1_run"
  | "conv_wino_dw_run";
/** Functions the workers can run (index = function id in the control block). */
const RUNNABLE: readonly PoolFunction[] = [
  "conv_s1_run",
  "conv_s1_dw_run",
  "conv_im2col_run",
  "conv_im2col_dw_run",
  "conv_im2col_dx_run",
  "conv_wino_run",
  "conv_wino1_run",
  "conv_wino_dw_run",
];

/** A running pool. */
export interface WasmThreadPool {
  /** Threads including the calling one. */
  nthreads: number;
  /** The kernel exports bound to the shared heap, for the calling thread. */
  k: GazeKernelExports;
  /** The shared heap. */
  memory: WebAssembly.Memory;
  /** Forget all allocations (call at the start of each kernel). */
  reset(): void;
  /** Allocate `bytes` (16-byte aligned) in the shared heap, growing it if needed; returns the offset. */
  alloc(bytes: number): number;
  /**
   * Run `name(...args, part, i0, i1)` over work items [0, items): every thread (the caller
   * included, as part 0) claims chunks of `chunk` items (default: about 4 per thread) until none
   * are left, so a thread that gets less CPU simply does fewer chunks. Returns when all are done.
   */
  run(name: PoolFunction, args: number[], items: number, chunk?: number): void;
}

/** The most threads the default pool takes (one per core up to this; measured on 2 cores only). */
export const DEFAULT_WASM_THREADS_MAX = 2;

let wanted: number | undefined;
let pool: WasmThreadPool | undefined;
let failed: string | undefined;

function requestedThreads(): number {
  let n = wanted;
  if (n === undefined) {
    let env: string | undefined;
    try {
      env = Deno.env.get("GAZE_WASM_THREADS");
    } catch {
      env = undefined; // no env permission: default
    }
    if (env === undefined || env === "") {
      return Math.min(DEFAULT_WASM_THREADS_MAX, Math.max(1, navigator.hardwareConcurrency ?? 1));
    }
    n = Number(env);
    if (!Number.isInteger(n) || n < 0) {
      throw new Error(`GAZE_WASM_THREADS must be a whole number >= 0 (0: one per core), got '${env}'`);
    }
  }
  if (n === 0) n = navigator.hardwareConcurrency ?? 1;
  return Math.min(MAX_THREADS, Math.max(1, n));
}

/**
 * Set the number of threads the wasm kernels use (1: none; 0: one per core). Takes effect for
 * the next kernel; a running pool of another size is stopped.
 */
export function setWasmThreads(n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`setWasmThreads: expected a whole number >= 0, got ${n}`);
  wanted = n;
  if (pool && pool.nthreads !== requestedThreads()) stopWasmThreads();
}

/**
 * Threads the wasm kernels use (1: no pool): the count set by {@link setWasmThreads} or
 * `GAZE_WASM_THREADS`, else the default; 1 when the pool failed to start.
 */
export function wasmThreadCount(): number {
  return failed ? 1 : requestedThreads();
}

/** Stop the pool's workers (a later threaded kernel starts a new pool). */
export function stopWasmThreads(): void {
  const p = pool as (WasmThreadPool & { stop(): void }) | undefined;
  pool = undefined;
  p?.stop();
}

/** Why the pool could not start, if it failed (threaded kernels then run on one thread). */
export function wasmThreadsError(): string | undefined {
  return failed;
}

function startPool(n: number): WasmThreadPool {
  const module = gazeKernelsSharedModule();
  const memory = new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true });
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as GazeKernelExports;
  const ctl = new Int32Array(memory.buffer, CTL_OFFSET, CTL_INTS);
  const script = fileURLToPath(new URL("./wasm_thread_worker.ts", import.meta.url));
  const workers: Worker[] = [];
  for (let part = 1; part < n; part++) {
    const w = new Worker(script, {
      workerData: {
        module,
        memory,
        ctlOffset: CTL_OFFSET,
        ctlInts: CTL_INTS,
        names: [...RUNNABLE],
        part,
        nparts: n,
        slots: SLOTS,
      },
    });
    workers.push(w);
  }
  let top = HEAP_START;
  let seq = 0;
  const p = {
    nthreads: n,
    k,
    memory,
    reset() {
      top = HEAP_START;
    },
    alloc(bytes: number) {
      const at = top;
      top += Math.ceil(bytes / 16) * 16;
      const need = top - memory.buffer.byteLength;
      if (need > 0) memory.grow(Math.ceil(need / PAGE));
      return at;
    },
    run(name: PoolFunction, args: number[], items: number, chunk?: number) {
      if (!(items >= 0 && items < 2 ** 19)) throw new Error(`wasm thread pool: ${items} work items (max 2^19)`);
      const step = Math.max(1, Math.floor(chunk ?? items / (4 * n)));
      // closed while the job is written: a worker still on an earlier job can claim nothing from
      // this one (its claims compare the tag and never move the counter of another job)
      Atomics.store(ctl, SLOTS.next, CLOSED);
      ctl[SLOTS.fn] = RUNNABLE.indexOf(name);
      ctl[SLOTS.nargs] = args.length;
      ctl.set(args, SLOTS.args);
      ctl[SLOTS.items] = items;
      ctl[SLOTS.chunk] = step;
      seq++;
      // next = (seq mod 1024) << 20 | first unclaimed item: a worker claims by compare-and-swap
      // only while the tag is its job's, so one that read another job's arguments computes nothing
      // and leaves this job's items alone (see wasm_thread_worker.ts)
      const tag = (seq & 0x3ff) << 20;
      Atomics.store(ctl, SLOTS.next, tag);
      Atomics.store(ctl, SLOTS.seq, seq);
      Atomics.notify(ctl, SLOTS.seq);
      const fn = k[name] as (...a: number[]) => void;
      for (let i = Atomics.add(ctl, SLOTS.next, step) - tag; i < items; i = Atomics.add(ctl, SLOTS.next, step) - tag) {
        fn(...args, 0, i, Math.min(items, i + step));
      }
      // every chunk is claimed; wait for the workers still computing one
      for (let part = 1; part < n; part++) {
        const deadline = performance.now() + 600_000;
        while (Atomics.load(ctl, SLOTS.busy + part) === 1) {
          if (performance.now() > deadline) throw new Error(`wasm thread ${part} did not finish ${name}`);
          Atomics.wait(ctl, SLOTS.busy + part, 1, 1000);
        }
        if (Atomics.exchange(ctl, SLOTS.err + part, 0)) throw new Error(`wasm thread ${part} failed in ${name}`);
      }
    },
    stop() {
      ctl[SLOTS.fn] = -1;
      Atomics.store(ctl, SLOTS.next, CLOSED);
      Atomics.store(ctl, SLOTS.seq, ++seq);
      Atomics.notify(ctl, SLOTS.seq);
      for (const w of workers) void w.terminate();
    },
  };
  // a worker that starts late finds the job posted (Atomics.wait returns at once) or all of its
  // chunks claimed (it then does nothing)
  for (const w of workers) w.unref();
  return p;
}

/** The pool when more than one thread is requested and the pool can start; else undefined. */
export function wasmThreadPool(): WasmThreadPool | undefined {
  const n = requestedThreads();
  if (n <= 1 || failed) return undefined;
  if (pool?.nthreads === n) return pool;
  try {
    pool = startPool(n);
  } catch (err) {
    failed = (err as Error).message;
    console.error(`[gaze-insight] wasm threads unavailable, using one thread: ${failed}`);
    return undefined;
  }
  return pool;
}
