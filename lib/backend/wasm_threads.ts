/**
 * A small thread pool for the toolkit's wasm kernels: worker threads (node:worker_threads, so
 * that they can be unref'd and never keep the process alive) each run an instance of the kernel
 * module on the tfjs wasm backend's own heap, which `selectBackend` makes shared
 * (lib/backend/wasm_binary.ts), so a threaded kernel reads its inputs and writes its output in
 * place, as on one thread: it runs `fn(...args, part, i0, i1)` on every thread (the calling thread
 * is part 0) and returns when all work items are done.
 *
 * By default the pool has one thread per core, at most {@link DEFAULT_WASM_THREADS_MAX} (2): on
 * this project's 2-core machine two threads make a cpu-profile training iteration faster (gaze1:
 * 78 ms on 2 threads, 108 on 1, 40 steps each on a quiet minute; README, "Tests and
 * benchmarks"); more threads were not measured.
 * `GAZE_WASM_THREADS=N` in the environment or {@link setWasmThreads} sets another count (`N = 1`:
 * no pool; `N = 0`: one per core, no cap). Work is handed out in chunks that threads claim, so a
 * thread that gets less CPU does less; still, every kernel ends when the last claimed chunk is
 * done, so on a machine whose cores are busy with other jobs a preempted thread stalls the rest:
 * when several trainings share the cores (two runs on two cores, a SLURM node), give each
 * `GAZE_WASM_THREADS` = its cores. A kernel's result does not depend on the thread count (threads
 * write disjoint outputs, each summed in the same order).
 *
 * A wasm backend initialised outside `selectBackend` (by `tf.setBackend("wasm")` before it)
 * has an unshared heap: kernels then run on one thread, and {@link wasmThreadsError} says why.
 *
 * @module
 */
import { Worker } from "node:worker_threads";
import { fileURLToPath } from "node:url";
import {
  type GazeKernelExports,
  gazeKernelsSharedModule,
  heapState,
  type WasmBackendLike,
} from "./gaze_wasm_module.ts";

const MAX_THREADS = 16;
const SLOTS = { seq: 0, fn: 1, nargs: 2, items: 3, chunk: 4, next: 5, args: 8, busy: 40, err: 40 + MAX_THREADS };
const CTL_INTS = 40 + 2 * MAX_THREADS;
/** `next` while no job is open: its tag (bits 20-31, 0xfff) is no job's (seq mod 1024). */
const CLOSED = -1;
/**
 * Kernel-module functions the pool can run on all threads (they take `part, i0, i1` last: work
 * items [i0, i1) with the scratch of thread `part`); the index of a name is its function id in the
 * control block.
 */
export const POOL_FUNCTIONS = [
  "conv_s1_run",
  "conv_s1_dw_run",
  "conv_im2col_run",
  "conv_im2col_dw_run",
  "conv_im2col_dx_run",
  "conv_wino_run",
  "conv_wino1_run",
  "conv_wino_dw_run",
  "conv_wino_pack_run",
  "conv_wino_dw_finish_run",
  "group_norm_run",
  "group_norm_grad_run",
  "concat_runs_run",
  "split_runs_run",
  "sum_leading_run",
  "max_pool_grad_run",
] as const;
/** One of {@link POOL_FUNCTIONS}. */
export type PoolFunction = typeof POOL_FUNCTIONS[number];

/** A running pool. */
export interface WasmThreadPool {
  /** Threads including the calling one. */
  nthreads: number;
  /** The heap the workers run on (the wasm backend's). */
  memory: WebAssembly.Memory;
  /**
   * Run `name(...args, part, i0, i1)` (pointers in `args` are offsets in the backend's heap, whose
   * exports heapState gives the caller) over work items [0, items): every thread (the caller
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
/** The last heap the pool was asked for that is not shared (undefined once a shared one gets a pool). */
let unshared: WebAssembly.Memory | undefined;
const UNSHARED = "the tfjs wasm heap is not shared (the wasm backend was initialised before selectBackend)";

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
 * `GAZE_WASM_THREADS`, else the default; 1 when the pool failed to start or the last heap it
 * was asked for is not shared.
 */
export function wasmThreadCount(): number {
  return failed || unshared ? 1 : requestedThreads();
}

/** Stop the pool's workers (a later threaded kernel starts a new pool). */
export function stopWasmThreads(): void {
  const p = pool as (WasmThreadPool & { stop(): void }) | undefined;
  pool = undefined;
  p?.stop();
}

/**
 * Why the pool could not start, or why the last heap it was asked for cannot have one (threaded
 * kernels then run on one thread); undefined when neither.
 */
export function wasmThreadsError(): string | undefined {
  return failed ?? (unshared ? UNSHARED : undefined);
}

function startPool(n: number, backend: WasmBackendLike): WasmThreadPool {
  const memory = backend.wasm.asm.memory;
  // a control block of its own, never freed (288 bytes per pool started): a worker of a stopped
  // pool that runs late sees only its own block (the stop signal), never another pool's jobs,
  // and never writes its flags into memory that malloc has handed out again
  const ctlOffset = backend.wasm._malloc(4 * CTL_INTS) >>> 0;
  if (!ctlOffset) throw new Error("could not allocate the control block in the wasm heap");
  const ctl = new Int32Array(memory.buffer, ctlOffset, CTL_INTS);
  ctl.fill(0);
  Atomics.store(ctl, SLOTS.next, CLOSED);
  const module = gazeKernelsSharedModule();
  const k = heapState(backend).k; // the calling thread's instance on the same heap
  const script = fileURLToPath(new URL("./wasm_thread_worker.ts", import.meta.url));
  const workers: Worker[] = [];
  for (let part = 1; part < n; part++) {
    const w = new Worker(script, {
      workerData: {
        module,
        memory,
        ctlOffset,
        ctlInts: CTL_INTS,
        names: [...POOL_FUNCTIONS],
        part,
        nparts: n,
        slots: SLOTS,
      },
    });
    workers.push(w);
  }
  let seq = 0;
  const p = {
    nthreads: n,
    memory,
    run(name: PoolFunction, args: number[], items: number, chunk?: number) {
      if (!(items >= 0 && items < 2 ** 19)) throw new Error(`wasm thread pool: ${items} work items (max 2^19)`);
      const step = Math.max(1, Math.floor(chunk ?? items / (4 * n)));
      // closed while the job is written: a worker still on an earlier job can claim nothing from
      // this one (its claims compare the tag and never move the counter of another job)
      Atomics.store(ctl, SLOTS.next, CLOSED);
      ctl[SLOTS.fn] = POOL_FUNCTIONS.indexOf(name);
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

/**
 * The pool for `backend`'s heap when more than one thread is requested and the pool can start;
 * else undefined (also when the heap is not shared: see {@link wasmThreadsError}).
 */
export function wasmThreadPool(backend: WasmBackendLike): WasmThreadPool | undefined {
  const n = requestedThreads();
  if (n <= 1 || failed) return undefined;
  const memory = backend.wasm.asm.memory;
  if (!(memory.buffer instanceof SharedArrayBuffer)) {
    if (unshared !== memory) {
      console.error(`[gaze-insight] wasm threads unavailable, using one thread: ${UNSHARED}`);
      unshared = memory;
    }
    return undefined;
  }
  unshared = undefined;
  if (pool?.nthreads === n && pool.memory === memory) return pool;
  if (pool) stopWasmThreads();
  try {
    pool = startPool(n, backend);
  } catch (err) {
    failed = (err as Error).message;
    console.error(`[gaze-insight] wasm threads unavailable, using one thread: ${failed}`);
    return undefined;
  }
  return pool;
}

/** Memory-bound kernels (GroupNorm, copies, sums) take the pool from this many elements (256 KiB of float32). */
export const MIN_THREADED_ELEMENTS = 1 << 16;

/**
 * The pool for a memory-bound kernel over `elements` elements: {@link wasmThreadPool} from
 * {@link MIN_THREADED_ELEMENTS} up, else undefined (one thread: waking the workers costs more).
 */
export function wasmThreadPoolFor(backend: WasmBackendLike, elements: number): WasmThreadPool | undefined {
  return elements >= MIN_THREADED_ELEMENTS ? wasmThreadPool(backend) : undefined;
}

/** A job for {@link runItems}. */
export interface PoolJob {
  /** The pool function. */
  name: PoolFunction;
  /** Its arguments before `part, i0, i1` (32-bit integers: pointers, sizes, f32 bit patterns). */
  args: number[];
  /** Work items: the job covers [0, items). */
  items: number;
  /** Items per claimed chunk on the pool (see {@link WasmThreadPool.run}). */
  chunk?: number;
  /** The pool to run on; undefined: this thread. */
  pool?: WasmThreadPool;
}

/**
 * Run a job over its work items [0, items): on `job.pool` when given, else on this thread with
 * `k` (this thread's exports bound to the same heap) as part 0, in one call.
 */
export function runItems(k: GazeKernelExports, job: PoolJob): void {
  if (job.pool) job.pool.run(job.name, job.args, job.items, job.chunk);
  else (k[job.name] as (...a: number[]) => void)(...job.args, 0, 0, job.items);
}

const bitsView = new DataView(new ArrayBuffer(4));

/** The bit pattern of `x` rounded to f32, as a 32-bit integer (float arguments of pool functions). */
export function f32Bits(x: number): number {
  bitsView.setFloat32(0, x);
  return bitsView.getInt32(0);
}
