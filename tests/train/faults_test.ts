/**
 * Faults during training: bad input files stop a run before its first iteration, naming each
 * file and why, with nothing written; a failure after the run started keeps the iterations done
 * in `checkpoints/last`, and rerunning resumes (saying so), first redoing the evaluation the
 * failure interrupted.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { openDataset } from "../../lib/data/open_dataset.ts";
import { openSynthetic } from "../../lib/data/synthetic.ts";
import { validateTrainConfig } from "../../lib/train/config.ts";
import { type EvaluateFn, train } from "../../lib/train/loop.ts";
import { readRunState } from "../../lib/train/run_checkpoint.ts";
import { writeTinyKvasir } from "../data/fixtures.ts";

await selectBackend("wasm", { quiet: true });

const tiny = { teacher: [4, 4, 4, 4, 4, 4], student: [4, 4, 4, 4, 4, 4], unet: [4, 4, 4, 4, 4, 4] };
const evaluate: EvaluateFn = () => Promise.resolve({ dice: 0.5 });

Deno.test("bad images and masks stop a run before its first iteration, each named with why; nothing is written", async () => {
  const root = await Deno.makeTempDir({ prefix: "faults_data_" });
  try {
    await writeTinyKvasir(root, { n: 5, nTrain: 3 });
    const img0 = join(root, "kvasir-seg/images/img0.jpg"), img4 = join(root, "kvasir-seg/images/img4.jpg");
    await Deno.writeFile(img0, new Uint8Array(0)); // training image
    await Deno.writeTextFile(img4, "<html>Service Unavailable</html>"); // test image, read by the evaluations
    const dataset = await openDataset("kvasir", { root, quiet: true });
    const config = validateTrainConfig({
      dataset: "kvasir",
      profile: "smoke",
      imageSize: 16,
      batchSize: 2,
      iterations: 2,
      evalEvery: 1,
      models: tiny,
    });
    const out = join(root, "run");
    const err = await assertRejects(() =>
      train({ config, method: "fullsup", outDir: out, dataset, evaluate, quiet: true })
    );
    const msg = (err as Error).message;
    assert(msg.includes(`${img0}: 0-byte file`), msg);
    assert(msg.includes(`${img4}: not a JPEG or PNG file (starts with text "<html>Service Un")`), msg);
    assert(msg.includes("2 bad file(s) among the 5 samples that fullsup reads"), msg);
    assert(!(await Deno.stat(out).catch(() => null)), "the run folder was created");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a failure mid-run saves 'last'; the rerun says it resumes, redoes the lost evaluation and finishes", async () => {
  const out = await Deno.makeTempDir({ prefix: "faults_resume_" });
  try {
    const dataset = openSynthetic({ seed: 0, train: 4, test: 2, size: 32 });
    const config = validateTrainConfig({
      dataset: "synthetic",
      profile: "smoke",
      synthetic: { seed: 0, train: 4, test: 2, size: 32 },
      imageSize: 16,
      batchSize: 2,
      iterations: 6,
      evalEvery: 2,
      models: tiny,
    });
    const failing: EvaluateFn = (_m, ctx) => {
      if (ctx.iteration === 4) return Promise.reject(new Error("disk full (simulated)"));
      return Promise.resolve({ dice: ctx.iteration / 10 });
    };
    const err = await assertRejects(() =>
      train({ config, method: "fullsup", outDir: out, dataset, evaluate: failing, quiet: true })
    );
    const msg = (err as Error).message;
    assert(msg.startsWith("disk full (simulated)"), msg);
    assert(msg.includes(`the 4 completed iterations are saved in ${join(out, "checkpoints", "last")}`), msg);
    const saved = await readRunState(join(out, "checkpoints", "last"));
    assertEquals(saved.iteration, 4);
    assertEquals(saved.evals.map((e) => e.iteration), [2]);

    const lines: string[] = [];
    const result = await train({
      config,
      method: "fullsup",
      outDir: out,
      dataset,
      evaluate: (_m, ctx) => Promise.resolve({ dice: ctx.iteration / 10 }),
      quiet: true,
      log: (l) => lines.push(l),
    });
    assertEquals(lines[0], `train fullsup: resuming from iteration 4 of 6 (run folder ${out})`);
    assertEquals(lines[1], "train fullsup: evaluating iteration 4 (missing from the interrupted session)");
    assertEquals(result.iterations, 6);
    const done = await readRunState(join(out, "checkpoints", "last"));
    assertEquals(done.evals.map((e) => e.iteration), [2, 4, 6]);
    assertEquals(done.bestIteration, 6);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
