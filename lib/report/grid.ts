/**
 * The experiment grid outside one process: the plan as a list (`deno task reproduce --plan`),
 * one run by id (`deno task train --run-id`), and SLURM batch scripts that run the pending
 * runs as a job array followed by a dependent collect job (`deno task reproduce --slurm`).
 *
 * Every run is an independent process whose only mutable files are its own run folder
 * (`<results>/<dataset>/<profile>/runs/<id>/`); the derived-data caches it shares with other
 * runs (decoded images, gaze maps, text embeddings) are written atomically and hold the same
 * bytes whoever writes them. A re-submitted array skips finished runs (done.json) and
 * resumes killed ones from their `last` checkpoint, so `--requeue` and re-submission are safe.
 *
 * ```
 * <results>/<dataset>/<profile>/
 *   plan.json                    the plan with each run's config hash, cost estimate and status
 *   slurm/prepare.sbatch         only when gaze maps / text embeddings are missing: prepared once, first
 *   slurm/grid.sbatch            job array: task i runs RUNS[i] (pending runs only), %N at a time
 *   slurm/collect.sbatch         tables and figures from the run folders (trains nothing)
 *   slurm/submit.sh              sbatch [prepare,] the array (afterok:prepare), then collect (afterany:array)
 *   slurm/logs/                  one log per array task and per collect job
 * ```
 *
 * @module
 */
import { join, resolve } from "node:path";
import { atomicWrite } from "../core/atomic_write.ts";
import { provenance } from "../core/provenance.ts";
import { type MethodName, type TrainConfig, VARIANT_SWITCHES } from "../train/config.ts";
import { openDataset } from "../data/open_dataset.ts";
import { checkSupervision } from "../train/supervision.ts";
import { EXPERIMENT_GROUPS, experimentPlan, type RunSpec } from "./plan.ts";
import { type ResolvedPlan, runConfig, type RunStatus, runStatus } from "./reproduce.ts";

/** Format tag of plan.json. */
export const PLAN_FORMAT = "gaze-insight-plan/1";

/**
 * Measured training seconds per iteration at the cpu profile (64 px, batch 8, widest network
 * 128 channels; FGI: teacher 8..128, student 8..64) on the project's 2-core build machine with
 * the wasm backend (reproduction of issue 7). `gaze1` trains the same UNet as `fullsup`.
 */
export const CPU_REFERENCE = {
  imageSize: 64,
  batchSize: 8,
  width: 128,
  secondsPerIteration: { fullsup: 0.15, gaze1: 0.15, gazemedseg: 0.87, fgi: 0.81 } as Record<MethodName, number>,
} as const;

/**
 * Per-iteration floor: seconds per iteration measured at the smoke profile (32 px, batch 4,
 * widths up to 32) on the same machine with the wasm backend, under load (~9 on 2 cores): there
 * the per-op overhead, not the arithmetic, sets the pace, so smaller configs do not get faster.
 */
export const STEP_FLOOR: Readonly<Record<MethodName, number>> = {
  fullsup: 0.2,
  gaze1: 0.28,
  gazemedseg: 0.65,
  fgi: 0.5,
};

/** What the cost estimate means (written next to it in plan.json and the printed plan). */
export const COST_BASIS: string =
  "estimated training seconds on 2 CPU cores (wasm): per iteration the larger of the smoke " +
  "profile's measured step time and the cpu profile's, scaled by pixels x batch x (widest channels)^2; evaluation " +
  "and start-up not included; a GPU backend is far faster";

/**
 * Estimated training seconds of `method` under `config` on the reference machine: per
 * iteration the larger of {@link STEP_FLOOR} and the cpu profile's measured seconds per
 * iteration ({@link CPU_REFERENCE}) scaled by image pixels, batch size and the square of the
 * widest channel count (convolution work grows with both channel counts).
 */
export function estimateSeconds(config: TrainConfig, method: MethodName): number {
  const widths = method === "fgi" ? config.models.teacher : config.models.unet;
  const width = Math.max(...widths);
  const r = CPU_REFERENCE;
  const scale = (config.imageSize / r.imageSize) ** 2 * (config.batchSize / r.batchSize) * (width / r.width) ** 2;
  return config.iterations * Math.max(STEP_FLOOR[method], r.secondsPerIteration[method] * scale);
}

/** One run of the plan as listed by `--plan` and plan.json. */
export interface PlanEntry {
  /** Run id (`<key>_s<seed>`): the folder under `runs/` and the argument of `train --run-id`. */
  id: string;
  /** Row key (the id without the seed). */
  key: string;
  /** Human label. */
  label: string;
  /** Training method. */
  method: MethodName;
  /** Dataset. */
  dataset: string;
  /** Profile. */
  profile: string;
  /** Seed. */
  seed: number;
  /** Tables that use the run. */
  groups: string[];
  /** sha256 of the run's full config as written to its config.json. */
  configHash: string;
  /** {@link estimateSeconds}. */
  estimatedSeconds: number;
  /** Where the run stands on disk. */
  status: RunStatus["status"];
  /** {@link RunStatus.detail}. */
  detail: string;
}

/** sha256 hex of a string. */
async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The plan's runs with config hashes, cost estimates and on-disk status. */
export async function planEntries(p: ResolvedPlan): Promise<PlanEntry[]> {
  const out: PlanEntry[] = [];
  for (const spec of p.plan.runs) {
    const config = runConfig(p.base, spec);
    const st = await runStatus(config, join(p.dir, "runs", spec.id));
    out.push({
      id: spec.id,
      key: spec.key,
      label: spec.label,
      method: spec.method,
      dataset: p.choice.dataset,
      profile: p.profile,
      seed: spec.seed,
      groups: [...spec.groups],
      configHash: await sha256(JSON.stringify(config, null, 2) + "\n"),
      estimatedSeconds: Math.round(estimateSeconds(config, spec.method) * 10) / 10,
      status: st.status,
      detail: st.detail,
    });
  }
  return out;
}

/** Seconds as a short duration: `42 s`, `12.5 min`, `3.2 h`, `4.1 d`. */
export function formatDuration(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(0)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  if (seconds < 3 * 86400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} d`;
}

/** The plan as aligned text lines: a header, one line per run, a total. */
export function formatPlan(entries: readonly PlanEntry[]): string[] {
  const head = ["run id", "method", "dataset", "profile", "seed", "config hash", "est. cost", "status"];
  const rows = entries.map((e) => [
    e.id,
    e.method,
    e.dataset,
    e.profile,
    String(e.seed),
    e.configHash.slice(0, 12),
    formatDuration(e.estimatedSeconds),
    e.status === "partial" ? `partial (${e.detail})` : e.status,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd();
  const total = entries.reduce((s, e) => s + e.estimatedSeconds, 0);
  const pending = entries.filter((e) => e.status !== "done");
  return [
    line(head),
    ...rows.map(line),
    `${entries.length} runs, ${pending.length} not finished; est. cost ${formatDuration(total)} in all ` +
    `(${formatDuration(pending.reduce((s, e) => s + e.estimatedSeconds, 0))} not finished) — ${COST_BASIS}`,
  ];
}

/** Write plan.json (atomically) into the results folder; returns its path. */
export async function writePlanJson(p: ResolvedPlan, entries: readonly PlanEntry[], path?: string): Promise<string> {
  const file = path ?? join(p.dir, "plan.json");
  const body = {
    format: PLAN_FORMAT,
    dataset: p.choice.dataset,
    profile: p.profile,
    config: p.configPath,
    configSha256: await sha256(p.configText),
    parts: p.parts,
    seeds: p.seeds,
    resultsDir: p.dir,
    costBasis: COST_BASIS,
    estimatedSeconds: Math.round(entries.reduce((s, e) => s + e.estimatedSeconds, 0) * 10) / 10,
    runs: entries,
    provenance: provenance({ task: "reproduce --plan" }),
  };
  await atomicWrite(file, JSON.stringify(body, null, 2) + "\n");
  return file;
}

/**
 * The plan entry of run `id` (`<key>_s<seed>`) of the plan of `base`: every table's rows at
 * that seed, so any run `reproduce` can plan is found. Throws with the known keys otherwise.
 */
export function findRun(base: TrainConfig, id: string): RunSpec {
  const m = /^(.+)_s(\d+)$/.exec(id);
  if (!m) throw new Error(`--run-id: '${id}' is not a run id (expected <key>_s<seed>, e.g. fgi-code_s0)`);
  const plan = experimentPlan(base, {
    groups: EXPERIMENT_GROUPS,
    seeds: [Number(m[2])],
    paperSwitches: VARIANT_SWITCHES.paper,
  });
  const spec = plan.runs.find((r) => r.id === id);
  if (!spec) {
    throw new Error(
      `--run-id: no run '${id}' in the plan (known keys: ${[...new Set(plan.runs.map((r) => r.key))].join(", ")})`,
    );
  }
  return spec;
}

/**
 * What preparation the plan's dataset still lacks (gaze maps, text embeddings of both splits),
 * as messages; empty for synthetic data (simulated on the fly) and when everything exists.
 */
export async function missingPreparation(p: ResolvedPlan): Promise<string[]> {
  if (p.choice.dataset === "synthetic") return [];
  const dataset = await openDataset(p.choice.dataset, { root: p.root, synthetic: p.base.synthetic, quiet: true });
  const m = await checkSupervision(dataset, p.base, {
    root: p.root,
    needs: { gaze: true, text: true },
    splits: ["train", "test"],
  });
  return m.messages;
}

/** Options of {@link slurmScripts}. */
export interface SlurmOptions {
  /** `--partition`. */
  partition?: string;
  /** `--gres` (e.g. `gpu:1`). */
  gres?: string;
  /** `--time` limit of each array task (HH:MM:SS or D-HH:MM:SS). */
  time?: string;
  /** `--cpus-per-task`. */
  cpusPerTask?: number;
  /** Apptainer image: commands run as `apptainer exec --nv FILE.sif ...`. */
  container?: string;
  /** At most this many array tasks at once (`%N`; default 8). */
  arrayLimit?: number;
  /** `--backend` passed to every run. */
  backend?: string;
  /** Collect: HTML figures only. */
  noStatic?: boolean;
  /** The Deno executable the scripts call (default this one; `deno` inside a container). */
  deno?: string;
  /** Toolkit checkout the jobs `cd` into (default this one). */
  toolkit?: string;
  /**
   * Gaze maps / text embeddings are missing (see {@link missingPreparation}): add a prepare job
   * (`prepare`, `describe`, `encode`) that the array waits for (`--dependency=afterok`), so that
   * the array tasks never prepare the same files at once.
   */
  prepare?: boolean;
}

/** The generated files (text) of {@link slurmScripts}. */
export interface SlurmScripts {
  /** Pending run ids, in array-index order. */
  runs: string[];
  /** The job array (absent when nothing is pending). */
  array?: string;
  /** The prepare job (only with {@link SlurmOptions.prepare}). */
  prepare?: string;
  /** The collect job. */
  collect: string;
  /** The submission script. */
  submit: string;
}

/** Paths of {@link writeSlurmScripts}. */
export interface SlurmFiles {
  /** `slurm/grid.sbatch` (absent when nothing is pending). */
  array?: string;
  /** `slurm/prepare.sbatch` (only when preparation is missing). */
  prepare?: string;
  /** `slurm/collect.sbatch`. */
  collect: string;
  /** `slurm/submit.sh`. */
  submit: string;
  /** `slurm/logs/`. */
  logs: string;
  /** The commands that submit them (what `submit.sh` runs). */
  commands: string[];
}

const TIME_RE = /^(\d+-)?\d{1,3}:\d{2}:\d{2}$/;

/** Quote for bash when needed. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The toolkit checkout. */
function toolkitRoot(): string {
  return new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
}

/**
 * The text of the SLURM scripts for the runs of `p` that are not finished (`entries` from
 * {@link planEntries}). Each array task runs one run by id; the collect job rebuilds tables and
 * figures from the run folders. Paths in the scripts are absolute.
 */
export function slurmScripts(p: ResolvedPlan, entries: readonly PlanEntry[], options: SlurmOptions = {}): SlurmScripts {
  if (options.time !== undefined && !TIME_RE.test(options.time)) {
    throw new Error(`--time: expected HH:MM:SS or D-HH:MM:SS, got '${options.time}'`);
  }
  const limit = options.arrayLimit ?? 8;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`--array-limit: expected an integer >= 1, got ${limit}`);
  const conflicts = entries.filter((e) => e.status === "conflict");
  if (conflicts.length) {
    throw new Error(
      `run folders hold other configs: ${conflicts.map((e) => e.detail).join("; ")} ` +
        `(the base config or plan changed; delete those folders to retrain them)`,
    );
  }
  const runs = entries.filter((e) => e.status !== "done").map((e) => e.id);
  const slurmDir = join(p.dir, "slurm");
  const logs = join(slurmDir, "logs");
  const toolkit = options.toolkit ?? toolkitRoot();
  const deno = options.deno ?? (options.container ? "deno" : Deno.execPath());
  const wrap = options.container ? `apptainer exec --nv ${shellQuote(resolve(options.container))} ` : "";
  const name = `gaze-${p.choice.dataset}-${p.profile}`;
  const header = (what: string) => [
    "#!/bin/bash",
    `# ${what}`,
    `# Generated by \`deno task reproduce --slurm\` (${provenance().toolkit}); regenerate rather than edit.`,
  ];
  const resources = [
    ...(options.partition ? [`#SBATCH --partition=${options.partition}`] : []),
    ...(options.time ? [`#SBATCH --time=${options.time}`] : []),
  ];
  const env = [
    `cd ${shellQuote(toolkit)}`,
    "export GAZE_QUIET=1",
    ...["GAZE_DATA_DIR", "GAZE_DERIVED_DIR", "GAZE_BACKEND", "GAZE_WASM_THREADS"]
      .filter((k) => Deno.env.get(k))
      .map((k) => `export ${k}=${shellQuote(Deno.env.get(k)!)}`),
    `DENO=\${DENO:-${shellQuote(deno)}}`,
  ];
  const common = [
    "--config",
    p.configPath,
    "--data-dir",
    p.root,
    ...(options.backend ? ["--backend", options.backend] : []),
  ];
  const array = runs.length
    ? [
      ...header(
        `Job array: one task per unfinished run of ${p.dir}/plan.json (${runs.length} runs, at most ${limit} at once).`,
      ),
      "# Each task trains exactly one run by id into its own folder; finished runs are skipped, a killed or",
      "# requeued one resumes from its last checkpoint (SIGTERM saves it first).",
      `#SBATCH --job-name=${name}`,
      `#SBATCH --array=0-${runs.length - 1}%${limit}`,
      `#SBATCH --output=${logs}/%x_%A_%a.out`,
      "#SBATCH --open-mode=append",
      "#SBATCH --requeue",
      ...resources,
      ...(options.gres ? [`#SBATCH --gres=${options.gres}`] : []),
      ...(options.cpusPerTask ? [`#SBATCH --cpus-per-task=${options.cpusPerTask}`] : []),
      "set -euo pipefail",
      `RUNS=(${runs.join(" ")})`,
      'RUN_ID="${RUNS[$SLURM_ARRAY_TASK_ID]}"',
      ...env,
      "# the wasm kernels' threads: the CPUs SLURM gave this task (1 unless --cpus-per-task), unless set above",
      'export GAZE_WASM_THREADS="${GAZE_WASM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}"',
      'echo "run $RUN_ID on $(hostname), job ${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}, restart ${SLURM_RESTART_COUNT:-0}"',
      `exec ${wrap}"$DENO" task train --run-id "$RUN_ID" ${
        [...common, "--out", join(p.dir, "runs"), "--quiet"].map(shellQuote).join(" ")
      }`,
      "",
    ].join("\n")
    : undefined;
  const collectArgs = [
    "--collect",
    "--dataset",
    p.choice.dataset,
    "--profile",
    p.profile,
    "--only",
    p.parts.join(","),
    "--seeds",
    p.seeds.join(","),
    "--out",
    resolve(p.dir, "..", ".."),
    ...common,
    "--no-fetch",
    ...(options.noStatic ? ["--no-static"] : []),
    "--quiet",
  ];
  const collect = [
    ...header(`Collect: tables and figures of ${p.dir} from the run folders; trains nothing, lists missing runs.`),
    `#SBATCH --job-name=${name}-collect`,
    `#SBATCH --output=${logs}/%x_%j.out`,
    ...resources,
    "set -euo pipefail",
    ...env,
    `exec ${wrap}"$DENO" task reproduce ${collectArgs.map(shellQuote).join(" ")}`,
    "",
  ].join("\n");
  const prepareFlags = ["--data-dir", p.root, "--quiet"].map(shellQuote).join(" ");
  const ds = p.choice.dataset;
  const prepare = options.prepare && runs.length
    ? [
      ...header(
        `Prepare: gaze maps, descriptions and text embeddings of ${ds} (what is missing), once, before the array.`,
      ),
      `#SBATCH --job-name=${name}-prepare`,
      `#SBATCH --output=${logs}/%x_%j.out`,
      ...resources,
      "set -euo pipefail",
      ...env,
      `${wrap}"$DENO" task prepare ${ds} ${prepareFlags}`,
      `${wrap}"$DENO" task describe ${ds} ${prepareFlags}`,
      `${wrap}"$DENO" task encode ${ds} --encoder ${shellQuote(p.base.text.encoder)} ${prepareFlags}`,
      "",
    ].join("\n")
    : undefined;
  const afterPrepare = prepare ? " --dependency=afterok:${prep%%;*}" : "";
  const submit = [
    "#!/bin/bash",
    `# Submit the grid of ${p.dir}: ${prepare ? "the prepare job, then " : ""}the job array, then the collect job ` +
    "once every array task has ended.",
    "set -euo pipefail",
    ...(prepare ? [`prep=$(sbatch --parsable ${shellQuote(join(slurmDir, "prepare.sbatch"))})`] : []),
    ...(runs.length
      ? [
        `array=$(sbatch --parsable${afterPrepare} ${shellQuote(join(slurmDir, "grid.sbatch"))})`,
        "array=${array%%;*}",
        `collect=$(sbatch --parsable --dependency=afterany:$array ${shellQuote(join(slurmDir, "collect.sbatch"))})`,
        'echo "submitted job array $array and collect job ${collect%%;*}"',
      ]
      : [
        `collect=$(sbatch --parsable ${shellQuote(join(slurmDir, "collect.sbatch"))})`,
        'echo "every run is finished; submitted collect job ${collect%%;*}"',
      ]),
    "",
  ].join("\n");
  return { runs, array, prepare, collect, submit };
}

/** Write the scripts of {@link slurmScripts} under `<results>/<dataset>/<profile>/slurm/` (atomically). */
export async function writeSlurmScripts(p: ResolvedPlan, scripts: SlurmScripts): Promise<SlurmFiles> {
  const dir = join(p.dir, "slurm");
  const logs = join(dir, "logs");
  await Deno.mkdir(logs, { recursive: true }); // sbatch does not create the folder of --output
  const files: SlurmFiles = {
    collect: join(dir, "collect.sbatch"),
    submit: join(dir, "submit.sh"),
    logs,
    commands: [],
  };
  if (scripts.array) {
    files.array = join(dir, "grid.sbatch");
    await atomicWrite(files.array, scripts.array);
  } else await Deno.remove(join(dir, "grid.sbatch")).catch(() => {});
  if (scripts.prepare) {
    files.prepare = join(dir, "prepare.sbatch");
    await atomicWrite(files.prepare, scripts.prepare);
  } else await Deno.remove(join(dir, "prepare.sbatch")).catch(() => {});
  await atomicWrite(files.collect, scripts.collect);
  await atomicWrite(files.submit, scripts.submit);
  await Deno.chmod(files.submit, 0o755);
  files.commands = files.array
    ? [
      ...(files.prepare ? [`prep=$(sbatch --parsable ${shellQuote(files.prepare)})`] : []),
      `jid=$(sbatch --parsable${files.prepare ? " --dependency=afterok:${prep%%;*}" : ""} ${shellQuote(files.array)})`,
      `sbatch --dependency=afterany:\${jid%%;*} ${shellQuote(files.collect)}`,
    ]
    : [`sbatch ${shellQuote(files.collect)}`];
  return files;
}

/** Job ids of {@link submitSlurm}. */
export interface SubmittedJobs {
  /** The job array's id (absent when nothing was pending). */
  array?: string;
  /** The prepare job's id, when there is one. */
  prepare?: string;
  /** The collect job's id. */
  collect: string;
}

/** Run `sbatch` with `args`; returns the job id (`--parsable`), or throws with sbatch's message. */
async function sbatch(args: string[]): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command("sbatch", { args: ["--parsable", ...args], stdout: "piped", stderr: "piped" })
      .output();
  } catch (err) {
    throw new Error(`cannot run sbatch (${(err as Error).message}); is SLURM installed on this host?`);
  }
  const text = new TextDecoder().decode(out.stdout).trim();
  if (!out.success) {
    throw new Error(`sbatch ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim() || text}`);
  }
  return text.split(";")[0];
}

/** Submit the written scripts: the array, then the collect job depending on it (afterany). */
export async function submitSlurm(files: SlurmFiles): Promise<SubmittedJobs> {
  if (!files.array) return { collect: await sbatch([files.collect]) };
  const prepare = files.prepare ? await sbatch([files.prepare]) : undefined;
  const array = await sbatch([...(prepare ? [`--dependency=afterok:${prepare}`] : []), files.array]);
  const collect = await sbatch([`--dependency=afterany:${array}`, files.collect]);
  return { prepare, array, collect };
}
