/**
 * `deno task encode <dataset>`: turn every description into its token
 * sequence [L, D] and write `<derived>/<dataset>/embeddings-<encoder>/<id>.bin`
 * (+ `<id>.json`). Reruns skip ids whose description and encoder did not change.
 *
 * @module
 */
import { intFlag, parseTaskArgs, runTask } from "../lib/core/mod.ts";
import { selectBackend } from "../lib/backend/mod.ts";
import { openDataset, resolveDataRoot, selectListedIds } from "../lib/data/mod.ts";
import {
  createEncoder,
  DEFAULT_ENCODER,
  embeddingsDir,
  encodeDataset,
  ENCODER_NAMES,
  type EncoderName,
  type TransformersPooling,
} from "../lib/text/mod.ts";

const USAGE = `usage: deno task encode <dataset> [options]

Encode the descriptions (from \`deno task describe <dataset>\`) to [L, D] float32 token sequences in
<derived>/<dataset>/embeddings-<encoder>/<id>.bin with a <id>.json sidecar.

options:
  --encoder E        use-lite (default; offline, L = 6, D = 512) | transformers (local ONNX model, e.g. RoBERTa-base)
  --model-dir DIR    transformers: local model folder (config.json, tokenizer.json, onnx/model.onnx)
  --model ID         transformers: hub model id, only with --allow-remote (e.g. Xenova/roberta-base)
  --allow-remote     transformers: allow downloading the model (off by default)
  --pooling P        transformers: fields (default, L = 6, mean of each field's token states) | tokens (all token states)
  --max-tokens N     transformers: truncation length (default 128)
  --split S          train | test | all (default all)
  --ids FILE         only the ids listed in FILE (one per line)
  --limit N          only the first N ids
  --force            rewrite up-to-date files
  --backend B        tfjs backend for use-lite: auto | wasm | cpu | webgpu | tensorflow
  --data-dir DIR     data root (default $GAZE_DATA_DIR or ./data/cache)
  --quiet            no progress bar`;

await runTask(async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    flags: {
      encoder: { type: "string" },
      "model-dir": { type: "string" },
      model: { type: "string" },
      "allow-remote": { type: "boolean" },
      pooling: { type: "string" },
      "max-tokens": { type: "string" },
      split: { type: "string" },
      ids: { type: "string" },
      limit: { type: "string" },
      force: { type: "boolean" },
    },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new Error(`expected one dataset name\n\n${USAGE}`);
  const encoderName = (values.encoder ?? DEFAULT_ENCODER) as EncoderName;
  if (!ENCODER_NAMES.includes(encoderName)) {
    throw new Error(`--encoder: expected one of ${ENCODER_NAMES.join(", ")}, got ${values.encoder}`);
  }
  const root = resolveDataRoot({ dataDir: values["data-dir"] });
  const ds = await openDataset(name, { root, quiet: values.quiet });
  const split = values.split ?? "all";
  if (!["train", "test", "all"].includes(split)) throw new Error(`--split: expected train, test or all, got ${split}`);
  let ids = split === "all" ? [...ds.ids("train"), ...ds.ids("test")] : ds.ids(split as "train" | "test");
  if (values.ids) ids = await selectListedIds(values.ids, ids, ds.name);
  ids = ids.slice(0, Math.max(0, intFlag(values.limit, "limit", ids.length)));

  if (encoderName === "use-lite") await selectBackend(values.backend, { quiet: values.quiet });
  const t0 = performance.now();
  const encoder = await createEncoder(encoderName, {
    modelDir: values["model-dir"],
    model: values.model,
    allowRemote: values["allow-remote"],
    pooling: values.pooling as TransformersPooling | undefined,
    maxTokens: intFlag(values["max-tokens"], "max-tokens", 128),
  });
  const loadMs = performance.now() - t0;
  const ref = { root, name: ds.name };
  console.error(
    `encode ${ds.name}: ${ids.length} descriptions with ${encoder.name} (D = ${encoder.dim}, loaded in ${
      loadMs.toFixed(0)
    } ms) -> ${embeddingsDir(ref, encoder.name)}`,
  );
  try {
    const summary = await encodeDataset(ref, ids, { encoder, force: values.force, quiet: values.quiet });
    console.log(
      `encode ${ds.name} (${encoder.name}): ${summary.written} written, ${summary.skipped} up to date, ` +
        `${summary.failed.length} failed in ${summary.seconds.toFixed(1)} s` +
        (summary.written ? ` (${summary.msPerItem.toFixed(1)} ms per description incl. I/O)` : ""),
    );
    if (summary.failed.length) {
      for (const f of summary.failed.slice(0, 10)) console.error(`  ${f.id}: ${f.error.split("\n")[0]}`);
      throw new Error(`${summary.failed.length} of ${ids.length} descriptions could not be encoded`);
    }
  } finally {
    await encoder.dispose();
  }
});
