/**
 * The evaluation glue (docs/METHOD.md section 8): predictions at the training size are upsampled
 * bilinearly to each ground truth's ORIGINAL size before thresholding; the scores match a direct
 * computation; text is handed to networks that need it; CSV / JSON outputs.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../assert.ts";
import type { Dataset, Sample } from "../../lib/data/types.ts";
import { resize } from "../../lib/data/resize.ts";
import { evaluateMethod, evaluationCsv, evaluatorFor, writeEvaluation } from "../../lib/metrics/evaluate.ts";
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
