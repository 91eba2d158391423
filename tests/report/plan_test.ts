import { assert, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import {
  ablationRows,
  DEFAULT_GROUPS,
  DIAGNOSIS_ROWS,
  experimentPlan,
  LONG_ROWS,
  LONG_SCHEDULE_SCALE,
  MAIN_ROWS,
  PAPER_SWITCH_ROWS,
  SENSITIVITY_GRIDS,
  sensitivityRows,
} from "../../lib/report/plan.ts";
import { ensureWritableDerived, executeRun, runConfig } from "../../lib/report/reproduce.ts";
import { resolveSwitches, validateTrainConfig, VARIANT_SWITCHES } from "../../lib/train/config.ts";

const BASE = validateTrainConfig({
  dataset: "synthetic",
  profile: "smoke",
  imageSize: 32,
  batchSize: 4,
  iterations: 30,
  models: { teacher: [8, 8, 16, 16, 32, 8], student: [4, 4, 8, 8, 16, 4], unet: [8, 8, 16, 16, 32, 8] },
});
const paperSwitches = VARIANT_SWITCHES.paper;

Deno.test("main plan: the five methods of the paper's comparison, one run each per seed", () => {
  const plan = experimentPlan(BASE, { groups: ["main"], seeds: [0, 2], paperSwitches });
  assertEquals(plan.runs.map((r) => r.id), [
    "fullsup_s0",
    "fullsup_s2",
    "gaze1_s0",
    "gaze1_s2",
    "gazemedseg_s0",
    "gazemedseg_s2",
    "fgi-code_s0",
    "fgi-code_s2",
    "fgi-paper_s0",
    "fgi-paper_s2",
  ]);
  assertEquals(plan.runs.map((r) => r.method), [
    "fullsup",
    "fullsup",
    "gaze1",
    "gaze1",
    "gazemedseg",
    "gazemedseg",
    "fgi",
    "fgi",
    "fgi",
    "fgi",
  ]);
  assertEquals(plan.runs.filter((r) => r.supervision === "full-mask").map((r) => r.key), ["fullsup", "fullsup"]);
  assertEquals(plan.tables.main!.map((r) => r.key), MAIN_ROWS.map((r) => r.key));
});

Deno.test("full plan: shared runs appear once and are tagged with every table that uses them", () => {
  const plan = experimentPlan(BASE, { seeds: [0], paperSwitches });
  const ids = plan.runs.map((r) => r.id);
  assertEquals(new Set(ids).size, ids.length, "no duplicate runs");
  const ref = plan.runs.find((r) => r.id === "fgi-code_s0")!;
  assertEquals(ref.groups, ["main", "ablation", "sensitivity"]);
  assertEquals(plan.runs.find((r) => r.id === "fgi-paper_s0")!.groups, ["main", "ablation"]);
  // 5 main + 4 component ablations + 6 single switches + sensitivity points other than the reference.
  const sens = (Object.values(SENSITIVITY_GRIDS) as number[][]).reduce((s, g) => s + g.length, 0);
  const refs = [BASE.fgi.tauPos, BASE.fgi.darm.ratio, BASE.fgi.afcWeight];
  const sensExtra = sens - refs.filter((v, i) => (Object.values(SENSITIVITY_GRIDS)[i] as number[]).includes(v)).length;
  assertEquals(plan.runs.length, 5 + 4 + PAPER_SWITCH_ROWS.length + sensExtra);
});

Deno.test("ablation rows: reference first, the four components off one at a time, each paper switch alone", () => {
  const rows = ablationRows(paperSwitches);
  assertEquals(rows[0].key, "fgi-code");
  assertEquals(rows.slice(1, 5).map((r) => r.ablation), [{ text: false }, { afc: false }, { cwc: false }, {
    darm: false,
  }]);
  const switched = rows.filter((r) => r.switches);
  assertEquals(switched.length, 6);
  for (const r of switched) {
    const [k, v] = Object.entries(r.switches!)[0];
    assertEquals(v, paperSwitches[k as keyof typeof paperSwitches], r.key);
    assertEquals(r.variant, "code");
  }
  assertEquals(rows.at(-1)!.key, "fgi-paper");
});

Deno.test("sensitivity rows: the config's value is the reference run and is added when missing from a grid", () => {
  const cfg = structuredClone(BASE);
  cfg.fgi.tauPos = 0.75; // not in the grid
  const rows = sensitivityRows(cfg, { tauPos: [0.7, 0.9], darmRatio: [0.3], afcWeight: [0.1, 0.2] });
  assertEquals(rows.map((r) => [r.sensitivity!.param, r.sensitivity!.value, r.key]), [
    ["tauPos", 0.7, "fgi-code-tauPos-0.7"],
    ["tauPos", 0.75, "fgi-code"],
    ["tauPos", 0.9, "fgi-code-tauPos-0.9"],
    ["darmRatio", 0.3, "fgi-code"],
    ["afcWeight", 0.1, "fgi-code"],
    ["afcWeight", 0.2, "fgi-code-afcWeight-0.2"],
  ]);
});

Deno.test("runConfig applies the run's variant, single switch, ablation, sensitivity value and seed", () => {
  const plan = experimentPlan(BASE, { seeds: [3], paperSwitches });
  const byKey = (k: string) => runConfig(BASE, plan.runs.find((r) => r.key === k)!);
  const code = byKey("fgi-code");
  assertEquals(resolveSwitches(code), VARIANT_SWITCHES.code);
  assertEquals(code.seed, 3);
  assertEquals(resolveSwitches(byKey("fgi-paper")), VARIANT_SWITCHES.paper);
  const adam = byKey("fgi-code-optimizer-adam");
  assertEquals(resolveSwitches(adam), { ...VARIANT_SWITCHES.code, optimizer: "adam" });
  assertEquals(byKey("fgi-code-no-cwc").ablation, { text: true, afc: true, cwc: false, darm: true });
  assertEquals(byKey("fgi-code-tauPos-0.9").fgi.tauPos, 0.9);
  assertEquals(byKey("fgi-code-darmRatio-0.5").fgi.darm.ratio, 0.5);
  assertEquals(byKey("fgi-code-afcWeight-0.5").fgi.afcWeight, 0.5);
  assertEquals(byKey("fgi-code-tauPos-0.9").fgi.darm.ratio, BASE.fgi.darm.ratio, "other parameters untouched");
  assert(code.name.endsWith("/fgi-code_s3"), code.name);
  // config.json of an FGI run records every switch in force; the baselines' keep none.
  assertEquals(code.switches, VARIANT_SWITCHES.code);
  assertEquals(adam.switches, { ...VARIANT_SWITCHES.code, optimizer: "adam" });
  assertEquals(byKey("fullsup").switches, {});
});

Deno.test("a finished run recorded under other switch presets is refused, naming each changed switch", async () => {
  const spec = experimentPlan(BASE, { groups: ["main"], seeds: [0], paperSwitches }).runs.find((r) =>
    r.id === "fgi-code_s0"
  )!;
  const cfg = runConfig(BASE, spec);
  const dir = await Deno.makeTempDir({ prefix: "reuse_" });
  // executeRun compares config.json before it touches the dataset, the supervision or the backend.
  const options = { log: () => {} } as unknown as Parameters<typeof executeRun>[3];
  try {
    for (
      const [switches, expected] of [
        [{ ...cfg.switches, cutMix: "shared" }, "switches.cutMix: shared -> per-direction"],
        [{}, "switches.cwcStudentInput: not recorded -> clean"], // written before runs recorded their switches
      ] as const
    ) {
      await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify({ ...cfg, switches }, null, 2) + "\n");
      await Deno.writeTextFile(`${dir}/done.json`, "{}\n");
      const err = await assertRejects(() => executeRun(spec, cfg, dir, options), Error, "different config");
      assert(err.message.includes(expected) && err.message.includes(`delete ${dir}`), err.message);
    }
    await Deno.writeTextFile(`${dir}/config.json`, JSON.stringify(cfg, null, 2) + "\n");
    assertEquals((await executeRun(spec, cfg, dir, options)).status, "reused");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("experimentPlan rejects bad seeds and unknown tables", () => {
  assertThrows(() => experimentPlan(BASE, { seeds: [], paperSwitches }), Error, "at least one seed");
  assertThrows(() => experimentPlan(BASE, { seeds: [-1], paperSwitches }), Error, "integers >= 0");
  // deno-lint-ignore no-explicit-any
  assertThrows(() => experimentPlan(BASE, { groups: ["nope" as any], paperSwitches }), Error, "unknown table 'nope'");
});

Deno.test("ensureWritableDerived redirects derived files away from a read-only data root, leaves others alone", async () => {
  const saved = Deno.env.get("GAZE_DERIVED_DIR");
  const dir = await Deno.makeTempDir();
  try {
    Deno.env.delete("GAZE_DERIVED_DIR");
    assertEquals(await ensureWritableDerived(dir), undefined);
    assertEquals(Deno.env.get("GAZE_DERIVED_DIR"), undefined);
    await Deno.chmod(dir, 0o555);
    const note = await ensureWritableDerived(dir);
    assert(note?.includes("read-only"), note);
    assert(Deno.env.get("GAZE_DERIVED_DIR")!.endsWith("data/cache/derived"));
    Deno.env.set("GAZE_DERIVED_DIR", "/elsewhere");
    assertEquals(await ensureWritableDerived(dir), undefined, "an explicit $GAZE_DERIVED_DIR wins");
  } finally {
    await Deno.chmod(dir, 0o755);
    await Deno.remove(dir, { recursive: true });
    if (saved === undefined) Deno.env.delete("GAZE_DERIVED_DIR");
    else Deno.env.set("GAZE_DERIVED_DIR", saved);
  }
});

Deno.test("diagnosis plan: code variant, no DARM, ring+random DARM, GazeMedSeg; masked-test scoring on FGI runs", () => {
  const plan = experimentPlan(BASE, { groups: ["diagnosis"], seeds: [0, 1, 2], paperSwitches });
  assertEquals([...new Set(plan.runs.map((r) => r.key))], DIAGNOSIS_ROWS.map((r) => r.key));
  assertEquals(plan.runs.length, 12);
  for (const r of plan.runs) assertEquals(r.evaluation?.maskedTest ?? false, r.method === "fgi", r.id);
  const ring = plan.runs.find((r) => r.id === "fgi-code-darmPlacement-ring+random_s1")!;
  const cfg = runConfig(BASE, ring);
  assertEquals(resolveSwitches(cfg).darmPlacement, "ring+random");
  assertEquals(cfg.seed, 1);
  assertEquals(runConfig(BASE, plan.runs.find((r) => r.id === "fgi-code-no-darm_s0")!).ablation.darm, false);
  // Not part of the default plan; when requested with main, the shared fgi-code run gets the masked scoring.
  assert(!DEFAULT_GROUPS.includes("diagnosis"));
  assert(!experimentPlan(BASE, { seeds: [0], paperSwitches }).runs.some((r) => r.evaluation));
  const both = experimentPlan(BASE, { groups: ["main", "diagnosis"], seeds: [0], paperSwitches });
  const code = both.runs.find((r) => r.id === "fgi-code_s0")!;
  assertEquals([code.groups, code.evaluation], [["main", "diagnosis"], { maskedTest: true }]);
});

Deno.test("long plan: code, no DARM, GazeMedSeg and full supervision at 4x the iterations, own run folders", () => {
  const plan = experimentPlan(BASE, { groups: ["long"], seeds: [0, 1, 2], paperSwitches });
  assertEquals(LONG_ROWS.map((r) => r.key), ["fgi-code-x4", "fgi-code-no-darm-x4", "gazemedseg-x4", "fullsup-x4"]);
  assertEquals(plan.runs.length, 12);
  assert(!DEFAULT_GROUPS.includes("long"));
  const code = plan.runs.find((r) => r.id === "fgi-code-x4_s2")!;
  assertEquals([code.method, code.variant, code.iterationScale, code.evaluation], [
    "fgi",
    "code",
    LONG_SCHEDULE_SCALE,
    { maskedTest: true },
  ]);
  const cfg = runConfig({ ...BASE, evalEvery: 10 }, code);
  // 4 x 30 iterations, the ramp rescaled to round(120 * 4000 / 15000) = 32, evaluation interval kept.
  assertEquals([cfg.iterations, cfg.rampUp.length, cfg.evalEvery, cfg.seed], [120, 32, 10, 2]);
  assertEquals(runConfig(BASE, plan.runs.find((r) => r.id === "fgi-code-no-darm-x4_s0")!).ablation.darm, false);
  const fullsup = plan.runs.find((r) => r.id === "fullsup-x4_s1")!;
  assertEquals([fullsup.method, fullsup.evaluation, runConfig(BASE, fullsup).iterations], ["fullsup", undefined, 120]);
  // The profile-length runs are untouched: same key set, no scale, the profile's iterations.
  const main = experimentPlan(BASE, { groups: ["main", "long"], seeds: [0], paperSwitches });
  const short = main.runs.find((r) => r.id === "fgi-code_s0")!;
  assertEquals([short.iterationScale, runConfig(BASE, short).iterations], [undefined, 30]);
  assert(!("iterationScale" in short));
});
