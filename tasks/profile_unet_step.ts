/**
 * `deno run -A tasks/profile_unet_step.ts [--backend wasm] [--variant models|fused-gn] [--json] [--time N]`
 *
 * Profiles one `unet-step` training step (tasks/bench/unet_step.ts) per kernel
 * with tf.profile: for each kernel name the number of calls, total ms and share of
 * the summed kernel time, sorted by time. One warm-up step runs first. Kernels called inside
 * other kernels (e.g. by a kernel written with tf ops) are listed too, so shares can overlap.
 * `--time N` instead times N steps after 2 warm-ups (as the bench case does).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { intFlag, parseTaskArgs, runTask } from "../lib/core/mod.ts";
import { selectBackend } from "../lib/backend/mod.ts";
import { makeUNetStep, runUNetStep, type UNetStepVariant } from "./bench/unet_step.ts";

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: "deno run -A tasks/profile_unet_step.ts [--backend B] [--variant models|fused-gn] [--json] [--time N]",
    flags: { json: { type: "boolean" }, variant: { type: "string" }, time: { type: "string" } },
  });
  const variant = (values.variant ?? "models") as UNetStepVariant;
  if (variant !== "models" && variant !== "fused-gn") throw new Error(`--variant: expected models|fused-gn`);
  const choice = await selectBackend(values.backend ?? "wasm", { quiet: values.json });
  if (values.time) {
    console.log(JSON.stringify(await runUNetStep({ variant, steps: intFlag(values.time, "time", 10) })));
    return;
  }
  const runner = makeUNetStep(variant);
  try {
    await runner.step();
    const t0 = performance.now();
    const info = await tf.profile(async () => {
      await runner.step();
    });
    const wallMs = performance.now() - t0;
    const rows = new Map<string, { calls: number; ms: number }>();
    for (const k of info.kernels) {
      const r = rows.get(k.name) ?? { calls: 0, ms: 0 };
      r.calls++;
      r.ms += typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
      rows.set(k.name, r);
    }
    const total = [...rows.values()].reduce((s, r) => s + r.ms, 0);
    const sorted = [...rows.entries()].sort((a, b) => b[1].ms - a[1].ms);
    if (values.json) {
      console.log(JSON.stringify(
        {
          backend: choice.name,
          wallMs,
          kernelMs: total,
          kernels: sorted.map(([name, r]) => ({ name, ...r, share: r.ms / total })),
        },
        null,
        2,
      ));
    } else {
      console.log(
        `backend ${choice.name}: profiled step wall ${wallMs.toFixed(0)} ms, kernel sum ${total.toFixed(0)} ms`,
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
