import { assert, assertAllClose, assertEquals, assertRejects } from "../assert.ts";
import { createEncoder, type Description, embeddingRow, fieldSentences } from "../../lib/text/mod.ts";
import { TINY_HIDDEN, writeTinyBert } from "./tiny_bert.ts";

const d: Description = {
  Location: "upper left",
  Boundary: "well-defined",
  Characteristics: ["reddish", "smooth surface"],
  "Area Percentage": "5-15%",
  Confidence: "high",
  Remarks: ["none"],
};

const modelDir = await writeTinyBert(`${await Deno.makeTempDir()}/tiny-bert`);

Deno.test("transformers (fields): [6, D], deterministic, rows do not depend on padding", async () => {
  const enc = await createEncoder("transformers", { modelDir });
  try {
    assertEquals([enc.name, enc.dim], ["transformers", TINY_HIDDEN]);
    const a = await enc.encode(d);
    assertEquals(a.shape, [6, TINY_HIDDEN]);
    assert(a.data.every(Number.isFinite));
    assertEquals((await enc.encode(d)).data, a.data);
    // each field sentence encoded alone (no padding) gives the same row as in the padded batch of six
    const sentences = fieldSentences(d);
    for (let i = 0; i < 6; i++) {
      const alone = await enc.encodeTexts([sentences[i]]);
      assertAllClose(embeddingRow(a, i), alone.data, 1e-5, `row ${i}`);
    }
    assertEquals(enc.info.pooling, "fields");
  } finally {
    await enc.dispose();
  }
});

Deno.test("transformers (tokens): one row per token of the joined text, truncated to maxTokens", async () => {
  const enc = await createEncoder("transformers", { modelDir, pooling: "tokens" });
  const short = await createEncoder("transformers", { modelDir, pooling: "tokens", maxTokens: 8 });
  try {
    const a = await enc.encode(d);
    assertEquals(a.shape[1], TINY_HIDDEN);
    // [CLS] + word pieces + [SEP]: more than the six field names alone
    assert(a.shape[0] > 12 && a.shape[0] <= 128, String(a.shape));
    const b = await short.encode(d);
    assertEquals(b.shape, [8, TINY_HIDDEN]);
  } finally {
    await enc.dispose();
    await short.dispose();
  }
});

Deno.test("transformers: clear errors for a missing folder and for a hub id without --allow-remote", async () => {
  await assertRejects(
    () => createEncoder("transformers", { modelDir: "/nonexistent/roberta-base" }),
    Error,
    "model folder /nonexistent/roberta-base is not readable",
  );
  await assertRejects(
    () => createEncoder("transformers", { model: "Xenova/roberta-base" }),
    Error,
    "pass --allow-remote",
  );
  await assertRejects(() => createEncoder("transformers", {}), Error, "--model-dir");
  await assertRejects(() => createEncoder("word2vec"), Error, "unknown encoder 'word2vec'");
  const empty = await Deno.makeTempDir();
  await assertRejects(
    () => createEncoder("transformers", { modelDir: empty }),
    Error,
    "remote models are off",
  );
});
