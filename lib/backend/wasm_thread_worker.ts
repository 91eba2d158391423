/**
 * Worker of the toolkit's wasm thread pool (lib/backend/wasm_threads.ts): instantiates the
 * kernel module on the wasm backend's shared heap and, for each job posted in the control block,
 * claims chunks of work items until none are left. Started by the pool; not an entry point.
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
  slots: {
    seq: number;
    fn: number;
    nargs: number;
    items: number;
    chunk: number;
    next: number;
    args: number;
    busy: number;
    err: number;
  };
}

const d = workerData as PoolWorkerData;
const inst = new WebAssembly.Instance(d.module, { env: { memory: d.memory } });
const fns = d.names.map((n) => inst.exports[n] as (...a: number[]) => void);
const ctl = new Int32Array(d.memory.buffer, d.ctlOffset, d.ctlInts);
const S = d.slots;
parentPort!.postMessage("ready");
let seen = 0;
for (;;) {
  Atomics.wait(ctl, S.seq, seen);
  const seq = Atomics.load(ctl, S.seq);
  seen = seq;
  const fn = ctl[S.fn];
  if (fn < 0) break;
  const args = Array.from(ctl.subarray(S.args, S.args + ctl[S.nargs]));
  const items = ctl[S.items], chunk = ctl[S.chunk];
  Atomics.store(ctl, S.busy + d.part, 1);
  // Claims carry the job's tag (seq mod 1024, high bits) and are made by compare-and-swap: if
  // the job was replaced (or is being written: tag 0xfff) while its arguments were read, the
  // counter shows another tag, nothing is computed with them, and the counter is left as it is
  // (an add would skip items of the job now open).
  const tag = seq & 0x3ff;
  try {
    for (;;) {
      const v = Atomics.load(ctl, S.next);
      const i = v & 0xfffff;
      if (v >>> 20 !== tag || i >= items) break;
      if (Atomics.compareExchange(ctl, S.next, v, v + chunk) !== v) continue;
      fns[fn](...args, d.part, i, Math.min(items, i + chunk));
    }
  } catch {
    Atomics.store(ctl, S.err + d.part, 1);
  }
  Atomics.store(ctl, S.busy + d.part, 0);
  Atomics.notify(ctl, S.busy + d.part);
}
