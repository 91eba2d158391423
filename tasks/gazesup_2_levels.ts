/**
 * `deno task gazesup_<dataset>_2_levels [--profile paper|cpu|smoke] [--seed N] [--variant code|paper]
 *   [--backend B] [--data-dir DIR] [--out DIR] [--config FILE]`
 *
 * Named after the authors' `gazesup_kvasir_2_levels.sh`, `gazesup_prostate_2_levels.sh` and
 * `gazesup_isic_2_levels.sh`: trains FGI (teacher + student, 2 gaze levels) with the paper
 * protocol (default profile `paper`; the `code` variant, which produced the published numbers)
 * on one dataset, evaluates the best and last checkpoints on the test split and prints the
 * student's scores. The run folder is `results/<dataset>/<profile>/runs/fgi-<variant>_s<seed>/`,
 * which `deno task reproduce` then reuses. Usage: `deno run -A tasks/gazesup_2_levels.ts <dataset> ...`.
 *
 * @module
 */
import { parseTaskArgs, runTask } from "../lib/core/cli.ts";
import { DATASET_NAMES } from "../lib/data/open_dataset.ts";
import type { DatasetName } from "../lib/data/types.ts";
import { aggregateMetric } from "../lib/report/per_image.ts";
import { trainSingleRun } from "../lib/report/reproduce.ts";
import { TRAIN_PROFILES, type TrainProfile } from "../lib/train/config.ts";

const USAGE = `usage: deno task gazesup_kvasir_2_levels | gazesup_prostate_2_levels | gazesup_isic_2_levels [options]
       (= deno run -A tasks/gazesup_2_levels.ts <kvasir|nci-isbi|isic|synthetic> [options])

Trains FGI with two gaze levels as the authors' scripts of the same name do, evaluates the student.

options:
  --profile P     paper (default: the published protocol, a GPU host) | cpu | smoke
  --variant V     code (default: the released code) | paper (the article's description)
  --seed N        seed (default: the config's, 0)
  --backend B     auto | tensorflow | webgpu | wasm | cpu
  --data-dir DIR  data root (default $GAZE_DATA_DIR, then ./data/cache)
  --out DIR       results root (default $GAZE_RESULTS_DIR, then ./results)
  --config FILE   training config (default configs/<dataset>.<profile>.json)
  --quiet         no progress bars`;

await runTask(async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    flags: {
      profile: { type: "string" },
      variant: { type: "string" },
      seed: { type: "string" },
      out: { type: "string" },
      config: { type: "string" },
    },
    usage: USAGE,
  });
  const dataset = positionals[0] as DatasetName;
  if (positionals.length !== 1 || !DATASET_NAMES.includes(dataset)) {
    throw new Error(
      `expected one dataset (${DATASET_NAMES.join(", ")}), got ${JSON.stringify(positionals)}\n\n${USAGE}`,
    );
  }
  const profile = (values.profile ?? "paper") as TrainProfile;
  if (!TRAIN_PROFILES.includes(profile)) throw new Error(`--profile: expected ${TRAIN_PROFILES.join(", ")}`);
  const variant = values.variant ?? "code";
  if (variant !== "code" && variant !== "paper") throw new Error(`--variant: expected code or paper, got '${variant}'`);
  let seed: number | undefined;
  if (values.seed !== undefined) {
    seed = Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed: expected an integer >= 0, got '${values.seed}'`);
  }
  const { run, outcome } = await trainSingleRun({
    dataset,
    profile,
    key: `fgi-${variant}`,
    seed,
    backend: values.backend,
    dataDir: values["data-dir"],
    resultsRoot: values.out,
    config: values.config,
    quiet: values.quiet,
  });
  const fmt = (rows: typeof outcome.best, k: "dice" | "hd95" | "asd", scale: number) => {
    const a = aggregateMetric([rows], k);
    return a.mean === null ? "–" : `${(a.mean * scale).toFixed(2)} ± ${(a.std! * scale).toFixed(2)}` +
      (a.nUndefined ? ` (${a.nUndefined} undefined)` : "");
  };
  for (const ck of ["best", "last"] as const) {
    const rows = outcome[ck];
    console.log(
      `${ck} checkpoint${ck === "best" ? ` (iteration ${outcome.bestIteration})` : ""}: student Dice ${
        fmt(rows, "dice", 100)
      } %, HD95 ${fmt(rows, "hd95", 1)} ${outcome.unit}, ASD ${fmt(rows, "asd", 1)} ${outcome.unit} ` +
        `over ${rows.length} test images`,
    );
  }
  console.log(`run ${run.status}: ${outcome.dir}`);
});
