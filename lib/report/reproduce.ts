/**
 * `deno task reproduce`: run the experiment plan (lib/report/plan.ts) on one dataset at
 * one profile, resumably, and write every table, figure and a README into
 * `<results>/<dataset>/<profile>/`:
 *
 * ```
 * README.md                         provenance, tables inline, links
 * reproduce.json                    machine-readable summary of this invocation
 * table_main|ablation|sensitivity.{md,csv,json}
 * figures/fig_*.html (+ .png, .svg where Chromium exists)
 * runs/<key>_s<seed>/               config.json, log.jsonl, checkpoints/, eval_best|last.{csv,json}, done.json
 * ```
 * A run whose `done.json` exists (with the same config) is reused; a run killed midway
 * resumes from its `last` checkpoint (lib/train). Gaze maps, descriptions and text
 * embeddings of file-backed datasets are prepared first when missing (the `prepare`,
 * `describe` and `encode` tasks, run as subprocesses); the synthetic dataset simulates
 * them on the fly.
 *
 * The same plan also runs as independent processes (lib/report/grid.ts: `--plan`, `--slurm`,
 * `deno task train --run-id`); `collect` then builds the tables and figures from the run
 * folders without training anything.
 *
 * @module
 */
import { dirname, join, relative, resolve } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { atomicWrite, exists } from "../core/atomic_write.ts";
import { type Provenance, provenance } from "../core/provenance.ts";
import { selectBackend } from "../backend/select.ts";
import { wasmThreadCount } from "../backend/wasm_threads.ts";
import { winogradOn } from "../backend/wasm_conv_kernels.ts";
import { pixelBceKernelAvailable } from "../backend/pixel_bce.ts";
import { resolveDataRoot } from "../data/data_root.ts";
import { openDataset } from "../data/open_dataset.ts";
import type { Dataset, DatasetName } from "../data/types.ts";
import { type Evaluation, evaluatorFor, trainingEvaluation, writeEvaluation } from "../metrics/evaluate.ts";
import { foregroundShare } from "../metrics/foreground_share.ts";
import {
  applyOverrides,
  configDifferences,
  loadTrainConfig,
  scaledRampLength,
  TRAIN_PROFILES,
  type TrainConfig,
  type TrainProfile,
  VARIANT_SWITCHES,
  withResolvedSwitches,
} from "../train/config.ts";
import { train } from "../train/loop.ts";
import { checkpointDir, checkpointPath, readRunState } from "../train/run_checkpoint.ts";
import { checkSupervision, createSupervision, type Supervision } from "../train/supervision.ts";
import { resolveTextModel } from "../train/text_model.ts";
import { loadTrainedMethod } from "../train/trained.ts";
import { ablationTable } from "./ablation_table.ts";
import { chooseDataset, type DatasetRequest, defaultProfile } from "./dataset_choice.ts";
import { writeFigures, type WrittenFigure } from "./figures.ts";
import { mainTable } from "./main_table.ts";
import { parsePerImageCsv } from "./per_image.ts";
import { parseLogJsonl } from "./training_curves.ts";
import {
  DEFAULT_GROUPS,
  DIAGNOSIS_SEEDS,
  EXPERIMENT_GROUPS,
  type ExperimentGroup,
  type ExperimentPlan,
  experimentPlan,
  LONG_SCHEDULE_SCALE,
  type RunSpec,
  withSensitivity,
} from "./plan.ts";
import { curvesTable } from "./curves_table.ts";
import { diagnosisTable } from "./diagnosis_table.ts";
import { type ReadmeRun, resultsReadme } from "./results_readme.ts";
import type { RunOutcome } from "./run_outcome.ts";
import { acquireRunLock } from "./run_lock.ts";
import { sensitivityTable } from "./sensitivity_table.ts";
import { type Table, toMarkdown, writeTable, type WrittenTable } from "./table.ts";

/** What `--only` accepts: the three tables and the figures. */
export type ReproducePart = ExperimentGroup | "figures";

/** Every part, in order. */
export const REPRODUCE_PARTS: readonly ReproducePart[] = [...EXPERIMENT_GROUPS, "figures"];

/** The parts run without `--only` (the diagnosis and the long schedule of issue 11 run only when asked for). */
export const DEFAULT_PARTS: readonly ReproducePart[] = [...DEFAULT_GROUPS, "figures"];

/** Options of {@link reproduce}. */
export interface ReproduceOptions {
  /** `auto` (default), or a dataset name. */
  dataset?: DatasetRequest;
  /** Profile; default `cpu` for real data, `smoke` for synthetic (see dataset_choice.ts). */
  profile?: TrainProfile;
  /** Parts to produce (default all). `figures` needs the main runs: it adds them and the main table. */
  only?: readonly ReproducePart[];
  /** Seeds (default [0]). */
  seeds?: readonly number[];
  /** Backend: auto | tensorflow | webgpu | wasm | cpu (default $GAZE_BACKEND or auto). */
  backend?: string;
  /** Data root (default: $GAZE_DATA_DIR, then ./data/cache). */
  dataDir?: string;
  /** Results root (default $GAZE_RESULTS_DIR, then `results/` in the toolkit). */
  resultsRoot?: string;
  /** Base training config (default `configs/<dataset>.<profile>.json`). */
  config?: string;
  /** Gaze/text source factory (default {@link supervisionFor}); tests inject their own. */
  supervision?: (dataset: Dataset, config: TrainConfig, root: string) => Supervision | Promise<Supervision>;
  /** Try to fetch Kvasir for `auto` when absent (default true). */
  fetch?: boolean;
  /** Write PNG/SVG through Chromium when available (default true). */
  staticFigures?: boolean;
  /** The command line to record in the README (default reconstructed). */
  command?: string;
  /** No progress bars. */
  quiet?: boolean;
  /** Where progress lines go (default stderr). */
  log?: (line: string) => void;
  /**
   * Collect only: build tables and figures from the finished run folders and train
   * nothing; unfinished runs are listed in {@link ReproduceReport.missing} and the tables
   * and figures that need them are skipped (`deno task reproduce --collect`).
   */
  collect?: boolean;
}

/** One run's status after {@link reproduce}. */
export interface RunReport {
  /** Run id. */
  id: string;
  /** `reused` (done before), `trained` (now), `resumed` (continued from a checkpoint). */
  status: "reused" | "trained" | "resumed";
  /** Seconds spent on it in this invocation. */
  seconds: number;
}

/** What {@link reproduce} did. */
export interface ReproduceReport {
  /** Dataset used. */
  dataset: DatasetName;
  /** Why. */
  datasetReason: string;
  /** Profile used. */
  profile: TrainProfile;
  /** Results folder. */
  dir: string;
  /** Runs. */
  runs: RunReport[];
  /** Tables written, by name. */
  tables: Record<string, WrittenTable>;
  /** Figures written. */
  figures: WrittenFigure[];
  /** The README. */
  readme: string;
  /** Wall seconds. */
  seconds: number;
  /** Runs of the plan that were not finished (only `collect` leaves any; each with its status). */
  missing: string[];
}

/** The toolkit checkout. */
function toolkitRoot(): string {
  return new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
}

/** The results root: `options.resultsRoot`, else $GAZE_RESULTS_DIR, else `results/` in the toolkit. */
export function resultsRoot(explicit?: string): string {
  const r = explicit ?? Deno.env.get("GAZE_RESULTS_DIR") ?? join(toolkitRoot(), "results");
  return resolve(r);
}

/** The results folder of a dataset and profile. */
export function resultsDir(dataset: string, profile: string, root?: string): string {
  return join(resultsRoot(root), dataset, profile);
}

/** The shipped base config of a dataset and profile: `configs/<dataset>.<profile>.json`. */
export function configPathFor(dataset: string, profile: string): string {
  return join(toolkitRoot(), "configs", `${dataset}.${profile}.json`);
}

/** The training config of one planned run (validated). */
export function runConfig(base: TrainConfig, spec: RunSpec): TrainConfig {
  const withParam = spec.sensitivity ? withSensitivity(base, spec.sensitivity.param, spec.sensitivity.value) : base;
  const c = applyOverrides(withParam, {
    variant: spec.variant,
    switches: spec.switches,
    ablation: spec.ablation,
    seed: spec.seed,
    ...(spec.iterationScale ? { iterations: spec.iterationScale * base.iterations } : {}),
  });
  const named = { ...c, name: `${base.name || `${base.dataset}.${base.profile}`}/${spec.id}` };
  return spec.method === "fgi" ? withResolvedSwitches(named) : named; // config.json records every FGI switch
}

/** sha256 hex of a string. */
async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** True when `path` exists and no one has write permission on it (a read-only mirror, as the mode bits say). */
async function readOnlyByMode(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    return st.mode !== null && (st.mode & 0o222) === 0;
  } catch {
    return false;
  }
}

/**
 * Where derived files go: when $GAZE_DERIVED_DIR is unset and the data root (or its
 * `derived/` folder) is read-only — judged by the mode bits, since root ignores them
 * when writing — set $GAZE_DERIVED_DIR to `data/cache/derived` in the toolkit
 * (git-ignored) and say so. Returns the note, or undefined when nothing changed.
 */
export async function ensureWritableDerived(root: string): Promise<string | undefined> {
  if (Deno.env.get("GAZE_DERIVED_DIR")) return undefined;
  const derived = join(root, "derived");
  const readOnly = (await exists(derived)) ? await readOnlyByMode(derived) : await readOnlyByMode(root);
  if (!readOnly) return undefined;
  const alt = join(toolkitRoot(), "data", "cache", "derived");
  Deno.env.set("GAZE_DERIVED_DIR", alt);
  return `the data root ${root} is read-only: derived files (gaze maps, descriptions, embeddings) go to ${alt}`;
}

/** Run a toolkit task as a subprocess (stdio inherited); throws with the command on failure. */
async function runToolkitTask(script: string, args: string[], log: (s: string) => void): Promise<void> {
  const cmd = [Deno.execPath(), "run", "-A", join(toolkitRoot(), "tasks", script), ...args];
  log(`$ ${cmd.slice(3).map((a) => relative(toolkitRoot(), a) || a).join(" ")}`);
  const r = await new Deno.Command(cmd[0], { args: cmd.slice(1), stdout: "inherit", stderr: "inherit" }).output();
  if (!r.success) throw new Error(`\`deno run -A tasks/${script} ${args.join(" ")}\` failed (exit ${r.code})`);
}

/**
 * Make sure the gaze maps and text embeddings of a file-backed dataset exist for both
 * splits, running `prepare`, `describe` and `encode` for what is missing. Returns the
 * steps run. Synthetic data needs nothing.
 */
export async function prepareSupervision(
  dataset: Dataset,
  config: TrainConfig,
  options: { root: string; log: (s: string) => void; quiet?: boolean },
): Promise<string[]> {
  if (dataset.name === "synthetic") return [];
  const check = () =>
    checkSupervision(dataset, config, {
      root: options.root,
      needs: { gaze: true, text: true },
      splits: ["train", "test"],
    });
  let missing = await check();
  const steps: string[] = [];
  const common = ["--data-dir", options.root, ...(options.quiet ? ["--quiet"] : [])];
  if (missing.gaze.length) {
    options.log(`preparing gaze maps: ${missing.messages[0]}`);
    await runToolkitTask("prepare.ts", [dataset.name, ...common], options.log);
    steps.push("prepare");
    missing = await check();
  }
  if (missing.text.length) {
    options.log(`preparing text: ${missing.messages.at(-1)}`);
    await runToolkitTask("describe.ts", [dataset.name, ...common], options.log);
    await runToolkitTask("encode.ts", [dataset.name, "--encoder", config.text.encoder, ...common], options.log);
    steps.push("describe", "encode");
    missing = await check();
  }
  if (missing.messages.length) throw new Error(`supervision still incomplete: ${missing.messages.join("; ")}`);
  return steps;
}

/**
 * The gaze and text source of a dataset (lib/train `createSupervision`: the prepared
 * files for real datasets, simulated on the fly for synthetic).
 */
export function supervisionFor(dataset: Dataset, config: TrainConfig, root: string): Supervision {
  return createSupervision(dataset, config, { root });
}

/** The files of a finished run folder (see {@link runFiles}). */
export interface RunFiles {
  /** `config.json`: the resolved config. */
  config: string;
  /** `done.json`: written last, when the run finished. */
  done: string;
  /** `log.jsonl`: one JSON line per logged iteration and evaluation. */
  log: string;
  /** `eval_best.csv`: per-image metrics of the best checkpoint. */
  evalBest: string;
  /** `eval_last.csv`: per-image metrics of the last checkpoint. */
  evalLast: string;
}

/** Files of a finished run. */
export function runFiles(runDir: string): RunFiles {
  return {
    config: join(runDir, "config.json"),
    done: join(runDir, "done.json"),
    log: join(runDir, "log.jsonl"),
    evalBest: join(runDir, "eval_best.csv"),
    evalLast: join(runDir, "eval_last.csv"),
  };
}

/** Where a planned run stands on disk (see {@link runStatus}). */
export interface RunStatus {
  /**
   * `done` (done.json written), `partial` (a checkpoint to resume from), `pending` (nothing
   * to resume), `conflict` (the folder holds a run with another config).
   */
  status: "done" | "partial" | "pending" | "conflict";
  /** Completed iterations of the resumable checkpoint (partial), or of the run (done). */
  iteration: number | null;
  /** A short human description. */
  detail: string;
}

/**
 * Whether a run folder's config.json text `saved` describes the same run as `config`: the
 * texts are equal byte for byte once the free-text `notes` field is left out of both, so that
 * documenting a config (its notes) does not orphan the runs trained with it.
 */
export function sameRunConfig(saved: string, config: TrainConfig): boolean {
  const text = JSON.stringify(config, null, 2) + "\n";
  if (saved === text) return true;
  let parsed: unknown;
  try {
    parsed = JSON.parse(saved);
  } catch {
    return false;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return false;
  const strip = (c: Record<string, unknown>) => JSON.stringify({ ...c, notes: undefined }, null, 2);
  return strip(parsed as Record<string, unknown>) === strip(config as unknown as Record<string, unknown>);
}

/**
 * The status of the run folder `runDir` for a run whose config is `config` (the text
 * {@link executeRun} writes to config.json is compared byte for byte, `notes` aside: see
 * {@link sameRunConfig}).
 */
export async function runStatus(config: TrainConfig, runDir: string): Promise<RunStatus> {
  const f = runFiles(runDir);
  if (!(await exists(f.config))) return { status: "pending", iteration: null, detail: "not started" };
  if (!sameRunConfig(await Deno.readTextFile(f.config), config)) {
    return { status: "conflict", iteration: null, detail: `${f.config} holds another config` };
  }
  if (await exists(f.done)) return { status: "done", iteration: config.iterations, detail: "done" };
  const ck = await checkpointDir(runDir, "last");
  if (!ck) return { status: "pending", iteration: null, detail: "started, no checkpoint yet" };
  const it = (await readRunState(ck)).iteration;
  return { status: "partial", iteration: it, detail: `checkpoint at iteration ${it}/${config.iterations}` };
}

/** Read a finished run's outcome (per-image CSVs and done.json). */
export async function readRunOutcome(spec: RunSpec, runDir: string): Promise<RunOutcome> {
  const f = runFiles(runDir);
  const done = JSON.parse(await Deno.readTextFile(f.done));
  const best = parsePerImageCsv(await Deno.readTextFile(f.evalBest), f.evalBest);
  const last = parsePerImageCsv(await Deno.readTextFile(f.evalLast), f.evalLast);
  const unitMatch = /\n[^\n]*,(px|mm),/.exec(await Deno.readTextFile(f.evalBest));
  const pair = async (suffix: string) => {
    const b = join(runDir, `eval_best_${suffix}.csv`), l = join(runDir, `eval_last_${suffix}.csv`);
    if (!(await exists(b)) || !(await exists(l))) return undefined;
    return {
      best: parsePerImageCsv(await Deno.readTextFile(b), b),
      last: parsePerImageCsv(await Deno.readTextFile(l), l),
    };
  };
  const teacher = await pair("teacher"), masked = await pair("masked");
  let lastMetrics: Record<string, number> | undefined;
  try {
    lastMetrics = JSON.parse(await Deno.readTextFile(join(runDir, "result.json")))?.last?.metrics ?? undefined;
  } catch {
    lastMetrics = undefined;
  }
  const evaluations = (await exists(f.log))
    ? parseLogJsonl(await Deno.readTextFile(f.log), f.log).flatMap((r) =>
      r.type === "eval" && typeof r.iteration === "number"
        ? [{ iteration: r.iteration, metrics: (r as { metrics: Record<string, number> }).metrics }]
        : []
    )
    : [];
  return {
    spec,
    dir: runDir,
    best,
    last,
    ...(evaluations.length ? { evaluations } : {}),
    ...(teacher ? { teacher } : {}),
    ...(masked ? { masked } : {}),
    ...(lastMetrics ? { lastMetrics } : {}),
    unit: (unitMatch?.[1] as "px" | "mm") ?? "px",
    seconds: typeof done.trainSeconds === "number" ? done.trainSeconds : null,
    bestIteration: typeof done.bestIteration === "number" ? done.bestIteration : null,
  };
}

/** Options of {@link executeRun}. */
export interface ExecuteRunOptions {
  /** Dataset (opened). */
  dataset: Dataset;
  /** Gaze and text source. */
  supervision: Supervision;
  /** Backend name (recorded). */
  backend: string;
  /** No progress bars. */
  quiet?: boolean;
  /** Progress lines. */
  log: (s: string) => void;
  /** Stop cleanly on SIGINT/SIGTERM, saving `last` (the run then throws "stopped early"; rerun to resume). */
  handleSignals?: boolean;
}

/**
 * Train one planned run in `runDir` (resuming a partial run), then evaluate its `best`
 * and `last` checkpoints on the full test split (per-image CSV + summary JSON) and write
 * `done.json`. A finished run with the same config is reused; one with a different
 * config is an error (delete the folder to retrain).
 */
export async function executeRun(
  spec: RunSpec,
  config: TrainConfig,
  runDir: string,
  options: ExecuteRunOptions,
): Promise<RunReport> {
  const t0 = performance.now();
  const f = runFiles(runDir);
  const text = JSON.stringify(config, null, 2) + "\n";
  if (await exists(f.config)) {
    const old = await Deno.readTextFile(f.config);
    if (!sameRunConfig(old, config)) {
      const diff = configDifferences(JSON.parse(old), config);
      throw new Error(
        `${f.config}: the run exists with a different config (${diff.join("; ") || "formatting"}; the base config, ` +
          `the plan or a switch preset changed); delete ${runDir} to retrain it`,
      );
    }
    if (await exists(f.done)) return { id: spec.id, status: "reused", seconds: 0 };
  }
  const made = await missingAncestors(runDir);
  const release = await acquireRunLock(runDir);
  let failed = false;
  try {
    // Another process may have finished it while this one waited for the lock.
    if (await exists(f.done)) return { id: spec.id, status: "reused", seconds: 0 };
    return await trainLocked(spec, config, runDir, options, text, t0);
  } catch (err) {
    failed = true;
    throw err;
  } finally {
    await release();
    // Nothing trained (e.g. a bad input file found before the first iteration): leave no run folder behind.
    if (failed && made.length && !(await exists(join(runDir, "checkpoints")))) {
      await Deno.remove(runDir, { recursive: true }).catch(() => {});
      await emptyDirCleanup(made.slice(1))[Symbol.asyncDispose]();
    }
  }
}

/** {@link executeRun} once the run lock is held. */
async function trainLocked(
  spec: RunSpec,
  config: TrainConfig,
  runDir: string,
  options: ExecuteRunOptions,
  text: string,
  t0: number,
): Promise<RunReport> {
  const f = runFiles(runDir);
  await Deno.mkdir(runDir, { recursive: true });
  await atomicWrite(f.config, text);
  const resumed = await exists(join(runDir, "checkpoints", "last", "state.json"));
  options.log(`${resumed ? "resuming" : "training"} ${spec.id}: ${spec.label} (${config.iterations} iterations)`);
  let finalEval: { iteration: number; evs: Record<string, Evaluation> } | undefined;
  const evaluate = evaluatorFor(options.dataset, {
    imageSize: config.imageSize,
    supervision: options.supervision,
    config,
    maskedTest: spec.evaluation?.maskedTest ?? false,
    onEvaluation: (evs, ctx) => {
      if (ctx.final) finalEval = { iteration: ctx.iteration, evs };
    },
    quiet: true,
  });
  const result = await train({
    config,
    method: spec.method,
    outDir: runDir,
    dataset: options.dataset,
    supervision: options.supervision,
    evaluate,
    backend: options.backend,
    quiet: options.quiet,
    handleSigint: options.handleSignals,
    handleSigterm: options.handleSignals,
    log: options.log,
  });
  if (result.stopped) throw new Error(`${spec.id}: training stopped early at iteration ${result.iterations}`);
  // Per-image scores of the reported network at `last` and `best`; for FGI also of the teacher
  // (`eval_<ck>_teacher`) and of the mean of both networks' logits (`eval_<ck>_mean`).
  for (const ck of ["last", "best"] as const) {
    const dir = checkpointPath(runDir, ck);
    const state = await readRunState(dir);
    let evs: Record<string, Evaluation>;
    if (finalEval && finalEval.iteration === state.iteration) evs = finalEval.evs;
    else {
      const trained = await loadTrainedMethod(dir);
      try {
        evs = (await trainingEvaluation(trained.method, options.dataset, {
          imageSize: config.imageSize,
          supervision: options.supervision,
          maskedTest: spec.evaluation?.maskedTest ? config : undefined,
          quiet: true,
        })).evaluations;
      } finally {
        trained.method.dispose();
      }
    }
    for (const [network, ev] of Object.entries(evs)) {
      const stem = network === state.reported ? `eval_${ck}` : `eval_${ck}_${network}`;
      await writeEvaluation(ev, runDir, { stem, extra: { checkpoint: ck, iteration: state.iteration, network } });
    }
  }
  const bestState = await readRunState(checkpointPath(runDir, "best"));
  await atomicWrite(
    f.done,
    JSON.stringify(
      {
        id: spec.id,
        method: spec.method,
        iterations: result.iterations,
        bestIteration: bestState.iteration,
        trainSeconds: result.trainSeconds,
        evalSeconds: result.evalSeconds,
        secondsPerIteration: result.secondsPerIteration,
        ...(options.backend === "wasm" ? { wasmThreads: wasmThreadCount(), winograd: winogradOn() } : {}),
        fusedLosses: pixelBceKernelAvailable(),
        provenance: provenance({ backend: options.backend, run: spec.id }),
      },
      null,
      2,
    ) + "\n",
  );
  return { id: spec.id, status: resumed ? "resumed" : "trained", seconds: (performance.now() - t0) / 1000 };
}

/** The plan of one invocation, as {@link resolvePlan} resolves it from the options. */
export interface ResolvedPlan {
  /** Data root. */
  root: string;
  /** Dataset chosen, and why. */
  choice: { dataset: DatasetName; reason: string };
  /** Profile. */
  profile: TrainProfile;
  /** Why this profile. */
  profileReason: string;
  /** Absolute path of the base config. */
  configPath: string;
  /** The base config. */
  base: TrainConfig;
  /** Its text (hashed into the README). */
  configText: string;
  /** Parts requested. */
  parts: ReproducePart[];
  /** Tables whose runs are planned. */
  groups: ExperimentGroup[];
  /** Seeds. */
  seeds: number[];
  /** The runs. */
  plan: ExperimentPlan;
  /** Results folder `<root>/<dataset>/<profile>`. */
  dir: string;
}

/**
 * Resolve dataset, profile, base config, parts and seeds of `options` into the experiment
 * plan and its results folder, exactly as {@link reproduce} does (shared by `--plan`,
 * `--slurm`, `--collect` and `deno task train --run-id`). Writes nothing.
 */
export async function resolvePlan(
  options: ReproduceOptions,
  log: (line: string) => void = () => {},
): Promise<ResolvedPlan> {
  const root = resolveDataRoot({ dataDir: options.dataDir });
  const choice = await chooseDataset(options.dataset ?? "auto", { root, fetch: options.fetch, quiet: options.quiet });
  log(`dataset: ${choice.dataset} — ${choice.reason}`);
  const profile = options.profile ?? defaultProfile(choice.dataset);
  if (!TRAIN_PROFILES.includes(profile)) {
    throw new Error(`--profile: expected ${TRAIN_PROFILES.join(", ")}, got ${profile}`);
  }
  const profileReason = options.profile
    ? "requested"
    : choice.dataset === "synthetic"
    ? "default for synthetic data (a demonstration in minutes)"
    : "default for real data (the 2-core CPU scale)";
  log(`profile: ${profile} — ${profileReason}`);
  const configPath = resolve(options.config ?? configPathFor(choice.dataset, profile));
  if (!(await exists(configPath))) {
    throw new Error(
      `${configPath}: no training config for ${choice.dataset} at the ${profile} profile (pass --config FILE)`,
    );
  }
  const base = resolveTextModel(await loadTrainConfig(configPath)).config; // paper: RoBERTa or use-lite + warning
  if (base.dataset !== choice.dataset) {
    throw new Error(`${configPath}: config is for dataset '${base.dataset}', not '${choice.dataset}'`);
  }
  const configText = await Deno.readTextFile(configPath);
  const parts = options.only?.length ? [...options.only] : [...DEFAULT_PARTS];
  for (const p of parts) {
    if (!REPRODUCE_PARTS.includes(p)) {
      throw new Error(`--only: unknown part '${p}' (expected ${REPRODUCE_PARTS.join(", ")})`);
    }
  }
  const groups = EXPERIMENT_GROUPS.filter((g) => parts.includes(g) || (g === "main" && parts.includes("figures")));
  const seeds = [
    ...(options.seeds ?? (groups.includes("diagnosis") || groups.includes("long") ? DIAGNOSIS_SEEDS : [0])),
  ];
  const plan = experimentPlan(base, { groups, seeds, paperSwitches: VARIANT_SWITCHES.paper });
  const dir = resultsDir(choice.dataset, profile, options.resultsRoot);
  return { root, choice, profile, profileReason, configPath, base, configText, parts, groups, seeds, plan, dir };
}

/**
 * Run the reproduction (see module doc). Returns what was done; throws on the first
 * failing run (finished runs stay, so a rerun continues from there).
 */
export async function reproduce(options: ReproduceOptions = {}): Promise<ReproduceReport> {
  const t0 = performance.now();
  const log = options.log ?? ((s: string) => console.error(s));
  const wall: Record<string, number> = {};
  const notes: string[] = [];
  const { root, choice, profile, profileReason, configPath, base, configText, parts, groups, seeds, plan, dir } =
    await resolvePlan(options, log);
  const backend = await selectBackend(options.backend, { quiet: true });
  log(`backend: ${backend.name} — ${backend.reason}`);
  // Folders are made when something is written into them; on the way out (a failure included), the ones
  // this call made that are still empty are removed.
  await using _cleanup = emptyDirCleanup(await missingAncestors(join(dir, "runs")));
  log(`results: ${dir} (${plan.runs.length} runs: ${plan.runs.map((r) => r.id).join(", ")})`);

  // Supervision.
  const tPrep = performance.now();
  const derivedNote = choice.dataset === "synthetic" ? undefined : await ensureWritableDerived(root);
  if (derivedNote) {
    log(derivedNote);
    notes.push(derivedNote);
  }
  const dataset = await openDataset(choice.dataset, { root, synthetic: base.synthetic, quiet: true });
  // --collect trains nothing and prepares nothing: it reads what the run folders hold.
  const prepSteps = options.collect ? [] : await prepareSupervision(dataset, base, { root, log, quiet: options.quiet });
  if (prepSteps.length) notes.push(`prepared before training: ${prepSteps.join(", ")}`);
  const supervision = await (options.supervision ?? supervisionFor)(dataset, base, root);
  wall["preparation"] = (performance.now() - tPrep) / 1000;

  try {
    // Runs.
    const tRuns = performance.now();
    const runs: RunReport[] = [];
    const outcomes: RunOutcome[] = [];
    const missing: string[] = [];
    for (const [k, spec] of plan.runs.entries()) {
      const runDir = join(dir, "runs", spec.id);
      if (options.collect) {
        const st = await runStatus(runConfig(base, spec), runDir);
        if (st.status !== "done") {
          missing.push(`${spec.id} (${st.detail})`);
          continue;
        }
        runs.push({ id: spec.id, status: "reused", seconds: 0 });
        outcomes.push(await readRunOutcome(spec, runDir));
        continue;
      }
      log(`[${k + 1}/${plan.runs.length}] ${spec.id}`);
      runs.push(
        await executeRun(spec, runConfig(base, spec), runDir, {
          dataset,
          supervision,
          backend: backend.name,
          quiet: options.quiet,
          log,
        }),
      );
      outcomes.push(await readRunOutcome(spec, runDir));
    }
    wall[options.collect ? "collection" : "training and evaluation"] = (performance.now() - tRuns) / 1000;
    if (missing.length) {
      const note = `${missing.length} of ${plan.runs.length} runs not finished, not trained by --collect: ${
        missing.join(", ")
      }; tables and figures that need them are not written (re-submit the grid, then collect again)`;
      log(note);
      notes.push(note);
    }
    const have = new Set(outcomes.map((o) => o.spec.id));
    const complete = (g: ExperimentGroup) =>
      (plan.tables[g] ?? []).every((row) => seeds.every((s) => have.has(`${row.key}_s${s}`)));

    // Tables.
    const prov = provenance({
      dataset: choice.dataset,
      datasetReason: choice.reason,
      profile,
      seeds,
      backend: backend.name,
      config: relative(toolkitRoot(), configPath),
    });
    const trainImages = dataset.ids("train").length;
    const tables: Record<string, WrittenTable> = {};
    const readmeTables: { name: string; markdown: string; files: WrittenTable; earlier?: boolean }[] = [];
    const synthNote = choice.dataset === "synthetic"
      ? ["SYNTHETIC data: these numbers exercise the pipeline and say nothing about the paper"]
      : [];
    const common = {
      dataset: choice.dataset,
      seeds,
      notes: [...synthNote, `profile ${profile}, backend ${backend.name}`],
    };
    // The diagnosis's collapse verdict compares the student's foreground share with the ground truth's.
    const groundTruthShare = (["diagnosis", "long"] as const).some((g) => groups.includes(g) && complete(g))
      ? await foregroundShare(dataset, dataset.ids("test"), { size: base.imageSize, quiet: options.quiet })
      : null;
    const build: [ExperimentGroup, () => Table][] = [
      ["main", () => mainTable(plan.tables.main!, outcomes, { ...common, trainImages })],
      ["ablation", () => ablationTable(plan.tables.ablation!, outcomes, common)],
      ["sensitivity", () => sensitivityTable(plan.tables.sensitivity!, outcomes, common)],
      [
        "diagnosis",
        () =>
          diagnosisTable(plan.tables.diagnosis!, outcomes, {
            ...common,
            groundTruthShare,
            rampUpLength: base.rampUp.length,
          }),
      ],
      [
        "long",
        () =>
          diagnosisTable(plan.tables.long!, outcomes, {
            ...common,
            groundTruthShare,
            rampUpLength: scaledRampLength(LONG_SCHEDULE_SCALE * base.iterations),
            title: `The FGI student at ${LONG_SCHEDULE_SCALE}x the profile's iterations (${
              LONG_SCHEDULE_SCALE * base.iterations
            }) on ${choice.dataset} (issue 11)`,
          }),
      ],
    ];
    for (const [g, make] of build) {
      const base = join(dir, `table_${g}`);
      if (!groups.includes(g)) {
        // Keep an earlier invocation's table in the README.
        const files = { md: `${base}.md`, csv: `${base}.csv`, json: `${base}.json` };
        if (await exists(files.md)) {
          readmeTables.push({ name: g, markdown: await Deno.readTextFile(files.md), files, earlier: true });
        }
        continue;
      }
      if (!complete(g)) continue;
      const table = make();
      const files = await writeTable(table, base, { provenance: prov });
      tables[g] = files;
      readmeTables.push({ name: g, markdown: toMarkdown(table), files });
      log(`table ${g}: ${files.md}`);
    }
    // Learning curves of the main, diagnosis and long-schedule rows with finished runs for every seed
    // (schedule planning).
    const curveRows = [...(plan.tables.main ?? []), ...(plan.tables.diagnosis ?? []), ...(plan.tables.long ?? [])]
      .filter((row) =>
        seeds.every((s) => outcomes.some((o) => o.spec.key === row.key && o.spec.seed === s && o.evaluations?.length))
      );
    if (curveRows.length) {
      const table = curvesTable(curveRows, outcomes, common);
      const files = await writeTable(table, join(dir, "table_curves"), { provenance: prov });
      tables["curves"] = files;
      readmeTables.push({ name: "curves", markdown: toMarkdown(table), files });
      log(`table curves: ${files.md}`);
    }

    // Figures.
    let figures: WrittenFigure[] = [];
    if (parts.includes("figures") && complete("main")) {
      const tFig = performance.now();
      figures = await writeFigures(
        { dataset, supervision, outcomes, seeds, imageSize: base.imageSize, trainImages },
        plan.tables.main!,
        join(dir, "figures"),
        { provenance: prov, static: options.staticFigures, log },
      );
      wall["figures"] = (performance.now() - tFig) / 1000;
    }

    // README.
    wall["total"] = (performance.now() - t0) / 1000;
    const readmeRuns: ReadmeRun[] = outcomes.map((o, i) => ({
      id: o.spec.id,
      label: o.spec.label,
      seconds: o.seconds,
      bestIteration: o.bestIteration,
      dice: o.best.length ? o.best.reduce((s, r) => s + r.dice, 0) / o.best.length : null,
      status: runs[i].status,
    }));
    const command = options.command ??
      `deno task reproduce --dataset ${choice.dataset} --profile ${profile} --seeds ${seeds.join(",")}` +
        (options.only?.length ? ` --only ${parts.join(",")}` : "");
    const readme = join(dir, "README.md");
    await atomicWrite(
      readme,
      resultsReadme({
        dataset: choice.dataset,
        datasetReason: choice.reason,
        dataSource: choice.dataset === "synthetic"
          ? `generated (lib/data synthetic.ts, seed ${base.synthetic?.seed ?? 0}, ${trainImages} train / ${
            dataset.ids("test").length
          } test images)`
          : `${root} (${trainImages} train / ${dataset.ids("test").length} test images)`,
        profile,
        profileReason,
        seeds,
        backend: `${backend.name} — ${backend.reason}`,
        config: { path: relative(toolkitRoot(), configPath), sha256: await sha256(configText) },
        command,
        wall,
        tables: readmeTables,
        figures,
        runs: readmeRuns,
        provenance: prov as Provenance,
        notes,
      }, dir),
    );
    const report: ReproduceReport = {
      dataset: choice.dataset,
      datasetReason: choice.reason,
      profile,
      dir,
      runs,
      tables,
      figures,
      readme,
      seconds: (performance.now() - t0) / 1000,
      missing,
    };
    await atomicWrite(
      join(dir, "reproduce.json"),
      JSON.stringify(
        { ...report, wall, backend: backend.name, tfBackend: tf.getBackend(), provenance: prov },
        null,
        2,
      ) +
        "\n",
    );
    log(`done in ${report.seconds.toFixed(1)}s: ${readme}`);
    return report;
  } finally {
    await supervision.dispose();
  }
}

/** `path` and its ancestors that do not exist yet, deepest first. */
export async function missingAncestors(path: string): Promise<string[]> {
  const out: string[] = [];
  for (let p = resolve(path); !(await exists(p)); p = dirname(p)) {
    out.push(p);
    if (dirname(p) === p) break;
  }
  return out;
}

/** A guard that, when disposed, removes each of `dirs` (deepest first) that exists and is empty. */
export function emptyDirCleanup(dirs: string[]): AsyncDisposable {
  return {
    async [Symbol.asyncDispose]() {
      for (const d of dirs) {
        try {
          await Deno.remove(d); // only succeeds when empty
        } catch { /* absent or not empty: keep */ }
      }
    },
  };
}

/** Options of {@link trainSingleRun}. */
export interface SingleRunOptions {
  /** Dataset (no `auto`). */
  dataset: DatasetName;
  /** Profile (default `paper`: the published protocol). */
  profile?: TrainProfile;
  /** Plan key: `fgi-code` (default; the released code, which produced the published numbers) or any plan row key. */
  key?: string;
  /** Seed (default 0). */
  seed?: number;
  /** Backend (default $GAZE_BACKEND or auto). */
  backend?: string;
  /** Data root. */
  dataDir?: string;
  /** Results root (the run goes to `<root>/<dataset>/<profile>/runs/<key>_s<seed>`, where `reproduce` reuses it). */
  resultsRoot?: string;
  /** Base config (default `configs/<dataset>.<profile>.json`). */
  config?: string;
  /** No progress bars. */
  quiet?: boolean;
  /** Progress lines (default stderr). */
  log?: (line: string) => void;
}

/**
 * Train and evaluate ONE run of the plan (by default FGI, code variant, seed 0) on a
 * dataset: the entry point behind the `gazesup_<dataset>_2_levels` tasks, named after the
 * authors' scripts. Prepares the supervision when missing; the run folder is the one
 * `reproduce` uses, so a later `reproduce` reuses it.
 */
export async function trainSingleRun(options: SingleRunOptions): Promise<{ run: RunReport; outcome: RunOutcome }> {
  const log = options.log ?? ((s: string) => console.error(s));
  const profile = options.profile ?? "paper";
  const root = resolveDataRoot({ dataDir: options.dataDir });
  const configPath = resolve(options.config ?? configPathFor(options.dataset, profile));
  if (!(await exists(configPath))) {
    throw new Error(
      `${configPath}: no training config for ${options.dataset} at the ${profile} profile (pass --config FILE)`,
    );
  }
  const base = resolveTextModel(await loadTrainConfig(configPath)).config; // paper: RoBERTa or use-lite + warning
  const key = options.key ?? "fgi-code";
  const seed = options.seed ?? base.seed;
  const plan = experimentPlan(base, {
    groups: DEFAULT_GROUPS,
    seeds: [seed],
    paperSwitches: VARIANT_SWITCHES.paper,
  });
  const spec = plan.runs.find((r) => r.key === key);
  if (!spec) throw new Error(`unknown run '${key}' (known: ${[...new Set(plan.runs.map((r) => r.key))].join(", ")})`);
  const backend = await selectBackend(options.backend, { quiet: true });
  log(
    `${spec.label} on ${options.dataset}, ${profile} profile, seed ${seed}, backend ${backend.name} (${backend.reason})`,
  );
  const note = options.dataset === "synthetic" ? undefined : await ensureWritableDerived(root);
  if (note) log(note);
  const dataset = await openDataset(options.dataset, { root, synthetic: base.synthetic, quiet: true });
  await prepareSupervision(dataset, base, { root, log, quiet: options.quiet });
  const supervision = supervisionFor(dataset, base, root);
  try {
    const runDir = join(resultsDir(options.dataset, profile, options.resultsRoot), "runs", spec.id);
    const run = await executeRun(spec, runConfig(base, spec), runDir, {
      dataset,
      supervision,
      backend: backend.name,
      quiet: options.quiet,
      log,
    });
    return { run, outcome: await readRunOutcome(spec, runDir) };
  } finally {
    await supervision.dispose();
  }
}
