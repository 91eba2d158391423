/**
 * `deno task reproduce [--dataset auto|kvasir|nci-isbi|isic|synthetic] [--profile smoke|cpu|paper]
 *   [--only main,ablation,sensitivity,diagnosis,long,figures] [--seeds 0,1,2] [--backend ...] [--data-dir DIR]
 *   [--out DIR] [--config FILE] [--no-fetch] [--no-static] [--plan | --slurm [slurm options] [--submit] | --collect]`
 *
 * Runs the experiment plan and writes tables, figures and a README into
 * `<out>/<dataset>/<profile>/` (default `results/`). See lib/report/reproduce.ts.
 *
 * @module
 */
import { intFlag, parseTaskArgs, runTask } from "../lib/core/cli.ts";
import {
  formatPlan,
  missingPreparation,
  planEntries,
  slurmScripts,
  submitSlurm,
  writePlanJson,
  writeSlurmScripts,
} from "../lib/report/grid.ts";
import { DATASET_REQUESTS, type DatasetRequest } from "../lib/report/dataset_choice.ts";
import {
  ensureWritableDerived,
  reproduce,
  REPRODUCE_PARTS,
  type ReproducePart,
  resolvePlan,
} from "../lib/report/reproduce.ts";
import { TRAIN_PROFILES, type TrainProfile } from "../lib/train/config.ts";

const USAGE = `usage: deno task reproduce [options]

Trains every run the paper's tables need, evaluates them and writes tables (Markdown, CSV, JSON),
figures (HTML; PNG/SVG where Chromium exists) and a README with provenance into
results/<dataset>/<profile>/. Resumable: finished runs are reused, a killed run continues.

options:
  --dataset D      auto (default): Kvasir-SEG when it is in the data root (or can be fetched),
                   else synthetic | kvasir | nci-isbi | isic | synthetic
  --profile P      smoke | cpu | paper (default: cpu for real data, smoke for synthetic)
  --only LIST      main,ablation,sensitivity,diagnosis,long,figures (default all but diagnosis and long;
                   figures also writes the main table; diagnosis = issue 11's FGI student diagnosis; long = the
                   code variant, FGI without DARM, GazeMedSeg and full supervision at 4x the profile's
                   iterations; both 3 seeds by default)
  --seeds LIST     e.g. 0,1,2 (default 0, or 0,1,2 with diagnosis or long); tables then show mean ± std over seeds
  --backend B      auto | tensorflow | webgpu | wasm | cpu (default $GAZE_BACKEND or auto)
  --data-dir DIR   data root (default $GAZE_DATA_DIR, then ./data/cache)
  --out DIR        results root (default $GAZE_RESULTS_DIR, then ./results)
  --config FILE    base training config (default configs/<dataset>.<profile>.json)
  --no-fetch       with --dataset auto, do not try to download Kvasir-SEG
  --no-static      HTML figures only (skip PNG/SVG even where Chromium exists)
  --quiet          no progress bars

the grid outside this process (see "Running the grid on a cluster" in the README):
  --plan           print the plan (run id, method, dataset, profile, seed, config hash, estimated
                   cost, status) and write it to <out>/<dataset>/<profile>/plan.json; trains nothing
  --slurm          write slurm/grid.sbatch (a job array: one task per unfinished run, each
                   \`deno task train --run-id ID\`), slurm/collect.sbatch (--collect, run after the
                   array with --dependency=afterany), slurm/prepare.sbatch (only when gaze maps or
                   text embeddings are missing; the array waits for it) and slurm/submit.sh; prints
                   the sbatch commands
    --partition P      --gres G (e.g. gpu:1)      --time HH:MM:SS      --cpus-per-task N
    --array-limit N    at most N array tasks at once (%N; default 8)
    --container FILE   run each command as \`apptainer exec --nv FILE.sif ...\`
    --submit           also submit them (sbatch), printing the job ids
  --collect        build tables and figures from the finished run folders only: trains nothing;
                   unfinished runs are listed and the tables needing them skipped (exit status 3)`;

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
      plan: { type: "boolean" },
      slurm: { type: "boolean" },
      collect: { type: "boolean" },
      submit: { type: "boolean" },
      partition: { type: "string" },
      gres: { type: "string" },
      time: { type: "string" },
      container: { type: "string" },
      "array-limit": { type: "string" },
      "cpus-per-task": { type: "string" },
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
  const modes = (["plan", "slurm", "collect"] as const).filter((m) => values[m]);
  if (modes.length > 1) throw new Error(`--${modes.join(" and --")} exclude each other`);
  const slurmOnly = ["submit", "partition", "gres", "time", "container", "array-limit", "cpus-per-task"] as const;
  for (const f of slurmOnly) if (values[f] !== undefined && !values.slurm) throw new Error(`--${f} needs --slurm`);
  const options = {
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
  };
  if (values.plan || values.slurm) {
    const resolved = await resolvePlan(options, (s) => console.error(s));
    const entries = await planEntries(resolved);
    for (const line of formatPlan(entries)) console.log(line);
    console.log(`plan: ${await writePlanJson(resolved, entries)}`);
    if (!values.slurm) return;
    // The jobs write gaze maps and embeddings where this process would (exported into the scripts).
    const derivedNote = resolved.choice.dataset === "synthetic"
      ? undefined
      : await ensureWritableDerived(resolved.root);
    if (derivedNote) console.error(derivedNote);
    const scripts = slurmScripts(resolved, entries, {
      partition: values.partition,
      gres: values.gres,
      time: values.time,
      container: values.container,
      cpusPerTask: values["cpus-per-task"] !== undefined
        ? intFlag(values["cpus-per-task"], "cpus-per-task", 1)
        : undefined,
      arrayLimit: values["array-limit"] !== undefined ? intFlag(values["array-limit"], "array-limit", 8) : undefined,
      backend: values.backend,
      noStatic: !!values["no-static"],
      prepare: (await missingPreparation(resolved)).length > 0,
    });
    const files = await writeSlurmScripts(resolved, scripts);
    console.log(
      files.array
        ? `slurm: ${
          files.prepare ? `${files.prepare} (gaze/text preparation first), ` : ""
        }${files.array} (${scripts.runs.length} array tasks), ${files.collect}, ${files.submit}`
        : `slurm: every run is finished; ${files.collect}, ${files.submit}`,
    );
    if (!values.submit) {
      console.log(`submit with:\n  ${files.commands.join("\n  ")}\n(or: bash ${files.submit})`);
      return;
    }
    const jobs = await submitSlurm(files);
    console.log(
      jobs.array
        ? `${
          jobs.prepare ? `submitted prepare job ${jobs.prepare}; ` : ""
        }submitted job array ${jobs.array} and collect job ${jobs.collect} (--dependency=afterany:${jobs.array})`
        : `submitted collect job ${jobs.collect}`,
    );
    return;
  }
  const report = await reproduce({ ...options, collect: !!values.collect });
  console.log(report.readme);
  if (report.missing.length) {
    console.error(`reproduce --collect: ${report.missing.length} runs not finished: ${report.missing.join(", ")}`);
    Deno.exit(3);
  }
});
