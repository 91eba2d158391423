/**
 * `deno task bench [--case NAME[,NAME]] [--backend B] [--json] [--quick] [--data-dir DIR] [--peer torch]
 *  [--threads N] [--peer-threads N] [--method M] [--config FILE] [--warmup N] [--steps N] [--rounds N]`
 *
 * Runs the benchmark cases (speed and memory targets live here, not in tests)
 * and prints one JSON object: `{ provenance, cases: { name: result } }` with
 * `--json`, or a readable summary otherwise.
 *
 * @module
 */
import { intFlag, parseTaskArgs, provenance, runTask } from "../lib/core/mod.ts";
import { selectBackend, setWasmThreads } from "../lib/backend/mod.ts";
import { resolveDataRoot } from "../lib/data/data_root.ts";
import type { BenchCase } from "./bench/types.ts";
import { BENCH_CASES } from "./bench/cases.ts";

const USAGE = `deno task bench [--case NAME[,NAME...]] [--backend auto|tensorflow|webgpu|wasm|cpu] [--json] [--quick]
                 [--peer torch]   (cases that support it also run in PyTorch and report the ratio)
                 [--threads N]    (wasm thread pool size, as GAZE_WASM_THREADS; 0 = one per core; default
                                   one per core up to 2; the PyTorch peer gets torch.set_num_threads(N))
                 [--peer-threads N]  (the PyTorch peer's threads when they should differ, e.g. the toolkit's
                                   default against PyTorch on one thread)
                 [--method M]     (train-step: fullsup | gaze1 | gazemedseg | fgi; default all four)
                 [--config FILE]  (train-step: training config, default configs/kvasir.cpu.json)
                 [--warmup N] [--steps N]  (train-step: untimed / timed iterations, default 3 / 20)
                 [--rounds N]     (train-step, unet-step: N rounds, toolkit and peer alternating; medians over rounds,
                                   the range and the median of the per-round ratios: on a machine whose speed drifts,
                                   ratio_median is the robust figure)

Cases:
${BENCH_CASES.map((c: BenchCase) => `  ${c.name.padEnd(22)} ${c.description}`).join("\n")}`;

function loadAverage(): number[] | undefined {
  try {
    return Deno.loadavg().map((v) => +v.toFixed(2));
  } catch {
    return undefined; // not available on this platform / without --allow-sys
  }
}

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    flags: {
      case: { type: "string" },
      json: { type: "boolean" },
      quick: { type: "boolean" },
      peer: { type: "string" },
      threads: { type: "string" },
      "peer-threads": { type: "string" },
      method: { type: "string" },
      config: { type: "string" },
      warmup: { type: "string" },
      steps: { type: "string" },
      rounds: { type: "string" },
    },
  });
  const wanted = values.case?.split(",").map((s) => s.trim()).filter(Boolean);
  for (const w of wanted ?? []) {
    if (!BENCH_CASES.some((c) => c.name === w)) throw new Error(`unknown bench case '${w}'\n\n${USAGE}`);
  }
  const threads = values.threads === undefined ? undefined : intFlag(values.threads, "threads", 1);
  if (threads !== undefined) {
    if (threads < 0) throw new Error(`--threads: expected a whole number >= 0, got ${threads}`);
    setWasmThreads(threads);
  }
  const choice = await selectBackend(values.backend, { quiet: values.json });
  const dataRoot = resolveDataRoot({ dataDir: values["data-dir"] });
  const count = (v: string | undefined, name: string) => {
    const n = v === undefined ? undefined : intFlag(v, name, 0);
    if (n !== undefined && n < 0) throw new Error(`--${name}: expected a whole number >= 0, got ${n}`);
    return n;
  };
  const ctx = {
    backend: choice.name,
    dataRoot,
    quick: values.quick ?? false,
    peer: values.peer,
    // 0 = one per core: report the resolved count
    threads: threads === 0 ? navigator.hardwareConcurrency : threads,
    peerThreads: count(values["peer-threads"], "peer-threads") || undefined,
    method: values.method,
    config: values.config,
    warmup: count(values.warmup, "warmup"),
    steps: count(values.steps, "steps"),
    rounds: count(values.rounds, "rounds"),
  };
  const cases: Record<string, unknown> = {};
  const loadBefore = loadAverage();
  for (const c of BENCH_CASES) {
    if (wanted && !wanted.includes(c.name)) continue;
    if (!values.json) console.error(`bench: ${c.name} ...`);
    try {
      cases[c.name] = await c.run(ctx);
    } catch (err) {
      cases[c.name] = { error: (err as Error).message };
    }
    if (!values.json) console.log(`${c.name}: ${JSON.stringify(cases[c.name])}`);
  }
  // how busy the machine was (1, 5, 15 min load averages): timings are only comparable at similar load
  const load = { before: loadBefore, after: loadAverage(), cores: navigator.hardwareConcurrency };
  const out = {
    provenance: provenance({ backend: choice.name, backendReason: choice.reason, dataRoot, load_average: load }),
    cases,
  };
  if (values.json) console.log(JSON.stringify(out, null, 2));
});
