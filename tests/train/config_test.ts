import { assert, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import {
  ablationLabel,
  applyOverrides,
  configDifferences,
  darmOptionsFor,
  loadTrainConfig,
  parseAblation,
  parseSwitches,
  resolveSwitches,
  runLabel,
  scaledRampLength,
  validateTrainConfig,
  VARIANT_SWITCHES,
  withResolvedSwitches,
} from "../../lib/train/config.ts";
import { networkConfig } from "../../lib/train/methods/networks.ts";
import { Rng } from "../../lib/core/mod.ts";
import { EXPERIMENT_GROUPS, experimentPlan } from "../../lib/report/plan.ts";
import { runConfig } from "../../lib/report/reproduce.ts";

const MIN = { dataset: "synthetic", profile: "smoke", imageSize: 32, batchSize: 4, iterations: 20 };
const CONFIGS = new URL("../../configs/", import.meta.url).pathname;

Deno.test("config: omitted fields take docs/METHOD.md's numbers", () => {
  const c = validateTrainConfig(MIN);
  assertEquals(c.optimizer.lrMax, 1e-2);
  assertEquals(c.optimizer.lrMin, 1e-4);
  assertEquals(c.optimizer.momentum, 0.9);
  assertEquals(c.optimizer.nesterov, true);
  assertEquals(c.optimizer.weightDecay, 4e-4);
  assertEquals(c.optimizer.gazeMedSegMomentum, 0.99);
  assertEquals(c.fgi.afcWeight, 0.1);
  assertEquals([c.fgi.tauPos, c.fgi.tauNeg], [0.8, 0.2]);
  assertEquals(c.fgi.darm, { ratio: 0.3, minBlock: 3, maxBlock: 10 });
  assertEquals(c.gazemedseg.consistencyWeight, 3);
  assertEquals(c.rampUp.length, 4000);
  assertEquals(c.variant, "code");
});

Deno.test("config: errors name the source, the field and what was expected", () => {
  const bad = (patch: Record<string, unknown>, includes: string) =>
    assertThrows(() => validateTrainConfig({ ...MIN, ...patch }, { source: "x.json" }), Error, includes);
  bad({ imageSize: 40 }, "x.json: field 'imageSize' must be a multiple of 16");
  bad({ optimizer: { lrMax: "x" } }, "x.json: field 'optimizer.lrMax' must be a number > 0, got \"x\"");
  bad({ models: { student: [8, 8, 16, 16, 30, 8] } }, "field 'models.student[4]' must be a positive multiple of 4");
  bad({ switches: { fusion: "strong" } }, "field 'switches.fusion' must be one of none | learnable");
  bad({ fgi: { darm: { minBlock: 5, maxBlock: 3 } } }, "field 'fgi.darm.maxBlock' must be an integer >= 5");
  bad({ acumulate: 2 }, "unknown field 'acumulate'");
  bad({ fgi: { afc: 1 } }, "unknown field 'fgi.afc'");
  bad({ accumulate: 8 }, "field 'accumulate' must be at most batchSize (4)");
  bad({ dataset: "kvasir", synthetic: { train: 2 } }, "field 'synthetic' must be absent for dataset 'kvasir'");
  assertThrows(
    () => validateTrainConfig({ ...MIN, iterations: undefined }),
    Error,
    "field 'iterations' must be present",
  );
});

Deno.test("config: variant presets, switch overrides, ablations, labels", () => {
  const c = validateTrainConfig(MIN);
  assertEquals(resolveSwitches(c), {
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
  });
  const p = applyOverrides(c, { variant: "paper" });
  assertEquals(resolveSwitches(p), {
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
  });
  // The toolkit's earlier readings stay selectable, validated like the other switches.
  const old = applyOverrides(c, {
    switches: parseSwitches("cwcStudentInput=masked,cutMix=shared,darmWindow=side-k,darmTarget=exact"),
  });
  assertEquals(
    runLabel("fgi", old),
    "fgi-code-cwcStudentInput=masked-cutMix=shared-darmWindow=side-k-darmTarget=exact",
  );
  assertThrows(
    () => validateTrainConfig({ ...MIN, switches: { cutMix: "per-batch" } }, { source: "x.json" }),
    Error,
    "x.json: field 'switches.cutMix' must be one of per-direction | shared",
  );
  assertThrows(() => parseSwitches("darmWindow=even"), Error, "darmWindow must be one of odd | side-k");
  const s = applyOverrides(c, { switches: parseSwitches("fusion=learnable,optimizer=adam") });
  assertEquals(resolveSwitches(s).fusion, "learnable");
  assertEquals(resolveSwitches(s).teacherLoss, "bce");
  assertEquals(runLabel("fgi", s), "fgi-code-fusion=learnable-optimizer=adam");
  const a = applyOverrides(c, { ablation: parseAblation("no-text,no-darm") });
  assertEquals(a.ablation, { text: false, afc: true, cwc: true, darm: false });
  assertEquals(ablationLabel(a.ablation), "no-text+no-darm");
  assertEquals(runLabel("fgi", a), "fgi-code-no-text+no-darm");
  assertEquals(runLabel("gaze1", c), "gaze1-partial-ce");
  assertThrows(() => parseAblation("no-fusion"), Error, "unknown entry 'no-fusion'");
  assertThrows(() => parseSwitches("fusion=maybe"), Error, "fusion must be one of none | learnable");
  // The switches reach the networks.
  const teacher = networkConfig("teacher", applyOverrides(p, { ablation: parseAblation("no-text") }), 3);
  assertEquals(teacher.kind === "teacher" && [teacher.fusion, teacher.text], ["learnable", false]);
});

Deno.test("config: changing iterations rescales the ramp (4000 of 15000)", () => {
  assertEquals(scaledRampLength(15000), 4000);
  assertEquals(scaledRampLength(600), 160);
  assertEquals(scaledRampLength(1), 1);
  const c = applyOverrides(validateTrainConfig(MIN), { iterations: 300 });
  assertEquals([c.iterations, c.rampUp.length], [300, 80]);
});

Deno.test("config: every configs/*.json validates; paper = docs/METHOD.md section 7", async () => {
  const names: string[] = [];
  for await (const e of Deno.readDir(CONFIGS)) if (e.name.endsWith(".json")) names.push(e.name);
  for (const ds of ["kvasir", "nci-isbi", "isic", "synthetic"]) {
    for (const prof of ["paper", "cpu", "smoke"]) {
      assert(names.includes(`${ds}.${prof}.json`), `missing ${ds}.${prof}.json`);
    }
  }
  for (const n of names) {
    const c = await loadTrainConfig(CONFIGS + n);
    assertEquals(`${c.dataset}.${c.profile}.json`, n);
    assert(c.notes.length > 40, `${n}: notes should say what the profile is`);
    assertEquals(c.gaze.levels, c.dataset === "nci-isbi" ? [0.2, 0.4] : [0.5, 0.3]);
    if (c.profile === "paper") {
      assertEquals([c.imageSize, c.batchSize, c.iterations, c.evalEvery, c.rampUp.length], [224, 8, 15000, 1000, 4000]);
      assertEquals(c.models.teacher, [64, 128, 256, 512, 1024, 128]);
      assertEquals(c.models.student, [32, 64, 128, 256, 512, 32]);
      assertEquals(c.models.unet, [64, 128, 256, 512, 1024, 128]);
      // RoBERTa-base tokens (the released teacher's text_proj = Linear(768, C))
      assertEquals(c.text, { encoder: "transformers", length: 6, dim: 768 });
    } else {
      assertEquals(c.rampUp.length, scaledRampLength(c.iterations), `${n}: ramp scaled to the iterations`);
    }
  }
  await assertRejects(() => loadTrainConfig(CONFIGS + "nope.json"), Error, "nope.json: cannot read the config");
});

Deno.test("config: a run records every switch in force; recorded and current configs differ field by field", () => {
  const paper = applyOverrides(validateTrainConfig(MIN), { variant: "paper", switches: { cutMix: "shared" } });
  const rec = withResolvedSwitches(paper);
  assertEquals(rec.switches, { ...VARIANT_SWITCHES.paper, cutMix: "shared" });
  assertEquals(Object.keys(rec.switches).length, Object.keys(VARIANT_SWITCHES.code).length);
  assertEquals(withResolvedSwitches(rec), rec, "idempotent");
  assertEquals(resolveSwitches(rec), resolveSwitches(paper), "same behaviour");
  assertEquals(validateTrainConfig(rec), rec, "the record validates as a config");
  assertEquals(runLabel("fgi", rec), runLabel("fgi", paper), "same label");
  // A run recorded before a preset changed: its switches are compared as written, not re-resolved.
  const code = withResolvedSwitches(validateTrainConfig(MIN));
  const older = { ...code, switches: { ...code.switches, cutMix: "shared" }, iterations: 21 };
  assertEquals(configDifferences(older, code), ["switches.cutMix: shared -> per-direction", "iterations: 21 -> 20"]);
  const { rampStart: _r, ...fewer } = code.switches;
  assertEquals(configDifferences({ ...code, switches: fewer }, code), ["switches.rampStart: not recorded -> one"]);
  assertEquals(configDifferences({ ...code, switches: {} }, code).length, Object.keys(code.switches).length);
  assertEquals(configDifferences(code, structuredClone(code)), []);
  assertEquals(configDifferences({ gaze: { levels: [0.5, 0.3] } }, { gaze: { levels: [0.4, 0.2] } }), [
    "gaze.levels: [0.5,0.3] -> [0.4,0.2]",
  ]);
});

Deno.test("config: fgi.darm.ringProbability is optional, validated, and absent from every planned run's config", async () => {
  const base = validateTrainConfig(MIN);
  assertEquals(Object.keys(base.fgi.darm), ["ratio", "minBlock", "maxBlock"], "not filled in by default");
  assert(!("ringProbability" in darmOptionsFor(base, new Rng(0))), "DARM's own default (0.5) applies");
  const mixed = validateTrainConfig({
    ...MIN,
    switches: { darmPlacement: "mixed" },
    fgi: { darm: { ringProbability: 0.25 } },
  });
  assertEquals(mixed.fgi.darm, { ratio: 0.3, minBlock: 3, maxBlock: 10, ringProbability: 0.25 });
  const opts = darmOptionsFor(mixed, new Rng(0));
  assertEquals([opts.placement, opts.ringProbability], ["mixed", 0.25]);
  assertEquals(runLabel("fgi", mixed), "fgi-code-darmPlacement=mixed-ringProbability=0.25");
  assertEquals(
    runLabel("fgi", applyOverrides(mixed, { ringProbability: 1 })),
    "fgi-code-darmPlacement=mixed-ringProbability=1",
  );
  assertEquals(runLabel("fgi", { ...mixed, switches: {} }), "fgi-code", "ignored without the mixed placement");
  assertEquals(parseSwitches("darmPlacement=mixed"), { darmPlacement: "mixed" });
  for (const bad of [-0.5, 1.01, "0.5"]) {
    assertThrows(
      () => validateTrainConfig({ ...MIN, fgi: { darm: { ringProbability: bad } } }, { source: "x.json" }),
      Error,
      "x.json: field 'fgi.darm.ringProbability' must be a number",
    );
  }
  // The runs of every shipped config and every table (all groups, 3 seeds) serialise as before:
  // no `ringProbability` key, fgi.darm keys unchanged (what reproduce compares byte for byte).
  for (const f of [...Deno.readDirSync(CONFIGS)].map((e) => e.name).filter((n) => n.endsWith(".json"))) {
    const cfg = await loadTrainConfig(CONFIGS + f);
    const plan = experimentPlan(cfg, {
      groups: EXPERIMENT_GROUPS,
      seeds: [0, 1, 2],
      paperSwitches: VARIANT_SWITCHES.paper,
    });
    for (const spec of plan.runs) {
      const text = JSON.stringify(runConfig(cfg, spec), null, 2);
      assert(!text.includes("ringProbability"), `${f} ${spec.id}`);
      assertEquals(Object.keys(JSON.parse(text).fgi.darm), ["ratio", "minBlock", "maxBlock"], `${f} ${spec.id}`);
    }
  }
});
