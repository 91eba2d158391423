// The threaded paths of the wasm conv kernels (a worker pool on a shared heap) against the cpu
// backend, on shapes above the size at which kernels use the pool.
import * as tf from "@tensorflow/tfjs";
import {
  DEFAULT_WASM_THREADS_MAX,
  kernelPathStats,
  selectBackend,
  setWasmThreads,
  stopWasmThreads,
  type WasmBackendLike,
  wasmThreadCount,
  wasmThreadPool,
  wasmThreadsError,
} from "../../lib/backend/mod.ts";
import { assert, assertEquals, assertThrows } from "../assert.ts";
import {
  assertClose,
  assertSameBits,
  type ConvCase,
  evalWithEnv,
  randomValues,
  runOn,
  runOnOneAndTwoThreads,
} from "./backend_compare.ts";

/** The stride-1 convolution cases of this file (stride is fixed at 1 here). */
type Case = Omit<ConvCase, "s">;

function convAndGrads(c: Case, seed: number, stride = 1): () => tf.Tensor[] {
  const xv = randomValues(c.b * c.h * c.w * c.ci, seed);
  const wv = randomValues(c.k * c.k * c.ci * c.co, seed + 1);
  return () => {
    const x = tf.tensor4d(xv, [c.b, c.h, c.w, c.ci]);
    const w = tf.tensor4d(wv, [c.k, c.k, c.ci, c.co]);
    const f = (a: tf.Tensor, k: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, k as tf.Tensor4D, stride, c.pad);
    const y = f(x, w);
    const r = tf.tensor(randomValues(y.size, seed + 2), y.shape);
    return [y, ...tf.grads((a: tf.Tensor, k: tf.Tensor) => tf.sum(tf.mul(f(a, k), r)))([x, w])];
  };
}

Deno.test("wasm conv kernels on 2 threads match the cpu backend", async (t) => {
  setWasmThreads(2);
  try {
    const before = kernelPathStats();
    const cases: Case[] = [
      { b: 2, h: 36, w: 36, ci: 16, co: 32, k: 3, pad: "same" },
      { b: 3, h: 36, w: 33, ci: 20, co: 24, k: 3, pad: "valid" }, // 3 column panels: uneven split
      { b: 4, h: 64, w: 64, ci: 12, co: 40, k: 1, pad: "same" },
    ];
    for (const [i, c] of cases.entries()) {
      await t.step(`b${c.b} ${c.h}x${c.w} ${c.ci}->${c.co} k${c.k} ${c.pad}`, async () => {
        const ref = await runOn("cpu", convAndGrads(c, 500 + i));
        const got = await runOn("wasm", convAndGrads(c, 500 + i));
        assertClose(got[0], ref[0], 2e-5, "y");
        assertClose(got[1], ref[1], 2e-5, "dx");
        assertClose(got[2], ref[2], 2e-5, "dw");
      });
    }
    if (wasmThreadPool(tf.backend() as unknown as WasmBackendLike)) {
      const after = kernelPathStats();
      const taken = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
      // case 0 (even sides, channels multiples of 4): Winograd; case 1 (odd width): virtual rows
      for (const k of ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"]) {
        for (const [path, what] of [["wino-threads", "Winograd"], ["s1-threads", "virtual-row"]]) {
          assert(taken(`${k}/${path}`) >= 1, `${k}: threaded ${what} path taken ${taken(`${k}/${path}`)} times`);
        }
      }
    } else {
      console.error("skipped the threaded-path check: the wasm thread pool could not start here");
    }
  } finally {
    setWasmThreads(1);
    stopWasmThreads();
  }
});

Deno.test("setWasmThreads rejects bad counts", () => {
  assertThrows(() => setWasmThreads(-1), Error, "whole number");
  assertThrows(() => setWasmThreads(1.5), Error, "whole number");
});

Deno.test("the thread count does not change a result: 1 and 2 threads give the same bits", async (t) => {
  // 3x3 stride 1 with even sides: Winograd (y and dx by chunks of tiles, fused per tile for <= 8 outputs; 16x16 x 2 images = 128
  // tiles in uneven chunks; dw by a shape-fixed number of partial sums: 5 for 36x36, 2 for 16x16);
  // odd sides (13x11) and a stride of 2 take im2col on any thread count (pooled by chunks of
  // pixels, by images and by column panels), including chunks that span two images; 40 output
  // channels = 5 column panels split 3 + 2
  const WINO = { y: "wino-threads", dx: "wino-threads", dw: "wino-threads" };
  const IM2COL = { y: "im2col-threads", dx: "im2col-threads", dw: "im2col-threads" };
  const cases: (Case & { s?: number; path: { y: string; dx: string; dw: string } })[] = [
    { b: 2, h: 36, w: 36, ci: 16, co: 32, k: 3, pad: "same", path: WINO },
    { b: 2, h: 16, w: 16, ci: 32, co: 64, k: 3, pad: "same", path: WINO },
    { b: 4, h: 32, w: 32, ci: 16, co: 8, k: 3, pad: "same", path: WINO }, // y: the fused kernel (8 outputs)
    // 72 x 60 channels: the filter transform and the weight gradient's finish on the pool too, 60 outputs = 7.5 panels
    { b: 2, h: 8, w: 8, ci: 72, co: 60, k: 3, pad: "same", path: WINO },
    { b: 3, h: 13, w: 11, ci: 48, co: 40, k: 3, pad: "valid", path: IM2COL },
    { b: 4, h: 32, w: 32, ci: 32, co: 40, k: 3, pad: "same", s: 2, path: IM2COL },
  ];

  for (const [i, c] of cases.entries()) {
    await t.step(`b${c.b} ${c.h}x${c.w} ${c.ci}->${c.co} stride ${c.s ?? 1} ${c.pad}`, async () => {
      const run = convAndGrads(c, 7 + i, c.s ?? 1);
      const r = await runOnOneAndTwoThreads(run);
      if (!r) return;
      // the forward pass runs twice (y, and again inside tf.grads), each gradient once
      for (
        const [k, n, p] of [
          ["Conv2D", 2, c.path.y],
          ["Conv2DBackpropInput", 1, c.path.dx],
          ["Conv2DBackpropFilter", 1, c.path.dw],
        ] as const
      ) {
        assertEquals(r.taken(`${k}/${p}`), n, `${k}/${p} taken ${n} times`);
      }
      assertSameBits(r.two, r.one, ["y", "dx", "dw"]);
      const ref = await runOn("cpu", run);
      for (const [j, what] of ["y", "dx", "dw"].entries()) assertClose(r.two[j], ref[j], 2e-5, what);
    });
  }
});

Deno.test("default thread count: one per core up to 2 without GAZE_WASM_THREADS; the variable overrides it", async () => {
  const url = new URL("../../lib/backend/wasm_threads.ts", import.meta.url).href;
  const count = (value: string | undefined) =>
    evalWithEnv(`import { wasmThreadCount } from ${JSON.stringify(url)};\nconsole.log(wasmThreadCount());`, {
      GAZE_WASM_THREADS: value,
    }, { noConfig: true });
  const cores = navigator.hardwareConcurrency;
  assertEquals((await count(undefined)).out, String(Math.min(DEFAULT_WASM_THREADS_MAX, cores)));
  assertEquals((await count("")).out, String(Math.min(DEFAULT_WASM_THREADS_MAX, cores)));
  assertEquals((await count("1")).out, "1");
  assertEquals((await count("3")).out, "3");
  assertEquals((await count("0")).out, String(Math.min(16, cores)));
  const bad = await count("two");
  assert(!bad.ok && bad.err.includes("GAZE_WASM_THREADS must be a whole number >= 0"), bad.err);
});

Deno.test("selectBackend makes the wasm heap shared and the pool runs on it; an unshared heap gets no pool", async () => {
  await selectBackend("wasm", { quiet: true });
  const b = tf.backend() as unknown as WasmBackendLike;
  assert(b.wasm.asm.memory.buffer instanceof SharedArrayBuffer, "the tfjs wasm heap is a SharedArrayBuffer");
  setWasmThreads(2);
  try {
    const pool = wasmThreadPool(b);
    assert(pool, `no pool: ${wasmThreadsError()}`);
    assert(pool.memory === b.wasm.asm.memory, "the pool's workers share the backend's heap");
    const plain = { ...b, wasm: { ...b.wasm, asm: { memory: new WebAssembly.Memory({ initial: 1 }) } } };
    assertEquals(wasmThreadPool(plain), undefined);
    assertEquals(wasmThreadCount(), 1);
    assert(wasmThreadsError()?.includes("not shared"), wasmThreadsError());
    assert(wasmThreadPool(b), "the shared heap gets its pool back");
    assertEquals(wasmThreadCount(), 2);
    assertEquals(wasmThreadsError(), undefined);
  } finally {
    setWasmThreads(1);
    stopWasmThreads();
  }
});

Deno.test("Sum, Mean, MaxPoolGrad, Concat/SplitV and Pack/Unpack on 2 threads: the bits of 1 thread, the cpu values", async () => {
  // each above 2^16 elements, so the threaded forms run (leading indices, blocks of 64 rows, images)
  const xv = randomValues(5 * 64 * 34 * 8, 61),
    yv = randomValues(5 * 64 * 34 * 8, 62),
    ov = randomValues(7 * 64 * 33 * 5, 63);
  const run = () => {
    const x = tf.tensor4d(xv, [5, 64, 34, 8]), y = tf.tensor4d(yv, [5, 64, 34, 8]);
    const odd = tf.tensor4d(ov, [7, 64, 33, 5]); // inner 5: the scalar path; 1,155 blocks of rows, the last one short
    const [dx, dy] = tf.grads((a: tf.Tensor, c: tf.Tensor) => {
      const cat = tf.concat([a, c], 3); // Concat, and SplitV in its gradient
      const pooled = tf.maxPool(cat as tf.Tensor4D, 2, 2, "valid"); // MaxPoolGrad in the gradient
      return tf.sum(tf.mul(pooled, tf.sin(pooled)));
    })([x, y]);
    const stacked = tf.stack([x, y], 1);
    return [dx, dy, tf.sum(x, [0, 1, 2]), tf.mean(odd, [0, 1, 2]), stacked, ...tf.unstack(stacked, 1)];
  };
  const r = await runOnOneAndTwoThreads(run);
  if (!r) return;
  const keys = ["Sum/leading-threads", "Mean/leading-threads", "MaxPoolGrad/gaze-threads", "Concat/gaze-threads"];
  for (const key of [...keys, "SplitV/gaze-threads", "Pack/gaze-threads", "Unpack/gaze-threads"]) {
    assert(r.taken(key) >= 1, `${key} taken ${r.taken(key)} times`);
  }
  const names = ["dx", "dy", "sum", "mean", "stack", "unstack 0", "unstack 1"];
  assertSameBits(r.two, r.one, names);
  const ref = await runOn("cpu", run);
  for (const [j, what] of names.entries()) assertClose(r.two[j], ref[j], 1e-5, what);
});
