/**
 * What the notebooks share: their settings from the environment (`$GAZE_PROFILE`,
 * `$GAZE_DATASET`, `$GAZE_RESULTS_DIR`, `$GAZE_BACKEND`, `$GAZE_DATA_DIR`), the dataset
 * they work on, a supervision that works without any preparation step (prepared files
 * where they exist, otherwise gaze maps and text computed on the fly for the images
 * actually used), and {@link openResults}: the results of `deno task reproduce` for the
 * parts a notebook shows, running what is missing at the notebook's profile (the diagnosis:
 * every seed the results folder has finished, else seed 0 at the smoke profile and
 * `DIAGNOSIS_SEEDS` at the others).
 *
 * @module
 */
import { join } from "node:path";
import { exists } from "../core/atomic_write.ts";
import { deriveSeed, Rng } from "../core/rng.ts";
import { selectBackend } from "../backend/select.ts";
import { resolveDataRoot } from "../data/data_root.ts";
import { openDataset } from "../data/open_dataset.ts";
import type { Dataset } from "../data/types.ts";
import { type Fixation, type FixationTable, readFixations } from "../gaze/fixations.ts";
import { computeGazeMaps, gazeMapSettings } from "../gaze/pipeline.ts";
import { dequantiseMap } from "../gaze/quantise.ts";
import { ScanpathCanvas, simulateScanpath } from "../gaze/simulate.ts";
import { type GazeMaps, hasGazeMaps, loadGazeMaps } from "../gaze/store.ts";
import { embeddingsDir, loadTextEmbedding } from "../text/batch.ts";
import { describeFromGaze, type OfflineDescription } from "../text/describer.ts";
import type { DescriptionEncoder } from "../text/embedding.ts";
import { createEncoder } from "../text/encoder.ts";
import { targetKind } from "../text/schema.ts";
import {
  loadTrainConfig,
  TRAIN_PROFILES,
  type TrainConfig,
  type TrainProfile,
  VARIANT_SWITCHES,
} from "../train/config.ts";
import type { Supervision } from "../train/supervision.ts";
import { foregroundShare } from "../metrics/foreground_share.ts";
import { ablationTable } from "./ablation_table.ts";
import { diagnosisTable } from "./diagnosis_table.ts";
import { chooseDataset, DATASET_REQUESTS, type DatasetChoice, type DatasetRequest } from "./dataset_choice.ts";
import type { FigureContext } from "./figures.ts";
import { mainTable } from "./main_table.ts";
import { DIAGNOSIS_ROWS, DIAGNOSIS_SEEDS, type ExperimentGroup, type ExperimentPlan, experimentPlan } from "./plan.ts";
import {
  configPathFor,
  ensureWritableDerived,
  readRunOutcome,
  reproduce,
  type ReproducePart,
  resultsDir,
  resultsRoot,
} from "./reproduce.ts";
import type { RunOutcome } from "./run_outcome.ts";
import { sensitivityTable } from "./sensitivity_table.ts";
import type { Table } from "./table.ts";

/** A notebook's settings. */
export interface NotebookSettings {
  /** Run profile: `$GAZE_PROFILE`, default smoke. */
  profile: TrainProfile;
  /** Dataset request: `$GAZE_DATASET`, default auto. */
  dataset: DatasetRequest;
  /** Results root: `$GAZE_RESULTS_DIR`, default `results/` in the toolkit. */
  resultsRoot: string;
  /** Backend: `$GAZE_BACKEND`, default auto. */
  backend?: string;
  /** Data root (`$GAZE_DATA_DIR`, then ./data/cache). */
  dataRoot: string;
}

/**
 * The settings from the environment; `profile` (the value the notebook's first cell
 * read) wins over `$GAZE_PROFILE`.
 */
export function notebookSettings(profile?: string): NotebookSettings {
  const p = (profile ?? Deno.env.get("GAZE_PROFILE") ?? "smoke") as TrainProfile;
  if (!TRAIN_PROFILES.includes(p)) throw new Error(`GAZE_PROFILE: expected ${TRAIN_PROFILES.join(", ")}, got '${p}'`);
  const d = (Deno.env.get("GAZE_DATASET") ?? "auto") as DatasetRequest;
  if (!DATASET_REQUESTS.includes(d)) {
    throw new Error(`GAZE_DATASET: expected ${DATASET_REQUESTS.join(", ")}, got '${d}'`);
  }
  return {
    profile: p,
    dataset: d,
    resultsRoot: resultsRoot(),
    backend: Deno.env.get("GAZE_BACKEND") || undefined,
    dataRoot: resolveDataRoot(),
  };
}

/** The dataset a notebook works on, opened, with its base training config. */
export interface NotebookData {
  /** The decision (dataset and why). */
  choice: DatasetChoice;
  /** The opened dataset. */
  dataset: Dataset;
  /** The base config `configs/<dataset>.<profile>.json`. */
  config: TrainConfig;
  /** Data root. */
  root: string;
}

/**
 * Choose (no download: `auto` falls back to synthetic when Kvasir is absent), open the
 * dataset and load its config at the settings' profile; selects the backend. A
 * read-only data root gets `$GAZE_DERIVED_DIR` redirected (see `ensureWritableDerived`).
 */
export async function notebookData(settings: NotebookSettings): Promise<NotebookData> {
  await selectBackend(settings.backend, { quiet: true });
  const choice = await chooseDataset(settings.dataset, { root: settings.dataRoot, fetch: false });
  if (choice.dataset !== "synthetic") {
    const note = await ensureWritableDerived(settings.dataRoot); // the sample cache writes derived files
    if (note) console.log(note);
  }
  const config = await loadTrainConfig(configPathFor(choice.dataset, settings.profile));
  const dataset = await openDataset(choice.dataset, {
    root: settings.dataRoot,
    synthetic: config.synthetic,
    quiet: true,
  });
  return { choice, dataset, config, root: settings.dataRoot };
}

/** The fixations of one image: recorded (GazeMedSeg CSV) when the dataset has them, else simulated. */
export interface ImageGaze {
  /** Fixations (x, y normalised to [0, 1], duration in ms). */
  fixations: Fixation[];
  /** True for recorded gaze, false for the scanpath simulator's. */
  recorded: boolean;
}

const fixationTables = new Map<string, Promise<FixationTable>>();

/**
 * The fixations of `id`: the recorded GazeMedSeg fixations for Kvasir and NCI-ISBI
 * (the CSV is read once per data root), else the scanpath simulator (lib/gaze
 * simulate.ts) run on the ground truth with deriveSeed(gazeSeed, id), as `prepare` does.
 */
export async function imageGaze(
  dataset: Dataset,
  id: string,
  options: { root: string; gazeSeed?: number },
): Promise<ImageGaze> {
  if (dataset.name === "kvasir" || dataset.name === "nci-isbi") {
    const key = `${options.root}|${dataset.name}`;
    if (!fixationTables.has(key)) fixationTables.set(key, readFixations(options.root, dataset.name));
    const fx = (await fixationTables.get(key)!).images.get(id)?.fixations;
    if (fx) return { fixations: fx, recorded: true };
  }
  const sample = await dataset.load(id);
  if (!sample.mask) throw new Error(`${dataset.name}/${id}: no recorded gaze and no mask to simulate it from`);
  const fixations = simulateScanpath(new ScanpathCanvas(sample.mask), {
    rng: new Rng(deriveSeed(options.gazeSeed ?? 0, id)),
  });
  return { fixations, recorded: false };
}

/** Options of {@link liveSupervision}. */
export interface LiveSupervisionOptions {
  /** Data root. */
  root: string;
  /** Simulator seed for datasets without recorded gaze (default 0, as `prepare`). */
  gazeSeed?: number;
  /** An encoder to reuse (default: created on the first text request, disposed by `dispose`). */
  encoder?: DescriptionEncoder;
}

/** A {@link Supervision} that also exposes the description behind each text embedding. */
export interface LiveSupervision extends Supervision {
  /** The offline describer's output for `id` (computed from the image and its gaze maps). */
  description(id: string): Promise<OfflineDescription>;
}

/**
 * Gaze maps and text for any dataset without a preparation step: per image, the
 * prepared files when they exist (`deno task prepare|describe|encode`), otherwise
 * computed on the fly and kept in memory — gaze maps from the recorded fixations
 * (Kvasir, NCI-ISBI) or the scanpath simulator (synthetic, ISIC) exactly as `prepare`
 * computes them, text from the offline describer and `config.text.encoder`. Meant for
 * notebooks that touch a few images; training on a whole real dataset should read
 * prepared files.
 */
export function liveSupervision(
  dataset: Dataset,
  config: TrainConfig,
  options: LiveSupervisionOptions,
): LiveSupervision {
  const { root } = options;
  const settings = gazeMapSettings(dataset.name);
  const maps = new Map<string, Promise<GazeMaps>>();
  const descriptions = new Map<string, Promise<OfflineDescription>>();
  const texts = new Map<string, Promise<Float32Array>>();
  let encoder: Promise<DescriptionEncoder> | undefined = options.encoder ? Promise.resolve(options.encoder) : undefined;
  const ref = { root, name: dataset.name };
  const gaze = (id: string) => {
    let p = maps.get(id);
    if (!p) {
      p = (async () => {
        if (dataset.name !== "synthetic" && (await hasGazeMaps(root, dataset.name, id))) {
          return await loadGazeMaps(root, dataset.name, id);
        }
        const sample = await dataset.load(id);
        const { fixations } = await imageGaze(dataset, id, { root, gazeSeed: options.gazeSeed });
        const m = computeGazeMaps(sample.image, fixations, settings);
        return { heatmap: dequantiseMap(m.heatmap), crf: dequantiseMap(m.crf) };
      })();
      maps.set(id, p);
    }
    return p;
  };
  const description = (id: string) => {
    let p = descriptions.get(id);
    if (!p) {
      p = (async () => {
        const [sample, g] = await Promise.all([dataset.load(id), gaze(id)]);
        return describeFromGaze(sample.image, g, { kind: targetKind(dataset.name) });
      })();
      descriptions.set(id, p);
    }
    return p;
  };
  return {
    async crf(id) {
      return (await gaze(id)).crf;
    },
    async heatmap(id) {
      return (await gaze(id)).heatmap;
    },
    description,
    text(id) {
      let p = texts.get(id);
      if (!p) {
        p = (async () => {
          if (
            dataset.name !== "synthetic" && (await exists(join(embeddingsDir(ref, config.text.encoder), `${id}.json`)))
          ) {
            return (await loadTextEmbedding(ref, id, { encoder: config.text.encoder })).data;
          }
          encoder ??= createEncoder(config.text.encoder);
          const [d, enc] = await Promise.all([description(id), encoder]);
          const e = await enc.encode(d.description);
          if (e.shape[0] !== config.text.length || e.shape[1] !== config.text.dim) {
            throw new Error(`${dataset.name}/${id}: embedding [${e.shape}] does not match the config's text [L, D]`);
          }
          return e.data;
        })();
        texts.set(id, p);
      }
      return p;
    },
    source: { kind: "live", root, dataset: dataset.name, encoder: config.text.encoder },
    async dispose() {
      if (encoder && !options.encoder) await (await encoder).dispose();
      maps.clear();
      texts.clear();
      descriptions.clear();
    },
  };
}

/** The results of `reproduce` a notebook shows. */
export interface NotebookResults extends NotebookData {
  /** Results folder. */
  dir: string;
  /** Profile. */
  profile: TrainProfile;
  /** Seeds found (from reproduce.json, else [0]). */
  seeds: number[];
  /** The plan of the requested parts. */
  plan: ExperimentPlan;
  /** Finished runs of the plan. */
  outcomes: RunOutcome[];
  /** Gaze and text of the dataset (see {@link liveSupervision}). */
  supervision: LiveSupervision;
  /** True when this call ran `reproduce` (something was missing). */
  ran: boolean;
  /**
   * With the diagnosis: the share of test pixels the ground truth marks foreground at the training
   * size (lib/metrics `foregroundShare`), which the collapse verdict compares with; null otherwise.
   */
  groundTruthShare: number | null;
  /** The context the figure builders take. */
  figureContext(): FigureContext;
  /** A table recomputed from the runs (the same numbers as its files). */
  table(name: ExperimentGroup): Table;
  /** Free the supervision. */
  dispose(): Promise<void>;
}

/**
 * The seeds `s` for which every run `<key>_s<s>` of `keys` has finished (`done.json`) in
 * `<dir>/runs`, ascending; empty when there are none (or no runs folder).
 */
export async function finishedSeeds(dir: string, keys: readonly string[]): Promise<number[]> {
  const found = new Map<number, Set<string>>();
  try {
    for await (const e of Deno.readDir(join(dir, "runs"))) {
      const m = /^(.+)_s(\d+)$/.exec(e.name);
      if (!e.isDirectory || !m || !keys.includes(m[1])) continue;
      if (!(await exists(join(dir, "runs", e.name, "done.json")))) continue;
      const seed = Number(m[2]);
      if (!found.has(seed)) found.set(seed, new Set());
      found.get(seed)!.add(m[1]);
    }
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return [...found].filter(([, k]) => k.size === new Set(keys).size).map(([s]) => s).sort((a, b) => a - b);
}

/**
 * The results of `parts` at the settings' profile: reads `<results>/<dataset>/<profile>`
 * and, when a run of those parts is missing, runs `reproduce` for them first (resumable;
 * HTML-only figures, no download). Figures need the main runs. Seeds: those of the
 * folder's `reproduce.json`, else [0]; with the diagnosis among `parts`, every seed whose
 * diagnosis runs have all finished, else [0] at the smoke profile (cheap) and
 * `DIAGNOSIS_SEEDS` at the others (as `reproduce --only diagnosis`).
 */
export async function openResults(
  parts: readonly ReproducePart[],
  settings: NotebookSettings,
): Promise<NotebookResults> {
  const data = await notebookData(settings);
  const dir = resultsDir(data.choice.dataset, settings.profile, settings.resultsRoot);
  let seeds = [0];
  const summary = join(dir, "reproduce.json");
  if (await exists(summary)) {
    const s = JSON.parse(await Deno.readTextFile(summary));
    const found = s?.provenance?.seeds;
    if (Array.isArray(found) && found.length) seeds = found;
  }
  if (parts.includes("diagnosis")) {
    const done = await finishedSeeds(dir, DIAGNOSIS_ROWS.map((r) => r.key));
    seeds = done.length ? done : settings.profile === "smoke" ? [0] : [...DIAGNOSIS_SEEDS];
  }
  const groups = (["main", "ablation", "sensitivity", "diagnosis"] as ExperimentGroup[]).filter((g) =>
    parts.includes(g) || (g === "main" && parts.includes("figures"))
  );
  const plan = experimentPlan(data.config, { groups, seeds, paperSwitches: VARIANT_SWITCHES.paper });
  let ran = false;
  const missing = [];
  for (const r of plan.runs) if (!(await exists(join(dir, "runs", r.id, "done.json")))) missing.push(r.id);
  if (missing.length) {
    console.log(
      `${missing.length} of ${plan.runs.length} runs missing in ${dir}: running reproduce (${settings.profile})`,
    );
    await reproduce({
      dataset: data.choice.dataset,
      profile: settings.profile,
      only: parts,
      seeds,
      backend: settings.backend,
      dataDir: settings.dataRoot,
      resultsRoot: settings.resultsRoot,
      fetch: false,
      staticFigures: false,
      quiet: true,
      log: () => {},
    });
    ran = true;
  }
  const outcomes: RunOutcome[] = [];
  for (const r of plan.runs) outcomes.push(await readRunOutcome(r, join(dir, "runs", r.id)));
  const supervision = liveSupervision(data.dataset, data.config, { root: data.root });
  const trainImages = data.dataset.ids("train").length;
  const groundTruthShare = parts.includes("diagnosis")
    ? await foregroundShare(data.dataset, data.dataset.ids("test"), { size: data.config.imageSize, quiet: true })
    : null;
  const common = { dataset: data.choice.dataset, seeds };
  return {
    ...data,
    dir,
    profile: settings.profile,
    seeds,
    plan,
    outcomes,
    supervision,
    ran,
    groundTruthShare,
    figureContext: () => ({
      dataset: data.dataset,
      supervision,
      outcomes,
      seeds,
      imageSize: data.config.imageSize,
      trainImages,
    }),
    table(name) {
      const rows = plan.tables[name];
      if (!rows) throw new Error(`table ${name} was not requested from openResults`);
      if (name === "main") return mainTable(rows, outcomes, { ...common, trainImages });
      if (name === "ablation") return ablationTable(rows, outcomes, common);
      if (name === "diagnosis") {
        return diagnosisTable(rows, outcomes, { ...common, groundTruthShare, rampUpLength: data.config.rampUp.length });
      }
      return sensitivityTable(rows, outcomes, common);
    },
    dispose: () => supervision.dispose(),
  };
}
