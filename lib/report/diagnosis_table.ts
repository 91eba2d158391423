/**
 * Table "diagnosis" (issue 11): why the FGI student of the released code does poorly at small
 * scale. Rows (lib/report/plan.ts `DIAGNOSIS_ROWS`): the code variant (reference), FGI without
 * DARM, this toolkit's non-leaking DARM variant and GazeMedSeg. Columns: the student's test Dice
 * at the best checkpoint with the paired Wilcoxon test against the code variant and the per-seed
 * values; at the last checkpoint; on test images masked by DARM from their own gaze levels (a
 * student that reads DARM's blocks scores higher there than on clean images: the label leak);
 * the teacher's Dice; and the share of test pixels the student calls foreground at the last
 * evaluation (a collapsing student predicts almost nothing).
 *
 * Under the table, {@link diagnosisVerdicts} states for each hypothesis of issue 11 whether the
 * numbers support it (label leak, collapse, DARM as the cause, whether each DARM variant of this
 * toolkit removes the leak, each FGI row against GazeMedSeg); every sentence is built from the
 * numbers and the paired tests, none is fixed in advance.
 *
 * @module
 */
import { mean, std } from "../metrics/summary.ts";
import { comparisonCells } from "./ablation_table.ts";
import { aggregateMetric, comparePerImage, type PerImageRow } from "./per_image.ts";
import type { RowDef } from "./plan.ts";
import { type CheckpointChoice, outcomesFor, perImageAt, type RunOutcome } from "./run_outcome.ts";
import { type Cell, makeTable, type MeanStd, type Table } from "./table.ts";

/** Options of {@link diagnosisTable}. */
export interface DiagnosisTableOptions {
  /** Dataset name (title). */
  dataset: string;
  /** Seeds to aggregate. */
  seeds: readonly number[];
  /** Checkpoint of the comparison (default "best"). */
  checkpoint?: CheckpointChoice;
  /** Extra notes. */
  notes?: string[];
  /**
   * Share of the test pixels the ground truth marks foreground, at the training size
   * (`foregroundShare` of lib/metrics); the collapse verdict compares the student's share with it.
   */
  groundTruthShare?: number | null;
  /** Significance level of the verdicts (default 0.05). */
  alpha?: number;
  /** Ramp-up length of the runs (`rampUp.length`), for the ramp-up observation; omitted: no such line. */
  rampUpLength?: number;
  /** Table title (default: "Diagnosis of the FGI student on <dataset> (issue 11)"). */
  title?: string;
}

/** The hypotheses {@link diagnosisVerdicts} judges. */
export type DiagnosisHypothesis =
  | "label-leak"
  | "collapse"
  | "darm-cause"
  | "variant-no-leak"
  | "vs-gazemedseg"
  | "cwc-background"
  | "ramp-early";

/** One verdict: what the numbers say about one hypothesis for one row. */
export interface DiagnosisVerdict {
  /** Which hypothesis. */
  hypothesis: DiagnosisHypothesis;
  /** The row (plan key) it is about. */
  row: string;
  /** true: the numbers support it; false: they do not (or contradict it); null: it cannot be judged (data missing). */
  holds: boolean | null;
  /** The sentence, with the numbers (shown under the table). */
  text: string;
  /** The numbers behind it (Dice and shares in [0, 1], differences in Dice units, p-values). */
  numbers: Record<string, number | null>;
}

/** Mean ± std over seeds of one number per run (null when a run lacks it). */
function overSeeds(values: (number | undefined)[]): MeanStd | null {
  if (!values.length || values.some((v) => typeof v !== "number" || !Number.isFinite(v))) return null;
  const xs = values as number[];
  return { mean: mean(xs), std: xs.length > 1 ? std(xs, { ddof: 1 }) : null };
}

const pct = (v: number | null | undefined) => (typeof v === "number" ? `${(100 * v).toFixed(1)} %` : "n/a");
const pp = (d: number | null) => (d === null ? "n/a" : `${d < 0 ? "−" : "+"}${Math.abs(100 * d).toFixed(1)} pp`);
const pText = (p: number | null) => (p === null ? "p n/a" : p < 1e-4 ? "p < 0.0001" : `p = ${p.toFixed(4)}`);

/** Seeds whose mean Dice differ by less than this count as unchanged (e.g. a collapsed seed scoring ~0 both ways). */
const SEED_TIE = 0.005;

/**
 * Paired comparison a − b of per-image Dice (seed-averaged), plus how many seeds have a's mean
 * above b's and below it (by more than {@link SEED_TIE}).
 */
function pairedDice(a: PerImageRow[][], b: PerImageRow[][]) {
  const c = comparePerImage(a, b, "dice");
  const sa = aggregateMetric(a, "dice"), sb = aggregateMetric(b, "dice");
  const diffs = sa.perSeed.flatMap((v, i) => (v !== null && sb.perSeed[i] !== null ? [v - sb.perSeed[i]!] : []));
  const higher = diffs.filter((d) => d > SEED_TIE).length, lower = diffs.filter((d) => d < -SEED_TIE).length;
  return {
    a: sa.mean,
    b: sb.mean,
    delta: c.meanDifference,
    p: c.wilcoxon ? c.wilcoxon.pValue : null,
    n: c.n,
    higher,
    lower,
    seeds: a.length,
  };
}

type Paired = ReturnType<typeof pairedDice>;

const pairedNumbers = (c: Paired) => ({
  a: c.a,
  b: c.b,
  delta: c.delta,
  p: c.p,
  images: c.n,
  seedsHigher: c.higher,
  seedsLower: c.lower,
});
const testText = (c: Paired) =>
  `${pp(c.delta)}, paired Wilcoxon ${
    pText(c.p)
  }, ${c.n} images; higher in ${c.higher}, lower in ${c.lower} of ${c.seeds} seed${c.seeds === 1 ? "" : "s"}`;

/**
 * The verdicts under the diagnosis table, computed from the runs: rows are found by what they are
 * (the first row is the reference, the FGI row with DARM off is "no DARM", every other FGI row a
 * DARM variant, the GazeMedSeg row the baseline), so a missing row just drops its verdicts.
 * - label leak (reference): student Dice on DARM-masked vs clean test images; holds when masked >
 *   clean with paired Wilcoxon p < alpha AND no seed lower (by more than 0.5 pp; so for every
 *   comparison below: a significant pooled difference whose seeds disagree is reported as not shown);
 * - collapse (reference): the student's foreground share at its last evaluation (mean over seeds)
 *   vs the ground truth's; holds when under half of it;
 * - DARM is the cause: no-DARM student minus the reference; holds when > 0 with p < alpha;
 * - a DARM variant removes the leak: its own masked-minus-clean gap is not significantly > 0;
 * - each FGI row vs GazeMedSeg: holds ("beats GazeMedSeg") when > 0 with p < alpha;
 * - CWC's targets all background (every FGI row): the softmax argmax of both networks calls under
 *   1 % of the test pixels foreground at every logged evaluation of every seed, so CWC (2-class
 *   softmax, whose channel 0 no other loss trains) only ever pushes towards background;
 * - ramp-up while both networks are poor (reference; an observation, `holds` null: testing it
 *   needs a run with a longer ramp): both networks' Dice at the first evaluation after the ramp.
 * Dice is the student's at `options.checkpoint` (default best), per image averaged over seeds.
 */
export function diagnosisVerdicts(
  rows: readonly RowDef[],
  outcomes: readonly RunOutcome[],
  options: Pick<DiagnosisTableOptions, "seeds" | "checkpoint" | "groundTruthShare" | "alpha" | "rampUpLength">,
): DiagnosisVerdict[] {
  const ck = options.checkpoint ?? "best", alpha = options.alpha ?? 0.05;
  if (!rows.length) return [];
  // A difference counts only when the paired test says so AND no seed's mean moves the other way (a seed within
  // SEED_TIE counts as unchanged): the per-image test pools the seeds, so on its own it cannot tell one lucky seed
  // from a consistent effect.
  const judge = (c: Paired): "up" | "down" | "mixed" | "none" =>
    c.p === null || !(c.p < alpha) || c.delta === null
      ? "none"
      : c.delta > 0 && c.lower === 0 && c.higher > 0
      ? "up"
      : c.delta < 0 && c.higher === 0 && c.lower > 0
      ? "down"
      : "mixed";
  const mixedText = (c: Paired) =>
    `not shown: significant on the pooled test images (${pText(c.p)}) but the seeds disagree ` +
    `(higher in ${c.higher}, lower in ${c.lower} of ${c.seeds})`;
  const runsOf = (row: RowDef) => outcomesFor(outcomes, row.key, options.seeds);
  const clean = (row: RowDef) => perImageAt(runsOf(row), ck);
  const masked = (row: RowDef) => {
    const runs = runsOf(row);
    return runs.every((o) => o.masked?.[ck]) ? runs.map((o) => o.masked![ck]) : null;
  };
  const ref = rows[0];
  const fgiRows = rows.filter((r) => r.method === "fgi");
  const noDarm = fgiRows.find((r) => r !== ref && r.ablation?.darm === false);
  const variants = fgiRows.filter((r) => r !== ref && r !== noDarm);
  const gms = rows.find((r) => r.method === "gazemedseg");
  const out: DiagnosisVerdict[] = [];
  const leakCheck = (row: RowDef): Paired | null => {
    const m = masked(row);
    return m ? pairedDice(m, clean(row)) : null;
  };
  if (ref.method === "fgi") {
    const c = leakCheck(ref);
    if (!c) {
      out.push({
        hypothesis: "label-leak",
        row: ref.key,
        holds: null,
        text: `label leak (${ref.label}): not judged, its runs have no DARM-masked test scores`,
        numbers: {},
      });
    } else {
      const j = judge(c), holds = j === "up";
      const how = holds
        ? "HOLDS: the student scores higher when DARM's blocks are present, so it reads them (they outline the target)"
        : j === "down"
        ? "does not hold: the student scores LOWER on DARM-masked images, no sign that it reads the blocks"
        : j === "mixed"
        ? mixedText(c)
        : `not shown: no significant difference at alpha = ${alpha}`;
      out.push({
        hypothesis: "label-leak",
        row: ref.key,
        holds,
        text: `label leak ${how}. ${ref.label} student, ${ck} checkpoint: DARM-masked test ${pct(c.a)} vs clean ${
          pct(c.b)
        } (${testText(c)})`,
        numbers: pairedNumbers(c),
      });
    }
    // Collapse: foreground share of the last evaluation against the ground truth's.
    const runs = runsOf(ref);
    const shares = runs.map((o) => o.lastMetrics?.["dyn/test/student/fg_sigmoid"]);
    const gt = options.groundTruthShare ?? null;
    const have = shares.every((v) => typeof v === "number" && Number.isFinite(v));
    const z = have ? mean(shares as number[]) : null;
    const best = aggregateMetric(perImageAt(runs, "best"), "dice").mean;
    const last = aggregateMetric(perImageAt(runs, "last"), "dice").mean;
    const others = fgiRows.filter((r) => r !== ref).map((r) => {
      const v = runsOf(r).map((o) => o.lastMetrics?.["dyn/test/student/fg_sigmoid"]);
      return `${r.label} ${v.every((x) => typeof x === "number") ? pct(mean(v as number[])) : "n/a"}`;
    });
    const tail = `; student Dice ${pct(best)} at the best checkpoint, ${pct(last)} at the last` +
      (others.length ? `; other FGI rows' foreground share: ${others.join(", ")}` : "");
    if (z === null || gt === null) {
      out.push({
        hypothesis: "collapse",
        row: ref.key,
        holds: null,
        text: `collapse (${ref.label}): not judged, ${
          z === null ? "the runs did not log the student's foreground share (dyn/test/student/fg_sigmoid)" : ""
        }${z === null && gt === null ? " and " : ""}${
          gt === null ? "the ground-truth foreground share was not given" : ""
        }; student foreground share ${pct(z)}${tail}`,
        numbers: { studentShare: z, groundTruthShare: gt, diceBest: best, diceLast: last },
      });
    } else {
      const under = (shares as number[]).filter((v) => v < 0.5 * gt).length;
      const holds = z < 0.5 * gt;
      const how = holds
        ? "HOLDS: the student calls under half as many pixels foreground as the ground truth marks (near-empty predictions)"
        : "does not hold: the student's foreground share is at least half the ground truth's";
      out.push({
        hypothesis: "collapse",
        row: ref.key,
        holds,
        text: `collapse ${how}. ${ref.label} student: foreground share ${pct(z)} of the test pixels at its last ` +
          `evaluation (per seed ${(shares as number[]).map((v) => (100 * v).toFixed(1)).join(", ")}; under half ` +
          `the ground truth in ${under} of ${shares.length}) vs ground truth ${pct(gt)}${tail}`,
        numbers: { studentShare: z, groundTruthShare: gt, seedsUnderHalf: under, diceBest: best, diceLast: last },
      });
    }
  }
  if (noDarm && ref.method === "fgi") {
    const c = pairedDice(clean(noDarm), clean(ref));
    const j = judge(c), holds = j === "up";
    const how = holds
      ? "HOLDS: without DARM the student does significantly better"
      : j === "down"
      ? "does not hold: without DARM the student does significantly WORSE"
      : j === "mixed"
      ? mixedText(c)
      : `not shown: without DARM no significant difference at alpha = ${alpha}`;
    out.push({
      hypothesis: "darm-cause",
      row: noDarm.key,
      holds,
      text: `DARM is the cause ${how}. ${noDarm.label} minus ${ref.label}: student Dice ${pct(c.a)} vs ${pct(c.b)} (${
        testText(c)
      })`,
      numbers: pairedNumbers(c),
    });
  }
  const refLeak = ref.method === "fgi" ? leakCheck(ref) : null;
  for (const v of variants) {
    const c = leakCheck(v);
    const vsRef = ref.method === "fgi" ? pairedDice(clean(v), clean(ref)) : null;
    const refPart = vsRef
      ? `; clean Dice ${pct(vsRef.a)} vs ${pct(vsRef.b)} for ${ref.label} (${testText(vsRef)})`
      : "";
    if (!c) {
      out.push({
        hypothesis: "variant-no-leak",
        row: v.key,
        holds: null,
        text: `${v.label} removes the leak: not judged, its runs have no DARM-masked test scores${refPart}`,
        numbers: vsRef ? { cleanDelta: vsRef.delta, cleanP: vsRef.p } : {},
      });
      continue;
    }
    const leaks = judge(c) === "up";
    const refLeaks = refLeak !== null && judge(refLeak) === "up";
    const premise = refLeak === null
      ? ` (${ref.label} was not scored on DARM-masked images, so whether it leaked is not known)`
      : refLeaks
      ? ""
      : ` (but ${ref.label} shows no leak either, so there was none to remove)`;
    const how = leaks
      ? "does NOT hold: its student still scores significantly higher on DARM-masked test images"
      : judge(c) === "down"
      ? `HOLDS: its student scores significantly LOWER, not higher, on DARM-masked test images${premise}`
      : `HOLDS: its student gains nothing significant and consistent across seeds from DARM-masked test images${premise}`;
    out.push({
      hypothesis: "variant-no-leak",
      row: v.key,
      holds: !leaks,
      text: `${v.label} removes the leak ${how}. Masked minus clean ${testText(c)} (masked ${pct(c.a)}, clean ${
        pct(c.b)
      })${refLeak ? `, against ${pp(refLeak.delta)} (${pText(refLeak.p)}) for ${ref.label}` : ""}${refPart}`,
      numbers: { ...pairedNumbers(c), cleanDelta: vsRef?.delta ?? null, cleanP: vsRef?.p ?? null },
    });
  }
  if (gms) {
    for (const r of fgiRows) {
      const c = pairedDice(clean(r), clean(gms));
      const j = judge(c), holds = j === "up";
      const how = holds
        ? "beats GazeMedSeg"
        : j === "down"
        ? "is significantly BELOW GazeMedSeg"
        : j === "mixed"
        ? "does not beat GazeMedSeg consistently (the seeds disagree)"
        : `is not significantly different from GazeMedSeg (alpha = ${alpha})`;
      out.push({
        hypothesis: "vs-gazemedseg",
        row: r.key,
        holds,
        text: `${r.label} student ${how}: ${pct(c.a)} vs ${pct(c.b)} (${testText(c)})`,
        numbers: pairedNumbers(c),
      });
    }
  }
  out.push(...cwcAndRampVerdicts(fgiRows, ref, runsOf, options.rampUpLength));
  return out;
}

/** Every logged value of `key` of a run: each evaluation's, else the last one's. */
function loggedValues(o: RunOutcome, key: string): number[] {
  const vs = o.evaluations?.length ? o.evaluations.map((e) => e.metrics[key]) : [o.lastMetrics?.[key]];
  return vs.filter((v): v is number => typeof v === "number" && Number.isFinite(v));
}

/** The CWC-targets and ramp-up verdicts of {@link diagnosisVerdicts}. */
function cwcAndRampVerdicts(
  fgiRows: readonly RowDef[],
  ref: RowDef,
  runsOf: (row: RowDef) => RunOutcome[],
  rampUpLength: number | undefined,
): DiagnosisVerdict[] {
  const out: DiagnosisVerdict[] = [];
  if (fgiRows.length) {
    const runs = fgiRows.flatMap(runsOf);
    const argmax = (net: string) => runs.map((o) => loggedValues(o, `dyn/test/${net}/fg_argmax`));
    const s = argmax("student"), t = argmax("teacher");
    const last = (net: string, q: string) => runs.map((o) => o.lastMetrics?.[`dyn/test/${net}/${q}`]);
    const meanOf = (xs: (number | undefined)[]) =>
      xs.every((x) => typeof x === "number" && Number.isFinite(x)) ? mean(xs as number[]) : null;
    if (s.some((v) => !v.length) || t.some((v) => !v.length)) {
      out.push({
        hypothesis: "cwc-background",
        row: ref.key,
        holds: null,
        text: "CWC's targets all background: not judged, the runs did not log the argmax foreground share",
        numbers: {},
      });
    } else {
      const maxS = Math.max(...s.flat()), maxT = Math.max(...t.flat());
      const holds = maxS < 0.01 && maxT < 0.01;
      const l0s = meanOf(last("student", "logit0")), l1s = meanOf(last("student", "logit1"));
      const l0t = meanOf(last("teacher", "logit0")), l1t = meanOf(last("teacher", "logit1"));
      const sig = meanOf(last("student", "fg_sigmoid")), pos = meanOf(last("student", "cwc_pos"));
      const f = (v: number | null) => (v === null ? "n/a" : `${v >= 0 ? "+" : ""}${v.toFixed(2)}`);
      out.push({
        hypothesis: "cwc-background",
        row: ref.key,
        holds,
        text: `CWC's targets all background ${
          holds
            ? "HOLDS: CWC's 2-class softmax calls (almost) no pixel foreground, so its confident targets are " +
              "background and it only pushes both networks towards background; channel 0, which no other loss " +
              "trains, drifts up"
            : "does not hold: the softmax argmax calls foreground somewhere, so CWC has foreground targets"
        }. Largest argmax foreground share at any evaluation of any FGI row and seed: student ${pct(maxS)}, teacher ${
          pct(maxT)
        } (student by sigmoid(channel 1) at the last evaluation: ${pct(sig)}; CWC positive set ${
          pct(pos)
        } of the pixels); mean logits at the last evaluation, channel 0 / channel 1: student ${f(l0s)} / ${
          f(l1s)
        }, teacher ${f(l0t)} / ${f(l1t)}. It holds for every FGI row alike, DARM or not, so it does not explain ` +
          "the differences between the rows",
        numbers: {
          maxArgmaxStudent: maxS,
          maxArgmaxTeacher: maxT,
          studentLogit0: l0s,
          studentLogit1: l1s,
          teacherLogit0: l0t,
          teacherLogit1: l1t,
        },
      });
    }
  }
  if (rampUpLength !== undefined && ref.method === "fgi") {
    const runs = runsOf(ref);
    const after = runs.map((o) => o.evaluations?.find((e) => e.iteration >= rampUpLength));
    if (after.every((e) => e && typeof e.metrics.dice === "number" && typeof e.metrics.teacher_dice === "number")) {
      const it = after[0]!.iteration;
      const ds = mean(after.map((e) => e!.metrics.dice)), dt = mean(after.map((e) => e!.metrics.teacher_dice));
      out.push({
        hypothesis: "ramp-early",
        row: ref.key,
        holds: null,
        text: `ramp-up while both networks are poor: observed, not tested. The consistency weight reaches 1 at ` +
          `iteration ${rampUpLength}; at the evaluation at ${it} (${ref.label}, mean over seeds) the student's test ` +
          `Dice is ${pct(ds)} and the teacher's ${pct(dt)}. Whether this causes the collapse needs runs with a ` +
          "longer ramp (config rampUp.length), which this table does not plan",
        numbers: { rampUpLength, iteration: it, studentDice: ds, teacherDice: dt },
      });
    }
  }
  return out;
}

/** Build the diagnosis table; the first row is the reference of the paired tests. */
export function diagnosisTable(
  rows: readonly RowDef[],
  outcomes: readonly RunOutcome[],
  options: DiagnosisTableOptions,
): Table {
  const ck = options.checkpoint ?? "best";
  const ref = rows[0];
  const opts = { seeds: options.seeds, checkpoint: ck };
  const verdicts = diagnosisVerdicts(rows, outcomes, options);
  const gt = options.groundTruthShare;
  const body: Record<string, Cell>[] = rows.map((row) => {
    const runs = outcomesFor(outcomes, row.key, options.seeds);
    const d = comparisonCells(outcomes, row.key, ref.key, "dice", opts);
    const perSeed = aggregateMetric(perImageAt(runs, ck), "dice").perSeed;
    const side = (pick: (o: RunOutcome) => PerImageRow[] | undefined) =>
      runs.every((o) => pick(o)) ? aggregateMetric(runs.map((o) => pick(o)!), "dice") : null;
    return {
      variant: row.label,
      dice: d.value,
      d_dice: d.delta,
      p_dice: d.p,
      per_seed: perSeed.map((v) => (v === null ? "–" : (v * 100).toFixed(1))).join(", "),
      dice_last: aggregateMetric(perImageAt(runs, "last"), "dice"),
      masked: side((o) => o.masked?.[ck]),
      teacher: side((o) => o.teacher?.[ck]),
      teacher_last: side((o) => o.teacher?.last),
      fg: overSeeds(runs.map((o) => o.lastMetrics?.["dyn/test/student/fg_sigmoid"])),
    };
  });
  return makeTable(
    [
      { key: "variant", label: "Variant", kind: "text" },
      { key: "dice", label: `Student Dice, ${ck} (%)`, kind: "meanStd", scale: 100 },
      { key: "d_dice", label: "Δ Dice (pp)", scale: 100 },
      { key: "p_dice", label: "p (Dice)", digits: 4 },
      { key: "per_seed", label: "per seed (%)", kind: "text" },
      { key: "dice_last", label: "Student Dice, last (%)", kind: "meanStd", scale: 100 },
      { key: "masked", label: `Student Dice, DARM-masked test, ${ck} (%)`, kind: "meanStd", scale: 100 },
      { key: "teacher", label: `Teacher Dice, ${ck} (%)`, kind: "meanStd", scale: 100 },
      { key: "teacher_last", label: "Teacher Dice, last (%)", kind: "meanStd", scale: 100 },
      { key: "fg", label: "Student foreground share, last eval (%)", kind: "meanStd", scale: 100 },
    ],
    body,
    {
      title: options.title ?? `Diagnosis of the FGI student on ${options.dataset} (issue 11)`,
      notes: [
        `Δ = row − ${ref.label}, mean of the per-image differences of the student's Dice; p = two-sided Wilcoxon ` +
        "signed-rank test on the paired per-image values (averaged over seeds first)",
        "DARM-masked test: each test image masked by DARM from its own gaze levels (diagnostic only; a student " +
        "that reads the blocks, which outline the target, scores higher there than on clean images)",
        "foreground share: test pixels with sigmoid(channel 1) > 0.5 at the last evaluation (evaluation subset " +
        "during training, all images at the final one)" +
        (typeof gt === "number" ? `; the ground truth marks ${pct(gt)} of the test pixels at the training size` : ""),
        "the ring + random DARM is this toolkit's variant (not the paper's, not the released code)",
        `mean ± std over seeds ${options.seeds.join(", ")}`,
        ...verdicts.map((v) => `verdict: ${v.text}`),
        ...(options.notes ?? []),
      ],
    },
  );
}
