// selectBackend: cpu and wasm initialise (wasm with the toolkit's kernels), 'tensorflow' explains how
// to install it when the package is absent, unknown names are rejected, and webgpu agrees with cpu
// when Deno exposes an adapter (this machine: a software llvmpipe one; otherwise the test says skipped).
import * as tf from "@tensorflow/tfjs";
import { createRequire } from "node:module";
import {
  BACKEND_NAMES,
  currentBackend,
  GROUP_NORM_KERNEL,
  selectBackend,
  TENSORFLOW_INSTALL_HELP,
} from "../../lib/backend/mod.ts";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { assertClose, randomValues, runOn } from "./backend_compare.ts";

Deno.test("selectBackend('cpu') and ('wasm') activate those backends", async () => {
  const c = await selectBackend("cpu", { quiet: true });
  assertEquals(c.name, "cpu");
  assertEquals(tf.getBackend(), "cpu");
  const w = await selectBackend("wasm", { quiet: true });
  assertEquals(w.name, "wasm");
  assertEquals(tf.getBackend(), "wasm");
  assertEquals(currentBackend()?.name, "wasm");
  for (const k of ["Conv2DBackpropFilter", GROUP_NORM_KERNEL]) {
    assert(tf.getKernel(k, "wasm") !== undefined, `wasm backend lacks ${k}`);
  }
  const y = tf.tidy(() =>
    tf.sum(tf.conv2d(tf.ones([1, 4, 4, 2]) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 1, "same"))
  );
  assertEquals((await y.data())[0], 2 * (4 * 4 + 8 * 6 + 4 * 9)); // 4 corners: 4 taps, 8 edges: 6, 4 inside: 9
  y.dispose();
});

Deno.test("selectBackend reads $GAZE_BACKEND when no name is given", async () => {
  const old = Deno.env.get("GAZE_BACKEND");
  try {
    Deno.env.set("GAZE_BACKEND", "cpu");
    assertEquals((await selectBackend(undefined, { quiet: true })).name, "cpu");
    Deno.env.set("GAZE_BACKEND", "nonsense");
    await assertRejects(() => selectBackend(undefined, { quiet: true }), Error, "unknown backend 'nonsense'");
  } finally {
    if (old === undefined) Deno.env.delete("GAZE_BACKEND");
    else Deno.env.set("GAZE_BACKEND", old);
  }
});

Deno.test("selectBackend rejects unknown names, listing the valid ones", async () => {
  const err = await assertRejects(() => selectBackend("gpu", { quiet: true }), Error, "unknown backend 'gpu'");
  for (const n of BACKEND_NAMES) assert(err.message.includes(n), `message lacks '${n}': ${err.message}`);
});

Deno.test("selectBackend('tensorflow') says how to install it when the package is absent", async () => {
  const require = createRequire(import.meta.url);
  const installed = ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"].some((p) => {
    try {
      require.resolve(p);
      return true;
    } catch {
      return false;
    }
  });
  if (installed) {
    console.error("skipped: @tensorflow/tfjs-node(-gpu) is installed here, so there is no install message to check");
    return;
  }
  const err = await assertRejects(() => selectBackend("tensorflow", { quiet: true }), Error, "cannot be loaded");
  assert(err.message.includes(TENSORFLOW_INSTALL_HELP), "the install instructions are missing");
  assert(err.message.includes("not installed"), err.message);
  await selectBackend("cpu", { quiet: true }); // nothing else broke
});

async function webgpuAdapter(): Promise<string | undefined> {
  const gpu =
    (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { description?: string } } | null> } })
      .gpu;
  const a = await gpu?.requestAdapter().catch(() => null);
  return a ? (a.info?.description || "unknown adapter") : undefined;
}

Deno.test("webgpu runs a conv2d + matMul and agrees with cpu (skipped without an adapter)", async () => {
  const adapter = await webgpuAdapter();
  if (!adapter) {
    console.error("skipped: Deno exposes no WebGPU adapter here (CI can install Debian mesa-vulkan-drivers)");
    return;
  }
  const xv = randomValues(2 * 6 * 6 * 3, 41), wv = randomValues(3 * 3 * 3 * 4, 42), mv = randomValues(4 * 5, 43);
  const f = () => {
    const y = tf.conv2d(tf.tensor4d(xv, [2, 6, 6, 3]), tf.tensor4d(wv, [3, 3, 3, 4]), 1, "same");
    return [y, tf.matMul(tf.reshape(y, [72, 4]), tf.tensor2d(mv, [4, 5]))];
  };
  const ref = await runOn("cpu", f);
  const got = await runOn("webgpu", f);
  assertEquals(tf.getBackend(), "webgpu");
  assertClose(got[0], ref[0], 1e-4, `conv2d on webgpu (${adapter})`);
  assertClose(got[1], ref[1], 1e-4, `matMul on webgpu (${adapter})`);
  await selectBackend("cpu", { quiet: true });
});
