/**
 * Where the local RoBERTa-base ONNX model (transformers.js layout) of the `transformers` encoder is
 * looked for when no folder is named: `$GAZE_TEXT_MODEL`, else `models/roberta-base` in the toolkit
 * checkout (not in the repository: see the README's "Text encoder at the paper profile").
 *
 * @module
 */
import { join, resolve } from "node:path";

/** Environment variable naming the local RoBERTa-base ONNX folder. */
export const TEXT_MODEL_ENV = "GAZE_TEXT_MODEL";

/** The default model folder: `models/roberta-base` in the toolkit checkout. */
export function defaultTextModelDir(): string {
  return new URL("../../models/roberta-base", import.meta.url).pathname;
}

/** The model folder: `explicit`, else `$GAZE_TEXT_MODEL`, else {@link defaultTextModelDir} (absolute). */
export function textModelDir(explicit?: string): string {
  return resolve(explicit ?? Deno.env.get(TEXT_MODEL_ENV) ?? defaultTextModelDir());
}

/** Why `dir` is not a transformers.js model folder (files it lacks), or null when it is one. */
export function textModelProblem(dir: string): string | null {
  const need = ["config.json", "tokenizer.json", join("onnx", "model.onnx")];
  const missing = need.filter((f) => {
    try {
      return !Deno.statSync(join(dir, f)).isFile;
    } catch {
      return true;
    }
  });
  return missing.length ? `${dir} lacks ${missing.join(", ")}` : null;
}
