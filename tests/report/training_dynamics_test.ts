// The training-dynamics figure: one panel per output quantity, teacher vs student, from eval records.
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { DYNAMICS_PANELS, trainingDynamicsFigure } from "../../lib/report/training_dynamics.ts";
import { checkFigure } from "../../lib/report/figure.ts";

function evalRecord(iteration: number, v: number) {
  const metrics: Record<string, number> = { dice: v / 10, teacher_dice: v / 5, mean_dice: v / 4 };
  for (const input of ["test", "train_clean", "train_masked"]) {
    for (const net of ["teacher", "student"]) {
      for (const p of DYNAMICS_PANELS) metrics[`dyn/${input}/${net}/${p.key}`] = v * (net === "teacher" ? 0.5 : 0.25);
    }
  }
  return { type: "eval", iteration, metrics, best: false, seconds: 1 };
}

Deno.test("training dynamics: one panel per quantity, teacher vs student per input, test Dice of all three", () => {
  const records = [
    { type: "step", iteration: 1, losses: { total: 1 } },
    evalRecord(2, 1),
    evalRecord(4, 2),
    evalRecord(4, 3), // a resumed run repeats iteration 4: the later record wins
  ];
  const fig = checkFigure(trainingDynamicsFigure(records));
  assertEquals(fig.data.length, DYNAMICS_PANELS.length * 2 * 3 + 3);
  const axes = Object.keys(fig.layout!).filter((k) => /^yaxis\d*$/.test(k));
  assertEquals(axes.length, DYNAMICS_PANELS.length + 1);
  const t = fig.data.find((d) => d.name === "teacher, test" && d.yaxis === "y3")!; // fg_sigmoid, percent
  assertEquals(t.x, [2, 4]);
  assertEquals(t.y, [50, 150]);
  const logit = fig.data.find((d) => d.name === "student, train batch, DARM-masked" && d.yaxis === "y")!;
  assertEquals(logit.y, [0.25, 0.75]);
  assertEquals((logit.line as { dash: string }).dash, "dot");
  const mean = fig.data.find((d) => d.name === "mean of logits")!;
  assertEquals(mean.y, [25, 75]);
  // Each legend entry once.
  const shown = fig.data.filter((d) => d.showlegend).map((d) => d.name);
  assertEquals(shown.length, new Set(shown).size);
  assert(shown.includes("teacher, test") && shown.includes("student"));
  assertThrows(
    () => trainingDynamicsFigure([{ type: "eval", iteration: 1, metrics: { dice: 0.5 } }]),
    Error,
    "no output statistics",
  );
});
