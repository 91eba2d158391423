/**
 * `deno task doctor [--backend B[,B...]] [--json] [--fgi | --no-fgi] [--steps N] [--accumulate N]`
 *
 * Tells the truth about a host: the runtime; every backend's availability with the reason (native
 * TensorFlow packages and their libtensorflow, the CUDA / cuDNN libraries tfjs-node-gpu 4.22 needs,
 * the NVIDIA driver, Deno's WebGPU adapter, hardware or software); then on each available backend
 * (or those named by `--backend`) a numerical check against the cpu backend (one small UNet training
 * step: relative error of the loss and of the gradients), the `unet-step` timing, and one FGI
 * iteration at the paper profile. The FGI iteration takes minutes on a CPU: it runs by default on
 * GPU backends only (tensorflow with a CUDA GPU, webgpu on a hardware adapter); `--fgi` forces it,
 * `--no-fgi` skips it. Exit status 1 when a numerical check fails. Also runs as one executable built
 * with `deno compile` (see the README, "GPU hosts").
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { intFlag, parseTaskArgs, provenance, runTask } from "../lib/core/mod.ts";
import {
  cudaInfo,
  GPU_STACK,
  probeWebgpu,
  runtimeInfo,
  tensorflowPackages,
  TFJS_NODE_GPU_NEEDS,
} from "../lib/backend/probe.ts";
import { type CheckedBackend, fgiPaperIteration, numericalCheck, unetStepTiming, useBackend } from "./doctor/checks.ts";

const ALL: CheckedBackend[] = ["tensorflow", "webgpu", "wasm", "cpu"];
const USAGE = `deno task doctor [--backend ${ALL.join("|")}[,...]] [--json] [--fgi | --no-fgi] [--steps N]
                  [--accumulate N]

Prints the runtime, each backend's availability and why, then on each available backend (or those
named) a numerical check against the cpu backend, the unet-step timing and one FGI iteration at the
paper profile (default: on GPU backends only; it takes minutes on a CPU).
  --steps N        timed unet-step steps after one warm-up (default 3; 1 on the cpu backend; 0 = no timing)
  --accumulate N   micro-batches of the FGI iteration (default 1 on GPUs, 8 on wasm/cpu)`;

interface BackendReport {
  name: CheckedBackend;
  available: boolean;
  reason: string;
  gpu: boolean;
  details?: Record<string, unknown>;
  numerical?: Awaited<ReturnType<typeof numericalCheck>> | { error: string };
  unetStep?: Record<string, unknown>;
  fgiPaperIteration?: Record<string, unknown>;
}

async function tensorflowAvailability(cuda: ReturnType<typeof cudaInfo>): Promise<BackendReport> {
  const pkgs = tensorflowPackages();
  const installed = pkgs.filter((p) => p.path);
  const details: Record<string, unknown> = { packages: pkgs, cuda, stack: GPU_STACK };
  if (!installed.length) {
    return {
      name: "tensorflow",
      available: false,
      gpu: false,
      reason: "not installed: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is in node_modules " +
        "(see the README, GPU hosts: `deno install --allow-scripts=npm:@tensorflow/tfjs-node-gpu@4.22.0`)",
      details,
    };
  }
  const noLib = installed.filter((p) => !p.libtensorflow);
  if (noLib.length === installed.length) {
    return {
      name: "tensorflow",
      available: false,
      gpu: false,
      reason: `${installed.map((p) => p.pkg).join(", ")} installed without libtensorflow (deps/lib is empty: its ` +
        "install script did not run or could not download; rerun `deno install --allow-scripts=...` where " +
        "storage.googleapis.com is reachable)",
      details,
    };
  }
  const gpuPkg = installed.find((p) => p.pkg.endsWith("-gpu") && p.libtensorflow);
  const missing = Object.keys(cuda.missingForTfjsNodeGpu);
  try {
    await useBackend("tensorflow");
  } catch (err) {
    const msg = (err as Error).message.split("\n")[0];
    const hint = missing.length
      ? `; missing ${missing.map((m) => `${m} (${TFJS_NODE_GPU_NEEDS[m]})`).join(", ")}: install CUDA ` +
        `${GPU_STACK.cuda} + cuDNN ${GPU_STACK.cudnn} next to the newer CUDA, or use containers/`
      : "";
    return { name: "tensorflow", available: false, gpu: false, reason: `cannot be loaded: ${msg}${hint}`, details };
  }
  // deno-lint-ignore no-explicit-any
  const isGpu = !!gpuPkg && (tf.backend() as any)?.binding?.isUsingGpuDevice?.() !== false && !missing.length &&
    !!cuda.gpus?.length;
  return {
    name: "tensorflow",
    available: true,
    gpu: isGpu,
    reason: `${gpuPkg?.pkg ?? installed[0].pkg} loaded (libtensorflow ${
      gpuPkg?.libtensorflow ?? installed[0].libtensorflow
    })${
      gpuPkg
        ? isGpu
          ? `; CUDA GPU ${cuda.gpus!.map((g) => g.name).join(", ")}`
          : `; NO GPU in use: ${
            missing.length ? `missing ${missing.join(", ")}` : cuda.gpus ? "the driver sees no GPU" : "no nvidia-smi"
          } (TensorFlow runs on the CPU)`
        : " (CPU build)"
    }`,
    details,
  };
}

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    allowPositionals: false,
    flags: {
      json: { type: "boolean" },
      fgi: { type: "boolean" },
      "no-fgi": { type: "boolean" },
      steps: { type: "string" },
      accumulate: { type: "string" },
    },
  });
  const wanted = values.backend ? values.backend.split(",").map((s) => s.trim()).filter(Boolean) : null;
  for (const w of wanted ?? []) {
    if (!ALL.includes(w as CheckedBackend)) throw new Error(`--backend: expected ${ALL.join(", ")}, got ${w}`);
  }
  if (values.fgi && values["no-fgi"]) throw new Error("--fgi and --no-fgi exclude each other");
  const say = (s: string) => values.json || console.log(s);
  const runtime = runtimeInfo();
  say(
    `runtime: deno ${runtime.deno} (v8 ${runtime.v8}, typescript ${runtime.typescript}) on ${runtime.os}, ` +
      `${runtime.cpus} CPUs, ${runtime.memoryGiB ?? "?"} GiB${runtime.compiled ? ", compiled executable" : ""}`,
  );
  const cuda = cudaInfo();
  say(
    `nvidia: ${
      cuda.gpus?.length
        ? cuda.gpus.map((g) => `${g.name} (driver ${g.driver}, ${g.memory}, sm ${g.computeCapability ?? "?"})`).join(
          "; ",
        )
        : "no GPU visible (nvidia-smi absent or no device)"
    }; libcudart: ${Object.keys(cuda.cudart).join(", ") || "none"}; libcudnn: ${
      Object.keys(cuda.cudnn).join(", ") || "none"
    }; CUDA header ${cuda.cudaHeader?.version ?? "none"}; cuDNN header ${cuda.cudnnHeader?.version ?? "none"}`,
  );

  // ---- availability -----------------------------------------------------------------------
  const reports: BackendReport[] = [];
  const consider = (n: CheckedBackend) => !wanted || wanted.includes(n);
  // tensorflow first: loading it must not disturb the others (it only registers a backend)
  reports.push(
    consider("tensorflow") ? await tensorflowAvailability(cuda) : {
      name: "tensorflow",
      available: false,
      gpu: false,
      reason: "not requested",
    },
  );
  const wg = await probeWebgpu();
  reports.push({
    name: "webgpu",
    available: !!wg.adapter && consider("webgpu"),
    gpu: !!wg.adapter?.hardware,
    reason: !consider("webgpu")
      ? "not requested"
      : wg.adapter
      ? `adapter ${wg.adapter.description} (${wg.why})`
      : `unavailable: ${wg.why}`,
    details: { adapter: wg.adapter },
  });
  reports.push({
    name: "wasm",
    available: consider("wasm"),
    gpu: false,
    reason: consider("wasm") ? "tfjs-backend-wasm with the toolkit's SIMD kernels (always available)" : "not requested",
  });
  reports.push({
    name: "cpu",
    available: consider("cpu"),
    gpu: false,
    reason: consider("cpu") ? "pure JavaScript reference (always available, slow)" : "not requested",
  });
  for (const r of reports) {
    say(`backend ${r.name.padEnd(10)} ${r.available ? "AVAILABLE" : "unavailable"}: ${r.reason}`);
  }

  // ---- checks on each available backend -----------------------------------------------------
  let failed = false;
  for (const r of reports.filter((x) => x.available)) {
    try {
      r.numerical = await numericalCheck(r.name);
      const n = r.numerical;
      if (!n.pass) failed = true;
      say(
        `  ${r.name}: numerical check vs cpu (small UNet step, ${n.tensors} gradients): loss rel. error ` +
          `${n.lossRelErr.toExponential(2)}, max gradient rel. error ${n.gradMaxRelErr.toExponential(2)} ` +
          `(${n.worstParam}) -> ${n.pass ? "PASS" : "FAIL"}`,
      );
    } catch (err) {
      failed = true;
      r.numerical = { error: (err as Error).message };
      say(`  ${r.name}: numerical check FAILED to run: ${(err as Error).message}`);
      continue;
    }
    await useBackend(r.name);
    if (r.name === "cpu" && !wanted?.includes("cpu")) {
      // the pure-JS reference takes minutes for one 19-GFLOP step; timed only when asked for by name
      r.unetStep = { skipped: "the cpu backend is the numerical reference (pass --backend cpu to time it)" };
      say(`  cpu: unet-step skipped (${r.unetStep.skipped})`);
      continue;
    }
    if (r.name === "webgpu" && !r.gpu && !wanted?.includes("webgpu") && values.steps === undefined) {
      // a software adapter (Mesa llvmpipe) ran one 19-GFLOP unet-step for over 10 minutes here
      r.unetStep = {
        skipped: "software WebGPU adapter: a correctness check only (pass --backend webgpu --steps 1 to time it)",
      };
      say(`  webgpu: unet-step skipped (${r.unetStep.skipped})`);
      continue;
    }
    const steps = intFlag(values.steps, "steps", r.name === "cpu" ? 1 : 3);
    if (steps < 1) {
      r.unetStep = { skipped: "--steps 0" };
    } else {
      r.unetStep = await unetStepTiming(steps);
      say(
        `  ${r.name}: unet-step ${r.unetStep.median_ms} ms (${r.unetStep.gflops_per_s} GFLOP/s, ` +
          `${r.unetStep.step_gflop} GFLOP/step, median of ${steps})`,
      );
    }
    const runFgi = values.fgi ? true : values["no-fgi"] ? false : r.gpu;
    if (!runFgi) {
      r.fgiPaperIteration = {
        skipped: values["no-fgi"] ? "--no-fgi" : "not a GPU backend (minutes on a CPU; pass --fgi to run it)",
      };
      say(`  ${r.name}: FGI iteration at the paper profile skipped (${r.fgiPaperIteration.skipped})`);
      continue;
    }
    const accumulate = intFlag(values.accumulate, "accumulate", r.gpu ? 1 : 8);
    r.fgiPaperIteration = await fgiPaperIteration({ accumulate, warmup: r.gpu ? 1 : 0 });
    const f = r.fgiPaperIteration;
    say(
      `  ${r.name}: FGI iteration at the paper profile: ${f.seconds} s (${f.gflop} GFLOP, ${f.gflops_per_s} ` +
        `GFLOP/s, ${accumulate} micro-batch${accumulate > 1 ? "es" : ""}${
          f.first_seconds !== undefined ? `; first iteration ${f.first_seconds} s` : ""
        }) -> a 15,000-iteration paper run ~${f.paper_run_hours} h`,
    );
  }
  if (values.json) {
    console.log(
      JSON.stringify({ provenance: provenance({ task: "doctor" }), runtime, cuda, backends: reports }, null, 2),
    );
  }
  if (failed) {
    console.error("doctor: a numerical check failed (see above): do not train on that backend");
    Deno.exit(1);
  }
});
