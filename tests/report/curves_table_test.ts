import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { curvesTable } from "../../lib/report/curves_table.ts";
import { experimentPlan, MAIN_ROWS, type RunSpec } from "../../lib/report/plan.ts";
import type { RunOutcome } from "../../lib/report/run_outcome.ts";
import { toMarkdown } from "../../lib/report/table.ts";
import { validateTrainConfig, VARIANT_SWITCHES } from "../../lib/train/config.ts";

const BASE = validateTrainConfig({ dataset: "kvasir", profile: "cpu", imageSize: 32, batchSize: 4, iterations: 400 });
const plan = experimentPlan(BASE, { groups: ["main"], seeds: [0, 1], paperSwitches: VARIANT_SWITCHES.paper });

/** A finished run whose logged Dice at iteration it is curve(it) + seed offset. */
function outcome(spec: RunSpec, curve: (it: number) => number, teacher?: (it: number) => number): RunOutcome {
  const off = spec.seed === 0 ? -0.01 : 0.01;
  return {
    spec,
    dir: `/runs/${spec.id}`,
    best: [],
    last: [],
    unit: "px",
    seconds: 1,
    bestIteration: 400,
    evaluations: [100, 200, 300, 400].map((it) => ({
      iteration: it,
      metrics: { dice: curve(it) + off, ...(teacher ? { teacher_dice: teacher(it) + off } : {}) },
    })),
  };
}

Deno.test("curves table: mean ± std per evaluation, gain over the last quarter, plateau vs rising", () => {
  const outs = plan.runs.map((s) =>
    s.key === "fullsup"
      ? outcome(s, (it) => Math.min(it, 300) / 500) // 0.2 0.4 0.6 0.6: flat over the last quarter
      : s.key === "fgi-code"
      ? outcome(s, (it) => it / 1000, (it) => 0.5 + it / 5000) // student +10 pp, teacher +2 pp from 300 to 400
      : s.key === "gaze1"
      ? outcome(s, (it) => (it < 400 ? 0.4 : 0.2)) // collapses at the end
      : outcome(s, () => 0.3)
  ).filter((o) => o.spec.key !== "fgi-paper" || o.spec.seed === 0); // fgi-paper lacks seed 1: left out
  const t = curvesTable(plan.tables.main!, outs, { dataset: "kvasir", seeds: [0, 1] });
  const byLabel = Object.fromEntries(t.rows.map((r) => [r.curve as string, r]));
  assertEquals(Object.keys(byLabel), [
    MAIN_ROWS[0].label,
    MAIN_ROWS[1].label,
    MAIN_ROWS[2].label,
    `${MAIN_ROWS[3].label}: student`,
    `${MAIN_ROWS[3].label}: teacher`,
  ]);
  const full = byLabel[MAIN_ROWS[0].label];
  const at200 = full.it_200 as { mean: number; std: number };
  assertAlmostEquals(at200.mean, 0.4, 1e-12);
  assertAlmostEquals(at200.std, Math.sqrt(2) * 0.01, 1e-12); // seeds at 0.39 and 0.41, ddof 1
  assertAlmostEquals(full.gain as number, 0, 1e-12);
  assert((full.verdict as string).startsWith("plateau"), full.verdict as string);
  assertEquals(byLabel[MAIN_ROWS[1].label].verdict, "falling (-20.0 pp from 300 to 400)");
  assert((byLabel[MAIN_ROWS[2].label].verdict as string).startsWith("plateau (within 1 pp"));
  const student = byLabel[`${MAIN_ROWS[3].label}: student`];
  assertAlmostEquals(student.gain as number, 0.1, 1e-12);
  assertEquals(student.verdict, "rising (+10.0 pp from 300 to 400)");
  const teacher = byLabel[`${MAIN_ROWS[3].label}: teacher`];
  assertAlmostEquals(teacher.gain as number, 0.02, 1e-12);
  assert((teacher.verdict as string).startsWith("rising"));
  // A threshold above the gain makes it a plateau.
  const lenient = curvesTable(plan.tables.main!, outs, { dataset: "kvasir", seeds: [0, 1], plateauPp: 3 });
  assert((lenient.rows.at(-1)!.verdict as string).startsWith("plateau"));
  const md = toMarkdown(t);
  assert(md.includes("| 400 |"), md);
  assertThrows(() => curvesTable(plan.tables.main!, [], { dataset: "kvasir", seeds: [0, 1] }), Error, "no row");
});
