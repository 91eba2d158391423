/**
 * Model checkpoints: `<stem>.safetensors` (parameters and BatchNorm state in PyTorch layout and
 * PyTorch `state_dict` names) plus `<stem>.json` (sidecar: config, step, metrics, provenance).
 * Both files are written atomically. Loading gives a model whose outputs are bit-identical
 * (float32 values are stored exactly; layout changes are pure transpositions).
 *
 * PyTorch users: `safetensors.torch.load_file(path)` gives a dict whose keys match the reference
 * modules' `state_dict` keys; BatchNorm `num_batches_tracked` is not stored (load with
 * `strict=False`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { atomicWrite, provenance } from "../core/mod.ts";
import { initModel } from "./model.ts";
import { decodeSafetensors, encodeSafetensors, type SafetensorsEntry } from "./safetensors.ts";
import type { Model, ModelConfig, ParamLayout } from "./types.ts";

/** Format tag written into the sidecar and the safetensors metadata. */
export const CHECKPOINT_FORMAT = "gaze-insight-checkpoint/1";

/** The JSON sidecar next to a checkpoint. */
export interface CheckpointSidecar {
  /** Format tag, {@link CHECKPOINT_FORMAT}. */
  format: string;
  /** The model configuration (enough to rebuild the model). */
  config: ModelConfig;
  /** Training iteration the checkpoint was taken at. */
  step: number;
  /** Metrics at that point (free-form numbers, e.g. `{ dice: 0.8 }`). */
  metrics: Record<string, number>;
  /** Anything else the caller stored (e.g. run id), plus `provenance`. */
  extra: Record<string, unknown>;
}

/** Options for {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  /** Training iteration (default 0). */
  step?: number;
  /** Metrics to store (default `{}`). */
  metrics?: Record<string, number>;
  /** Extra JSON data for the sidecar (default `{}`); a `provenance` record is added. */
  extra?: Record<string, unknown>;
}

/** Strip a `.safetensors` / `.json` extension: both files share the stem. */
export function checkpointStem(path: string): string {
  return path.replace(/\.(safetensors|json)$/, "");
}

const TO_TORCH: Record<ParamLayout, number[] | undefined> = {
  conv: [3, 2, 0, 1],
  deconv: [3, 2, 0, 1],
  linear: [1, 0],
  plain: undefined,
};
const FROM_TORCH: Record<ParamLayout, number[] | undefined> = {
  conv: [2, 3, 1, 0],
  deconv: [2, 3, 1, 0],
  linear: [1, 0],
  plain: undefined,
};

/**
 * The model's parameters and state as safetensors entries in PyTorch layout, in a stable order
 * (trainable first, then state, each in insertion order).
 */
export function modelToSafetensors(model: Model): Map<string, SafetensorsEntry> {
  const out = new Map<string, SafetensorsEntry>();
  for (const map of [model.params.trainable, model.params.state]) {
    for (const [name, v] of map) {
      const perm = TO_TORCH[model.params.layout.get(name) ?? "plain"];
      const t = perm ? tf.transpose(v, perm) : v;
      out.set(name, { dtype: "F32", shape: t.shape.slice(), data: t.dataSync() as Float32Array });
      if (t !== v) t.dispose();
    }
  }
  return out;
}

/**
 * Copy safetensors entries (PyTorch layout) into a model's variables. Every parameter and state
 * entry must be present with the right shape; unknown names are an error (they mean a different
 * architecture). `source` names the file in errors.
 */
export function loadSafetensorsInto(
  model: Model,
  tensors: Map<string, SafetensorsEntry>,
  options: { source?: string } = {},
): void {
  const src = options.source ?? "checkpoint";
  const known = new Set([...model.params.trainable.keys(), ...model.params.state.keys()]);
  for (const name of tensors.keys()) {
    if (!known.has(name)) throw new Error(`${src}: tensor '${name}' is not a parameter of this ${model.config.kind}`);
  }
  for (const map of [model.params.trainable, model.params.state]) {
    for (const [name, v] of map) {
      const e = tensors.get(name);
      if (!e) throw new Error(`${src}: missing tensor '${name}'`);
      const layout = model.params.layout.get(name) ?? "plain";
      const perm = TO_TORCH[layout];
      const want = perm ? perm.map((p) => v.shape[p]) : v.shape;
      if (e.shape.length !== want.length || e.shape.some((d, i) => d !== want[i])) {
        throw new Error(`${src}: tensor '${name}' has shape [${e.shape}], expected [${want}] (PyTorch layout)`);
      }
      const values = e.data instanceof Float32Array ? e.data : Float32Array.from(e.data);
      tf.tidy(() => {
        const t = tf.tensor(values, e.shape, "float32");
        const back = FROM_TORCH[layout];
        v.assign(back ? tf.transpose(t, back) : t);
      });
    }
  }
}

/**
 * Save `model` as `<stem>.safetensors` + `<stem>.json` (`path` may carry either extension or none).
 * Returns the two paths written.
 *
 * @example
 * ```ts
 * import { disposeModel, initModel, loadCheckpoint, modelConfigFor, saveCheckpoint, selectBackend } from "../../mod.ts";
 * await selectBackend("cpu");
 * const model = initModel(modelConfigFor("unet", "smoke"), { seed: 1 });
 * const dir = await Deno.makeTempDir();
 * await saveCheckpoint(`${dir}/unet`, model, { step: 10, metrics: { dice: 0.5 } });
 * const { model: again, sidecar } = await loadCheckpoint(`${dir}/unet`);
 * console.log(sidecar.step); // 10
 * disposeModel(model);
 * disposeModel(again);
 * ```
 */
export async function saveCheckpoint(
  path: string,
  model: Model,
  options: SaveCheckpointOptions = {},
): Promise<{ weights: string; sidecar: string }> {
  const stem = checkpointStem(path);
  const sidecar: CheckpointSidecar = {
    format: CHECKPOINT_FORMAT,
    config: model.config,
    step: options.step ?? 0,
    metrics: options.metrics ?? {},
    extra: { ...(options.extra ?? {}), provenance: provenance({ kind: model.config.kind }) },
  };
  const bytes = encodeSafetensors(modelToSafetensors(model), {
    metadata: {
      format: CHECKPOINT_FORMAT,
      kind: model.config.kind,
      config: JSON.stringify(model.config),
      step: String(sidecar.step),
    },
  });
  const weights = `${stem}.safetensors`, side = `${stem}.json`;
  await atomicWrite(weights, bytes);
  await atomicWrite(side, JSON.stringify(sidecar, null, 2) + "\n");
  return { weights, sidecar: side };
}

/** Load a checkpoint saved by {@link saveCheckpoint}: rebuilds the model from the sidecar's config. */
export async function loadCheckpoint(path: string): Promise<{ model: Model; sidecar: CheckpointSidecar }> {
  const stem = checkpointStem(path);
  const sidePath = `${stem}.json`, weightPath = `${stem}.safetensors`;
  let sidecar: CheckpointSidecar;
  try {
    sidecar = JSON.parse(await Deno.readTextFile(sidePath));
  } catch (err) {
    throw new Error(`${sidePath}: cannot read the checkpoint sidecar (${(err as Error).message})`);
  }
  if (sidecar.format !== CHECKPOINT_FORMAT) {
    throw new Error(`${sidePath}: field 'format' is ${JSON.stringify(sidecar.format)}, expected ${CHECKPOINT_FORMAT}`);
  }
  if (!sidecar.config || typeof sidecar.config !== "object") {
    throw new Error(`${sidePath}: field 'config' is missing`);
  }
  const bytes = await Deno.readFile(weightPath);
  const { tensors } = decodeSafetensors(bytes, { source: weightPath });
  const model = initModel(sidecar.config, { seed: 0 });
  try {
    loadSafetensorsInto(model, tensors, { source: weightPath });
  } catch (err) {
    for (const v of model.params.trainable.values()) v.dispose();
    for (const v of model.params.state.values()) v.dispose();
    throw err;
  }
  return { model, sidecar };
}
