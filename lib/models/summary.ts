/**
 * Per-module parameter counts and output shapes of a model (what `deno task model-summary` prints).
 *
 * @module
 */
import { disposeModel, initModel } from "./model.ts";
import type { ModelConfig, ModelSummary, ModuleSummary } from "./types.ts";

/** Options for {@link summarizeModel}. */
export interface SummarizeModelOptions {
  /** Batch size of the input the shapes refer to (default 1). */
  batch?: number;
  /** Square input side (default: the teacher's `inputSize`, else 224). */
  inputSize?: number;
}

/** The module a parameter belongs to, e.g. `encoder.down_1`, `fusion.0`, `head`, `model.1.encoder.conv_0`. */
export function moduleOf(name: string): string {
  const m = /^(model\.\d+)\.(.*)$/.exec(name);
  if (m) return `${m[1]}.${moduleOf(m[2])}`;
  const parts = name.split(".");
  if (parts[0] === "encoder") return `encoder.${parts[1]}`;
  if (["fusion", "distill", "adapter"].includes(parts[0])) return `${parts[0]}.${parts[1]}`;
  return parts[0];
}

function moduleShape(module: string, config: ModelConfig, b: number, size: number): number[] | undefined {
  const f = config.features;
  const featDim = config.featDim ?? f[5];
  const local = module.replace(/^model\.\d+\./, "");
  const at = (s: number, c: number) => [b, size / 2 ** s, size / 2 ** s, c];
  let m: RegExpExecArray | null;
  if (local === "encoder.conv_0") return at(0, f[0]);
  if ((m = /^encoder\.down_(\d)$/.exec(local))) return at(+m[1], f[+m[1]]);
  if ((m = /^encoder\.upcat_(\d)$/.exec(local))) {
    const i = +m[1];
    return at(i - 1, i === 1 ? f[5] : f[i - 1]);
  }
  if (local === "encoder.final_conv" || local === "head") return at(0, featDim);
  if ((m = /^(fusion|distill)\.(\d)$/.exec(local))) return at(+m[2] + 1, f[+m[2] + 1]);
  if ((m = /^adapter\.(\d)$/.exec(local)) && config.kind === "student") {
    return at(+m[1] + 1, config.teacherFeatures[+m[1] + 1]);
  }
  if (local === "classifier") {
    const k = config.kind === "gazemedseg" ? 1 : (config.numClasses ?? (config.kind === "unet" ? 1 : 2));
    return at(0, k);
  }
  return undefined;
}

/**
 * Summarise a model from its configuration: parameter counts come from a model built on the fly
 * (then disposed); output shapes are derived from the architecture (tests check them against
 * real forward passes). Input `[batch, S, S, inChannels]`, S = `inputSize` (default: the teacher's
 * `inputSize`, else 224).
 */
export function summarizeModel(config: ModelConfig, options: SummarizeModelOptions = {}): ModelSummary {
  const b = options.batch ?? 1;
  const size = options.inputSize ?? (config.kind === "teacher" ? config.inputSize : 224);
  if (config.kind === "teacher" && size !== config.inputSize) {
    throw new Error(`summarizeModel: the teacher is sized for ${config.inputSize} px, not ${size}`);
  }
  if (size % 16 !== 0) throw new Error(`summarizeModel: inputSize must be a multiple of 16, got ${size}`);
  const model = initModel(config, { seed: 0 });
  const rows = new Map<string, ModuleSummary>();
  try {
    for (const [map, key] of [[model.params.trainable, "params"], [model.params.state, "state"]] as const) {
      for (const [name, v] of map) {
        const module = moduleOf(name);
        let row = rows.get(module);
        if (!row) {
          row = { module, params: 0, state: 0, outputShape: moduleShape(module, config, b, size) };
          rows.set(module, row);
        }
        row[key] += v.size;
      }
    }
  } finally {
    disposeModel(model);
  }
  const modules = [...rows.values()];
  const f = config.features;
  const featDim = config.featDim ?? f[5];
  const at = (s: number, c: number) => [b, size / 2 ** s, size / 2 ** s, c];
  const outputs: Record<string, number[]> = {};
  switch (config.kind) {
    case "teacher":
      outputs.logits = at(0, config.numClasses ?? 2);
      outputs.features = at(0, featDim);
      for (let s = 1; s <= 4; s++) {
        outputs[`distill.${s}`] = at(s, f[s]);
        if (config.text ?? true) outputs[`attention.${s}`] = [b, (size / 2 ** s) ** 2, config.textLen];
      }
      break;
    case "student":
      outputs.logits = at(0, config.numClasses ?? 2);
      outputs.features = at(0, featDim);
      for (let s = 1; s <= 4; s++) outputs[`aligned.${s}`] = at(s, config.teacherFeatures[s]);
      break;
    case "gazemedseg":
      outputs.logits = at(0, 1);
      for (let k = 1; k <= (config.levels ?? 2); k++) {
        outputs[`levelLogits.${k}`] = at(0, 1);
        outputs[`propLogits.${k}`] = at(0, 1);
        outputs[`features.${k}`] = at(0, featDim);
      }
      break;
    case "unet":
      outputs.logits = at(0, config.numClasses ?? 1);
      outputs.features = at(0, featDim);
      break;
  }
  return {
    kind: config.kind,
    inputShape: [b, size, size, config.inChannels],
    modules,
    totalParams: modules.reduce((a, r) => a + r.params, 0),
    totalState: modules.reduce((a, r) => a + r.state, 0),
    outputs,
  };
}
