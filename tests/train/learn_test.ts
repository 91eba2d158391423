/**
 * Smoke training of every method on the synthetic dataset (simulated gaze + CRF maps on the fly,
 * text from a tiny deterministic encoder so no sentence model has to load): the loss falls and the
 * reported network's test Dice beats the chance level of predicting everything as foreground.
 * Also: tensor memory stays constant across iterations, and gradient accumulation over two
 * micro-batches reproduces the one-batch update.
 */
import * as tf from "@tensorflow/tfjs";
import { assert, assertAllClose, assertEquals, assertRejects } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { openSynthetic } from "../../lib/data/synthetic.ts";
import { evaluatorFor } from "../../lib/metrics/evaluate.ts";
import type { DescriptionEncoder } from "../../lib/text/embedding.ts";
import { fieldSentences } from "../../lib/text/schema.ts";
import { type MethodName, validateTrainConfig, VARIANT_SWITCHES } from "../../lib/train/config.ts";
import { type LogRecord, train } from "../../lib/train/loop.ts";
import { loadTrainedMethod } from "../../lib/train/trained.ts";
import { syntheticSupervision } from "../../lib/train/supervision.ts";

await selectBackend("wasm", { quiet: true });

const SYN = { seed: 0, train: 24, test: 8, size: 64 };
/** Iterations per method: FGI's student (with DARM and the consistency terms) needs a few more to leave the all-background start. */
const ITERS: Record<MethodName, number> = { fullsup: 48, gaze1: 48, gazemedseg: 48, fgi: 60 };
const LR = Number(Deno.env.get("LEARN_LR") ?? 0.05);

/** Six field sentences -> six 512-d rows from a hash of each sentence (deterministic, instant). */
const toyEncoder: DescriptionEncoder = {
  name: "use-lite",
  dim: 512,
  info: { toy: "hashed sentences (tests only)" },
  encode(d) {
    const data = new Float32Array(6 * 512);
    fieldSentences(d).forEach((s, i) => {
      let h = 7;
      for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
      for (let j = 0; j < 512; j++) data[i * 512 + j] = Math.sin(h * 1e-3 + j);
    });
    return Promise.resolve({ data, shape: [6, 512] as [number, number] });
  },
  encodeTexts: () => Promise.reject(new Error("toy encoder")),
  dispose: () => Promise.resolve(),
};

const dataset = openSynthetic(SYN);
const config = (patch: Record<string, unknown> = {}, iters = 48) =>
  validateTrainConfig({
    dataset: "synthetic",
    profile: "smoke",
    synthetic: SYN,
    imageSize: 32,
    batchSize: 4,
    iterations: iters,
    evalEvery: iters,
    models: { teacher: [8, 8, 16, 16, 32, 8], student: [8, 8, 16, 16, 32, 8], unet: [8, 8, 16, 16, 32, 8] },
    optimizer: { lrMax: LR },
    rampUp: { length: Math.round((iters * 4000) / 15000) },
    ...patch,
  });
const supervision = syntheticSupervision(dataset, config(), { encoder: toyEncoder });

/** Mean over test images of Dice(all foreground, GT) = 2|G| / (|G| + N). */
async function chanceDice(): Promise<number> {
  let sum = 0;
  const ids = dataset.ids("test");
  for (const id of ids) {
    const m = (await dataset.load(id)).mask!;
    const g = m.data.reduce((a, v) => a + v, 0);
    sum += (2 * g) / (g + m.data.length);
  }
  return sum / ids.length;
}

for (const method of ["fullsup", "gaze1", "gazemedseg", "fgi"] as MethodName[]) {
  Deno.test(`smoke training of ${method} learns on the synthetic data`, async () => {
    const out = await Deno.makeTempDir({ prefix: `learn_${method}_` });
    try {
      const losses: number[] = [];
      const cfg = config({}, ITERS[method]);
      const result = await train({
        config: cfg,
        method,
        outDir: out,
        dataset,
        supervision,
        evaluate: evaluatorFor(dataset, { imageSize: cfg.imageSize, supervision, quiet: true }),
        quiet: true,
        onLog: (r: LogRecord) => void (r.type === "step" && losses.push(r.losses.total)),
      });
      assertEquals(losses.length, ITERS[method]);
      const k = 8;
      const head = losses.slice(0, k).reduce((a, b) => a + b) / k, tail = losses.slice(-k).reduce((a, b) => a + b) / k;
      assert(tail < head, `${method}: loss did not fall (first ${k}: ${head}, last ${k}: ${tail})`);
      const chance = await chanceDice();
      const dice = result.last!.metrics.dice;
      assert(dice > chance + 0.15, `${method}: test Dice ${dice} is not above chance ${chance} + 0.15`);
      // The checkpoint reproduces the in-loop evaluation.
      const trained = await loadTrainedMethod(result.checkpoints.last);
      try {
        const again = await evaluatorFor(dataset, { imageSize: 32, supervision, quiet: true })(trained.method, {
          iteration: ITERS[method],
          final: true,
          limit: 0,
        });
        assertAllClose([again.dice], [dice], 1e-6);
      } finally {
        trained.method.dispose();
      }
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  });
}

Deno.test("tensor count is constant across iterations (fgi with DARM, CutMix, AFC, CWC)", async () => {
  const out = await Deno.makeTempDir({ prefix: "tensors_" });
  try {
    const counts: number[] = [];
    const before = tf.memory().numTensors;
    const cfg = config({ iterations: 6, evalEvery: 2 });
    const evals: Record<string, number>[] = [];
    await train({
      config: cfg,
      method: "fgi",
      outDir: out,
      dataset,
      supervision,
      // With the config: teacher, student and mean, the output statistics (test split and training
      // probe) and the DARM-masked test scoring at every evaluation.
      evaluate: evaluatorFor(dataset, { imageSize: 32, supervision, quiet: true, config: cfg, maskedTest: true }),
      quiet: true,
      onLog: (r) => {
        if (r.type === "step") counts.push(tf.memory().numTensors);
        if (r.type === "eval") evals.push(r.metrics);
      },
    });
    // Step 1 creates the optimiser slots; from then on nothing accumulates, evaluations included.
    assertEquals(new Set(counts.slice(1)).size, 1, `numTensors per step: ${counts}`);
    assertEquals(evals.length, 3);
    for (const k of ["teacher_dice", "mean_dice", "masked_dice", "dyn/train_masked/teacher/cwc_pos"]) {
      assert(evals.every((m) => typeof m[k] === "number"), k);
    }
    assertEquals(tf.memory().numTensors, before, "train() frees everything it made");
    // The run records every FGI switch in force, so a changed preset cannot resume it silently.
    const recorded = JSON.parse(await Deno.readTextFile(`${out}/run.json`)).config.switches;
    assertEquals(recorded, VARIANT_SWITCHES.code);
    const shared = { ...cfg, switches: { cutMix: "shared" as const } };
    const err = await assertRejects(
      () => train({ config: shared, method: "fgi", outDir: out, dataset, supervision, quiet: true }),
      Error,
      "different config",
    );
    assert(err.message.includes("switches.cutMix: per-direction -> shared"), err.message);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a finished run is not retrained; a different config in the same folder is refused", async () => {
  const out = await Deno.makeTempDir({ prefix: "done_" });
  try {
    const cfg = config({ iterations: 2 });
    const first = await train({ config: cfg, method: "fullsup", outDir: out, dataset, quiet: true });
    assertEquals([first.iterations, first.alreadyDone], [2, false]);
    const w = await Deno.readFile(`${out}/checkpoints/last/unet.safetensors`);
    const again = await train({ config: cfg, method: "fullsup", outDir: out, dataset, quiet: true });
    assertEquals([again.iterations, again.alreadyDone], [2, true]);
    assertEquals(await Deno.readFile(`${out}/checkpoints/last/unet.safetensors`), w);
    await assertRejects(
      () => train({ config: config({ iterations: 2, seed: 1 }), method: "fullsup", outDir: out, dataset, quiet: true }),
      Error,
      "different config",
    );
    await assertRejects(
      () => train({ config: cfg, method: "gaze1", outDir: out, dataset, supervision, quiet: true }),
      Error,
      "holds a 'fullsup' run",
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("gradient accumulation over 2 micro-batches reproduces the one-batch update (fullsup)", async () => {
  const weights: Float32Array[] = [];
  for (const accumulate of [1, 2]) {
    const out = await Deno.makeTempDir({ prefix: `acc${accumulate}_` });
    try {
      const r = await train({
        config: config({ iterations: 2, accumulate }),
        method: "fullsup",
        outDir: out,
        dataset,
        quiet: true,
      });
      const t = await loadTrainedMethod(r.checkpoints.last);
      weights.push(
        Float32Array.from(
          [...t.method.networks.get("unet")!.params.trainable.values()].flatMap((v) => [...v.dataSync()]),
        ),
      );
      t.method.dispose();
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  }
  assertAllClose(weights[1], weights[0], 1e-5);
});
