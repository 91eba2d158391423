/**
 * Which text encoder a run actually uses. The `paper` profile's configs name the `transformers`
 * encoder with D = 768: RoBERTa-base as an ONNX model in transformers.js layout, read from a local
 * folder, so the teacher's `text_proj` layers are `Linear(768, C)` as in the released network. The
 * folder is `--text-model DIR`, else `$GAZE_TEXT_MODEL`, else `models/roberta-base` in the toolkit
 * checkout. Where it is absent, the run falls back to `use-lite` (D = 512) with a printed warning
 * that is also recorded in the provenance of every output the process writes.
 *
 * @module
 */
import { addProvenanceWarning } from "../core/provenance.ts";
import { TEXT_MODEL_ENV, textModelDir, textModelProblem } from "../text/model_dir.ts";
import type { TrainConfig } from "./config.ts";

/** Width of the fallback encoder (use-lite). */
const USE_LITE_DIM = 512;

/** What {@link resolveTextModel} decided. */
export interface TextModelChoice {
  /** The config to train with (`text` replaced by use-lite on a fallback). */
  config: TrainConfig;
  /** The ONNX model folder for the `transformers` encoder, or null (use-lite). */
  modelDir: string | null;
  /** The fallback warning, or null. */
  warning: string | null;
}

/**
 * Resolve the text encoder of `config` (see module doc). A config that names `use-lite` is returned
 * as is. One that names `transformers` keeps it when the model folder holds a model; otherwise the
 * config's text becomes use-lite (D = 512), and the warning is printed once on stderr (unless
 * `quiet`) and recorded with {@link addProvenanceWarning}.
 */
export function resolveTextModel(
  config: TrainConfig,
  options: { textModel?: string; quiet?: boolean } = {},
): TextModelChoice {
  if (config.text.encoder !== "transformers") return { config, modelDir: null, warning: null };
  const dir = textModelDir(options.textModel);
  const problem = textModelProblem(dir);
  if (!problem) return { config, modelDir: dir, warning: null };
  const t = config.models.teacher;
  const fewer = (config.text.dim - USE_LITE_DIM) * (t[1] + t[2] + t[3] + t[4]);
  const warning = `text encoder: no RoBERTa-base ONNX model (${problem}; set --text-model DIR or $${TEXT_MODEL_ENV}, ` +
    `see the README's "Text encoder at the paper profile"); FALLING BACK to use-lite (${USE_LITE_DIM}-d tokens ` +
    `instead of ${config.text.dim}-d): the teacher's text_proj layers are Linear(${USE_LITE_DIM}, C), ` +
    `${fewer.toLocaleString("en-US")} parameters fewer than the paper's network`;
  if (!options.quiet) console.error(`WARNING: ${warning}`);
  addProvenanceWarning(warning);
  return {
    config: { ...config, text: { ...config.text, encoder: "use-lite", dim: USE_LITE_DIM } },
    modelDir: null,
    warning,
  };
}
