/**
 * The `transformers` encoder: any ONNX text encoder in transformers.js layout
 * (`config.json`, `tokenizer.json`, `tokenizer_config.json`,
 * `onnx/model.onnx`), run with `npm:@huggingface/transformers` on the CPU
 * (onnxruntime). This is the path for RoBERTa-base (D = 768), the encoder the
 * paper names (docs/METHOD.md section 4).
 *
 * Offline by default: the model is read from a local folder and
 * `env.allowRemoteModels` is false unless the caller passes
 * `allowRemote: true` (then a hub id such as `Xenova/roberta-base` may be
 * downloaded into transformers.js's cache).
 *
 * Token sequence ("pooling"):
 * - `fields` (default): each field sentence is run through the model on its
 *   own and its token states (last hidden layer) are averaged over the
 *   attention mask: L = 6 rows of width D, the same layout as `use-lite`.
 * - `tokens`: the six sentences joined into one text; every token state of the
 *   last layer is a row (special tokens included, truncated to `maxTokens`):
 *   L varies per description.
 *
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import type { DescriptionEncoder, TextEmbedding } from "./embedding.ts";
import { TEXT_MODEL_ENV, textModelDir, textModelProblem } from "./model_dir.ts";
import { type Description, fieldSentences } from "./schema.ts";

/** How token states become rows; see the module doc. */
export type TransformersPooling = "fields" | "tokens";

/** Options of {@link loadTransformersEncoder}. */
export interface TransformersEncoderOptions {
  /** Local model folder in transformers.js layout. */
  modelDir?: string;
  /** Hub model id (e.g. `Xenova/roberta-base`); only used with `allowRemote`. */
  model?: string;
  /** Allow downloading from the model hub (default false). */
  allowRemote?: boolean;
  /** `fields` (default, L = 6) or `tokens` (L = token count). */
  pooling?: TransformersPooling;
  /** Truncation length in tokens (default 128). */
  maxTokens?: number;
  /** ONNX weights variant, e.g. `fp32` (default; file onnx/model.onnx) or `q8` (onnx/model_quantized.onnx). */
  dtype?: "fp32" | "fp16" | "q8" | "int8" | "uint8" | "q4";
}

const TRANSFORMERS_PACKAGE = "@huggingface/transformers";

type HfTensor = { data: ArrayLike<number | bigint>; dims: number[]; dispose?: () => void };
type HfTokenizer = ((texts: string | string[], opts: Record<string, unknown>) => Record<string, HfTensor>) & {
  model_max_length?: number;
};
type HfModel = ((inputs: Record<string, HfTensor>) => Promise<Record<string, HfTensor>>) & {
  dispose(): Promise<unknown>;
  config?: { hidden_size?: number; model_type?: string };
};

/**
 * Load an ONNX text encoder for descriptions. Throws a message naming the
 * folder when the model cannot be loaded (and saying how to allow a download).
 *
 * @example
 * ```ts ignore
 * import { loadTransformersEncoder } from "../../mod.ts";
 * const enc = await loadTransformersEncoder({ modelDir: "models/roberta-base" });
 * const e = await enc.encode(description); // e.shape = [6, 768]
 * await enc.dispose();
 * ```
 */
export async function loadTransformersEncoder(options: TransformersEncoderOptions = {}): Promise<DescriptionEncoder> {
  const pooling = options.pooling ?? "fields";
  if (pooling !== "fields" && pooling !== "tokens") {
    throw new Error(`transformers encoder: pooling must be "fields" or "tokens", got ${JSON.stringify(pooling)}`);
  }
  const maxTokens = options.maxTokens ?? 128;
  const allowRemote = options.allowRemote === true;
  let id: string;
  let where: string;
  // A variable specifier keeps transformers.js (and the newer @types/node its typings pull in) out of
  // `deno check`; the import map still resolves it at run time. The few calls used are typed below.
  // deno-lint-ignore no-explicit-any
  const hf: any = await import(TRANSFORMERS_PACKAGE);
  const env = hf.env;
  // no folder and no hub id: $GAZE_TEXT_MODEL or models/roberta-base when it holds a model
  const fallbackDir = !options.modelDir && !options.model && !textModelProblem(textModelDir())
    ? textModelDir()
    : undefined;
  const modelDir = options.modelDir ?? fallbackDir;
  if (modelDir) {
    const dir = resolve(modelDir);
    try {
      if (!Deno.statSync(dir).isDirectory) throw new Error("not a folder");
    } catch (err) {
      throw new Error(`transformers encoder: model folder ${dir} is not readable (${(err as Error).message})`);
    }
    env.localModelPath = dirname(dir) + "/";
    id = basename(dir);
    where = dir;
  } else if (options.model) {
    if (!allowRemote) {
      throw new Error(
        `transformers encoder: model ${JSON.stringify(options.model)} needs a download; pass --allow-remote ` +
          `(allowRemote: true) or point --model-dir to a local folder`,
      );
    }
    id = options.model;
    where = `hub model ${options.model}`;
  } else {
    throw new Error(
      `transformers encoder: pass --model-dir DIR (a local ONNX model folder; default $${TEXT_MODEL_ENV}, else ` +
        `${textModelDir()}, which ${textModelProblem(textModelDir())?.replace(/^\S+ /, "") ?? "is empty"}) or ` +
        `--model ID with --allow-remote`,
    );
  }
  env.allowLocalModels = true;
  env.allowRemoteModels = allowRemote;
  env.useBrowserCache = false;
  if (!allowRemote) env.useFSCache = false;

  let tokenizer: HfTokenizer, model: HfModel;
  try {
    tokenizer = await hf.AutoTokenizer.from_pretrained(id, { local_files_only: !allowRemote });
    model = await hf.AutoModel.from_pretrained(id, {
      dtype: options.dtype ?? "fp32",
      device: "cpu",
      local_files_only: !allowRemote,
    });
  } catch (err) {
    throw new Error(
      `transformers encoder: cannot load ${where} (${(err as Error).message.split("\n")[0]})` +
        (allowRemote ? "" : "; remote models are off (pass --allow-remote to download)"),
    );
  }
  let dim = model.config?.hidden_size ?? 0;
  let disposed = false;

  async function run(
    texts: string[],
  ): Promise<{ states: Float32Array; mask: ArrayLike<number | bigint>; dims: number[] }> {
    if (disposed) throw new Error("transformers encoder: used after dispose()");
    const inputs = tokenizer(texts, { padding: true, truncation: true, max_length: maxTokens });
    try {
      const out = await model(inputs);
      const h = out.last_hidden_state;
      if (!h || h.dims.length !== 3) {
        throw new Error(`transformers encoder: ${where} gave no last_hidden_state [batch, tokens, D]`);
      }
      const states = Float32Array.from(h.data as ArrayLike<number>);
      const result = { states, mask: inputs.attention_mask.data, dims: [...h.dims] };
      for (const t of Object.values(out)) t.dispose?.();
      dim = h.dims[2];
      return result;
    } finally {
      for (const t of Object.values(inputs)) t.dispose?.();
    }
  }

  async function encodeTexts(texts: string[]): Promise<TextEmbedding> {
    if (texts.length === 0) return { data: new Float32Array(0), shape: [0, dim] };
    const { states, mask, dims } = await run(texts);
    const [n, T, D] = dims;
    const data = new Float32Array(n * D);
    for (let i = 0; i < n; i++) {
      let count = 0;
      for (let t = 0; t < T; t++) {
        if (Number(mask[i * T + t]) === 0) continue;
        count++;
        const src = (i * T + t) * D;
        for (let d = 0; d < D; d++) data[i * D + d] += states[src + d];
      }
      for (let d = 0; d < D; d++) data[i * D + d] /= Math.max(1, count);
    }
    return { data, shape: [n, D] };
  }

  async function encode(description: Description): Promise<TextEmbedding> {
    const sentences = fieldSentences(description);
    if (pooling === "fields") return await encodeTexts(sentences);
    const { states, dims } = await run([sentences.join(" ")]);
    const [, T, D] = dims;
    return { data: states.slice(0, T * D), shape: [T, D] };
  }

  // Probe once so `dim` is known before the first description.
  if (!dim) dim = (await encodeTexts(["Location: center."])).shape[1];

  return {
    name: "transformers",
    get dim() {
      return dim;
    },
    info: {
      encoder: "transformers",
      model: where,
      modelType: model.config?.model_type ?? "unknown",
      pooling,
      tokens: pooling === "fields" ? "one per field (L = 6)" : `token states (L <= ${maxTokens})`,
      maxTokens,
      dtype: options.dtype ?? "fp32",
      dim,
    },
    encode,
    encodeTexts,
    async dispose() {
      if (!disposed) await model.dispose();
      disposed = true;
    },
  };
}
