/**
 * The experiment plan of `deno task reproduce`: which training runs each table needs,
 * as data. A run is one method with one set of switches and one seed; runs shared by
 * several tables (full FGI, code variant, is the reference of the ablation and
 * sensitivity tables and a row of the main table) appear once.
 *
 * Tables and their runs (per seed):
 * - main: `fullsup`, `gaze1`, `gazemedseg`, `fgi-code`, `fgi-paper`.
 * - ablation: `fgi-code` (reference), minus text fusion / AFC / CWC / DARM, and each
 *   paper switch of docs/METHOD.md section 10 alone on top of the code variant, plus
 *   `fgi-paper` (all switches).
 * - sensitivity: `fgi-code` with tau_pos, the DARM ratio and lambda_AFC changed one at a
 *   time over {@link SENSITIVITY_GRIDS} (the config's own value is the reference point).
 * - diagnosis (issue 11; only on request, `reproduce --only diagnosis`, 3 seeds by default):
 *   `fgi-code` (reference), `fgi-code-no-darm`, this toolkit's non-leaking DARM variant
 *   (`darmPlacement=ring+random`) and `gazemedseg`; every FGI run of the group also scores its
 *   student on DARM-masked test images ({@link RunSpec.evaluation}).
 * - long (issue 11's longer schedule; only on request, `reproduce --only long`, 3 seeds by
 *   default): `fgi-code-x4`, `fgi-code-no-darm-x4`, `gazemedseg-x4` and `fullsup-x4`, the same
 *   configurations trained for {@link LONG_SCHEDULE_SCALE} times the profile's iterations (ramp-up
 *   rescaled, evaluation interval kept). Does the code variant's student collapse while its
 *   teacher keeps improving, and does FGI without DARM keep rising?
 *
 * @module
 */
import type { SupervisionKind } from "../metrics/annotation_cost.ts";
import type { Ablation, FgiSwitches, MethodName, TrainConfig, Variant } from "../train/config.ts";

/** The tables (and figure set) `reproduce` can produce. */
export type ExperimentGroup = "main" | "ablation" | "sensitivity" | "diagnosis" | "long";

/** Every group, in the order they are run. */
export const EXPERIMENT_GROUPS: readonly ExperimentGroup[] = ["main", "ablation", "sensitivity", "diagnosis", "long"];

/** Groups `reproduce` runs when no `--only` is given (the diagnosis and the long schedule run only on request). */
export const DEFAULT_GROUPS: readonly ExperimentGroup[] = ["main", "ablation", "sensitivity"];

/** Seeds of the diagnosis and long-schedule groups when none are given. */
export const DIAGNOSIS_SEEDS: readonly number[] = [0, 1, 2];

/** How many times the profile's iterations the long-schedule group trains (issue 11: "4x longer"). */
export const LONG_SCHEDULE_SCALE = 4;

/** Parameters varied by the sensitivity table. */
export type SensitivityParam = "tauPos" | "darmRatio" | "afcWeight";

/** Names and meaning of the sensitivity parameters. */
export const SENSITIVITY_LABELS: Readonly<Record<SensitivityParam, string>> = {
  tauPos: "tau_pos (CWC positive-confidence threshold)",
  darmRatio: "DARM ratio (masked share of the disagreement area)",
  afcWeight: "lambda_AFC (AFC weight)",
};

/**
 * The sensitivity grids. Each grid is run with the other parameters at the config's
 * values; the config's own value (docs/METHOD.md: tau_pos 0.8, DARM ratio 0.3, lambda_AFC
 * 0.1) is the reference run and is added when missing.
 */
export const SENSITIVITY_GRIDS: Readonly<Record<SensitivityParam, readonly number[]>> = {
  tauPos: [0.7, 0.8, 0.9],
  darmRatio: [0.1, 0.3, 0.5],
  afcWeight: [0.02, 0.1, 0.5],
};

/** One planned training run. */
export interface RunSpec {
  /** Folder name under `runs/`: `<key>_s<seed>`. */
  id: string;
  /** The configuration without the seed (rows of tables are keys; seeds are averaged). */
  key: string;
  /** Human label used in tables and figures. */
  label: string;
  /** Training method. */
  method: MethodName;
  /** Base seed of the run. */
  seed: number;
  /** Switch preset (FGI). */
  variant: Variant;
  /** Switches on top of the preset (FGI). */
  switches: Partial<FgiSwitches>;
  /** FGI components on/off. */
  ablation: Ablation;
  /** A sensitivity point: which parameter and its value; absent elsewhere. */
  sensitivity?: { param: SensitivityParam; value: number };
  /** Tables that use this run. */
  groups: ExperimentGroup[];
  /** What annotation the run's supervision costs. */
  supervision: SupervisionKind;
  /** Extra evaluations (diagnostic; not part of the training config): the student on DARM-masked test images. */
  evaluation?: { maskedTest: boolean };
  /** Train for this many times the profile's iterations (the long-schedule group); absent: the profile's. */
  iterationScale?: number;
}

const FULL: Ablation = { text: true, afc: true, cwc: true, darm: true };

/** A table row before seeds are attached: one configuration of one method. */
export interface RowDef {
  /** Run key (folder name without the seed), shared by every table that shows this configuration. */
  key: string;
  /** Label shown in the table. */
  label: string;
  /** Training method. */
  method: MethodName;
  /** Switch preset. */
  variant: Variant;
  /** Switches on top of the preset. */
  switches?: Partial<FgiSwitches>;
  /** Components switched off. */
  ablation?: Partial<Ablation>;
  /** The sensitivity point this row is, if any. */
  sensitivity?: { param: SensitivityParam; value: number };
  /** Also score the student on DARM-masked test images (diagnosis rows). */
  maskedTest?: boolean;
  /** Train for this many times the profile's iterations (long-schedule rows); absent: the profile's. */
  iterationScale?: number;
}

/** Main-table rows, in display order. */
export const MAIN_ROWS: readonly RowDef[] = [
  { key: "fullsup", label: "Full supervision (upper bound)", method: "fullsup", variant: "code" },
  { key: "gaze1", label: "Single-level gaze (partial CE)", method: "gaze1", variant: "code" },
  { key: "gazemedseg", label: "GazeMedSeg (2 levels)", method: "gazemedseg", variant: "code" },
  { key: "fgi-code", label: "FGI (code variant)", method: "fgi", variant: "code" },
  { key: "fgi-paper", label: "FGI (paper variant)", method: "fgi", variant: "paper" },
];

/** The paper switches (docs/METHOD.md section 10) tried one at a time by the ablation table. */
export const PAPER_SWITCH_ROWS: readonly { switch: keyof FgiSwitches; label: string }[] = [
  { switch: "fusion", label: "learnable fusion weight lambda_s" },
  { switch: "teacherLoss", label: "teacher partial CE" },
  { switch: "darmSource", label: "DARM from teacher-student disagreement" },
  { switch: "cwcConfidence", label: "CWC confidence of both networks" },
  { switch: "schedule", label: "teacher first, then student" },
  { switch: "optimizer", label: "Adam" },
];

/** Ablation-table rows, in display order (the first is the reference). */
export function ablationRows(paperSwitches: Readonly<FgiSwitches>): RowDef[] {
  const rows: RowDef[] = [
    { key: "fgi-code", label: "FGI (code variant, full)", method: "fgi", variant: "code" },
    { key: "fgi-code-no-text", label: "FGI − text fusion", method: "fgi", variant: "code", ablation: { text: false } },
    { key: "fgi-code-no-afc", label: "FGI − AFC", method: "fgi", variant: "code", ablation: { afc: false } },
    { key: "fgi-code-no-cwc", label: "FGI − CWC", method: "fgi", variant: "code", ablation: { cwc: false } },
    { key: "fgi-code-no-darm", label: "FGI − DARM", method: "fgi", variant: "code", ablation: { darm: false } },
  ];
  for (const s of PAPER_SWITCH_ROWS) {
    const value = paperSwitches[s.switch];
    rows.push({
      key: `fgi-code-${s.switch}-${value}`,
      label: `FGI + ${s.label} (${s.switch}=${value})`,
      method: "fgi",
      variant: "code",
      switches: { [s.switch]: value } as Partial<FgiSwitches>,
    });
  }
  rows.push({ key: "fgi-paper", label: "FGI (paper variant: all switches)", method: "fgi", variant: "paper" });
  return rows;
}

/**
 * Diagnosis-table rows (issue 11), the first is the reference: the code variant, FGI without
 * DARM, this toolkit's non-leaking DARM (ring blocks plus an equal area of random blocks), and
 * GazeMedSeg for comparison. FGI rows also score the student on DARM-masked test images.
 */
export const DIAGNOSIS_ROWS: readonly RowDef[] = [
  { key: "fgi-code", label: "FGI (code variant)", method: "fgi", variant: "code", maskedTest: true },
  {
    key: "fgi-code-no-darm",
    label: "FGI − DARM",
    method: "fgi",
    variant: "code",
    ablation: { darm: false },
    maskedTest: true,
  },
  {
    key: "fgi-code-darmPlacement-ring+random",
    label: "FGI, DARM ring + random blocks (this toolkit's variant, not the paper's)",
    method: "fgi",
    variant: "code",
    switches: { darmPlacement: "ring+random" },
    maskedTest: true,
  },
  { key: "gazemedseg", label: "GazeMedSeg (2 levels)", method: "gazemedseg", variant: "code" },
];

/**
 * Long-schedule rows (issue 11), the first is the reference: the code variant, FGI without DARM,
 * GazeMedSeg and full supervision, each at {@link LONG_SCHEDULE_SCALE} times the profile's
 * iterations (keys end in `-x4`). FGI rows also score the student on DARM-masked test images.
 */
export const LONG_ROWS: readonly RowDef[] = [
  ...DIAGNOSIS_ROWS.filter((r) => r.key === "fgi-code" || r.key === "fgi-code-no-darm" || r.key === "gazemedseg"),
  MAIN_ROWS[0],
].map((r) => ({
  ...r,
  key: `${r.key}-x${LONG_SCHEDULE_SCALE}`,
  label: `${r.label}, ${LONG_SCHEDULE_SCALE}x schedule`,
  iterationScale: LONG_SCHEDULE_SCALE,
}));

/** The config's own value of a sensitivity parameter (the reference point). */
export function sensitivityValue(config: TrainConfig, param: SensitivityParam): number {
  switch (param) {
    case "tauPos":
      return config.fgi.tauPos;
    case "darmRatio":
      return config.fgi.darm.ratio;
    case "afcWeight":
      return config.fgi.afcWeight;
  }
}

/** A copy of `config` with one sensitivity parameter set to `value`. */
export function withSensitivity(config: TrainConfig, param: SensitivityParam, value: number): TrainConfig {
  const c = structuredClone(config);
  if (param === "tauPos") c.fgi.tauPos = value;
  else if (param === "darmRatio") c.fgi.darm.ratio = value;
  else c.fgi.afcWeight = value;
  return c;
}

/** Sensitivity rows per parameter (sorted by value; the reference value maps to key `fgi-code`). */
export function sensitivityRows(
  config: TrainConfig,
  grids: Readonly<Record<SensitivityParam, readonly number[]>> = SENSITIVITY_GRIDS,
): RowDef[] {
  const rows: RowDef[] = [];
  for (const param of Object.keys(SENSITIVITY_LABELS) as SensitivityParam[]) {
    const ref = sensitivityValue(config, param);
    const values = [...new Set([...grids[param], ref])].sort((a, b) => a - b);
    for (const value of values) {
      rows.push({
        key: value === ref ? "fgi-code" : `fgi-code-${param}-${value}`,
        label: `${param} = ${value}${value === ref ? " (config)" : ""}`,
        method: "fgi",
        variant: "code",
        sensitivity: { param, value },
      });
    }
  }
  return rows;
}

/** Options of {@link experimentPlan}. */
export interface PlanOptions {
  /** Tables to produce (default {@link DEFAULT_GROUPS}: all but the diagnosis). */
  groups?: readonly ExperimentGroup[];
  /** Seeds (default [0]). */
  seeds?: readonly number[];
  /** Sensitivity grids (default {@link SENSITIVITY_GRIDS}). */
  grids?: Readonly<Record<SensitivityParam, readonly number[]>>;
  /** The paper preset of the switches (default `VARIANT_SWITCHES.paper` passed by the caller). */
  paperSwitches: Readonly<FgiSwitches>;
}

/** Rows of each table as planned, with the runs they need. */
export interface ExperimentPlan {
  /** Every distinct run, in execution order (main first, then ablation, then sensitivity). */
  runs: RunSpec[];
  /** Row keys of each requested table, in display order (sensitivity: per parameter). */
  tables: Partial<Record<ExperimentGroup, RowDef[]>>;
  /** Seeds. */
  seeds: number[];
}

/**
 * The runs needed for `options.groups` at `options.seeds`, de-duplicated by key and
 * seed. `config` is the base training config (its values are the reference of the
 * sensitivity grids).
 *
 * @example
 * ```ts ignore
 * const plan = experimentPlan(config, { groups: ["main"], seeds: [0], paperSwitches: VARIANT_SWITCHES.paper });
 * plan.runs.map((r) => r.id); // fullsup_s0, gaze1_s0, gazemedseg_s0, fgi-code_s0, fgi-paper_s0
 * ```
 */
export function experimentPlan(config: TrainConfig, options: PlanOptions): ExperimentPlan {
  const groups = options.groups ?? DEFAULT_GROUPS;
  const seeds = [...(options.seeds ?? [0])];
  if (!seeds.length) throw new Error("experimentPlan: at least one seed");
  for (const s of seeds) {
    if (!(Number.isInteger(s) && s >= 0)) throw new Error(`experimentPlan: seeds must be integers >= 0, got ${s}`);
  }
  for (const g of groups) {
    if (!EXPERIMENT_GROUPS.includes(g)) {
      throw new Error(`experimentPlan: unknown table '${g}' (expected ${EXPERIMENT_GROUPS.join(", ")})`);
    }
  }
  const tables: Partial<Record<ExperimentGroup, RowDef[]>> = {};
  for (const g of EXPERIMENT_GROUPS) {
    if (!groups.includes(g)) continue;
    tables[g] = g === "main"
      ? [...MAIN_ROWS]
      : g === "ablation"
      ? ablationRows(options.paperSwitches)
      : g === "diagnosis"
      ? [...DIAGNOSIS_ROWS]
      : g === "long"
      ? [...LONG_ROWS]
      : sensitivityRows(config, options.grids);
  }
  const byId = new Map<string, RunSpec>();
  for (const g of EXPERIMENT_GROUPS) {
    for (const row of tables[g] ?? []) {
      for (const seed of seeds) {
        const id = `${row.key}_s${seed}`;
        const have = byId.get(id);
        if (have) {
          if (!have.groups.includes(g)) have.groups.push(g);
          if (row.maskedTest) have.evaluation = { maskedTest: true };
          continue;
        }
        byId.set(id, {
          id,
          key: row.key,
          label: row.sensitivity && row.key !== "fgi-code" ? `FGI (${row.label})` : row.label,
          method: row.method,
          seed,
          variant: row.variant,
          switches: { ...(row.switches ?? {}) },
          ablation: { ...FULL, ...(row.ablation ?? {}) },
          sensitivity: row.key === "fgi-code" ? undefined : row.sensitivity,
          groups: [g],
          supervision: row.method === "fullsup" ? "full-mask" : "gaze",
          ...(row.maskedTest ? { evaluation: { maskedTest: true } } : {}),
          ...(row.iterationScale ? { iterationScale: row.iterationScale } : {}),
        });
      }
    }
  }
  return { runs: [...byId.values()], tables, seeds };
}

/**
 * The training config of one run: the base config with the run's sensitivity value,
 * variant, switches, ablation and seed. Validation is the caller's (lib/train
 * `applyOverrides` re-validates).
 */
export function runConfigPatch(spec: RunSpec): {
  variant: Variant;
  switches: Partial<FgiSwitches>;
  ablation: Ablation;
  seed: number;
} {
  return { variant: spec.variant, switches: { ...spec.switches }, ablation: { ...spec.ablation }, seed: spec.seed };
}
