// The fused SGD kernel (lib/backend/sgd_kernel.ts) against the tf-op chain it replaces, on the cpu
// and wasm backends: bit-identical parameters and momentum buffers over several steps, for
// Nesterov / heavy-ball / plain SGD, with and without weight decay; and the optimiser uses it.
import * as tf from "@tensorflow/tfjs";
import { kernelPathStats, selectBackend, SGD_STEP_KERNEL, sgdStep, sgdStepArrays } from "../../lib/backend/mod.ts";
import { createOptimizer } from "../../lib/train/optimizer.ts";
import { assertEquals } from "../assert.ts";
import { assertClose, randomValues, runOn } from "./backend_compare.ts";

type Cfg = { momentum: number; nesterov: boolean; weightDecay: number };

/** The optimiser's tf-op chain (lib/train/optimizer.ts without the fused kernel). */
function opChain(
  p: tf.Tensor,
  g0: tf.Tensor,
  buf: tf.Tensor | null,
  c: Cfg,
  lr: number,
  first: boolean,
): { p: tf.Tensor; buf: tf.Tensor | null } {
  const out = tf.tidy(() => {
    let g = c.weightDecay ? g0.add(p.mul(c.weightDecay)) : g0;
    let nb: tf.Tensor | null = null;
    if (c.momentum) {
      nb = first ? g : buf!.mul(c.momentum).add(g);
      g = c.nesterov ? g.add(nb.mul(c.momentum)) : nb;
    }
    return nb ? [p.sub(g.mul(lr)), nb.clone()] : [p.sub(g.mul(lr))];
  });
  return { p: out[0], buf: out[1] ?? null };
}

const CONFIGS: Cfg[] = [
  { momentum: 0.9, nesterov: true, weightDecay: 4e-4 },
  { momentum: 0.99, nesterov: true, weightDecay: 4e-4 },
  { momentum: 0.9, nesterov: false, weightDecay: 0 },
  { momentum: 0, nesterov: false, weightDecay: 1e-3 },
];

for (const c of CONFIGS) {
  Deno.test(`fused SGD step equals the op chain bit for bit (momentum ${c.momentum}, nesterov ${c.nesterov}, wd ${c.weightDecay})`, async () => {
    const shape = [3, 3, 5, 7];
    const n = 315;
    const run = (fused: boolean) => () => {
      let p = tf.tensor(randomValues(n, 1), shape), buf: tf.Tensor | null = null;
      const lrs = [1e-2, 7.3e-3, 1e-4, 0.5];
      for (let s = 0; s < lrs.length; s++) {
        const g = tf.tensor(randomValues(n, 10 + s), shape);
        const r: { p: tf.Tensor; buf: tf.Tensor | null } = fused
          ? sgdStep(p, g, buf, { ...c, lr: lrs[s], first: s === 0 })
          : opChain(p, g, buf, c, lrs[s], s === 0);
        tf.dispose([p, g, buf ?? []].flat());
        p = r.p;
        buf = r.buf;
      }
      return buf ? [p, buf] : [p];
    };
    for (const backend of ["cpu", "wasm"] as const) {
      const ref = await runOn(backend, run(false));
      const got = await runOn(backend, run(true));
      assertEquals(got.length, ref.length);
      for (let i = 0; i < ref.length; i++) assertClose(got[i], ref[i], 0, `${backend} output ${i}`);
    }
  });
}

Deno.test("the SGD optimiser runs the fused kernel on wasm and keeps its state shape", async () => {
  await selectBackend("wasm", { quiet: true });
  let calls = 0;
  const k = tf.getKernel(SGD_STEP_KERNEL, "wasm")!;
  tf.unregisterKernel(SGD_STEP_KERNEL, "wasm");
  tf.registerKernel({ ...k, kernelFunc: (a) => (calls++, k.kernelFunc(a)) });
  try {
    const w = tf.variable(tf.tensor2d([[1, -2], [0.5, 3]]));
    const opt = createOptimizer(new Map([["w", w]]), { type: "sgd", momentum: 0.9, nesterov: true, weightDecay: 4e-4 });
    const g = tf.tensor2d([[0.1, 0.2], [-0.3, 0.4]]);
    opt.apply(new Map([["w", g]]), 0.1);
    opt.apply(new Map([["w", g]]), 0.1);
    assertEquals(calls, 2);
    const state = opt.state();
    assertEquals([...state.keys()].sort(), ["step", "w/momentum"]);
    assertEquals(state.get("w/momentum")!.shape, [2, 2]);
    tf.dispose([g, state.get("step")!, w]);
    opt.dispose();
  } finally {
    tf.unregisterKernel(SGD_STEP_KERNEL, "wasm");
    tf.registerKernel(k);
  }
});

Deno.test("wasm: the SGD step runs in the WebAssembly module, bit-identical to the JavaScript loop (odd sizes, every branch)", async () => {
  await selectBackend("wasm", { quiet: true });
  const before = kernelPathStats()[`${SGD_STEP_KERNEL}/native`] ?? 0;
  const n = 10007;
  let calls = 0;
  for (const c of [...CONFIGS, { momentum: 0.5, nesterov: true, weightDecay: 0 }]) {
    for (const first of [true, false]) {
      const p = randomValues(n, 1), g = randomValues(n, 2), buf = randomValues(n, 3);
      const attrs = { ...c, lr: 0.37, first };
      const pRef = new Float32Array(n), bRef = c.momentum ? new Float32Array(n) : null;
      sgdStepArrays(p, g, first ? null : buf, pRef, bRef, attrs);
      const ts = [tf.tensor(p), tf.tensor(g), tf.tensor(buf)];
      const r = sgdStep(ts[0], ts[1], ts[2], attrs);
      const got = [r.p.dataSync() as Float32Array, r.buf ? r.buf.dataSync() as Float32Array : null];
      tf.dispose([...ts, r.p, r.buf ?? []].flat());
      calls++;
      assertClose(got[0]!, pRef, 0, `p (${JSON.stringify(attrs)})`);
      if (bRef) assertClose(got[1]!, bRef, 0, `buf (${JSON.stringify(attrs)})`);
      else assertEquals(got[1], null);
    }
  }
  assertEquals((kernelPathStats()[`${SGD_STEP_KERNEL}/native`] ?? 0) - before, calls);
});
