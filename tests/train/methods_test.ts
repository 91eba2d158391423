/**
 * The FGI switches and ablations are config switches of the one loop: each changes exactly the
 * terms it names. The paper variant's teacher-first schedule trains the teacher alone, then the
 * student against the frozen teacher.
 */
import { join } from "node:path";
import { assert, assertEquals, assertNotEquals } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { openSynthetic } from "../../lib/data/synthetic.ts";
import { decodeSafetensors } from "../../lib/models/safetensors.ts";
import type { DescriptionEncoder } from "../../lib/text/embedding.ts";
import { applyOverrides, parseAblation, parseSwitches, validateTrainConfig } from "../../lib/train/config.ts";
import { type LogRecord, train } from "../../lib/train/loop.ts";
import { syntheticSupervision } from "../../lib/train/supervision.ts";

await selectBackend("wasm", { quiet: true });

const SYN = { seed: 1, train: 8, test: 4, size: 64 };
const dataset = openSynthetic(SYN);
const base = validateTrainConfig({
  dataset: "synthetic",
  profile: "smoke",
  synthetic: SYN,
  imageSize: 32,
  batchSize: 4,
  iterations: 2,
  evalEvery: 100,
  models: { teacher: [8, 8, 16, 16, 32, 8], student: [8, 8, 16, 16, 32, 8], unet: [8, 8, 16, 16, 32, 8] },
  rampUp: { length: 1 },
});
let textCalls = 0;
const constantEncoder: DescriptionEncoder = {
  name: "use-lite",
  dim: 512,
  info: { toy: "constant (tests only)" },
  encode: () => Promise.resolve({ data: new Float32Array(6 * 512).fill(0.1), shape: [6, 512] as [number, number] }),
  encodeTexts: () => Promise.reject(new Error("toy")),
  dispose: () => Promise.resolve(),
};
const inner = syntheticSupervision(dataset, base, { encoder: constantEncoder });
const supervision = { ...inner, text: (id: string) => (textCalls++, inner.text(id)) };

/** All values of a safetensors file (weights and BatchNorm statistics), name -> values. */
async function tensors(path: string): Promise<Record<string, number[]>> {
  const { tensors } = decodeSafetensors(await Deno.readFile(path));
  return Object.fromEntries([...tensors].map(([k, e]) => [k, [...e.data]]));
}

async function steps(patch: Parameters<typeof applyOverrides>[1], outDir?: string, stopAfter?: number) {
  const out = outDir ?? await Deno.makeTempDir({ prefix: "methods_" });
  const recs: Extract<LogRecord, { type: "step" }>[] = [];
  try {
    await train({
      config: applyOverrides(base, patch),
      method: "fgi",
      outDir: out,
      dataset,
      supervision,
      quiet: true,
      stopAfter,
      onLog: (r) => void (r.type === "step" && recs.push(r)),
    });
  } finally {
    if (!outDir) await Deno.remove(out, { recursive: true });
  }
  return recs;
}

Deno.test("fgi code variant: every term of L = L_T + L_S + w(CWC_T + CWC_S) + 0.1 w AFC, DARM on", async () => {
  const [r] = await steps({ iterations: 1 });
  assertEquals(Object.keys(r.losses).sort(), ["AFC", "CWC_S", "CWC_T", "L_S", "L_T", "total"]);
  const l = r.losses;
  const expected = l.L_T + l.L_S + r.w * (l.CWC_T + l.CWC_S) + 0.1 * r.w * l.AFC;
  assert(Math.abs(l.total - expected) < 1e-5, `total ${l.total} vs ${expected}`);
  assert(r.stats.darm_candidates > 0 && r.stats.darm_masked >= 0.3 * r.stats.darm_candidates);
  assertEquals(Object.keys(r.lr).sort(), ["student", "teacher"]);
});

Deno.test("fgi ablations drop exactly their term", async () => {
  const terms = async (abl: string) => {
    const [r] = await steps({ iterations: 1, ablation: parseAblation(abl) });
    return { keys: Object.keys(r.losses).sort(), stats: Object.keys(r.stats) };
  };
  assertEquals((await terms("no-afc")).keys, ["CWC_S", "CWC_T", "L_S", "L_T", "total"]);
  assertEquals((await terms("no-cwc")).keys, ["AFC", "L_S", "L_T", "total"]);
  const noDarm = await terms("no-darm");
  assertEquals(noDarm.keys, ["AFC", "CWC_S", "CWC_T", "L_S", "L_T", "total"]);
  assert(!noDarm.stats.includes("darm_candidates"));
  const before = textCalls;
  assertEquals((await terms("no-text")).keys, ["AFC", "CWC_S", "CWC_T", "L_S", "L_T", "total"]);
  assertEquals(textCalls, before, "the no-text teacher never asks for text");
});

Deno.test("fgi switches: prediction-disagreement DARM, partial-CE teacher, both-confident CWC run", async () => {
  const [r] = await steps({
    iterations: 1,
    switches: parseSwitches("darmSource=prediction,teacherLoss=partial-ce,cwcConfidence=both,fusion=learnable"),
  });
  assert("darm_candidates" in r.stats);
  assertEquals(Object.keys(r.losses).sort(), ["AFC", "CWC_S", "CWC_T", "L_S", "L_T", "total"]);
});

Deno.test("fgi paper variant: teacher alone, then the student against the frozen teacher (Adam)", async () => {
  const out = await Deno.makeTempDir({ prefix: "paper_" });
  try {
    const first = await steps({ variant: "paper", iterations: 4 }, out, 2);
    assertEquals(first.map((r) => r.phase), ["teacher", "teacher"]);
    for (const r of first) assertEquals(Object.keys(r.losses).sort(), ["L_T", "total"]);
    assertEquals(first[0].lr, { teacher: 1e-3 });
    const teacherAfterPhase1 = await tensors(join(out, "checkpoints/last/teacher.safetensors"));
    const studentAfterPhase1 = await tensors(join(out, "checkpoints/last/student.safetensors"));
    const second = await steps({ variant: "paper", iterations: 4 }, out);
    assertEquals(second.map((r) => r.phase), ["student", "student"]);
    for (const r of second) assertEquals(Object.keys(r.losses).sort(), ["AFC", "CWC_S", "L_S", "total"]);
    assertEquals(second[0].lr, { student: 1e-3 }, "each phase has its own schedule");
    assertEquals(second[0].w, Math.exp(-5), "the ramp restarts with the phase");
    assertEquals(await tensors(join(out, "checkpoints/last/teacher.safetensors")), teacherAfterPhase1);
    assertNotEquals(await tensors(join(out, "checkpoints/last/student.safetensors")), studentAfterPhase1);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
