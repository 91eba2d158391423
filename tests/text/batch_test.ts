/**
 * Whole-dataset describe + encode on a small synthetic dataset, in a private
 * derived folder: resumability, staleness, the embedding loader, and NO network
 * access in the offline path.
 */
import { join } from "node:path";
import { assert, assertAllClose, assertEquals, assertRejects } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { openDataset } from "../../lib/data/open_dataset.ts";
import {
  createEncoder,
  type DatasetRef,
  describeDataset,
  descriptionIssues,
  descriptionsDir,
  embeddingsDir,
  encodeDataset,
  type GazeRasters,
  loadTextEmbedding,
  loadTextEmbeddingBatch,
  readDescription,
  VlmClient,
} from "../../lib/text/mod.ts";
import { writeTinyBert } from "./tiny_bert.ts";

const ds = await openDataset("synthetic", { synthetic: { seed: 3, train: 3, test: 1, size: 64 } });
const ids = [...ds.ids("train"), ...ds.ids("test")];

/** Test gaze: a Gaussian heat blob and a CRF disc at a fixed point per id (no mask involved). */
function fakeGaze(w: number, h: number, k: number): GazeRasters {
  const cx = (0.3 + 0.15 * k) * w, cy = (0.35 + 0.1 * k) * h;
  const heat = new Float32Array(w * h), crf = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const r2 = (x - cx) ** 2 + (y - cy) ** 2;
      heat[y * w + x] = Math.exp(-r2 / (2 * (0.1 * w) ** 2));
      crf[y * w + x] = r2 <= (0.15 * w) ** 2 ? 0.8 : 0.1;
    }
  }
  return {
    heatmap: { width: w, height: h, channels: 1, data: heat },
    crf: { width: w, height: h, channels: 1, data: crf },
  };
}

async function load(id: string) {
  const s = await ds.load(id);
  return { image: s.image, gaze: fakeGaze(s.image.width, s.image.height, ids.indexOf(id)) };
}

/** Run `fn` with fetch and socket APIs that fail on any network use (file: URLs still work). */
async function offline<T>(fn: () => Promise<T>): Promise<{ value: T; attempts: string[] }> {
  const attempts: string[] = [];
  const real = { fetch: globalThis.fetch, connect: Deno.connect, connectTls: Deno.connectTls };
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    const u = String(input instanceof Request ? input.url : input);
    if (!u.startsWith("file:")) {
      attempts.push(u);
      return Promise.reject(new Error(`network access in the offline path: ${u}`));
    }
    return real.fetch(input, init);
  }) as typeof fetch;
  const refuse = (opts: { hostname?: string }) => {
    attempts.push(`socket ${opts.hostname}`);
    throw new Error(`network access in the offline path: ${opts.hostname}`);
  };
  Object.assign(Deno, { connect: refuse, connectTls: refuse });
  try {
    return { value: await fn(), attempts };
  } finally {
    globalThis.fetch = real.fetch;
    Object.assign(Deno, { connect: real.connect, connectTls: real.connectTls });
  }
}

Deno.test("batch: offline describe + encode (use-lite and transformers) without any network access", async () => {
  await selectBackend("wasm", { quiet: true });
  const ref: DatasetRef = { root: "/nonexistent-root", name: "synthetic", derivedBase: await Deno.makeTempDir() };
  const modelDir = await writeTinyBert(join(await Deno.makeTempDir(), "tiny-bert"));
  const { value, attempts } = await offline(async () => {
    const described = await describeDataset(ref, ids, { load, quiet: true });
    const use = await createEncoder("use-lite");
    const tiny = await createEncoder("transformers", { modelDir });
    try {
      const e1 = await encodeDataset(ref, ids, { encoder: use, quiet: true });
      const e2 = await encodeDataset(ref, ids, { encoder: tiny, quiet: true });
      const loaded = await loadTextEmbedding(ref, ids[0], { encoder: "use-lite" });
      const direct = await use.encode((await readDescription(ref, ids[0])).description);
      return { described, e1, e2, loaded, direct };
    } finally {
      await use.dispose();
      await tiny.dispose();
    }
  });
  assertEquals(attempts, []);
  // negative control: the guard does see a network attempt
  const control = await offline(() => fetch("https://huggingface.co/x").catch(() => undefined));
  assertEquals(control.attempts, ["https://huggingface.co/x"]);
  assertEquals([value.described.written, value.described.failed], [ids.length, []]);
  assertEquals([value.e1.written, value.e2.written], [ids.length, ids.length]);
  assertEquals(value.loaded.shape, [6, 512]);
  assertAllClose(value.loaded.data, value.direct.data, 0);
  assertEquals(value.loaded.meta.encoder, "use-lite");

  const rec = await readDescription(ref, ids[1]);
  assertEquals(rec.source, "offline-describer");
  assertEquals(descriptionIssues(rec.description, "polyp"), []);
  assert(rec.features && rec.provenance.commit);
  const batch = await loadTextEmbeddingBatch(ref, [ids[2], ids[0]], { encoder: "use-lite" });
  assertEquals(batch.shape, [2, 6, 512]);
  assertAllClose(batch.data.subarray(6 * 512), value.loaded.data, 0);
  assertAllClose(batch.data.subarray(0, 6 * 512), (await loadTextEmbedding(ref, ids[2])).data, 0);
  const tinyEmb = await loadTextEmbedding(ref, ids[1], { encoder: "transformers" });
  assertEquals(tinyEmb.shape, [6, 32]);
  assertEquals(tinyEmb.meta.encoderInfo.pooling, "fields");
});

Deno.test("batch: reruns skip up-to-date files; a changed description is re-encoded; loader errors name files", async () => {
  await selectBackend("wasm", { quiet: true });
  const ref: DatasetRef = { root: "/nonexistent-root", name: "synthetic", derivedBase: await Deno.makeTempDir() };
  const first = await describeDataset(ref, ids, { load, quiet: true });
  assertEquals(first.written, ids.length);
  const again = await describeDataset(ref, ids, { load, quiet: true });
  assertEquals([again.written, again.skipped], [0, ids.length]);
  const forced = await describeDataset(ref, ids.slice(0, 1), { load, quiet: true, force: true });
  assertEquals(forced.written, 1);

  const enc = await createEncoder("use-lite");
  try {
    assertEquals((await encodeDataset(ref, ids, { encoder: enc, quiet: true })).written, ids.length);
    assertEquals((await encodeDataset(ref, ids, { encoder: enc, quiet: true })).skipped, ids.length);
    // edit one description: only that id is encoded again
    const path = join(descriptionsDir(ref), `${ids[2]}.json`);
    const rec = JSON.parse(await Deno.readTextFile(path));
    rec.description.Confidence = rec.description.Confidence === "low" ? "high" : "low";
    await Deno.writeTextFile(path, JSON.stringify(rec));
    const s = await encodeDataset(ref, ids, { encoder: enc, quiet: true });
    assertEquals([s.written, s.skipped], [1, ids.length - 1]);
    const fresh = await loadTextEmbedding(ref, ids[2], { encoder: "use-lite" });
    assertAllClose(fresh.data, (await enc.encode(rec.description)).data, 0);

    // an invalid description fails that id only, naming the file
    rec.description.Boundary = "fuzzy";
    await Deno.writeTextFile(path, JSON.stringify(rec));
    const bad = await encodeDataset(ref, ids, { encoder: enc, quiet: true });
    assertEquals(bad.failed.length, 1);
    assert(bad.failed[0].error.includes(path) && bad.failed[0].error.includes('"fuzzy"'), bad.failed[0].error);
  } finally {
    await enc.dispose();
  }

  const bin = join(embeddingsDir(ref, "use-lite"), `${ids[0]}.bin`);
  await Deno.writeFile(bin, new Uint8Array(100));
  await assertRejects(
    () => loadTextEmbedding(ref, ids[0], { encoder: "use-lite" }),
    Error,
    `${bin}: 100 bytes, expected 6x512 float32 = 12288 bytes`,
  );
  await assertRejects(
    () => loadTextEmbedding(ref, ids[0], { encoder: "transformers" }),
    Error,
    "deno task encode synthetic --encoder transformers",
  );
  await assertRejects(() => loadTextEmbedding(ref, "../etc", {}), Error, "not a plain name");
});

Deno.test("batch: describe through a VLM records the model and prompt version", async () => {
  const answer = {
    Location: "center",
    Boundary: "ill-defined",
    Characteristics: ["pale"],
    "Area Percentage": "<5%",
    Confidence: "low",
    Remarks: ["none"],
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return Response.json({ choices: [{ message: { role: "assistant", content: JSON.stringify(answer) } }] });
  });
  try {
    const ref: DatasetRef = { root: "/nonexistent-root", name: "synthetic", derivedBase: await Deno.makeTempDir() };
    const vlm = new VlmClient({
      baseUrl: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}/v1`,
      model: "fake-vlm",
      log: () => {},
    });
    const loadWithFile = async (id: string) => ({
      ...(await load(id)),
      file: { bytes: new TextEncoder().encode(`image ${id}`), mime: "image/png" },
    });
    const s = await describeDataset(ref, ids, { load: loadWithFile, vlm, quiet: true });
    assertEquals([s.written, s.failed], [ids.length, []]);
    const rec = await readDescription(ref, ids[0]);
    assertEquals([rec.source, rec.describer, rec.vlm?.model], ["vlm", "fake-vlm", "fake-vlm"]);
    assertEquals(rec.description, answer);
    // switching back to the offline describer rewrites (different source), then skips
    assertEquals((await describeDataset(ref, ids, { load, quiet: true })).written, ids.length);
    assertEquals((await describeDataset(ref, ids, { load, quiet: true })).skipped, ids.length);
  } finally {
    await server.shutdown();
  }
});
