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
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../../lib/core/rng.ts";
import { drawCutMixBox } from "../../lib/losses/cutmix.ts";
import { cwcInputs } from "../../lib/train/methods/fgi.ts";

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
  assert(r.stats.darm_candidates > 0 && r.stats.darm_masked >= Math.floor(0.3 * r.stats.darm_candidates));
  assertEquals(Object.keys(r.lr).sort(), ["student", "teacher"]);
  // The released ConsistencyWeight(iter_num) with iter_num = 1 at the first step: w(1) of a ramp of 4.
  const [q] = await steps({ iterations: 1, rampLength: 4 });
  assertEquals(q.w, Math.exp(-5 * 0.75 * 0.75));
  const [z] = await steps({ iterations: 1, rampLength: 4, switches: parseSwitches("rampStart=zero") });
  assertEquals(z.w, Math.exp(-5));
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

Deno.test("fgi CWC inputs as the released _update: clean + noise, own CutMix per direction", () => {
  const B = 3, S = 16, C = 3, n = B * S * S * C;
  // Clean image: sample b is b + 1 everywhere; the DARM-masked image is all zeros.
  const clean = tf.tidy(() => tf.mul(tf.ones([B, S, S, C]), tf.reshape(tf.tensor1d([1, 2, 3]), [B, 1, 1, 1])));
  const masked = tf.zeros([B, S, S, C]);
  const images = { clean: clean as tf.Tensor4D, masked: masked as tf.Tensor4D };
  const opts = { teacher: true, noise: 0.2, alpha: 4 } as const;
  const before = tf.memory().numTensors;
  const r = cwcInputs(images, { ...opts, rng: new Rng(9), cutMix: "per-direction", studentInput: "clean" });
  // The same draws replayed by hand, in the released order: noise_T, CutMix_1, noise_S, CutMix_2.
  const rng = new Rng(9);
  const noise = () => Float64Array.from({ length: n }, () => (rng.next() * 2 - 1) * 0.2);
  const nT = noise(), boxT = drawCutMixBox(B, { height: S, width: S }, { rng });
  const nS = noise(), boxS = drawCutMixBox(B, { height: S, width: S }, { rng });
  assertEquals(r.teacher!.box, boxT);
  assertEquals(r.student.box, boxS);
  assertNotEquals(boxT, boxS, "each direction draws its own CutMix");
  for (const [got, nz, box] of [[r.teacher!.input, nT, boxT], [r.student.input, nS, boxS]] as const) {
    const v = got.dataSync();
    for (let b = 0; b < B; b++) {
      const bx = box.boxes[b];
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          const inside = y >= bx.y0 && y < bx.y1 && x >= bx.x0 && x < bx.x1;
          const src = inside ? box.permutation[b] : b;
          const i = ((src * S + y) * S + x) * C; // the pasted pixel carries the source sample's noise
          assert(Math.abs(v[((b * S + y) * S + x) * C] - (src + 1 + nz[i])) < 1e-5, `b${b} (${y}, ${x})`);
        }
      }
    }
  }
  tf.dispose([r.teacher!.input, r.student.input]);
  // Earlier reading: the student's CWC input starts from the masked image; one shared box drawn first.
  const old = cwcInputs(images, { ...opts, rng: new Rng(9), cutMix: "shared", studentInput: "masked" });
  const rng2 = new Rng(9);
  const shared = drawCutMixBox(B, { height: S, width: S }, { rng: rng2, perSample: false });
  assertEquals(old.teacher!.box, shared);
  assertEquals(old.student.box, shared);
  assert(old.student.input.dataSync().every((v) => Math.abs(v) <= 0.2), "masked (zero) image + noise");
  tf.dispose([old.teacher!.input, old.student.input]);
  assertEquals(tf.memory().numTensors, before);
  tf.dispose([clean, masked]);
});
