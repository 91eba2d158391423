/**
 * `deno task train --config configs/<dataset>.<profile>.json --method <fullsup|gaze1|gazemedseg|fgi>
 *   [--variant code|paper] [--switches k=v,...] [--ablation no-text,no-afc,no-cwc,no-darm] [--seed N]
 *   [--backend B] [--out DIR] [--data-dir DIR] [--iterations N] [--eval-every N] [--eval-teacher]
 *   [--restart] [--stop-after N] [--prepare] [--accumulate N] [--dry-run [--max-iterations N]] [--quiet]`
 * `deno task train --run-id <key>_s<seed> --config FILE [--out RUNS_DIR] [--backend B] [--data-dir DIR]`
 *
 * Trains one method with the one loop of lib/train (resuming from `<out>/checkpoints/last` when the
 * run folder holds one), evaluating on the test split every `evalEvery` iterations, then scores the
 * `best` and `last` checkpoints on the whole test split (Dice, IoU, HD95, ASD, ASSD) into
 * `<out>/eval_test_{best,last}.{csv,json}` and prints a summary. Ctrl-C stops after the current step
 * and saves `last`; rerun the same command to resume.
 *
 * With `--run-id`, trains exactly one run of the `reproduce` plan (lib/report/plan.ts; the run is
 * resolved from the config and the id) into `<RUNS_DIR>/<id>/`, with the files `reproduce` reads
 * (config.json, eval_best/last, done.json): what one SLURM array task runs (lib/report/grid.ts).
 *
 * `--dry-run` proves a profile runs and measures it: `--max-iterations` (default 2) iterations of
 * the profile's networks, batch and image size (the schedule compressed to those iterations, so an
 * FGI teacher-first run does one teacher and one student iteration) and one evaluation on the first
 * 2 test images, into `results/dry-run/<dataset>/<profile>/<label>` (started afresh). Only the
 * supervision of the images it reads is prepared (with `--prepare`). It writes `dry_run.json`:
 * seconds, GFLOP (convolutions and matrix products, forward and backward) per iteration, peak wasm
 * heap and RSS, load average.
 *
 * @module
 */
import { join } from "node:path";
import { intFlag, parseTaskArgs, provenance, runTask } from "../lib/core/mod.ts";
import { atomicWrite } from "../lib/core/atomic_write.ts";
import { findRun } from "../lib/report/grid.ts";
import { executeRun, resultsDir, runConfig, runStatus } from "../lib/report/reproduce.ts";
import { selectBackend } from "../lib/backend/mod.ts";
import { openDataset, resolveDataRoot } from "../lib/data/mod.ts";
import { evaluateMethod, writeEvaluation } from "../lib/metrics/evaluate.ts";
import { evaluatorFor } from "../lib/metrics/evaluate.ts";
import {
  applyOverrides,
  checkSupervision,
  createSupervision,
  DRY_RUN_EVAL_IMAGES,
  dryRunIds,
  loadTrainConfig,
  loadTrainedMethod,
  measureTraining,
  METHOD_NAMES,
  type MethodName,
  methodNeeds,
  parseAblation,
  parseSwitches,
  resolveTextModel,
  runLabel,
  train,
  type Variant,
} from "../lib/train/mod.ts";

const USAGE = `usage: deno task train --config configs/<dataset>.<profile>.json --method <method> [options]

methods: ${METHOD_NAMES.join(", ")}
options:
  --variant code|paper     FGI switch preset (docs/METHOD.md section 10; default: the config's, "code")
  --switches k=v,...       single FGI switches: fusion=none|learnable, teacherLoss=bce|partial-ce,
                           darmSource=gaze|prediction, cwcConfidence=source|both,
                           schedule=joint|teacher-first, optimizer=sgd|adam,
                           cwcStudentInput=clean|masked, cutMix=per-direction|shared,
                           darmWindow=odd|side-k, darmTarget=floor|exact, rampStart=one|zero;
                           this toolkit's DARM variants darmPlacement=ring|ring+random|mixed,
                           darmFill=zero|mean|noise (docs/METHOD.md sections 6.4-6.6)
  --ring-probability P     with darmPlacement=mixed (this toolkit's variant): probability in [0, 1] that a
                           DARM block sits on the ring (sets fgi.darm.ringProbability; default 0.5)
  --ablation LIST          FGI ablations: no-text,no-afc,no-cwc,no-darm
  --seed N                 base seed (default: the config's)
  --iterations N           override the iteration count (the ramp-up is rescaled)
  --eval-every N           override the evaluation interval
  --eval-teacher           FGI: also evaluate the teacher (needs test-split text embeddings)
  --out DIR                run folder (default results/runs/<dataset>/<profile>/<label>/seed<N>)
  --restart                delete the run folder's checkpoints and log first (default: resume)
  --stop-after N           stop cleanly after N completed iterations (resume later)
  --prepare                run the missing preparation tasks (prepare, describe, encode) first
  --accumulate N           micro-batches per step (gradient accumulation; default: the config's)
  --dry-run                2 iterations + one evaluation on 2 test images, measured (seconds, GFLOP,
                           peak memory) into results/dry-run/...; prepares only the images it reads
  --max-iterations N       iterations of a dry run (default 2)
  --text-model DIR         RoBERTa-base ONNX folder for a config whose text encoder is "transformers" (the
                           paper profile); default $GAZE_TEXT_MODEL, else models/roberta-base. Without it
                           the run falls back to use-lite (512-d) with a warning kept in its provenance
  --backend B              auto | tensorflow | webgpu | wasm | cpu
  --data-dir DIR           data root (default $GAZE_DATA_DIR or ./data/cache)
  --quiet                  no progress bars

one run of the reproduce plan (what a SLURM array task runs; see "Running the grid on a cluster"):
  --run-id ID              <key>_s<seed> as listed by \`deno task reproduce --plan\` (e.g. fgi-code_s0);
                           trains it into <out>/<ID>/ (--out is then the runs folder, default
                           results/<dataset>/<profile>/runs), skips it when finished, resumes a killed
                           one, and stops cleanly on SIGTERM/SIGINT (saving 'last'). Excludes --method,
                           --variant, --switches, --ablation, --seed, --iterations, --eval-every,
                           --ring-probability, --eval-teacher, --restart, --stop-after and --prepare.`;

async function runPreparation(
  dataset: string,
  root: string,
  needs: { gaze: boolean; text: boolean },
  encoder: { name: string; modelDir: string | null },
  ids?: string[],
) {
  const steps: string[][] = [];
  if (needs.gaze || needs.text) steps.push(["tasks/prepare.ts", dataset]);
  const encode = ["tasks/encode.ts", dataset, "--encoder", encoder.name];
  if (encoder.modelDir) encode.push("--model-dir", encoder.modelDir);
  if (needs.text) steps.push(["tasks/describe.ts", dataset], encode);
  const here = new URL("..", import.meta.url).pathname;
  let idFile: string | undefined;
  if (ids) {
    idFile = await Deno.makeTempFile({ prefix: "train-ids-", suffix: ".txt" });
    await Deno.writeTextFile(idFile, ids.join("\n") + "\n");
    for (const s of steps) s.push("--ids", idFile);
  }
  try {
    await runSteps(steps, root, here);
  } finally {
    if (idFile) await Deno.remove(idFile).catch(() => {});
  }
}

async function runSteps(steps: string[][], root: string, here: string) {
  for (const s of steps) {
    console.error(`train: running deno run -A ${s.join(" ")} --data-dir ${root}`);
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", ...s, "--data-dir", root],
      cwd: here,
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!r.success) throw new Error(`preparation step '${s.join(" ")}' failed (exit ${r.code})`);
  }
}

/** `--run-id`: one run of the reproduce plan, exactly as `reproduce` would train it. */
async function trainPlannedRun(
  id: string,
  configPath: string,
  flags: { out?: string; backend?: string; "data-dir"?: string; quiet?: boolean },
): Promise<void> {
  const base = await loadTrainConfig(configPath);
  const spec = findRun(base, id);
  const config = runConfig(base, spec);
  const root = resolveDataRoot({ dataDir: flags["data-dir"] });
  const dataset = await openDataset(base.dataset, { root, synthetic: base.synthetic, quiet: true });
  const missing = await checkSupervision(dataset, base, {
    root,
    needs: { gaze: true, text: true },
    splits: ["train", "test"],
  });
  if (missing.messages.length) {
    throw new Error(
      `cannot train ${id} on ${base.dataset}:\n  ${missing.messages.join("\n  ")}\n` +
        `prepare once before submitting the grid: deno task prepare ${base.dataset} && deno task describe ` +
        `${base.dataset} && deno task encode ${base.dataset} --encoder ${base.text.encoder}`,
    );
  }
  const runDir = join(flags.out ?? join(resultsDir(base.dataset, base.profile), "runs"), spec.id);
  const status = await runStatus(config, runDir);
  if (status.status === "done") {
    console.error(`train: ${id} is finished (${join(runDir, "done.json")}); nothing to do`);
    return;
  }
  const choice = await selectBackend(flags.backend, { quiet: flags.quiet });
  const supervision = createSupervision(dataset, base, { root });
  try {
    console.error(`train: run ${id} (${spec.label}), ${status.detail} -> ${runDir}`);
    const r = await executeRun(spec, config, runDir, {
      dataset,
      supervision,
      backend: choice.name,
      quiet: flags.quiet,
      log: (s) => console.error(s),
      handleSignals: true,
    });
    const done = JSON.parse(await Deno.readTextFile(join(runDir, "done.json")));
    console.log(
      `${id}: ${r.status} in ${r.seconds.toFixed(1)} s (${done.iterations} iterations, best at ${done.bestIteration})`,
    );
  } finally {
    await supervision.dispose();
  }
}

/** `--ring-probability`: a number in [0, 1]. */
function probabilityFlag(value: string): number {
  const p = Number(value);
  if (value.trim() === "" || !(p >= 0 && p <= 1)) {
    throw new Error(`--ring-probability: expected a number in [0, 1], got '${value}'`);
  }
  return p;
}

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    allowPositionals: false,
    flags: {
      config: { type: "string" },
      method: { type: "string" },
      variant: { type: "string" },
      switches: { type: "string" },
      ablation: { type: "string" },
      seed: { type: "string" },
      iterations: { type: "string" },
      "eval-every": { type: "string" },
      "ring-probability": { type: "string" },
      "eval-teacher": { type: "boolean" },
      out: { type: "string" },
      restart: { type: "boolean" },
      "stop-after": { type: "string" },
      prepare: { type: "boolean" },
      "run-id": { type: "string" },
      accumulate: { type: "string" },
      "dry-run": { type: "boolean" },
      "max-iterations": { type: "string" },
      "text-model": { type: "string" },
    },
  });
  if (!values.config) throw new Error(`--config is required\n\n${USAGE}`);
  if (values["run-id"] !== undefined) {
    const excluded = [
      "method",
      "variant",
      "switches",
      "ablation",
      "seed",
      "iterations",
      "eval-every",
      "ring-probability",
      "eval-teacher",
      "restart",
      "stop-after",
      "prepare",
    ] as const;
    for (const f of excluded) {
      if (values[f] !== undefined) throw new Error(`--${f} cannot be combined with --run-id (the plan fixes it)`);
    }
    await trainPlannedRun(values["run-id"], values.config, values);
    return;
  }
  const method = values.method as MethodName;
  if (!METHOD_NAMES.includes(method)) {
    throw new Error(`--method: expected one of ${METHOD_NAMES.join(", ")}, got ${values.method}`);
  }
  if (values.variant !== undefined && values.variant !== "code" && values.variant !== "paper") {
    throw new Error(`--variant: expected code or paper, got ${values.variant}`);
  }
  const dry = !!values["dry-run"];
  if (values["max-iterations"] !== undefined && !dry) throw new Error("--max-iterations goes with --dry-run");
  const dryIterations = dry ? intFlag(values["max-iterations"], "max-iterations", 2) : 0;
  if (dry && dryIterations < 1) throw new Error(`--max-iterations: expected at least 1, got ${dryIterations}`);
  let config = await loadTrainConfig(values.config);
  if (dry) {
    config = applyOverrides(config, { iterations: dryIterations, evalEvery: dryIterations });
    config = { ...config, evalLimit: DRY_RUN_EVAL_IMAGES };
  }
  if (values.accumulate !== undefined) {
    const acc = intFlag(values.accumulate, "accumulate", 1);
    if (acc < 1 || acc > config.batchSize) {
      throw new Error(`--accumulate: at most the batch size (${config.batchSize}), got ${acc}`);
    }
    config = { ...config, accumulate: acc };
  }
  config = applyOverrides(config, {
    variant: values.variant as Variant | undefined,
    switches: values.switches ? parseSwitches(values.switches) : undefined,
    ablation: values.ablation ? parseAblation(values.ablation) : undefined,
    seed: values.seed !== undefined ? intFlag(values.seed, "seed", 0) : undefined,
    iterations: values.iterations !== undefined ? intFlag(values.iterations, "iterations", 1) : undefined,
    evalEvery: values["eval-every"] !== undefined ? intFlag(values["eval-every"], "eval-every", 1) : undefined,
    ringProbability: values["ring-probability"] !== undefined ? probabilityFlag(values["ring-probability"]) : undefined,
  });
  const text = resolveTextModel(config, { textModel: values["text-model"] });
  config = text.config;
  const choice = await selectBackend(values.backend, { quiet: values.quiet });
  const root = resolveDataRoot({ dataDir: values["data-dir"] });
  const dataset = await openDataset(config.dataset, { root, synthetic: config.synthetic, quiet: values.quiet });
  const label = runLabel(method, config);
  const out = values.out ??
    (dry
      ? join("results", "dry-run", config.dataset, config.profile, label)
      : join("results", "runs", config.dataset, config.profile, label, `seed${config.seed}`));
  if (values.restart || dry) {
    for (const p of ["checkpoints", "log.jsonl", "result.json"]) {
      await Deno.remove(join(out, p), { recursive: true }).catch(() => {});
    }
  }

  const needs = methodNeeds(method, config);
  const evalTeacher = !!values["eval-teacher"] && method === "fgi";
  const splits = evalTeacher ? ["train", "test"] as const : ["train"] as const;
  const textNeeds = { gaze: needs.gaze, text: needs.text };
  // a dry run needs the supervision of the images it reads only
  const touched = dry ? dryRunIds(dataset, config, { iterations: dryIterations }) : null;
  const onlyIds = touched ? [...touched.train, ...(evalTeacher ? touched.test : [])] : undefined;
  const check = () => checkSupervision(dataset, config, { root, needs: textNeeds, splits: [...splits], ids: onlyIds });
  let missing = await check();
  if (missing.messages.length && values.prepare) {
    await runPreparation(
      config.dataset,
      root,
      {
        gaze: missing.gaze.length > 0 || missing.text.length > 0,
        text: missing.text.length > 0,
      },
      { name: config.text.encoder, modelDir: text.modelDir },
      onlyIds && [...new Set([...missing.gaze, ...missing.text])],
    );
    missing = await check();
  }
  if (missing.messages.length) {
    throw new Error(
      `cannot train ${method} on ${config.dataset}:\n  ${missing.messages.join("\n  ")}\n(or pass --prepare)`,
    );
  }
  const supervision = createSupervision(dataset, config, { root, textModelDir: text.modelDir ?? undefined });
  try {
    const evaluateAll = evaluatorFor(dataset, {
      imageSize: config.imageSize,
      supervision,
      alsoNetworks: evalTeacher ? ["teacher"] : [],
      scoreTeacher: evalTeacher || !needs.text,
      config,
      quiet: true,
    });
    // a dry run's one evaluation (the final one) sees the first DRY_RUN_EVAL_IMAGES test images only
    const evaluate: typeof evaluateAll = dry
      ? (m, ctx) => evaluateAll(m, { ...ctx, limit: DRY_RUN_EVAL_IMAGES })
      : evaluateAll;
    const measure = dry ? measureTraining() : null;
    console.error(
      `train ${label} on ${config.dataset} (${config.profile}: ${config.imageSize} px, batch ${config.batchSize}, ` +
        `${config.iterations} iterations, seed ${config.seed}${
          config.accumulate > 1 ? `, ${config.accumulate} micro-batches per step` : ""
        }${dry ? ", DRY RUN" : ""}) -> ${out}`,
    );
    const result = await train({
      config,
      method,
      outDir: out,
      dataset,
      supervision,
      evaluate,
      handleSigint: true,
      backend: choice.name,
      quiet: values.quiet,
      stopAfter: values["stop-after"] !== undefined ? intFlag(values["stop-after"], "stop-after", 0) : undefined,
      onLog: measure?.onLog,
    });
    measure?.stop();
    if (measure && !result.stopped) {
      const report = measure.report();
      const gib = (b: number | null) => (b === null ? "n/a" : `${(b / 2 ** 30).toFixed(2)} GiB`);
      await atomicWrite(
        join(out, "dry_run.json"),
        JSON.stringify(
          {
            method,
            label,
            dataset: config.dataset,
            profile: config.profile,
            imageSize: config.imageSize,
            batchSize: config.batchSize,
            accumulate: config.accumulate,
            evalImages: DRY_RUN_EVAL_IMAGES,
            eval: result.last?.metrics ?? null,
            ...report,
            provenance: provenance({ backend: choice.name }),
          },
          null,
          2,
        ) + "\n",
      );
      console.log(
        `${label} dry run (${config.profile}, ${config.imageSize} px, batch ${config.batchSize} in ` +
          `${config.accumulate} micro-batches, ${choice.name}): ${
            report.secondsPerIteration.toFixed(1)
          } s/iteration, ` +
          `${report.gflopPerIteration.toFixed(1)} GFLOP/iteration ` +
          `(${
            report.iterations.map((i) => `${i.phase} ${i.seconds.toFixed(1)} s ${i.gflop.toFixed(1)} GFLOP`).join("; ")
          }), ` +
          `evaluation of ${DRY_RUN_EVAL_IMAGES} images ${report.evalSeconds.toFixed(1)} s; peak wasm heap ` +
          `${gib(report.memory.wasmHeapBytes)}, peak RSS ${gib(report.memory.peakRssBytes)}; load ` +
          `${report.loadAverage?.join(" ") ?? "n/a"} -> ${join(out, "dry_run.json")}`,
      );
      return;
    }
    if (result.stopped) {
      console.error(
        `train: stopped at iteration ${result.iterations}/${config.iterations}; rerun the command to resume`,
      );
      return;
    }
    const summary: Record<string, unknown> = {
      method,
      label,
      dataset: config.dataset,
      profile: config.profile,
      iterations: result.iterations,
      trainSeconds: result.trainSeconds,
      evalSeconds: result.evalSeconds,
      secondsPerIteration: result.trainSeconds / result.iterations,
      backend: choice.name,
    };
    for (const tag of ["best", "last"] as const) {
      const dir = tag === "best" ? result.checkpoints.best : result.checkpoints.last;
      if (!dir) continue;
      const trained = await loadTrainedMethod(dir);
      try {
        const networks = [trained.network, ...(evalTeacher ? ["teacher"] : [])];
        for (const network of networks) {
          const ev = await evaluateMethod(trained.method, dataset, {
            imageSize: config.imageSize,
            network,
            supervision,
            quiet: values.quiet,
          });
          const stem = network === trained.network ? `eval_test_${tag}` : `eval_test_${tag}_${network}`;
          await writeEvaluation(ev, out, {
            stem,
            extra: { checkpoint: dir, iteration: trained.state.iteration, method, label, network },
          });
          const s = ev.summary;
          const f = (m: { mean: number | null; std: number | null }, k = 1) =>
            m.mean === null ? "n/a" : `${(m.mean * k).toFixed(2)} ± ${((m.std ?? 0) * k).toFixed(2)}`;
          console.log(
            `${label} ${tag} (iteration ${trained.state.iteration}) ${network}: Dice ${f(s.dice, 100)} %, ` +
              `IoU ${f(s.iou, 100)} %, HD95 ${f(s.hd95)} ${ev.rows[0]?.unit ?? "px"}, ASD ${f(s.asd)} ` +
              `(${s.hd95.nUndefined} images without a surface distance)`,
          );
          summary[`${tag}${network === trained.network ? "" : `_${network}`}`] = {
            iteration: trained.state.iteration,
            dice: s.dice.mean,
            iou: s.iou.mean,
            hd95: s.hd95.mean,
            asd: s.asd.mean,
            assd: s.assd.mean,
          };
        }
      } finally {
        trained.method.dispose();
      }
    }
    await atomicWrite(
      join(out, "summary.json"),
      JSON.stringify({ ...summary, provenance: provenance({ backend: choice.name }) }, null, 2) + "\n",
    );
    console.log(
      `${label}: ${result.iterations} iterations in ${(result.trainSeconds / 60).toFixed(1)} min ` +
        `(${(result.trainSeconds / result.iterations).toFixed(2)} s/iteration) + ${
          (result.evalSeconds / 60).toFixed(1)
        } min evaluation`,
    );
  } finally {
    await supervision.dispose();
  }
});
