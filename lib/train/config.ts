/**
 * The training configuration: one JSON file per dataset x profile (`configs/<dataset>.<profile>.json`),
 * validated field by field, plus the paper-vs-code switches of docs/METHOD.md section 10 and the FGI
 * ablations. A config holds DATA only (sizes, numbers, switches); the method (`fullsup`, `gaze1`,
 * `gazemedseg`, `fgi`) is chosen on the command line.
 *
 * Numbers that docs/METHOD.md fixes and that every profile keeps: lr 1e-2 -> 1e-4 half-cosine stepped per
 * epoch with epochs = floor(iterations / batches per epoch) + 1; SGD momentum 0.9, Nesterov, weight
 * decay 4e-4 (GazeMedSeg momentum 0.99); AFC weight 0.1; CWC tau_pos 0.8 / tau_neg 0.2, noise
 * U(-0.2, 0.2), CutMix Beta(4, 4); DARM ratio 0.3, block sides 3..10; GazeMedSeg consistency weight 3.
 *
 * The ramp-up length is 4000 of 15000 iterations in the paper. Short profiles keep the same SHAPE
 * of the ramp relative to the run: `rampUp.length` = round(iterations * 4000 / 15000) (at least 1),
 * which {@link scaledRampLength} computes and the shipped configs store explicitly.
 *
 * Variant presets ({@link VARIANT_SWITCHES}):
 *
 * | switch          | `code` (released scripts) | `paper` (the article) |
 * |-----------------|---------------------------|-----------------------|
 * | fusion          | `none` (X + Z)            | `learnable` (X + lambda Z) |
 * | teacherLoss     | `bce` (all pixels)        | `partial-ce` (ring between the levels ignored) |
 * | darmSource      | `gaze` (M_hc vs M_bc)     | `prediction` (teacher vs student) |
 * | cwcConfidence   | `source`                  | `both` |
 * | schedule        | `joint`                   | `teacher-first` |
 * | optimizer       | `sgd`                     | `adam` (the authors' README; lr from `optimizer.adam`) |
 * | cwcStudentInput | `clean`                   | `clean` (`masked`: this toolkit's earlier reading) |
 * | cutMix          | `per-direction`           | `per-direction` (`shared`: earlier reading) |
 * | darmWindow      | `odd`                     | `odd` (`side-k`: earlier reading) |
 * | darmTarget      | `floor`                   | `floor` (`exact`: earlier reading) |
 * | rampStart       | `one` (w(1) at step 1)    | `zero` (w(0) at the first step of each phase) |
 * | darmPlacement   | `ring`                    | `ring` (`ring+random`, `mixed`: this toolkit's variants) |
 * | darmFill        | `zero`                    | `zero` (`mean`, `noise`: this toolkit's variants) |
 *
 * `switches` in the file (or `--variant` / overrides) replace single entries of the preset.
 * cwcStudentInput, cutMix, darmWindow and darmTarget follow the released training step in both
 * presets (the article does not specify them);
 * docs/RELEASED_CODE.md lists every remaining difference from the released code.
 *
 * @module
 */
import type { DatasetName } from "../data/types.ts";
import type { Features } from "../models/types.ts";
import type { EncoderName } from "../text/embedding.ts";
import { rampUpWeight } from "../losses/ramp_up.ts";
import type { DarmOptions } from "../darm/types.ts";
import type { Rng } from "../core/rng.ts";

/** Training methods, one plug-in each in lib/train/methods/. */
export type MethodName = "fullsup" | "gaze1" | "gazemedseg" | "fgi";

/** Every method name, for CLI validation. */
export const METHOD_NAMES: readonly MethodName[] = ["fullsup", "gaze1", "gazemedseg", "fgi"];

/** Run profiles. */
export type TrainProfile = "paper" | "cpu" | "smoke";

/** Every profile name. */
export const TRAIN_PROFILES: readonly TrainProfile[] = ["paper", "cpu", "smoke"];

/** `code` = the released scripts (default for reproduction), `paper` = the article's description. */
export type Variant = "code" | "paper";

/** The paper-vs-code switches of docs/METHOD.md section 10 (they act on the FGI method). */
export interface FgiSwitches {
  /** Text-fusion weighting: `none` = X + Z (code), `learnable` = X + lambda_s Z (paper). */
  fusion: "none" | "learnable";
  /** Teacher's supervised loss: BCE over all pixels (code) or partial CE ignoring the ring between levels (paper). */
  teacherLoss: "bce" | "partial-ce";
  /** DARM candidates: gaze-mask disagreement (code) or teacher-student disagreement (paper). */
  darmSource: "gaze" | "prediction";
  /** CWC confidence: the target network only (code) or both networks (paper). */
  cwcConfidence: "source" | "both";
  /** Train both networks jointly (code) or the teacher first, then the student against the frozen teacher (paper). */
  schedule: "joint" | "teacher-first";
  /** Optimiser of both networks: SGD (the scripts) or Adam (the authors' README). */
  optimizer: "sgd" | "adam";
  /**
   * Input of the student's CWC pass: the CLEAN image + noise, CutMixed (`clean`, the released code;
   * only L_S and AFC see the DARM-masked image) or the DARM-masked image + noise (`masked`, this
   * toolkit's earlier reading).
   */
  cwcStudentInput: "clean" | "masked";
  /**
   * CutMix draws: `per-direction` (the released code: each CWC direction draws its own permutation,
   * lambda and one box centre per sample) or `shared` (one box, lambda and permutation per batch for
   * both directions; this toolkit's earlier reading).
   */
  cutMix: "per-direction" | "shared";
  /** DARM window of side k: `odd` (rows c - k//2 .. c + k//2, the released code) or `side-k` (k rows). */
  darmWindow: "odd" | "side-k";
  /** DARM stop target: `floor` (int(0.3 |U|), the released code) or `exact` (0.3 |U|). */
  darmTarget: "floor" | "exact";
  /**
   * Ramp-up clock: `one` = the k-th step of a phase (1-based) uses w(k), as the released
   * `ConsistencyWeight(iter_num)` with iter_num incremented before use; `zero` = w(k - 1), so the
   * first step uses w(0) = exp(-5) (the article's t from 0; this toolkit's earlier reading).
   */
  rampStart: "one" | "zero";
  /**
   * THIS TOOLKIT's DARM variant (not the released code, not the article): `ring` (the released
   * placement) or `ring+random` (the ring blocks plus an equal area of blocks at uniformly random
   * positions, which leave M_bc unchanged), so that blocks no longer outline the target (issue 11), or
   * `mixed` (each block centred on the next ring candidate with probability `fgi.darm.ringProbability`,
   * default 0.5, and on a uniformly random pixel otherwise; same stop rule).
   */
  darmPlacement: "ring" | "ring+random" | "mixed";
  /** THIS TOOLKIT's DARM variant: block content `zero` (released), the image's channel `mean`, or `noise` of its mean and std. */
  darmFill: "zero" | "mean" | "noise";
}

/** The values each switch accepts (validation and `--switches`). */
export const SWITCH_CHOICES: Readonly<Record<keyof FgiSwitches, readonly string[]>> = {
  fusion: ["none", "learnable"],
  teacherLoss: ["bce", "partial-ce"],
  darmSource: ["gaze", "prediction"],
  cwcConfidence: ["source", "both"],
  schedule: ["joint", "teacher-first"],
  optimizer: ["sgd", "adam"],
  cwcStudentInput: ["clean", "masked"],
  cutMix: ["per-direction", "shared"],
  darmWindow: ["odd", "side-k"],
  darmTarget: ["floor", "exact"],
  rampStart: ["one", "zero"],
  darmPlacement: ["ring", "ring+random", "mixed"],
  darmFill: ["zero", "mean", "noise"],
};

/** Preset switches per variant. */
export const VARIANT_SWITCHES: Readonly<Record<Variant, Readonly<FgiSwitches>>> = {
  code: {
    fusion: "none",
    teacherLoss: "bce",
    darmSource: "gaze",
    cwcConfidence: "source",
    schedule: "joint",
    optimizer: "sgd",
    cwcStudentInput: "clean",
    cutMix: "per-direction",
    darmWindow: "odd",
    darmTarget: "floor",
    rampStart: "one",
    darmPlacement: "ring",
    darmFill: "zero",
  },
  paper: {
    fusion: "learnable",
    teacherLoss: "partial-ce",
    darmSource: "prediction",
    cwcConfidence: "both",
    schedule: "teacher-first",
    optimizer: "adam",
    cwcStudentInput: "clean",
    cutMix: "per-direction",
    darmWindow: "odd",
    darmTarget: "floor",
    rampStart: "zero",
    darmPlacement: "ring",
    darmFill: "zero",
  },
};

/** FGI ablations: each component can be switched off (docs/METHOD.md: the "minus X" rows). */
export interface Ablation {
  /** Text fusion in the teacher (off = the teacher is a plain BasicUNet + DistillProj). */
  text: boolean;
  /** The AFC feature-alignment term. */
  afc: boolean;
  /** The CWC consistency terms (both directions). */
  cwc: boolean;
  /** DARM on the student's input and M_bc. */
  darm: boolean;
}

/** Ablation names on the command line (`--ablation no-text,no-afc`). */
export const ABLATION_FLAGS = ["no-text", "no-afc", "no-cwc", "no-darm"] as const;

/** The training configuration (see module doc; configs/*.json hold exactly these fields). */
export interface TrainConfig {
  /** Free-form name, e.g. `kvasir.cpu`. */
  name: string;
  /** What the profile is, how it was chosen, measured times. */
  notes: string;
  /** Dataset to train and evaluate on. */
  dataset: DatasetName;
  /** Synthetic dataset only: generator seed, image counts and generated image side. */
  synthetic?: { seed: number; train: number; test: number; size: number };
  /** Profile name (recorded; the sizes below are what counts). */
  profile: TrainProfile;
  /** Square training side in pixels (multiple of 16). */
  imageSize: number;
  /** Samples per optimiser step (the last partial batch of an epoch is kept). */
  batchSize: number;
  /** Micro-batches per step (gradient accumulation; 1 = none). Each holds ceil(batch / accumulate) samples. */
  accumulate: number;
  /** Optimiser steps. */
  iterations: number;
  /** Evaluate on the test split, log and checkpoint every this many iterations (and at the end). */
  evalEvery: number;
  /** Evaluate on at most this many test images during training (0 = all; final evaluation uses all). */
  evalLimit: number;
  /** Base seed: data order, flips, DARM, CutMix/noise and initial weights derive from it. */
  seed: number;
  /** Gaze pseudo-mask thresholds (docs/METHOD.md 3.3): `levels` for 2-level methods; `single` for gaze1. */
  gaze: { levels: number[]; single: number };
  /** Model widths per network `[f0..f4, f5]`. `unet` serves fullsup, gaze1 and GazeMedSeg. */
  models: { teacher: Features; student: Features; unet: Features };
  /** Text tokens: encoder and the [L, D] it produces. */
  text: { encoder: EncoderName; length: number; dim: number };
  /** Optimiser settings. `type` applies to fullsup/gaze1/gazemedseg; FGI follows `switches.optimizer`. */
  optimizer: {
    type: "sgd" | "adam";
    lrMax: number;
    lrMin: number;
    momentum: number;
    nesterov: boolean;
    weightDecay: number;
    gazeMedSegMomentum: number;
    adam: { lrMax: number; lrMin: number; beta1: number; beta2: number; eps: number; weightDecay: number };
  };
  /** Consistency ramp-up w(t) = exp(-5 (1 - min(t, length)/length)^2). */
  rampUp: { length: number };
  /** FGI numbers. */
  fgi: {
    afcWeight: number;
    tauPos: number;
    tauNeg: number;
    noise: number;
    cutMixAlpha: number;
    /**
     * DARM numbers. `ringProbability` (OPTIONAL, absent unless set; this toolkit's variant): with
     * `switches.darmPlacement: "mixed"`, the probability that a block is centred on the ring (default
     * 0.5 when absent, in [0, 1]); ignored by the other placements.
     */
    darm: { ratio: number; minBlock: number; maxBlock: number; ringProbability?: number };
    /** Share of the iterations given to the teacher alone under `schedule: "teacher-first"`. */
    teacherFirstFraction: number;
  };
  /** GazeMedSeg numbers: consistency weight (3) and mode (`prop` after feature propagation, or `pure`). */
  gazemedseg: { consistencyWeight: number; consistencyMode: "prop" | "pure" };
  /** gaze1: loss on the single level (`partial-ce` ignores the ring between the two levels; `bce` all pixels). */
  gaze1: { loss: "partial-ce" | "bce" };
  /** Which preset of the switches. */
  variant: Variant;
  /** Entries that replace the variant's preset. */
  switches: Partial<FgiSwitches>;
  /** FGI components on/off. */
  ablation: Ablation;
}

/** Fields a config may omit, with their paper-protocol defaults (docs/METHOD.md sections 6-7). */
export const CONFIG_DEFAULTS: Omit<TrainConfig, "dataset" | "profile" | "imageSize" | "batchSize" | "iterations"> = {
  name: "",
  notes: "",
  accumulate: 1,
  evalEvery: 1000,
  evalLimit: 0,
  seed: 0,
  gaze: { levels: [0.5, 0.3], single: 0.5 },
  models: {
    teacher: [64, 128, 256, 512, 1024, 128],
    student: [32, 64, 128, 256, 512, 32],
    unet: [64, 128, 256, 512, 1024, 128],
  },
  text: { encoder: "use-lite", length: 6, dim: 512 },
  optimizer: {
    type: "sgd",
    lrMax: 1e-2,
    lrMin: 1e-4,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 4e-4,
    gazeMedSegMomentum: 0.99,
    adam: { lrMax: 1e-3, lrMin: 1e-5, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 4e-4 },
  },
  rampUp: { length: 4000 },
  fgi: {
    afcWeight: 0.1,
    tauPos: 0.8,
    tauNeg: 0.2,
    noise: 0.2,
    cutMixAlpha: 4,
    darm: { ratio: 0.3, minBlock: 3, maxBlock: 10 },
    teacherFirstFraction: 0.5,
  },
  gazemedseg: { consistencyWeight: 3, consistencyMode: "prop" },
  gaze1: { loss: "partial-ce" },
  variant: "code",
  switches: {},
  ablation: { text: true, afc: true, cwc: true, darm: true },
};

/** The paper's ramp length scaled to `iterations`: round(iterations * 4000 / 15000), at least 1. */
export function scaledRampLength(iterations: number): number {
  return Math.max(1, Math.round((iterations * 4000) / 15000));
}

/** The switches in force: the variant's preset with the config's `switches` on top. */
export function resolveSwitches(config: Pick<TrainConfig, "variant" | "switches">): FgiSwitches {
  return { ...VARIANT_SWITCHES[config.variant], ...config.switches };
}

/**
 * The DARM options a config implies: ratio and block sizes from `fgi.darm`, window, stop rule,
 * placement and fill from the resolved switches (docs/METHOD.md section 6.5), drawing from `rng`.
 * One definition for training, the masked-test diagnostic and the training probe.
 */
export function darmOptionsFor(config: Pick<TrainConfig, "variant" | "switches" | "fgi">, rng: Rng): DarmOptions {
  const sw = resolveSwitches(config);
  const d = config.fgi.darm;
  return {
    rng,
    ratio: d.ratio,
    minBlock: d.minBlock,
    maxBlock: d.maxBlock,
    window: sw.darmWindow,
    target: sw.darmTarget,
    placement: sw.darmPlacement,
    fill: sw.darmFill,
    ...(d.ringProbability !== undefined ? { ringProbability: d.ringProbability } : {}),
  };
}

/**
 * The config as a run records it (`config.json`, `run.json`, checkpoints' `state.json`): `switches`
 * holds EVERY switch in force ({@link resolveSwitches}), not only the entries that replace the preset.
 * A run's record then shows the behaviour it was trained with, and a later change of a preset (a
 * switch added, a default changed) makes the record differ, so a finished or half-finished run is not
 * silently reused or resumed under the new behaviour. Idempotent; validates like
 * {@link validateTrainConfig}.
 */
export function withResolvedSwitches(config: TrainConfig): TrainConfig {
  return { ...config, switches: resolveSwitches(config) };
}

/**
 * The differences between a recorded config and the one now asked for, one line per leaf field:
 * `switches.cutMix: shared -> per-direction`, `iterations: 20 -> 21`; a field the record lacks reads
 * `not recorded`. Objects are compared field by field, anything else by its JSON text. Empty when
 * both are equal.
 */
export function configDifferences(recorded: unknown, current: unknown, path = ""): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  if (isObj(recorded) && isObj(current)) {
    const keys = [...new Set([...Object.keys(recorded), ...Object.keys(current)])];
    return keys.flatMap((k) => configDifferences(recorded[k], current[k], path ? `${path}.${k}` : k));
  }
  const show = (v: unknown) => v === undefined ? "not recorded" : typeof v === "string" ? v : JSON.stringify(v);
  if (JSON.stringify(recorded) === JSON.stringify(current)) return [];
  return [`${path || "(root)"}: ${show(recorded)} -> ${current === undefined ? "absent" : show(current)}`];
}

/**
 * Parse `--ablation no-text,no-afc,...` into an {@link Ablation} (components not named stay on).
 * An empty string or `none` switches nothing off.
 */
export function parseAblation(value: string | undefined): Ablation {
  const out: Ablation = { text: true, afc: true, cwc: true, darm: true };
  if (!value || value === "none") return out;
  for (const raw of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    if (!(ABLATION_FLAGS as readonly string[]).includes(raw)) {
      throw new Error(`--ablation: unknown entry '${raw}', expected a comma list of ${ABLATION_FLAGS.join(", ")}`);
    }
    out[raw.slice(3) as keyof Ablation] = false;
  }
  return out;
}

/** A short label of the ablation, e.g. `no-text+no-afc` or `full`. */
export function ablationLabel(ablation: Ablation): string {
  const off = (Object.keys(ablation) as (keyof Ablation)[]).filter((k) => !ablation[k]).map((k) => `no-${k}`);
  return off.length ? off.join("+") : "full";
}

// ---- validation -------------------------------------------------------------------------------

type Json = unknown;

class Checker {
  constructor(readonly source: string) {}
  fail(field: string, expected: string, got: Json): never {
    throw new Error(`${this.source}: field '${field}' must be ${expected}, got ${JSON.stringify(got)}`);
  }
  object(v: Json, field: string): Record<string, Json> {
    if (typeof v !== "object" || v === null || Array.isArray(v)) this.fail(field, "an object", v);
    return v as Record<string, Json>;
  }
  known(o: Record<string, Json>, field: string, keys: readonly string[]): void {
    for (const k of Object.keys(o)) {
      if (!keys.includes(k)) {
        const where = field ? `${field}.${k}` : k;
        throw new Error(`${this.source}: unknown field '${where}' (known: ${keys.join(", ")})`);
      }
    }
  }
  num(v: Json, field: string, opts: { min?: number; max?: number; int?: boolean; gt?: number } = {}): number {
    const ok = typeof v === "number" && Number.isFinite(v) && (!opts.int || Number.isInteger(v)) &&
      (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max) &&
      (opts.gt === undefined || v > opts.gt);
    if (!ok) {
      const parts = [opts.int ? "an integer" : "a number"];
      if (opts.gt !== undefined) parts.push(`> ${opts.gt}`);
      if (opts.min !== undefined) parts.push(`>= ${opts.min}`);
      if (opts.max !== undefined) parts.push(`<= ${opts.max}`);
      this.fail(field, parts.join(" "), v);
    }
    return v as number;
  }
  bool(v: Json, field: string): boolean {
    if (typeof v !== "boolean") this.fail(field, "true or false", v);
    return v as boolean;
  }
  str(v: Json, field: string): string {
    if (typeof v !== "string") this.fail(field, "a string", v);
    return v as string;
  }
  oneOf<T extends string>(v: Json, field: string, options: readonly T[]): T {
    if (typeof v !== "string" || !options.includes(v as T)) this.fail(field, `one of ${options.join(" | ")}`, v);
    return v as T;
  }
  features(v: Json, field: string): Features {
    if (!Array.isArray(v) || v.length !== 6) this.fail(field, "6 widths [f0, f1, f2, f3, f4, f5]", v);
    (v as Json[]).forEach((x, i) => {
      if (!(typeof x === "number" && Number.isInteger(x) && x > 0 && x % 4 === 0)) {
        this.fail(`${field}[${i}]`, "a positive multiple of 4 (GroupNorm has 4 groups)", x);
      }
    });
    return [...(v as number[])] as unknown as Features;
  }
}

function merge(defaults: Json, value: Json): Json {
  if (
    typeof defaults === "object" && defaults !== null && !Array.isArray(defaults) &&
    typeof value === "object" && value !== null && !Array.isArray(value)
  ) {
    const out: Record<string, Json> = { ...(defaults as Record<string, Json>) };
    for (const [k, v] of Object.entries(value as Record<string, Json>)) {
      out[k] = k in out ? merge(out[k], v) : v;
    }
    return out;
  }
  return value === undefined ? defaults : value;
}

const DATASETS: readonly DatasetName[] = ["kvasir", "nci-isbi", "isic", "synthetic"];
const TOP_KEYS = [
  "$schema",
  "name",
  "notes",
  "dataset",
  "synthetic",
  "profile",
  "imageSize",
  "batchSize",
  "accumulate",
  "iterations",
  "evalEvery",
  "evalLimit",
  "seed",
  "gaze",
  "models",
  "text",
  "optimizer",
  "rampUp",
  "fgi",
  "gazemedseg",
  "gaze1",
  "variant",
  "switches",
  "ablation",
] as const;

/**
 * Check a parsed config (e.g. `JSON.parse` of a configs/*.json file) and fill omitted fields from
 * {@link CONFIG_DEFAULTS}. `dataset`, `profile`, `imageSize`, `batchSize` and `iterations` are
 * required. Errors name the source, the field and what was expected, e.g.
 * `configs/kvasir.cpu.json: field 'optimizer.lrMax' must be a number > 0, got "x"`.
 * Unknown fields are errors too (they are usually typos).
 *
 * @example
 * ```ts
 * import { validateTrainConfig } from "../../mod.ts";
 * const c = validateTrainConfig({ dataset: "synthetic", profile: "smoke", imageSize: 32, batchSize: 4, iterations: 20 });
 * console.log(c.fgi.afcWeight); // 0.1
 * ```
 */
export function validateTrainConfig(value: unknown, options: { source?: string } = {}): TrainConfig {
  const ck = new Checker(options.source ?? "config");
  const raw = ck.object(value, "(root)");
  ck.known(raw, "", TOP_KEYS);
  for (const req of ["dataset", "profile", "imageSize", "batchSize", "iterations"]) {
    if (raw[req] === undefined) ck.fail(req, "present (required)", undefined);
  }
  const c = merge(CONFIG_DEFAULTS, raw) as Record<string, Json>;
  delete c.$schema;
  const dataset = ck.oneOf(c.dataset, "dataset", DATASETS);
  ck.str(c.name, "name");
  ck.str(c.notes, "notes");
  ck.oneOf(c.profile, "profile", TRAIN_PROFILES);
  const size = ck.num(c.imageSize, "imageSize", { int: true, min: 16 });
  if (size % 16 !== 0) ck.fail("imageSize", "a multiple of 16 (four 2x2 poolings)", size);
  const batch = ck.num(c.batchSize, "batchSize", { int: true, min: 1 });
  const acc = ck.num(c.accumulate, "accumulate", { int: true, min: 1 });
  if (acc > batch) ck.fail("accumulate", `at most batchSize (${batch})`, acc);
  ck.num(c.iterations, "iterations", { int: true, min: 1 });
  ck.num(c.evalEvery, "evalEvery", { int: true, min: 1 });
  ck.num(c.evalLimit, "evalLimit", { int: true, min: 0 });
  ck.num(c.seed, "seed", { int: true, min: 0 });
  if (dataset === "synthetic") {
    const s = ck.object(
      merge({ seed: 0, train: 48, test: 16, size: 128 }, c.synthetic ?? {}),
      "synthetic",
    );
    ck.known(s, "synthetic", ["seed", "train", "test", "size"]);
    ck.num(s.seed, "synthetic.seed", { int: true, min: 0 });
    ck.num(s.train, "synthetic.train", { int: true, min: 1 });
    ck.num(s.test, "synthetic.test", { int: true, min: 1 });
    ck.num(s.size, "synthetic.size", { int: true, min: 8 });
    c.synthetic = s;
  } else if (c.synthetic !== undefined) {
    ck.fail("synthetic", `absent for dataset '${dataset}'`, c.synthetic);
  }
  const gaze = ck.object(c.gaze, "gaze");
  ck.known(gaze, "gaze", ["levels", "single"]);
  if (!Array.isArray(gaze.levels) || gaze.levels.length < 2) {
    ck.fail("gaze.levels", "a list of >= 2 thresholds", gaze.levels);
  }
  (gaze.levels as Json[]).forEach((t, i) => ck.num(t, `gaze.levels[${i}]`, { gt: 0, max: 1 }));
  ck.num(gaze.single, "gaze.single", { gt: 0, max: 1 });
  const models = ck.object(c.models, "models");
  ck.known(models, "models", ["teacher", "student", "unet"]);
  for (const k of ["teacher", "student", "unet"]) models[k] = ck.features(models[k], `models.${k}`);
  const text = ck.object(c.text, "text");
  ck.known(text, "text", ["encoder", "length", "dim"]);
  ck.oneOf(text.encoder, "text.encoder", ["use-lite", "transformers"] as const);
  ck.num(text.length, "text.length", { int: true, min: 1 });
  ck.num(text.dim, "text.dim", { int: true, min: 1 });
  const opt = ck.object(c.optimizer, "optimizer");
  ck.known(opt, "optimizer", [
    "type",
    "lrMax",
    "lrMin",
    "momentum",
    "nesterov",
    "weightDecay",
    "gazeMedSegMomentum",
    "adam",
  ]);
  ck.oneOf(opt.type, "optimizer.type", ["sgd", "adam"] as const);
  ck.num(opt.lrMax, "optimizer.lrMax", { gt: 0 });
  ck.num(opt.lrMin, "optimizer.lrMin", { min: 0 });
  ck.num(opt.momentum, "optimizer.momentum", { min: 0, max: 1 });
  ck.bool(opt.nesterov, "optimizer.nesterov");
  ck.num(opt.weightDecay, "optimizer.weightDecay", { min: 0 });
  ck.num(opt.gazeMedSegMomentum, "optimizer.gazeMedSegMomentum", { min: 0, max: 1 });
  const adam = ck.object(opt.adam, "optimizer.adam");
  ck.known(adam, "optimizer.adam", ["lrMax", "lrMin", "beta1", "beta2", "eps", "weightDecay"]);
  ck.num(adam.lrMax, "optimizer.adam.lrMax", { gt: 0 });
  ck.num(adam.lrMin, "optimizer.adam.lrMin", { min: 0 });
  ck.num(adam.beta1, "optimizer.adam.beta1", { min: 0, max: 1 });
  ck.num(adam.beta2, "optimizer.adam.beta2", { min: 0, max: 1 });
  ck.num(adam.eps, "optimizer.adam.eps", { gt: 0 });
  ck.num(adam.weightDecay, "optimizer.adam.weightDecay", { min: 0 });
  const ramp = ck.object(c.rampUp, "rampUp");
  ck.known(ramp, "rampUp", ["length"]);
  ck.num(ramp.length, "rampUp.length", { int: true, min: 1 });
  const fgi = ck.object(c.fgi, "fgi");
  ck.known(fgi, "fgi", ["afcWeight", "tauPos", "tauNeg", "noise", "cutMixAlpha", "darm", "teacherFirstFraction"]);
  ck.num(fgi.afcWeight, "fgi.afcWeight", { min: 0 });
  ck.num(fgi.tauPos, "fgi.tauPos", { min: 0.5, max: 1 });
  ck.num(fgi.tauNeg, "fgi.tauNeg", { min: 0, max: 0.5 });
  ck.num(fgi.noise, "fgi.noise", { min: 0 });
  ck.num(fgi.cutMixAlpha, "fgi.cutMixAlpha", { gt: 0 });
  ck.num(fgi.teacherFirstFraction, "fgi.teacherFirstFraction", { gt: 0, max: 1 });
  const darm = ck.object(fgi.darm, "fgi.darm");
  ck.known(darm, "fgi.darm", ["ratio", "minBlock", "maxBlock", "ringProbability"]);
  ck.num(darm.ratio, "fgi.darm.ratio", { min: 0 });
  const lo = ck.num(darm.minBlock, "fgi.darm.minBlock", { int: true, min: 1 });
  ck.num(darm.maxBlock, "fgi.darm.maxBlock", { int: true, min: lo });
  if (darm.ringProbability !== undefined) ck.num(darm.ringProbability, "fgi.darm.ringProbability", { min: 0, max: 1 });
  const gms = ck.object(c.gazemedseg, "gazemedseg");
  ck.known(gms, "gazemedseg", ["consistencyWeight", "consistencyMode"]);
  ck.num(gms.consistencyWeight, "gazemedseg.consistencyWeight", { min: 0 });
  ck.oneOf(gms.consistencyMode, "gazemedseg.consistencyMode", ["prop", "pure"] as const);
  const g1 = ck.object(c.gaze1, "gaze1");
  ck.known(g1, "gaze1", ["loss"]);
  ck.oneOf(g1.loss, "gaze1.loss", ["partial-ce", "bce"] as const);
  ck.oneOf(c.variant, "variant", ["code", "paper"] as const);
  const sw = ck.object(c.switches, "switches");
  ck.known(sw, "switches", Object.keys(VARIANT_SWITCHES.code));
  for (const [k, v] of Object.entries(sw)) ck.oneOf(v, `switches.${k}`, SWITCH_CHOICES[k as keyof FgiSwitches]);
  const ab = ck.object(c.ablation, "ablation");
  ck.known(ab, "ablation", ["text", "afc", "cwc", "darm"]);
  for (const k of ["text", "afc", "cwc", "darm"]) ck.bool(ab[k], `ablation.${k}`);
  if (text.dim !== 512 && text.encoder === "use-lite") ck.fail("text.dim", "512 for the use-lite encoder", text.dim);
  return c as unknown as TrainConfig;
}

/** Read and validate a config file (errors name the file). */
export async function loadTrainConfig(path: string): Promise<TrainConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read the config (${(err as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return validateTrainConfig(json, { source: path });
}

/** Command-line style overrides of a config (see {@link applyOverrides}). */
export interface ConfigOverrides {
  /** Switch preset. */
  variant?: Variant;
  /** Single switches on top of the preset. */
  switches?: Partial<FgiSwitches>;
  /** Ablation (replaces the config's). */
  ablation?: Ablation;
  /** Base seed. */
  seed?: number;
  /** Iterations (the ramp length is rescaled with {@link scaledRampLength} unless `rampLength` is given). */
  iterations?: number;
  /** Explicit ramp length. */
  rampLength?: number;
  /** Evaluation interval. */
  evalEvery?: number;
  /** `fgi.darm.ringProbability` (this toolkit's `darmPlacement: "mixed"` DARM). */
  ringProbability?: number;
}

/**
 * A copy of `config` with overrides applied and re-validated. Changing `iterations` rescales the
 * ramp (round(iterations * 4000 / 15000)) so the ramp keeps its share of the run, and clamps
 * `evalEvery` to `iterations`.
 */
export function applyOverrides(config: TrainConfig, overrides: ConfigOverrides): TrainConfig {
  const c = structuredClone(config);
  if (overrides.variant) {
    c.variant = overrides.variant;
    c.switches = {};
  }
  if (overrides.switches) c.switches = { ...c.switches, ...overrides.switches };
  if (overrides.ablation) c.ablation = { ...overrides.ablation };
  if (overrides.seed !== undefined) c.seed = overrides.seed;
  if (overrides.iterations !== undefined) {
    c.iterations = overrides.iterations;
    c.rampUp = { length: scaledRampLength(overrides.iterations) };
    c.evalEvery = Math.min(c.evalEvery, overrides.iterations);
  }
  if (overrides.rampLength !== undefined) c.rampUp = { length: overrides.rampLength };
  if (overrides.evalEvery !== undefined) c.evalEvery = overrides.evalEvery;
  if (overrides.ringProbability !== undefined) c.fgi.darm.ringProbability = overrides.ringProbability;
  return validateTrainConfig(c, { source: `${c.name || "config"} (with overrides)` });
}

/**
 * A short, file-name-safe label of a run: the method, and for FGI the variant, any switch that
 * differs from the variant's preset (with `darmPlacement=mixed`, a set `fgi.darm.ringProbability` as
 * `ringProbability=P`) and the ablation; for gaze1 its loss. E.g. `fullsup`, `gaze1-partial-ce`,
 * `fgi-code`, `fgi-paper-no-darm`, `fgi-code-fusion=learnable`, `fgi-code-darmPlacement=mixed-ringProbability=0.25`.
 */
export function runLabel(method: MethodName, config: TrainConfig): string {
  if (method === "gaze1") return `gaze1-${config.gaze1.loss}`;
  if (method !== "fgi") return method;
  const parts = [`fgi-${config.variant}`];
  const preset = VARIANT_SWITCHES[config.variant];
  for (const [k, v] of Object.entries(config.switches)) {
    if (v !== undefined && preset[k as keyof FgiSwitches] !== v) parts.push(`${k}=${v}`);
  }
  const p = config.fgi.darm.ringProbability;
  if (p !== undefined && resolveSwitches(config).darmPlacement === "mixed") parts.push(`ringProbability=${p}`);
  const ab = ablationLabel(config.ablation);
  if (ab !== "full") parts.push(ab);
  return parts.join("-");
}

/**
 * Parse `--switches fusion=learnable,optimizer=adam` into switch overrides (names and values are
 * checked; see {@link FgiSwitches}).
 */
export function parseSwitches(value: string | undefined): Partial<FgiSwitches> {
  const out: Record<string, string> = {};
  if (!value) return out;
  const valid: Record<string, readonly string[]> = SWITCH_CHOICES;
  for (const item of value.split(",").map((s) => s.trim()).filter(Boolean)) {
    const [k, v] = item.split("=");
    if (!(k in valid)) throw new Error(`--switches: unknown switch '${k}' (known: ${Object.keys(valid).join(", ")})`);
    if (!valid[k].includes(v)) throw new Error(`--switches: ${k} must be one of ${valid[k].join(" | ")}, got '${v}'`);
    out[k] = v;
  }
  return out as Partial<FgiSwitches>;
}

/** w(t) of the config's ramp (`rampUp.length`), t in iterations from the start of the phase. */
export function rampUpWeightFor(config: Pick<TrainConfig, "rampUp">, t: number): number {
  return rampUpWeight(t, { length: config.rampUp.length });
}
