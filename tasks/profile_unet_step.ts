/**
 * `deno run -A tasks/profile_unet_step.ts [--backend wasm] [--json] [--time N]`
 *
 * Profiles one `unet-step` training step (tasks/bench/unet_step.ts) per kernel
 * with tf.profile: for each kernel name the number of calls, total ms and share of
 * the summed kernel time, sorted by time. One warm-up step runs first. Kernels called inside
 * other kernels (e.g. by a kernel written with tf ops) are listed too, so shares can overlap.
 * `--clock cpu` measures process CPU time per kernel call (mean of 3 steps) instead of tf.profile's
 * wall time: steadier when other jobs share the machine. `--time N` instead times N steps after
 * 2 warm-ups (as the bench case does).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { intFlag, parseTaskArgs, runTask } from "../lib/core/mod.ts";
import { selectBackend } from "../lib/backend/mod.ts";
import { makeUNetStep, runUNetStep } from "./bench/unet_step.ts";

/**
 * Wrap every kernel registered for `backend` so that `record(name, cpuMicroseconds)` sees each call
 * (kernels called from inside another kernel are counted in both). Returns the undo function.
 */
function wrapKernels(backend: string, record: (name: string, us: number) => void): () => void {
  const originals = tf.getKernelsForBackend(backend);
  for (const k of originals) {
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        const c0 = process.cpuUsage();
        const out = k.kernelFunc(args);
        const c1 = process.cpuUsage(c0);
        record(k.kernelName, c1.user + c1.system);
        return out;
      },
    });
  }
  return () => {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, backend);
      tf.registerKernel(k);
    }
  };
}

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: "deno run -A tasks/profile_unet_step.ts [--backend B] [--clock wall|cpu] [--json] [--time N]",
    flags: {
      json: { type: "boolean" },
      time: { type: "string" },
      clock: { type: "string" },
    },
  });
  if (values.clock && values.clock !== "wall" && values.clock !== "cpu") throw new Error("--clock: expected wall|cpu");
  const choice = await selectBackend(values.backend ?? "wasm", { quiet: values.json });
  if (values.time) {
    console.log(JSON.stringify(await runUNetStep({ steps: intFlag(values.time, "time", 10) })));
    return;
  }
  const runner = makeUNetStep();
  try {
    await runner.step();
    const rows = new Map<string, { calls: number; ms: number }>();
    let stepMs = 0;
    const reps = values.clock === "cpu" ? 3 : 1;
    if (values.clock === "cpu") {
      // process CPU time per kernel call: steadier than wall time when the machine is shared
      const restore = wrapKernels(choice.name, (name, us) => {
        const r = rows.get(name) ?? { calls: 0, ms: 0 };
        r.calls++;
        r.ms += us / 1000;
        rows.set(name, r);
      });
      try {
        for (let i = 0; i < reps; i++) {
          const c0 = process.cpuUsage();
          await runner.step();
          const c1 = process.cpuUsage(c0);
          stepMs += (c1.user + c1.system) / 1000;
        }
      } finally {
        restore();
      }
    } else {
      const t0 = performance.now();
      const info = await tf.profile(async () => {
        await runner.step();
      });
      stepMs = performance.now() - t0;
      for (const k of info.kernels) {
        const r = rows.get(k.name) ?? { calls: 0, ms: 0 };
        r.calls++;
        r.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
        rows.set(k.name, r);
      }
    }
    for (const r of rows.values()) {
      r.calls /= reps;
      r.ms /= reps;
    }
    stepMs /= reps;
    const total = [...rows.values()].reduce((s, r) => s + r.ms, 0);
    const sorted = [...rows.entries()].sort((a, b) => b[1].ms - a[1].ms);
    const clock = values.clock === "cpu" ? "process CPU" : "wall";
    if (values.json) {
      console.log(JSON.stringify(
        {
          backend: choice.name,
          clock,
          stepMs,
          kernelMs: total,
          kernels: sorted.map(([name, r]) => ({ name, ...r, share: r.ms / total })),
        },
        null,
        2,
      ));
    } else {
      console.log(
        `backend ${choice.name}, ${clock} time: step ${stepMs.toFixed(0)} ms, ` +
          `kernels ${total.toFixed(0)} ms (outside kernels ${(stepMs - total).toFixed(0)} ms)`,
      );
      console.log("| kernel | calls | ms | share |\n|---|---:|---:|---:|");
      for (const [name, r] of sorted) {
        console.log(`| ${name} | ${r.calls} | ${r.ms.toFixed(1)} | ${(100 * r.ms / total).toFixed(1)}% |`);
      }
    }
  } finally {
    runner.dispose();
  }
});
