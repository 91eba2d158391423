/**
 * The paper profile's text encoder: RoBERTa-base (768-d) through the `transformers` path when its
 * ONNX folder exists (a tiny BERT written by the test stands in), else use-lite (512-d) with a
 * printed warning that every later provenance record carries.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { provenance, provenanceWarnings } from "../../lib/core/provenance.ts";
import { openSynthetic } from "../../lib/data/synthetic.ts";
import { disposeModel, initModel, modelConfigFor, summarizeModel } from "../../lib/models/mod.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { loadTrainConfig, validateTrainConfig } from "../../lib/train/config.ts";
import { networkConfig } from "../../lib/train/methods/networks.ts";
import { syntheticSupervision } from "../../lib/train/supervision.ts";
import { resolveTextModel } from "../../lib/train/text_model.ts";
import { TINY_HIDDEN, writeTinyBert } from "../text/tiny_bert.ts";

await selectBackend("cpu", { quiet: true });
const tmp = await Deno.makeTempDir({ prefix: "text_model_" });
const tiny = await writeTinyBert(join(tmp, "tiny-bert"));
const small = (extra: Record<string, unknown> = {}) =>
  validateTrainConfig({
    dataset: "synthetic",
    profile: "smoke",
    synthetic: { seed: 3, train: 2, test: 1, size: 32 },
    imageSize: 32,
    batchSize: 2,
    iterations: 1,
    evalEvery: 1,
    models: { teacher: [8, 8, 16, 16, 32, 8], student: [4, 4, 8, 8, 16, 4], unet: [8, 8, 16, 16, 32, 8] },
    rampUp: { length: 1 },
    ...extra,
  });
const paper = await loadTrainConfig(new URL("../../configs/kvasir.paper.json", import.meta.url).pathname);

Deno.test("paper config: transformers, 768-d; the teacher built from it has text_proj Linear(768, C)", () => {
  assertEquals(paper.text, { encoder: "transformers", length: 6, dim: 768 });
  const c = networkConfig("teacher", paper, 3);
  assertEquals((c as { textDim: number }).textDim, 768);
  assertEquals(summarizeModel(modelConfigFor("teacher", "paper")).totalParams, 43_758_914 + 491_520);
});

Deno.test("resolveTextModel: a model folder keeps the transformers encoder", () => {
  const r = resolveTextModel(paper, { textModel: tiny, quiet: true });
  assertEquals(r.config, paper);
  assertEquals(r.modelDir, tiny);
  assertEquals(r.warning, null);
  // use-lite configs are untouched whatever the folder
  const cpu = small();
  assertEquals(resolveTextModel(cpu, { textModel: join(tmp, "absent") }).config, cpu);
});

Deno.test("resolveTextModel: no folder -> use-lite 512-d, warning printed and in every later provenance", () => {
  const before = provenanceWarnings().length;
  const r = resolveTextModel(paper, { textModel: join(tmp, "absent"), quiet: true });
  assertEquals(r.config.text, { encoder: "use-lite", length: 6, dim: 512 });
  assertEquals(r.modelDir, null);
  assert(r.warning!.includes("FALLING BACK to use-lite") && r.warning!.includes("491,520"), r.warning!);
  assertEquals(provenanceWarnings().length, before + 1);
  assert((provenance({ x: 1 }).warnings as string[]).includes(r.warning!));
  // the fallback teacher is the 512-d network
  assertEquals((networkConfig("teacher", r.config, 3) as { textDim: number }).textDim, 512);
});

Deno.test("transformers path end to end: synthetic supervision encodes with the model folder's width", async () => {
  const syn = { seed: 3, train: 2, test: 1, size: 32 };
  const config = small({ text: { encoder: "transformers", length: 6, dim: TINY_HIDDEN } });
  const chosen = resolveTextModel(config, { textModel: tiny, quiet: true });
  const dataset = openSynthetic(syn);
  const sup = syntheticSupervision(dataset, chosen.config, { textModelDir: chosen.modelDir! });
  try {
    const t = await sup.text(dataset.ids("train")[0]);
    assertEquals(t.length, 6 * TINY_HIDDEN);
    assert(t.every(Number.isFinite) && t.some((v) => v !== 0));
    // and a teacher of that width takes it
    const teacher = initModel(networkConfig("teacher", chosen.config, 3), { seed: 0 });
    assertEquals(teacher.params.trainable.get("fusion.0.text_proj.weight")!.shape[0], TINY_HIDDEN);
    disposeModel(teacher);
  } finally {
    await sup.dispose();
  }
});
