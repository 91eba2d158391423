import * as tf from "@tensorflow/tfjs";
import { assert, assertAllClose, assertEquals } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import {
  cosineSimilarity,
  createEncoder,
  type Description,
  type DescriptionEncoder,
  embeddingRow,
  fieldSentences,
  meanPool,
} from "../../lib/text/mod.ts";

const d1: Description = {
  Location: "upper left",
  Boundary: "well-defined",
  Characteristics: ["reddish", "smooth surface", "sessile"],
  "Area Percentage": "5-15%",
  Confidence: "high",
  Remarks: ["none"],
};
// differs from d1 in one field only
const d2: Description = { ...d1, Boundary: "moderately defined" };
// differs from d1 in every field
const d3: Description = {
  Location: "lower right",
  Boundary: "ill-defined",
  Characteristics: ["pale", "textured surface"],
  "Area Percentage": ">50%",
  Confidence: "low",
  Remarks: ["several gaze clusters", "touches image border"],
};

let cpuRows: Float32Array | undefined;

Deno.test("use-lite (cpu): [6, 512], deterministic, no tensor leak, rows independent of batching", async () => {
  await selectBackend("cpu", { quiet: true });
  const before = tf.memory().numTensors;
  const enc = await createEncoder("use-lite");
  try {
    assertEquals([enc.name, enc.dim], ["use-lite", 512]);
    const loaded = tf.memory().numTensors;
    const a = await enc.encode(d1);
    assertEquals(a.shape, [6, 512]);
    assertEquals(a.data.length, 6 * 512);
    assert(a.data.every(Number.isFinite));
    assertEquals(tf.memory().numTensors, loaded, "encode leaked tensors");
    const b = await enc.encode(d1);
    assertEquals(b.data, a.data);
    // row i is the sentence vector of field i alone
    const sentences = fieldSentences(d1);
    for (const i of [0, 2, 5]) {
      const alone = await enc.encodeTexts([sentences[i]]);
      assertAllClose(embeddingRow(a, i), alone.data, 1e-5);
    }
    // different fields give different rows
    assert(cosineSimilarity(embeddingRow(a, 0), embeddingRow(a, 1)) < 0.99);
    cpuRows = a.data;
  } finally {
    await enc.dispose();
  }
  assertEquals(tf.memory().numTensors, before, "dispose left tensors");
});

Deno.test("use-lite: two close descriptions are more similar than two unrelated ones", async () => {
  await selectBackend("cpu", { quiet: true });
  const enc = await createEncoder("use-lite");
  try {
    const [e1, e2, e3] = [await enc.encode(d1), await enc.encode(d2), await enc.encode(d3)];
    const close = cosineSimilarity(meanPool(e1), meanPool(e2));
    const far = cosineSimilarity(meanPool(e1), meanPool(e3));
    assert(close > far, `close ${close} <= unrelated ${far}`);
    // also at sentence level: related terms closer than unrelated ones
    const s = await enc.encodeTexts([
      "Location: upper left.",
      "Location: upper center.",
      "Remarks: touches image border.",
    ]);
    const near = cosineSimilarity(embeddingRow(s, 0), embeddingRow(s, 1));
    const other = cosineSimilarity(embeddingRow(s, 0), embeddingRow(s, 2));
    assert(near > other, `near ${near} <= other ${other}`);
  } finally {
    await enc.dispose();
  }
});

Deno.test("use-lite (wasm): agrees with cpu, and loading it leaves the training kernels intact", async () => {
  await selectBackend("wasm", { quiet: true });
  const x = tf.tensor4d(Array.from({ length: 2 * 6 * 6 * 3 }, (_, i) => Math.sin(i)), [2, 6, 6, 3]);
  const w = tf.tensor4d(Array.from({ length: 3 * 3 * 3 * 4 }, (_, i) => Math.cos(i)), [3, 3, 3, 4]);
  const gradW = () =>
    tf.tidy(() => tf.grad((k) => tf.conv2d(x, k as tf.Tensor4D, 1, "same").square().sum())(w).dataSync().slice());
  const before = gradW();
  const enc: DescriptionEncoder = await createEncoder("use-lite");
  try {
    const a = await enc.encode(d1);
    assertEquals(a.shape, [6, 512]);
    if (cpuRows) assertAllClose(a.data, cpuRows, 1e-4);
    assertEquals(gradW(), before);
  } finally {
    await enc.dispose();
    x.dispose();
    w.dispose();
  }
});
