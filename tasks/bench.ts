/**
 * `deno task bench [--case NAME[,NAME]] [--backend B] [--json] [--quick] [--data-dir DIR]`
 *
 * Runs the benchmark cases (speed and memory targets live here, not in tests)
 * and prints one JSON object: `{ provenance, cases: { name: result } }` with
 * `--json`, or a readable summary otherwise.
 *
 * @module
 */
import { parseTaskArgs, provenance, runTask } from "../lib/core/mod.ts";
import { selectBackend } from "../lib/backend/mod.ts";
import { resolveDataRoot } from "../lib/data/data_root.ts";
import type { BenchCase } from "./bench/types.ts";
import { BENCH_CASES } from "./bench/cases.ts";

const USAGE = `deno task bench [--case NAME[,NAME...]] [--backend auto|tensorflow|webgpu|wasm|cpu] [--json] [--quick]
                 [--peer torch]   (cases that support it also run in PyTorch and report the ratio)

Cases:
${BENCH_CASES.map((c: BenchCase) => `  ${c.name.padEnd(22)} ${c.description}`).join("\n")}`;

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    flags: {
      case: { type: "string" },
      json: { type: "boolean" },
      quick: { type: "boolean" },
      peer: { type: "string" },
    },
  });
  const wanted = values.case?.split(",").map((s) => s.trim()).filter(Boolean);
  for (const w of wanted ?? []) {
    if (!BENCH_CASES.some((c) => c.name === w)) throw new Error(`unknown bench case '${w}'\n\n${USAGE}`);
  }
  const choice = await selectBackend(values.backend, { quiet: values.json });
  const dataRoot = resolveDataRoot({ dataDir: values["data-dir"] });
  const ctx = { backend: choice.name, dataRoot, quick: values.quick ?? false, peer: values.peer };
  const cases: Record<string, unknown> = {};
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
  const out = { provenance: provenance({ backend: choice.name, backendReason: choice.reason, dataRoot }), cases };
  if (values.json) console.log(JSON.stringify(out, null, 2));
});
