/**
 * Worker of the toolkit's wasm thread pool (lib/backend/wasm_threads.ts): instantiates the
 * kernel module on the pool's shared memory and runs its part of each job posted in the
 * control block, until told to stop. Started by the pool; not an entry point.
 *
 * @module
 */
import { parentPort, workerData } from "node:worker_threads";

interface PoolWorkerData {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctlOffset: number;
  ctlInts: number;
  names: string[];
  part: number;
  nparts: number;
  slots: { seq: number; fn: number; nargs: number; args: number; done: number; err: number };
}

const d = workerData as PoolWorkerData;
const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
const fns = d.names.map((n) => inst.exports[n] as (...a: number[]) => void);
const ctl = new Int32Array(d.memory.buffer, d.ctlOffset, d.ctlInts);
const { seq: SEQ, fn: FN, nargs: NARGS, args: ARGS, done: DONE, err: ERR } = d.slots;
parentPort!.postMessage("ready");
let seq = 0;
for (;;) {
  Atomics.wait(ctl, SEQ, seq);
  seq = Atomics.load(ctl, SEQ);
  const fn = ctl[FN];
  if (fn < 0) break;
  try {
    const args = Array.from(ctl.subarray(ARGS, ARGS + ctl[NARGS]));
    fns[fn](...args, d.part, d.nparts);
  } catch {
    Atomics.store(ctl, ERR + d.part, 1);
  }
  Atomics.store(ctl, DONE + d.part, seq);
  Atomics.notify(ctl, DONE + d.part);
}
