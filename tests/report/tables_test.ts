import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { ablationTable } from "../../lib/report/ablation_table.ts";
import { diagnosisTable } from "../../lib/report/diagnosis_table.ts";
import { mainTable } from "../../lib/report/main_table.ts";
import type { PerImageRow } from "../../lib/report/per_image.ts";
import { experimentPlan, type RunSpec } from "../../lib/report/plan.ts";
import { PUBLISHED_DICE } from "../../lib/report/published.ts";
import type { RunOutcome } from "../../lib/report/run_outcome.ts";
import { sensitivityTable } from "../../lib/report/sensitivity_table.ts";
import { toCsv, toJson, toMarkdown } from "../../lib/report/table.ts";
import { annotationHours } from "../../lib/metrics/annotation_cost.ts";
import { validateTrainConfig, VARIANT_SWITCHES } from "../../lib/train/config.ts";

const BASE = validateTrainConfig({ dataset: "kvasir", profile: "cpu", imageSize: 32, batchSize: 4, iterations: 10 });
const plan = experimentPlan(BASE, { seeds: [0], paperSwitches: VARIANT_SWITCHES.paper });

/** Per-image rows with Dice = base + offset_i (ids shared by all runs). */
function perImage(base: number, hd: (number | null)[] = [2, 4, 6, 8, 10]): PerImageRow[] {
  const off = [0.1, -0.1, 0.05, -0.05, 0];
  return off.map((o, i) => ({
    id: `img${i}`,
    dice: base + o,
    iou: (base + o) / 2,
    hd95: hd[i],
    asd: hd[i],
    assd: hd[i],
  }));
}

function outcome(spec: RunSpec, base: number, lastBase = base - 0.01): RunOutcome {
  return {
    spec,
    dir: `/runs/${spec.id}`,
    best: perImage(base),
    last: perImage(lastBase),
    unit: "px",
    seconds: 1,
    bestIteration: 5,
  };
}

const DICE: Record<string, number> = {
  fullsup: 0.85,
  gaze1: 0.6,
  gazemedseg: 0.7,
  "fgi-code": 0.75,
  "fgi-paper": 0.72,
};
const outcomes = plan.runs.map((s) => outcome(s, DICE[s.key] ?? 0.7 + s.id.length / 1000));
// FGI runs carry their teacher's per-image scores (eval_best_teacher.csv): 0.8 at best, 0.78 at last.
for (const o of outcomes) if (o.spec.method === "fgi") o.teacher = { best: perImage(0.8), last: perImage(0.78) };

Deno.test("main table: metrics from the per-image rows, published Dice from PUBLISHED_DICE, difference = ours − paper", () => {
  const t = mainTable(plan.tables.main!, outcomes, { dataset: "kvasir", seeds: [0], trainImages: 900 });
  assertEquals(t.rows.map((r) => r.method), plan.tables.main!.map((r) => r.label));
  const fgi = t.rows[3];
  const dice = fgi.dice as { mean: number; std: number };
  assertAlmostEquals(dice.mean, 0.75, 1e-12);
  assertAlmostEquals(dice.std, Math.sqrt((0.01 + 0.01 + 0.0025 + 0.0025) / 5), 1e-12);
  assertAlmostEquals((fgi.dice_other as { mean: number }).mean, 0.74, 1e-12, "other = last checkpoint");
  assertAlmostEquals((fgi.teacher as { mean: number }).mean, 0.8, 1e-12, "teacher at the best checkpoint");
  assertEquals(t.rows.map((r) => r.teacher === null), [true, true, true, false, false], "teacher only for FGI");
  assert(t.columns.some((c) => c.key === "teacher" && c.label === "Teacher Dice (%)"));
  assertEquals(fgi.paper_dice, PUBLISHED_DICE.fgi.kvasir!.dice);
  assertAlmostEquals(fgi.diff as number, 75 - PUBLISHED_DICE.fgi.kvasir!.dice, 1e-9);
  assertEquals(t.rows[2].paper_dice, PUBLISHED_DICE["gazemedseg-paper"].kvasir!.dice);
  assertEquals([t.rows[0].paper_dice, t.rows[1].paper_dice], [null, null]);
  assertAlmostEquals(t.rows[0].hours as number, annotationHours("full-mask", 900), 1e-12);
  assertAlmostEquals(t.rows[4].hours as number, annotationHours("gaze", 900), 1e-12);
  const md = toMarkdown(t);
  assert(md.includes("75.00 ± 7.07"), md);
  assert(md.includes(`| ${PUBLISHED_DICE.fgi.kvasir!.dice.toFixed(2)} |`), md);
  const csv = toCsv(t).split("\r\n");
  assert(csv[0].startsWith("method,supervision,hours,dice_mean,dice_std,dice_n_undefined"), csv[0]);
  assertEquals(JSON.parse(toJson(t)).rows[3].dice.mean, 75);
});

Deno.test("main table on synthetic data has no published column values and says so", () => {
  const t = mainTable(plan.tables.main!, outcomes, { dataset: "synthetic", seeds: [0], trainImages: 48 });
  assert(t.rows.every((r) => r.paper_dice === null && r.diff === null));
  assert(t.notes!.some((n) => n.includes("no published numbers exist for dataset 'synthetic'")));
});

Deno.test("main table refuses to build on a missing run (never fewer seeds silently)", () => {
  assertThrows(
    () => mainTable(plan.tables.main!, outcomes, { dataset: "kvasir", seeds: [0, 1], trainImages: 900 }),
    Error,
    "no results for run fullsup_s1",
  );
});

Deno.test("ablation table: Δ and Wilcoxon p against the reference on the same images", () => {
  const t = ablationTable(plan.tables.ablation!, outcomes, { dataset: "kvasir", seeds: [0] });
  assertEquals(t.rows[0].w_dice, "reference");
  assertEquals([t.rows[0].d_dice, t.rows[0].p_dice], [null, null]);
  const noAfc = t.rows.find((r) => String(r.variant).includes("AFC"))!;
  // fgi-code-no-afc has Dice 0.7 + len("fgi-code-no-afc_s0")/1000 on every image: a constant shift.
  const shift = 0.7 + "fgi-code-no-afc_s0".length / 1000 - 0.75;
  assertAlmostEquals(noAfc.d_dice as number, shift, 1e-9);
  assertEquals(noAfc.w_dice, shift > 0 ? "5 / 0" : "0 / 5");
  assertAlmostEquals(noAfc.p_dice as number, 0.0625, 1e-12); // exact two-sided p of 5 same-sign pairs (ties allowed)
  assertEquals(noAfc.d_hd95, 0, "same HD95 on every image");
  assertEquals(noAfc.p_hd95, 1);
});

Deno.test("sensitivity table: one row per grid point, the config's value marked as reference", () => {
  const t = sensitivityTable(plan.tables.sensitivity!, outcomes, { dataset: "kvasir", seeds: [0] });
  assertEquals(t.rows.length, plan.tables.sensitivity!.length);
  const refs = t.rows.filter((r) => r.reference === "yes");
  assertEquals(refs.map((r) => r.value), [BASE.fgi.tauPos, BASE.fgi.darm.ratio, BASE.fgi.afcWeight]);
  assert(refs.every((r) => r.w_dice === "reference"));
});

Deno.test("diagnosis table: student clean vs DARM-masked Dice, teacher, foreground share, paired test, per seed", () => {
  const dplan = experimentPlan(BASE, { groups: ["diagnosis"], seeds: [0, 1], paperSwitches: VARIANT_SWITCHES.paper });
  const base: Record<string, number> = {
    "fgi-code": 0.3,
    "fgi-code-no-darm": 0.5,
    "fgi-code-darmPlacement-ring+random": 0.45,
    gazemedseg: 0.4,
  };
  const outs = dplan.runs.map((s) => {
    const o = outcome(s, base[s.key] + 0.02 * s.seed);
    if (s.method === "fgi") {
      o.masked = { best: perImage(0.6), last: perImage(0.55) };
      o.teacher = { best: perImage(0.5), last: perImage(0.5) };
      o.lastMetrics = { "dyn/test/student/fg_sigmoid": s.seed === 0 ? 0.02 : 0.04 };
    }
    return o;
  });
  const t = diagnosisTable(dplan.tables.diagnosis!, outs, { dataset: "kvasir", seeds: [0, 1] });
  assertEquals(t.rows.map((r) => r.variant), dplan.tables.diagnosis!.map((r) => r.label));
  const [code, noDarm, , gms] = t.rows;
  assertAlmostEquals((code.dice as { mean: number }).mean, 0.31, 1e-12);
  assertEquals(code.per_seed, "30.0, 32.0");
  assertEquals([code.d_dice, code.p_dice], [null, null]);
  assertAlmostEquals(noDarm.d_dice as number, 0.2, 1e-12);
  assertAlmostEquals((code.masked as { mean: number }).mean, 0.6, 1e-12);
  assertAlmostEquals((code.fg as { mean: number; std: number }).mean, 0.03, 1e-12);
  assertEquals([gms.masked, gms.teacher, gms.fg], [null, null, null]);
  assert(toMarkdown(t).includes("DARM-masked"));
});
