/**
 * The evaluation glue (docs/METHOD.md section 8): predictions at the training size are upsampled
 * bilinearly to each ground truth's ORIGINAL size before thresholding; the scores match a direct
 * computation; text is handed to networks that need it; CSV / JSON outputs.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../assert.ts";
import type { Dataset, Sample } from "../../lib/data/types.ts";
import { resize } from "../../lib/data/resize.ts";
import {
  darmTestImages,
  evaluateMethod,
  evaluateNetworks,
  evaluationCsv,
  evaluatorFor,
  writeEvaluation,
} from "../../lib/metrics/evaluate.ts";
import { buildTrainingProbe, probeOutputs, type TrainingProbe } from "../../lib/metrics/training_probe.ts";
import { validateTrainConfig } from "../../lib/train/config.ts";
import { deriveSeed, Rng } from "../../lib/core/rng.ts";
import { darmGaze } from "../../lib/darm/gaze.ts";
import type { TrainMethod } from "../../lib/train/methods/types.ts";
import type { Supervision } from "../../lib/train/supervision.ts";

await tf.setBackend("cpu");

/** Two test images of different original sizes, each a bright square on black, GT = the square. */
function square(id: string, w: number, h: number, box: [number, number, number, number]): Sample {
  const img = new Uint8Array(w * h * 3), mask = new Uint8Array(w * h);
  for (let y = box[1]; y < box[3]; y++) {
    for (let x = box[0]; x < box[2]; x++) {
      mask[y * w + x] = 1;
      img.fill(255, (y * w + x) * 3, (y * w + x) * 3 + 3);
    }
  }
  return {
    id,
    image: { width: w, height: h, channels: 3, data: img },
    mask: { width: w, height: h, channels: 1, data: mask },
    info: { dataset: "synthetic", width: w, height: h, source: `mem:${id}` },
  };
}
const samples = [square("a", 48, 32, [8, 8, 30, 24]), square("b", 20, 40, [0, 0, 10, 20])];
const dataset: Dataset = {
  name: "synthetic",
  channels: 3,
  root: "synthetic",
  ids: (split) => (split === "test" ? samples.map((s) => s.id) : []),
  load: (id) => Promise.resolve(samples.find((s) => s.id === id)!),
};

/** A "method" whose foreground logit is (normalised red channel) - 0.5: bright pixels positive. */
function brightness(textSeen: number[][] = []): TrainMethod {
  return {
    name: "fullsup",
    needs: { masks: true, gaze: false, text: false },
    networks: new Map([["unet", { config: { kind: "unet" } }], ["teacher", {
      config: { kind: "teacher", textLen: 2, textDim: 3 },
    }]]) as unknown as TrainMethod["networks"],
    reported: "unet",
    phases: () => [],
    optimizerFor: () => {
      throw new Error("unused");
    },
    prepare: () => {
      throw new Error("unused");
    },
    predict(image, opts = {}) {
      if (opts.text) textSeen.push([...opts.text.dataSync()]);
      return tf.tidy(() => tf.sub(tf.slice(image, [0, 0, 0, 0], [-1, -1, -1, 1]), 0.5) as tf.Tensor4D);
    },
    needsText: (n) => n === "teacher",
    attention: () => [],
    dispose() {},
  };
}

Deno.test("evaluate: logits upsampled to each GT's original size, scores as computed directly", async () => {
  const before = tf.memory().numTensors;
  const ev = await evaluateMethod(brightness(), dataset, { imageSize: 16, quiet: true });
  assertEquals(ev.rows.map((r) => [r.id, r.width, r.height]), [["a", 48, 32], ["b", 20, 40]]);
  for (const [i, s] of samples.entries()) {
    // Reference: the normalised red channel at 16 px (bilinear), its logit upsampled bilinearly, > 0.
    const small = resize(s.image, { width: 16, height: 16, mode: "bilinear" });
    const logit = new Float32Array(256);
    for (let p = 0; p < 256; p++) logit[p] = (Math.round(small.data[p * 3]) / 255 - 0.485) / 0.229 - 0.5;
    const up = resize({ width: 16, height: 16, channels: 1, data: logit }, {
      width: s.image.width,
      height: s.image.height,
      mode: "bilinear",
    });
    let inter = 0, p = 0, g = 0;
    for (let k = 0; k < up.data.length; k++) {
      const pr = up.data[k] > 0 ? 1 : 0;
      p += pr;
      g += s.mask!.data[k];
      inter += pr * s.mask!.data[k];
    }
    assertAlmostEquals(ev.rows[i].dice, (2 * inter) / (p + g + 1e-7), 1e-9);
    assert(ev.rows[i].hd95 !== null && ev.rows[i].unit === "px");
  }
  assertAlmostEquals(ev.summary.dice.mean!, (ev.rows[0].dice + ev.rows[1].dice) / 2, 1e-12);
  assertEquals(tf.memory().numTensors, before);
  // limit, Dice-only mode
  const one = await evaluateMethod(brightness(), dataset, { imageSize: 16, limit: 1, surface: false, quiet: true });
  assertEquals(one.rows.length, 1);
  assertEquals(one.rows[0].hd95, null);
  assertAlmostEquals(one.rows[0].dice, ev.rows[0].dice, 1e-12);
});

Deno.test("evaluate: networks that need text get each image's tokens; missing supervision is an error", async () => {
  const seen: number[][] = [];
  const sup: Supervision = {
    crf: () => Promise.reject(new Error("unused")),
    heatmap: () => Promise.reject(new Error("unused")),
    text: (id) => Promise.resolve(Float32Array.from({ length: 6 }, (_, k) => (id === "a" ? 1 : 2) * (k + 1))),
    source: {},
    dispose: () => Promise.resolve(),
  };
  await evaluateMethod(brightness(seen), dataset, { imageSize: 16, network: "teacher", supervision: sup, quiet: true });
  assertEquals(seen, [[1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12]]);
  await assertRejects(
    () => evaluateMethod(brightness(), dataset, { imageSize: 16, network: "teacher", quiet: true }),
    Error,
    "needs text",
  );
  await assertRejects(
    () => evaluateMethod(brightness(), dataset, { imageSize: 16, network: "student" }),
    Error,
    "not a network",
  );
  const fn = evaluatorFor(dataset, { imageSize: 16, supervision: sup, alsoNetworks: ["teacher"], quiet: true });
  const m = await fn(brightness(), { iteration: 1, final: false, limit: 0 });
  assertEquals(Object.keys(m).sort(), ["dice", "iou", "n", "teacher_dice"]);
  const f = await fn(brightness(), { iteration: 2, final: true, limit: 0 });
  assert("hd95" in f && "asd" in f, "the final evaluation has surface metrics");
});

Deno.test("evaluate: CSV and JSON outputs with provenance", async () => {
  const ev = await evaluateMethod(brightness(), dataset, { imageSize: 16, quiet: true });
  const csv = evaluationCsv(ev).trim().split("\n");
  assertEquals(csv[0], "id,dice,iou,hd95,asd,assd,unit,pred_empty,gt_empty,width,height");
  assertEquals(csv.length, 3);
  assert(csv[1].startsWith("a,"));
  const dir = await Deno.makeTempDir();
  try {
    const paths = await writeEvaluation(ev, dir, { stem: "x", extra: { checkpoint: "c" } });
    const json = JSON.parse(await Deno.readTextFile(paths.json));
    assertEquals([json.n, json.checkpoint, json.network], [2, "c", "unet"]);
    assert(json.summary.dice.ci && json.provenance.commit);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * A two-network "FGI" with constant 2-channel logits: teacher [z0, z1] = [1, 0.5] (sigmoid(z1) > 0.5
 * everywhere, argmax background everywhere), student [1, -3] (background, confident). The mean of
 * the foreground logits is -1.25 (background).
 */
function pair(): TrainMethod {
  const base = brightness();
  const logits = (image: tf.Tensor4D, network: string) =>
    tf.tidy(() => {
      const [b, h, w] = image.shape;
      const [z0, z1] = network === "teacher" ? [1, 0.5] : [1, -3];
      return tf.concat([tf.fill([b, h, w, 1], z0), tf.fill([b, h, w, 1], z1)], 3) as tf.Tensor4D;
    });
  return {
    ...base,
    name: "fgi",
    needs: { masks: false, gaze: true, text: false },
    networks: new Map([["teacher", { config: { kind: "teacher", textLen: 2, textDim: 3 } }], ["student", {
      config: { kind: "student" },
    }]]) as unknown as TrainMethod["networks"],
    reported: "student",
    needsText: () => false,
    outputs: (image, opts = {}) => logits(image, opts.network ?? "student"),
    predict: (image, opts = {}) =>
      tf.tidy(() => tf.slice(logits(image, opts.network ?? "student"), [0, 0, 0, 1], [-1, -1, -1, 1])),
  };
}

/** Dice of an all-foreground prediction against sample s's ground truth. */
function allForegroundDice(s: Sample): number {
  const g = s.mask!.data.reduce((a, v) => a + v, 0);
  return (2 * g) / (s.mask!.width * s.mask!.height + g + 1e-7);
}

Deno.test("evaluate: teacher, student and mean of their logits in one pass (released validate), hand-worked", async () => {
  const before = tf.memory().numTensors;
  const r = await evaluateNetworks(pair(), dataset, {
    imageSize: 16,
    networks: ["student", "teacher"],
    mean: true,
    outputStats: {},
    quiet: true,
  });
  assertEquals(Object.keys(r.evaluations), ["student", "teacher", "mean"]);
  assertEquals(r.evaluations.student.rows.map((x) => x.dice), [0, 0]);
  assertEquals(r.evaluations.mean.rows.map((x) => x.dice), [0, 0], "mean logit -1.25 is background");
  r.evaluations.teacher.rows.forEach((row, i) => assertAlmostEquals(row.dice, allForegroundDice(samples[i]), 1e-9));
  // Surface metrics for the first network only.
  assert(r.evaluations.student.rows[0].predEmpty && r.evaluations.teacher.rows[0].hd95 === null);
  const t = r.outputs.teacher, st = r.outputs.student;
  assertEquals([t.logit0, t.logit1, t.fg_sigmoid, t.fg_argmax, t.cwc_pos, t.cwc_neg], [1, 0.5, 1, 0, 0, 0]);
  assertEquals([st.logit0, st.logit1, st.fg_sigmoid, st.fg_argmax, st.cwc_pos, st.cwc_neg], [1, -3, 0, 0, 1, 1]);
  assertAlmostEquals(t.dice, r.evaluations.teacher.summary.dice.mean!, 1e-12);
  assertEquals(tf.memory().numTensors, before);
});

Deno.test("evaluate: the training evaluator logs teacher, student, mean and the output statistics; no leak", async () => {
  // Gaze map 0.6 inside each GT square, 0.4 elsewhere: M_hc = the square, M_bc = everything.
  const sup: Supervision = {
    crf: (id) => {
      const s = samples.find((x) => x.id === id)!;
      const data = Float32Array.from(s.mask!.data, (v) => (v ? 0.6 : 0.4));
      return Promise.resolve({ width: s.mask!.width, height: s.mask!.height, channels: 1, data });
    },
    heatmap: () => Promise.reject(new Error("unused")),
    text: () => Promise.reject(new Error("unused")),
    source: {},
    dispose: () => Promise.resolve(),
  };
  const both: Dataset = { ...dataset, ids: () => samples.map((s) => s.id) };
  const config = validateTrainConfig({
    dataset: "synthetic",
    profile: "smoke",
    imageSize: 16,
    batchSize: 2,
    iterations: 1,
  });
  const fn = evaluatorFor(both, { imageSize: 16, supervision: sup, config, quiet: true });
  const ctx = { iteration: 1, final: false, limit: 0 };
  await fn(pair(), ctx); // the first call builds the probe
  const before = tf.memory().numTensors;
  const m = await fn(pair(), ctx);
  assertEquals(tf.memory().numTensors, before, "repeated evaluations keep the tensor count");
  assertEquals(m.dice, 0);
  assertAlmostEquals(m.teacher_dice, (allForegroundDice(samples[0]) + allForegroundDice(samples[1])) / 2, 1e-9);
  assertEquals(m.mean_dice, 0);
  for (const input of ["test", "train_clean", "train_masked"]) {
    assertEquals(m[`dyn/${input}/teacher/fg_sigmoid`], 1, input);
    assertEquals(m[`dyn/${input}/student/cwc_pos`], 1, input);
    assertEquals(m[`dyn/${input}/student/logit1`], -3, input);
    assert(`dyn/${input}/teacher/dice` in m, input);
  }
  assertEquals(m["dyn/train_clean/student/dice"], 0);
  // The probe's masked input: DARM blocks (zeros) around the pixels where M_hc != M_bc (outside the squares).
  const probe = await buildTrainingProbe(both, config, sup);
  assertEquals(probe.ids, ["a", "b"]);
  assert(probe.darm.candidates > 0 && probe.darm.maskedArea >= Math.floor(0.3 * probe.darm.candidates));
  const zeroed = probe.masked.filter((v, i) => v === 0 && probe.clean[i] !== 0).length;
  assert(zeroed > 0, "the masked input has DARM blocks");
  assert(probe.mask !== null && probe.mask.length === 2 * 16 * 16);
});

Deno.test("training probe: Dice against the training-size ground truth, clean and masked inputs", async () => {
  const shape: [number, number, number, number] = [1, 4, 4, 3];
  const mask = new Float32Array(16);
  mask.fill(1, 0, 4); // first row foreground
  const probe: TrainingProbe = {
    ids: ["x"],
    shape,
    clean: new Float32Array(48),
    masked: new Float32Array(48),
    mask,
    text: null,
    textShape: [2, 3],
    darm: { candidates: 0, maskedArea: 0 },
    thresholds: { tauPos: 0.8, tauNeg: 0.2 },
  };
  const before = tf.memory().numTensors;
  const out = await probeOutputs(pair(), probe, ["teacher", "student"]);
  assertEquals(tf.memory().numTensors, before);
  // Teacher: all 16 pixels foreground, 4 true: Dice = 8 / 20.
  assertAlmostEquals(out.clean.teacher.dice, 8 / 20, 1e-6);
  assertEquals(out.masked.student.dice, 0);
  assertEquals(out.masked.teacher.fg_argmax, 0);
});

Deno.test("evaluate: DARM-masked test images from each image's own gaze levels (diagnostic), independent of batching", async () => {
  // Image 0: gaze 0.6 on the left half, 0.4 elsewhere (levels 0.5 / 0.3: M_hc = left half, M_bc = all).
  const S = 16, px = S * S;
  const crf = new Float32Array(2 * px);
  for (let b = 0; b < 2; b++) for (let q = 0; q < px; q++) crf[b * px + q] = q % S < S / 2 ? 0.6 : 0.4;
  const images = Float32Array.from({ length: 2 * px * 3 }, (_, i) => 1 + (i % 5));
  const config = validateTrainConfig({
    dataset: "synthetic",
    profile: "smoke",
    imageSize: 16,
    batchSize: 2,
    iterations: 1,
  });
  const batch = {
    ids: ["a", "b"],
    shape: [2, S, S, 3] as [number, number, number, number],
    images,
    masks: null,
    maps: { crf: { shape: [2, S, S, 1] as [number, number, number, number], data: crf } },
    flips: [],
    infos: [],
  } as unknown as Parameters<typeof darmTestImages>[0];
  const out = darmTestImages(batch, config);
  // Each image equals DARM on that image alone with the generator derived from its id.
  for (const [b, id] of ["a", "b"].entries()) {
    const mhc = Float32Array.from({ length: px }, (_, q) => (q % S < S / 2 ? 1 : 0));
    const r = darmGaze({
      image: images.subarray(b * px * 3, (b + 1) * px * 3),
      mhc,
      mbc: new Float32Array(px).fill(1),
      shape: { batch: 1, height: S, width: S, channels: 3 },
    }, { rng: new Rng(deriveSeed(config.seed, `test-darm:${id}`)) });
    assertEquals(Array.from(out.subarray(b * px * 3, (b + 1) * px * 3)), Array.from(r.image));
    assert(r.maskedArea >= Math.floor(0.3 * 128) && r.maskedArea > 0);
  }
  // Masked-test scoring through the evaluator: a brightness "student" sees the zeroed blocks.
  const sup: Supervision = {
    crf: (id) => {
      const s = samples.find((x) => x.id === id)!;
      const data = Float32Array.from(s.mask!.data, (v) => (v ? 0.6 : 0.4));
      return Promise.resolve({ width: s.mask!.width, height: s.mask!.height, channels: 1, data });
    },
    heatmap: () => Promise.reject(new Error("unused")),
    text: () => Promise.reject(new Error("unused")),
    source: {},
    dispose: () => Promise.resolve(),
  };
  const before = tf.memory().numTensors;
  const fn = evaluatorFor(dataset, {
    imageSize: 16,
    supervision: sup,
    config,
    maskedTest: true,
    dynamics: false,
    quiet: true,
  });
  const m = await fn(brightness(), { iteration: 1, final: false, limit: 0 });
  assertEquals(tf.memory().numTensors, before);
  assert("masked_dice" in m && m.masked_dice !== m.dice, `masked ${m.masked_dice} vs clean ${m.dice}`);
  const again = await fn(brightness(), { iteration: 2, final: false, limit: 0 });
  assertEquals(again.masked_dice, m.masked_dice, "the masks are fixed per image");
  await assertRejects(
    () => evaluateNetworks(brightness(), dataset, { imageSize: 16, networks: ["unet"], darmInput: { config } }),
    Error,
    "gaze maps",
  );
});
