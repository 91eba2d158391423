import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { ablationTable } from "../../lib/report/ablation_table.ts";
import { diagnosisTable, diagnosisVerdicts } from "../../lib/report/diagnosis_table.ts";
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
  // Paired against GazeMedSeg (0.7 on every image): FGI code +0.05 on each of the 5 images, exact p = 0.0625.
  assertEquals([t.rows[2].d_ref, t.rows[2].p_ref], [null, null], "the reference row");
  assertAlmostEquals(fgi.d_ref as number, 0.05, 1e-12);
  assertAlmostEquals(fgi.p_ref as number, 0.0625, 1e-12);
  assertAlmostEquals(t.rows[0].d_ref as number, 0.15, 1e-12);
  assertEquals(fgi.per_seed, "75.0");
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
      o.teacher = { best: perImage(0.5), last: perImage(0.45) };
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
  assertAlmostEquals((code.teacher as { mean: number }).mean, 0.5, 1e-12);
  assertAlmostEquals((code.teacher_last as { mean: number }).mean, 0.45, 1e-12);
  assertEquals([gms.masked, gms.teacher, gms.teacher_last, gms.fg], [null, null, null, null]);
  assert(toMarkdown(t).includes("DARM-masked"));
  assert(toMarkdown(t).includes("Teacher Dice, last"));
  assert(t.title?.startsWith("Diagnosis of the FGI student"));
  const titled = diagnosisTable(dplan.tables.diagnosis!, outs, { dataset: "kvasir", seeds: [0, 1], title: "Long" });
  assertEquals(titled.title, "Long");
});

/** Ten images with Dice `base` + fixed offsets, plus `jitter` of alternating sign growing with the image index. */
function tenImages(base: number, jitter = 0): PerImageRow[] {
  const off = [0.1, -0.1, 0.05, -0.05, 0, 0.02, -0.02, 0.03, -0.03, 0];
  return off.map((o, i) => {
    const d = base + o + (jitter * (i % 2 ? 1 : -1) * (i + 1)) / 10;
    return { id: `img${i}`, dice: d, iou: d / 2, hd95: 1, asd: 1, assd: 1 };
  });
}

/** Diagnosis outcomes over seeds 0..2: clean Dice per row key, masked Dice (FGI rows), last foreground shares. */
function diagnosisOutcomes(
  clean: Record<string, number>,
  masked: Record<string, { base: number; jitter?: number } | null>,
  fg: Record<string, number[]>,
): { rows: ReturnType<typeof experimentPlan>["tables"]["diagnosis"] & object; outs: RunOutcome[] } {
  const dplan = experimentPlan(BASE, {
    groups: ["diagnosis"],
    seeds: [0, 1, 2],
    paperSwitches: VARIANT_SWITCHES.paper,
  });
  const outs = dplan.runs.map((s): RunOutcome => {
    const shift = 0.01 * s.seed;
    const o: RunOutcome = {
      spec: s,
      dir: `/runs/${s.id}`,
      best: tenImages(clean[s.key] + shift),
      last: tenImages(clean[s.key] + shift - 0.05),
      unit: "px",
      seconds: 1,
      bestIteration: 5,
    };
    const m = masked[s.key];
    if (m) {
      o.masked = { best: tenImages(m.base + shift, m.jitter ?? 0), last: tenImages(m.base + shift, m.jitter ?? 0) };
    }
    if (fg[s.key]) o.lastMetrics = { "dyn/test/student/fg_sigmoid": fg[s.key][s.seed] };
    return o;
  });
  return { rows: dplan.tables.diagnosis!, outs };
}

const RR = "fgi-code-darmPlacement-ring+random";

Deno.test("diagnosis verdicts: computed from the numbers (leak, collapse, DARM as the cause, variant, vs GazeMedSeg)", () => {
  // The picture: the code student reads the blocks (masked 60 % vs clean 30 %), predicts ~5 % foreground
  // against 15 %, does better without DARM and with the ring + random variant (whose masked/clean gap is noise),
  // and is below GazeMedSeg.
  const { rows, outs } = diagnosisOutcomes(
    { "fgi-code": 0.3, "fgi-code-no-darm": 0.5, [RR]: 0.45, gazemedseg: 0.4 },
    { "fgi-code": { base: 0.6 }, "fgi-code-no-darm": { base: 0.5, jitter: 0.01 }, [RR]: { base: 0.45, jitter: 0.01 } },
    { "fgi-code": [0.02, 0.01, 0.12], "fgi-code-no-darm": [0.14, 0.15, 0.16], [RR]: [0.1, 0.12, 0.14] },
  );
  const v = diagnosisVerdicts(rows, outs, { seeds: [0, 1, 2], groundTruthShare: 0.15 });
  const get = (h: string, row = "fgi-code") => v.find((x) => x.hypothesis === h && x.row === row)!;
  assertEquals(v.map((x) => `${x.hypothesis}:${x.row}:${x.holds}`), [
    "label-leak:fgi-code:true",
    "collapse:fgi-code:true",
    "darm-cause:fgi-code-no-darm:true",
    `variant-no-leak:${RR}:true`,
    "vs-gazemedseg:fgi-code:false",
    "vs-gazemedseg:fgi-code-no-darm:true",
    `vs-gazemedseg:${RR}:true`,
    "cwc-background:fgi-code:null", // the fixtures log no argmax share
  ]);
  const leak = get("label-leak");
  assertAlmostEquals(leak.numbers.a!, 0.61, 1e-12); // masked, mean over seeds 0.6 + 0.01 * seed
  assertAlmostEquals(leak.numbers.b!, 0.31, 1e-12);
  assertAlmostEquals(leak.numbers.delta!, 0.3, 1e-12);
  assert(leak.numbers.p! < 0.05);
  assertEquals(leak.numbers.seedsHigher, 3);
  assert(leak.text.startsWith("label leak HOLDS") && leak.text.includes("61.0 % vs clean 31.0 % (+30.0 pp"), leak.text);
  const col = get("collapse");
  assertAlmostEquals(col.numbers.studentShare!, 0.05, 1e-12);
  assertEquals(col.numbers.seedsUnderHalf, 2); // 2 %, 1 % < 7.5 %; 12 % is not
  assert(col.text.includes("foreground share 5.0 %") && col.text.includes("ground truth 15.0 %"), col.text);
  assert(col.text.includes("31.0 % at the best checkpoint, 26.0 % at the last"), col.text);
  const cause = get("darm-cause", "fgi-code-no-darm");
  assertAlmostEquals(cause.numbers.delta!, 0.2, 1e-12);
  assert(cause.text.startsWith("DARM is the cause HOLDS") && cause.text.includes("+20.0 pp"), cause.text);
  const rr = get("variant-no-leak", RR);
  assert(rr.numbers.p! >= 0.05, "alternating differences: no significant gap");
  assert(rr.text.includes("against +30.0 pp") && rr.text.includes("+15.0 pp"), rr.text);
  const below = get("vs-gazemedseg");
  assert(below.text.includes("significantly BELOW GazeMedSeg: 31.0 % vs 41.0 % (−10.0 pp"), below.text);
  // The table carries the verdicts and the ground-truth share as notes.
  const t = diagnosisTable(rows, outs, { dataset: "kvasir", seeds: [0, 1, 2], groundTruthShare: 0.15 });
  const notes = t.notes!.filter((n) => n.startsWith("verdict: "));
  assertEquals(notes, v.map((x) => `verdict: ${x.text}`));
  assert(t.notes!.some((n) => n.includes("the ground truth marks 15.0 % of the test pixels")));
});

Deno.test("diagnosis verdicts: the opposite numbers give the opposite sentences; missing data is 'not judged'", () => {
  // No leak (masked = clean + alternating noise), no collapse (14 % vs 15 %), DARM makes no difference, the
  // variant leaks (masked 70 % vs clean 30 %), FGI level with GazeMedSeg.
  const { rows, outs } = diagnosisOutcomes(
    { "fgi-code": 0.3, "fgi-code-no-darm": 0.3, [RR]: 0.3, gazemedseg: 0.3 },
    { "fgi-code": { base: 0.3, jitter: 0.01 }, "fgi-code-no-darm": null, [RR]: { base: 0.7 } },
    { "fgi-code": [0.13, 0.14, 0.15] },
  );
  const v = diagnosisVerdicts(rows, outs, { seeds: [0, 1, 2], groundTruthShare: 0.15 });
  const by = new Map(v.map((x) => [`${x.hypothesis}:${x.row}`, x]));
  const leak = by.get("label-leak:fgi-code")!;
  assertEquals(leak.holds, false);
  assert(leak.text.startsWith("label leak not shown: no significant difference at alpha = 0.05"), leak.text);
  const col = by.get("collapse:fgi-code")!;
  assertEquals(col.holds, false);
  assert(col.text.startsWith("collapse does not hold"), col.text);
  assert(col.text.includes("FGI − DARM n/a"), "rows without a logged share say so");
  const cause = by.get("darm-cause:fgi-code-no-darm")!;
  assertEquals([cause.holds, cause.numbers.delta], [false, 0]);
  assert(cause.text.startsWith("DARM is the cause not shown"), cause.text);
  const rr = by.get(`variant-no-leak:${RR}`)!;
  assertEquals(rr.holds, false);
  assert(rr.text.includes("removes the leak does NOT hold"), rr.text);
  for (const key of ["fgi-code", "fgi-code-no-darm", RR]) {
    const g = by.get(`vs-gazemedseg:${key}`)!;
    assertEquals(g.holds, false);
    assert(g.text.includes("not significantly different from GazeMedSeg"), g.text);
  }
  // A variant without a leak while the reference shows none either: said so (nothing to remove).
  const calm = diagnosisOutcomes(
    { "fgi-code": 0.3, "fgi-code-no-darm": 0.3, [RR]: 0.3, gazemedseg: 0.3 },
    { "fgi-code": { base: 0.3, jitter: 0.01 }, [RR]: { base: 0.3, jitter: 0.01 } },
    {},
  );
  const calmV = diagnosisVerdicts(calm.rows, calm.outs, { seeds: [0, 1, 2] }).find((x) => x.row === RR)!;
  assertEquals(calmV.holds, true);
  assert(calmV.text.includes("shows no leak either, so there was none to remove"), calmV.text);
  // Without masked scores, without the ground-truth share, without a GazeMedSeg row: not judged / no verdict.
  const bare = outs.map((o) => ({ ...o, masked: undefined }));
  const noGms = rows.filter((r) => r.method !== "gazemedseg");
  const w = diagnosisVerdicts(noGms, bare, { seeds: [0, 1, 2] });
  assertEquals(w.map((x) => `${x.hypothesis}:${x.holds}`), [
    "label-leak:null",
    "collapse:null",
    "darm-cause:false",
    "variant-no-leak:null",
    "cwc-background:null",
  ]);
  assert(w[1].text.includes("the ground-truth foreground share was not given"), w[1].text);
  // A smaller alpha turns a significant result into "not shown".
  const strict = diagnosisOutcomes(
    { "fgi-code": 0.3, "fgi-code-no-darm": 0.31, [RR]: 0.3, gazemedseg: 0.3 },
    {},
    {},
  );
  const loose = diagnosisVerdicts(strict.rows, strict.outs, { seeds: [0, 1, 2] });
  const tight = diagnosisVerdicts(strict.rows, strict.outs, { seeds: [0, 1, 2], alpha: 1e-4 });
  const p = loose.find((x) => x.hypothesis === "darm-cause")!.numbers.p!;
  assert(p < 0.05 && p > 1e-4, `p ${p}`);
  assertEquals(loose.find((x) => x.hypothesis === "darm-cause")!.holds, true);
  assertEquals(tight.find((x) => x.hypothesis === "darm-cause")!.holds, false);
  // Significant on the pooled images but one seed goes the other way: not shown, and said why.
  const mixed = diagnosisOutcomes({ "fgi-code": 0.3, "fgi-code-no-darm": 0.5, [RR]: 0.3, gazemedseg: 0.3 }, {}, {});
  for (const o of mixed.outs) if (o.spec.key === "fgi-code-no-darm" && o.spec.seed === 2) o.best = tenImages(0.1);
  const mv = diagnosisVerdicts(mixed.rows, mixed.outs, { seeds: [0, 1, 2] });
  const cause2 = mv.find((x) => x.hypothesis === "darm-cause")!;
  assert(cause2.numbers.p! < 0.05 && cause2.numbers.delta! > 0, JSON.stringify(cause2.numbers));
  assertEquals([cause2.holds, cause2.numbers.seedsHigher], [false, 2]);
  assert(cause2.text.includes("but the seeds disagree (higher in 2, lower in 1 of 3)"), cause2.text);
  const g2 = mv.find((x) => x.hypothesis === "vs-gazemedseg" && x.row === "fgi-code-no-darm")!;
  assertEquals(g2.holds, false);
  assert(g2.text.includes("does not beat GazeMedSeg consistently"), g2.text);
});

Deno.test("diagnosis verdicts: CWC targets all background (argmax share at every evaluation) and the ramp-up observation", () => {
  const { rows, outs } = diagnosisOutcomes(
    { "fgi-code": 0.3, "fgi-code-no-darm": 0.5, [RR]: 0.4, gazemedseg: 0.4 },
    {},
    {},
  );
  const dyn = (argmaxS: number, it: number) => ({
    "dyn/test/student/fg_argmax": argmaxS,
    "dyn/test/teacher/fg_argmax": 0,
    "dyn/test/student/fg_sigmoid": 0.05,
    "dyn/test/student/cwc_pos": 1,
    "dyn/test/student/logit0": 5,
    "dyn/test/student/logit1": -2.5,
    "dyn/test/teacher/logit0": 3,
    "dyn/test/teacher/logit1": -3,
    dice: it >= 300 ? 0.2 : 0,
    teacher_dice: 0,
  });
  for (const o of outs) {
    if (o.spec.method !== "fgi") continue;
    o.evaluations = [100, 200, 300].map((it) => ({ iteration: it, metrics: dyn(0.004, it) }));
    o.lastMetrics = dyn(0.004, 300);
  }
  const v = diagnosisVerdicts(rows, outs, { seeds: [0, 1, 2], rampUpLength: 213 });
  const cwc = v.find((x) => x.hypothesis === "cwc-background")!;
  assertEquals(cwc.holds, true);
  assertEquals([cwc.numbers.maxArgmaxStudent, cwc.numbers.studentLogit0, cwc.numbers.teacherLogit1], [0.004, 5, -3]);
  assert(cwc.text.includes("student 0.4 %, teacher 0.0 %") && cwc.text.includes("student +5.00 / -2.50"), cwc.text);
  const ramp = v.find((x) => x.hypothesis === "ramp-early")!;
  assertEquals([ramp.holds, ramp.numbers.iteration], [null, 300]);
  assertAlmostEquals(ramp.numbers.studentDice!, 0.2, 1e-12);
  assert(ramp.text.includes("reaches 1 at iteration 213; at the evaluation at 300"), ramp.text);
  // One evaluation of one seed of one FGI row with 5 % argmax foreground: CWC has foreground targets.
  outs.find((o) => o.spec.key === RR && o.spec.seed === 1)!.evaluations![1].metrics["dyn/test/student/fg_argmax"] =
    0.05;
  const w = diagnosisVerdicts(rows, outs, { seeds: [0, 1, 2] });
  const cwc2 = w.find((x) => x.hypothesis === "cwc-background")!;
  assertEquals([cwc2.holds, cwc2.numbers.maxArgmaxStudent], [false, 0.05]);
  assert(!w.some((x) => x.hypothesis === "ramp-early"), "no ramp line without the ramp length");
});
