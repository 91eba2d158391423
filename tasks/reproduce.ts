/**
 * `deno task reproduce [--dataset auto|kvasir|nci-isbi|isic|synthetic] [--profile smoke|cpu|paper]
 *   [--only main,ablation,sensitivity,diagnosis,figures] [--seeds 0,1,2] [--backend ...] [--data-dir DIR]
 *   [--out DIR] [--config FILE] [--no-fetch] [--no-static]`
 *
 * Runs the experiment plan and writes tables, figures and a README into
 * `<out>/<dataset>/<profile>/` (default `results/`). See lib/report/reproduce.ts.
 *
 * @module
 */
import { parseTaskArgs, runTask } from "../lib/core/cli.ts";
import { DATASET_REQUESTS, type DatasetRequest } from "../lib/report/dataset_choice.ts";
import { reproduce, REPRODUCE_PARTS, type ReproducePart } from "../lib/report/reproduce.ts";
import { TRAIN_PROFILES, type TrainProfile } from "../lib/train/config.ts";

const USAGE = `usage: deno task reproduce [options]

Trains every run the paper's tables need, evaluates them and writes tables (Markdown, CSV, JSON),
figures (HTML; PNG/SVG where Chromium exists) and a README with provenance into
results/<dataset>/<profile>/. Resumable: finished runs are reused, a killed run continues.

options:
  --dataset D      auto (default): Kvasir-SEG when it is in the data root (or can be fetched),
                   else synthetic | kvasir | nci-isbi | isic | synthetic
  --profile P      smoke | cpu | paper (default: cpu for real data, smoke for synthetic)
  --only LIST      main,ablation,sensitivity,diagnosis,figures (default all but diagnosis; figures also
                   writes the main table; diagnosis = issue 11's FGI student diagnosis, 3 seeds by default)
  --seeds LIST     e.g. 0,1,2 (default 0, or 0,1,2 with diagnosis); tables then show mean ± std over seeds
  --backend B      auto | tensorflow | webgpu | wasm | cpu (default $GAZE_BACKEND or auto)
  --data-dir DIR   data root (default $GAZE_DATA_DIR, then ./data/cache)
  --out DIR        results root (default $GAZE_RESULTS_DIR, then ./results)
  --config FILE    base training config (default configs/<dataset>.<profile>.json)
  --no-fetch       with --dataset auto, do not try to download Kvasir-SEG
  --no-static      HTML figures only (skip PNG/SVG even where Chromium exists)
  --quiet          no progress bars`;

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    flags: {
      dataset: { type: "string" },
      profile: { type: "string" },
      only: { type: "string" },
      seeds: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
      "no-fetch": { type: "boolean" },
      "no-static": { type: "boolean" },
    },
    usage: USAGE,
    allowPositionals: false,
  });
  const dataset = (values.dataset ?? "auto") as DatasetRequest;
  if (!DATASET_REQUESTS.includes(dataset)) {
    throw new Error(`--dataset: expected one of ${DATASET_REQUESTS.join(", ")}, got '${values.dataset}'`);
  }
  const profile = values.profile as TrainProfile | undefined;
  if (profile !== undefined && !TRAIN_PROFILES.includes(profile)) {
    throw new Error(`--profile: expected one of ${TRAIN_PROFILES.join(", ")}, got '${profile}'`);
  }
  const only = values.only?.split(",").map((s) => s.trim()).filter(Boolean) as ReproducePart[] | undefined;
  for (const p of only ?? []) {
    if (!REPRODUCE_PARTS.includes(p)) {
      throw new Error(`--only: unknown '${p}' (expected ${REPRODUCE_PARTS.join(", ")})`);
    }
  }
  const seeds = values.seeds?.split(",").map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 0) throw new Error(`--seeds: expected integers >= 0, got '${s}'`);
    return n;
  });
  const report = await reproduce({
    dataset,
    profile,
    only,
    seeds,
    backend: values.backend,
    dataDir: values["data-dir"],
    resultsRoot: values.out,
    config: values.config,
    fetch: !values["no-fetch"],
    staticFigures: values["no-static"] ? false : undefined,
    quiet: values.quiet,
    command: `deno task reproduce${Deno.args.length ? " " + Deno.args.join(" ") : ""}`,
  });
  console.log(report.readme);
});
