// The toolkit's wasm convolution kernels (Conv2D, Conv2DBackpropInput, Conv2DBackpropFilter)
// against the tfjs cpu kernels: forward values and both gradients of conv2d and conv2dTranspose.
import * as tf from "@tensorflow/tfjs";
import { kernelPathStats, selectBackend, setWinograd } from "../../lib/backend/mod.ts";
import { assert } from "../assert.ts";
import { assertClose, type ConvCase, evalWithEnv, randomValues, runOn } from "./backend_compare.ts";

const TOL = 2e-5;

function conv2dAndGrads(c: ConvCase, seed: number): () => tf.Tensor[] {
  const xv = randomValues(c.b * c.h * c.w * c.ci, seed);
  const wv = randomValues(c.k * c.k * c.ci * c.co, seed + 1);
  return () => {
    const x = tf.tensor4d(xv, [c.b, c.h, c.w, c.ci]);
    const w = tf.tensor4d(wv, [c.k, c.k, c.ci, c.co]);
    const y = tf.conv2d(x, w, c.s, c.pad);
    const r = tf.tensor(randomValues(y.size, seed + 2), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, f: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, f as tf.Tensor4D, c.s, c.pad), r))
    )([x, w]);
    return [y, dx, dw];
  };
}

function conv2dTransposeAndGrads(c: ConvCase, seed: number): () => tf.Tensor[] {
  // c.ci: channels of the transposed conv's input, c.co: of its output; filter [k,k,co,ci]
  const oh = c.pad === "same" ? c.h * c.s : (c.h - 1) * c.s + c.k;
  const ow = c.pad === "same" ? c.w * c.s : (c.w - 1) * c.s + c.k;
  const xv = randomValues(c.b * c.h * c.w * c.ci, seed);
  const wv = randomValues(c.k * c.k * c.co * c.ci, seed + 1);
  const rv = randomValues(c.b * oh * ow * c.co, seed + 2);
  return () => {
    const x = tf.tensor4d(xv, [c.b, c.h, c.w, c.ci]);
    const w = tf.tensor4d(wv, [c.k, c.k, c.co, c.ci]);
    const shape: [number, number, number, number] = [c.b, oh, ow, c.co];
    const f = (a: tf.Tensor, k: tf.Tensor) => tf.conv2dTranspose(a as tf.Tensor4D, k as tf.Tensor4D, shape, c.s, c.pad);
    const y = f(x, w);
    const r = tf.tensor4d(rv, shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, k: tf.Tensor) => tf.sum(tf.mul(f(a, k), r)))([x, w]);
    return [y, dx, dw];
  };
}

const GRID: ConvCase[] = [];
for (const k of [1, 2, 3]) {
  for (const s of [1, 2]) {
    for (const pad of ["same", "valid"] as const) GRID.push({ b: 2, h: 7, w: 10, ci: 5, co: 11, k, s, pad });
  }
}
// stride 1 on images above the im2col size limit: the virtual-row kernels
for (const k of [1, 2, 3]) {
  for (const pad of ["same", "valid"] as const) GRID.push({ b: 2, h: 33, w: 40, ci: 5, co: 11, k, s: 1, pad });
}
// UNet-like shapes: many 6-row tiles, full 8-column panels, a bias-free 1x1 head with one output channel
GRID.push({ b: 3, h: 16, w: 16, ci: 16, co: 24, k: 3, s: 1, pad: "same" });
GRID.push({ b: 2, h: 12, w: 12, ci: 16, co: 1, k: 1, s: 1, pad: "same" });

const name = (c: ConvCase) => `k${c.k} s${c.s} ${c.pad} b${c.b} ${c.h}x${c.w} ${c.ci}->${c.co}`;

Deno.test("wasm conv2d: forward, input and filter gradients match the cpu backend", async (t) => {
  for (const [i, c] of GRID.entries()) {
    await t.step(name(c), async () => {
      const ref = await runOn("cpu", conv2dAndGrads(c, 100 + i));
      const got = await runOn("wasm", conv2dAndGrads(c, 100 + i));
      assertClose(got[0], ref[0], TOL, "y");
      assertClose(got[1], ref[1], TOL, "dx (Conv2DBackpropInput)");
      assertClose(got[2], ref[2], TOL, "dw (Conv2DBackpropFilter)");
    });
  }
});

const TGRID: ConvCase[] = [
  { b: 2, h: 8, w: 8, ci: 16, co: 8, k: 2, s: 2, pad: "same" }, // the UNet up-sampling
  { b: 2, h: 5, w: 6, ci: 7, co: 9, k: 2, s: 2, pad: "valid" },
  { b: 2, h: 5, w: 6, ci: 7, co: 9, k: 3, s: 2, pad: "same" },
  { b: 2, h: 5, w: 6, ci: 7, co: 9, k: 3, s: 1, pad: "same" },
  { b: 2, h: 5, w: 6, ci: 7, co: 9, k: 3, s: 1, pad: "valid" },
];

Deno.test("wasm conv2dTranspose: forward, input and filter gradients match the cpu backend", async (t) => {
  for (const [i, c] of TGRID.entries()) {
    await t.step(name(c), async () => {
      const ref = await runOn("cpu", conv2dTransposeAndGrads(c, 200 + i));
      const got = await runOn("wasm", conv2dTransposeAndGrads(c, 200 + i));
      assertClose(got[0], ref[0], TOL, "y (Conv2DBackpropInput)");
      assertClose(got[1], ref[1], TOL, "dx (Conv2D)");
      assertClose(got[2], ref[2], TOL, "dw (Conv2DBackpropFilter)");
    });
  }
});

Deno.test("wasm conv kernels: large stride-1, small stride-1 and stride-2 take the intended paths, NCHW falls back", async () => {
  await selectBackend("wasm", { quiet: true });
  const before = kernelPathStats();
  const delta = (k: string) => (kernelPathStats()[k] ?? 0) - (before[k] ?? 0);
  const c: ConvCase = { b: 1, h: 6, w: 6, ci: 3, co: 4, k: 3, s: 1, pad: "same" };
  const n0 = tf.memory().numTensors;
  tf.dispose(tf.tidy(conv2dAndGrads({ ...c, h: 40, w: 40 }, 1))); // above the im2col size limit
  tf.dispose(tf.tidy(conv2dAndGrads(c, 2))); // small image: im2col
  tf.dispose(tf.tidy(conv2dAndGrads({ ...c, s: 2 }, 3)));
  assert(tf.memory().numTensors === n0, "tensors leaked");
  for (const k of ["Conv2D", "Conv2DBackpropInput", "Conv2DBackpropFilter"]) {
    assert(delta(`${k}/s1`) >= 1, `${k}: stride-1 path not taken`);
    assert(delta(`${k}/im2col`) >= 2, `${k}: im2col path not taken for the small and the stride-2 conv`);
  }
  let threw = false;
  try {
    tf.tidy(() =>
      tf.conv2d(tf.zeros([1, 3, 6, 6]) as tf.Tensor4D, tf.zeros([3, 3, 3, 4]) as tf.Tensor4D, 1, "same", "NCHW")
    );
  } catch {
    threw = true; // the stock wasm Conv2D does not support NCHW either; what matters is that it was asked
  }
  assert(delta("Conv2D/fallback") === 1, `NCHW conv did not go to the fallback kernel (threw: ${threw})`);
});

// Winograd F(2x2,3x3): stride-1 3x3 convolutions with even output sides and channel counts that are
// multiples of 4, for Conv2D, (flipped filter) Conv2DBackpropInput and Conv2DBackpropFilter; 12
// output channels leave a half-empty 8-column panel, 12 input channels a partial 6-row panel of the
// weight gradient; 34x34 has 289 tiles, so 4 partial sums of the weight gradient.
const WINO_GRID: ConvCase[] = [
  { b: 2, h: 10, w: 12, ci: 8, co: 12, k: 3, s: 1, pad: "same" },
  { b: 1, h: 6, w: 8, ci: 4, co: 4, k: 3, s: 1, pad: "valid" },
  { b: 3, h: 4, w: 4, ci: 16, co: 8, k: 3, s: 1, pad: "same" },
  { b: 1, h: 34, w: 34, ci: 12, co: 20, k: 3, s: 1, pad: "same" },
];

Deno.test("wasm conv2d, Winograd path: values and gradients match the cpu backend; off, the direct kernels agree", async (t) => {
  await selectBackend("wasm", { quiet: true });
  for (const [i, c] of WINO_GRID.entries()) {
    await t.step(name(c), async () => {
      const before = kernelPathStats();
      const ref = await runOn("cpu", conv2dAndGrads(c, 300 + i));
      const got = await runOn("wasm", conv2dAndGrads(c, 300 + i));
      const taken = (k: string) => (kernelPathStats()[k] ?? 0) - (before[k] ?? 0);
      assert(taken("Conv2D/wino") + taken("Conv2D/wino-threads") >= 2, "Conv2D: Winograd path not taken");
      for (const k of ["Conv2DBackpropInput", "Conv2DBackpropFilter"]) {
        const n = taken(`${k}/wino`) + taken(`${k}/wino-threads`);
        assert(n === 1, `${k}: Winograd path taken ${n} times`);
      }
      assertClose(got[0], ref[0], TOL, "y");
      assertClose(got[1], ref[1], TOL, "dx (Conv2DBackpropInput)");
      assertClose(got[2], ref[2], TOL, "dw (Conv2DBackpropFilter)");
      setWinograd(false);
      try {
        const b2 = kernelPathStats();
        const direct = await runOn("wasm", conv2dAndGrads(c, 300 + i));
        const wino = Object.keys(kernelPathStats()).filter((k) =>
          k.includes("/wino") && kernelPathStats()[k] !== b2[k]
        );
        assert(wino.length === 0, `Winograd taken while off: ${wino}`);
        for (const [j, what] of ["y", "dx", "dw"].entries()) {
          const rel = assertClose(got[j], direct[j], TOL, `${what}: Winograd vs direct`);
          assert(rel > 0, `${what}: Winograd and direct agree to the bit: the Winograd path did not run`);
        }
      } finally {
        setWinograd(true);
      }
    });
  }
  await t.step("conv2dTranspose 3x3 stride 1 (Conv2DBackpropInput forward) on the Winograd path", async () => {
    const c: ConvCase = { b: 2, h: 6, w: 8, ci: 8, co: 4, k: 3, s: 1, pad: "same" };
    const before = kernelPathStats();
    const ref = await runOn("cpu", conv2dTransposeAndGrads(c, 400));
    const got = await runOn("wasm", conv2dTransposeAndGrads(c, 400));
    const n = (kernelPathStats()["Conv2DBackpropInput/wino"] ?? 0) - (before["Conv2DBackpropInput/wino"] ?? 0);
    assert(n >= 1, "Conv2DBackpropInput: Winograd path not taken");
    assertClose(got[0], ref[0], TOL, "y (Conv2DBackpropInput)");
    assertClose(got[1], ref[1], TOL, "dx (Conv2D)");
    assertClose(got[2], ref[2], TOL, "dw (Conv2DBackpropFilter)");
  });
  await t.step("odd output sides, channels not a multiple of 4 and stride 2 keep the direct kernels", () => {
    const before = kernelPathStats();
    for (
      const c of [
        { b: 1, h: 7, w: 8, ci: 8, co: 8, k: 3, s: 1, pad: "same" },
        { b: 1, h: 8, w: 8, ci: 6, co: 8, k: 3, s: 1, pad: "same" },
        { b: 1, h: 8, w: 8, ci: 8, co: 10, k: 3, s: 1, pad: "same" },
        { b: 1, h: 8, w: 8, ci: 8, co: 8, k: 3, s: 2, pad: "same" },
        { b: 1, h: 8, w: 8, ci: 8, co: 8, k: 2, s: 1, pad: "same" },
      ] as ConvCase[]
    ) tf.dispose(tf.tidy(conv2dAndGrads(c, 5)));
    const wino = Object.keys(kernelPathStats()).filter((k) =>
      k.includes("/wino") && kernelPathStats()[k] !== before[k]
    );
    assert(wino.length === 0, `Winograd taken for ${wino}`);
  });
});

Deno.test("GAZE_WINOGRAD: 0 turns the Winograd path off at load, 1 or unset leaves it on, other values are refused", async () => {
  const url = new URL("../../lib/backend/wasm_conv_kernels.ts", import.meta.url).href;
  const run = (value: string | undefined) =>
    evalWithEnv(`import { winogradOn } from ${JSON.stringify(url)}; console.log(winogradOn());`, {
      GAZE_WINOGRAD: value,
    });
  assert((await run(undefined)).out === "true");
  assert((await run("1")).out === "true");
  assert((await run("0")).out === "false");
  const bad = await run("yes");
  assert(!bad.ok && bad.err.includes("GAZE_WINOGRAD must be 0 or 1"), bad.err);
});
