/**
 * Run checkpoints: everything needed to resume a training run exactly, saved as ONE folder that
 * appears atomically.
 *
 * ```
 * <out>/checkpoints/<name>/            name = last | best
 *   <network>.safetensors + .json      weights + BatchNorm state (lib/models checkpoint format;
 *                                      the sidecar's `extra` holds method, network, trainConfig)
 *   <network>.optim.safetensors        optimiser state (momentum / Adam moments, step) — `last` only
 *   state.json                         RunState: iteration, best so far, eval history, config
 * ```
 * The folder is written under a temporary name and renamed into place (the previous one is moved
 * aside first and deleted after), so a kill at any moment leaves either the old or the new
 * checkpoint complete; {@link checkpointDir} finds the moved-aside one if the kill fell between
 * the two renames. Random streams need no saving: every stream is derived from (seed, iteration)
 * or (seed, epoch), so the iteration number restores the data order, flips, DARM, CutMix and noise.
 *
 * @module
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { atomicWrite, exists } from "../core/atomic_write.ts";
import { provenance } from "../core/provenance.ts";
import { checkpointStem, loadSafetensorsInto, saveCheckpoint } from "../models/checkpoint.ts";
import { decodeSafetensors, encodeSafetensors, type SafetensorsEntry } from "../models/safetensors.ts";
import type { Model } from "../models/types.ts";
import type { MethodName, TrainConfig } from "./config.ts";
import type { Optimizer } from "./optimizer.ts";

/** Format tag of state.json. */
export const RUN_STATE_FORMAT = "gaze-insight-run-state/1";

/** One evaluation during training. */
export interface EvalRecord {
  /** Completed iterations when it ran. */
  iteration: number;
  /** Metrics returned by the evaluate callback (at least `dice` of the reported network). */
  metrics: Record<string, number>;
  /** Seconds the evaluation took. */
  seconds: number;
}

/** state.json of a run checkpoint. */
export interface RunState {
  /** {@link RUN_STATE_FORMAT}. */
  format: string;
  /** Method name. */
  method: MethodName;
  /** Completed iterations (the next iteration to run, 0-based). */
  iteration: number;
  /** The configured total. */
  iterations: number;
  /**
   * Where the data order stands (informational: it is recomputed from the seed and `iteration`):
   * the epoch of the next iteration and the index of its batch within the epoch.
   */
  dataOrder: { epoch: number; batch: number; batchesPerEpoch: number };
  /** Networks saved in the folder, in method order. */
  networks: string[];
  /** The network whose Dice chose `best`. */
  reported: string;
  /** Iteration of the best evaluation so far (null before any). */
  bestIteration: number | null;
  /** Metrics of the best evaluation so far. */
  bestMetrics: Record<string, number> | null;
  /** Every evaluation so far. */
  evals: EvalRecord[];
  /** Training seconds so far (excluding evaluations), summed over resumed sessions. */
  trainSeconds: number;
  /** Evaluation seconds so far. */
  evalSeconds: number;
  /** The full config of the run. */
  config: TrainConfig;
  /** Backend the run used (last session). */
  backend: string;
  /** What produced it. */
  provenance: Record<string, unknown>;
}

/** Path of checkpoint `name` (`last`, `best`) under a run folder. */
export function checkpointPath(outDir: string, name: string): string {
  return join(outDir, "checkpoints", name);
}

/**
 * The folder holding checkpoint `name`, or null when none exists: `<out>/checkpoints/<name>`, or,
 * when a kill fell between the two renames of a save, the moved-aside previous folder.
 */
export async function checkpointDir(outDir: string, name: string): Promise<string | null> {
  const dir = checkpointPath(outDir, name);
  if (await exists(join(dir, "state.json"))) return dir;
  const parent = join(outDir, "checkpoints");
  if (!(await exists(parent))) return null;
  for await (const e of Deno.readDir(parent)) {
    if (e.isDirectory && e.name.startsWith(`.${name}.old-`) && (await exists(join(parent, e.name, "state.json")))) {
      return join(parent, e.name);
    }
  }
  return null;
}

/** Read state.json of a checkpoint folder (errors name the file). */
export async function readRunState(dir: string): Promise<RunState> {
  const path = join(dir, "state.json");
  let s: RunState;
  try {
    s = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new Error(`${path}: cannot read the run state (${(err as Error).message})`);
  }
  if (s.format !== RUN_STATE_FORMAT) {
    throw new Error(`${path}: field 'format' is ${JSON.stringify(s.format)}, expected ${RUN_STATE_FORMAT}`);
  }
  return s;
}

/** What {@link saveRunCheckpoint} writes. */
export interface RunCheckpointContent {
  /** The networks by name. */
  networks: ReadonlyMap<string, Model>;
  /** Optimisers by network name (omit for weights-only checkpoints such as `best`). */
  optimizers?: ReadonlyMap<string, Optimizer>;
  /** The state (its `provenance` is filled in). */
  state: Omit<RunState, "format" | "provenance">;
}

/** Optimiser state tensors as safetensors entries (read back asynchronously, for GPU backends). */
async function optimizerEntries(opt: Optimizer): Promise<Map<string, SafetensorsEntry>> {
  const out = new Map<string, SafetensorsEntry>();
  const st = opt.state();
  try {
    for (const [k, t] of st) {
      out.set(k, { dtype: "F32", shape: t.shape.slice(), data: Float32Array.from((await t.data()) as Float32Array) });
    }
  } finally {
    st.get("step")?.dispose(); // state() makes a fresh `step` tensor; the slots are the optimiser's own
  }
  return out;
}

/** Save a run checkpoint atomically as folder `<out>/checkpoints/<name>` (see module doc). */
export async function saveRunCheckpoint(outDir: string, name: string, content: RunCheckpointContent): Promise<string> {
  const parent = join(outDir, "checkpoints");
  const final = join(parent, name);
  const tag = crypto.randomUUID().slice(0, 8);
  const tmp = join(parent, `.${name}.tmp-${tag}`);
  await Deno.mkdir(tmp, { recursive: true });
  const { state } = content;
  for (const [net, model] of content.networks) {
    await saveCheckpoint(join(tmp, net), model, {
      step: state.iteration,
      metrics: state.bestMetrics && name === "best" ? state.bestMetrics : {},
      extra: { method: state.method, network: net, reported: state.reported, trainConfig: state.config },
    });
    const opt = content.optimizers?.get(net);
    if (opt) {
      await atomicWrite(
        join(tmp, `${net}.optim.safetensors`),
        encodeSafetensors(await optimizerEntries(opt), { metadata: { optimizer: opt.config.type } }),
      );
    }
  }
  const full: RunState = { format: RUN_STATE_FORMAT, ...state, provenance: provenance({ method: state.method }) };
  await atomicWrite(join(tmp, "state.json"), JSON.stringify(full, null, 2) + "\n");
  let old: string | undefined;
  if (await exists(final)) {
    old = join(parent, `.${name}.old-${tag}`);
    await Deno.rename(final, old);
  }
  await Deno.rename(tmp, final);
  if (old) await Deno.remove(old, { recursive: true });
  // Leftovers of killed saves.
  for await (const e of Deno.readDir(parent)) {
    if (e.name.startsWith(`.${name}.tmp-`) || e.name.startsWith(`.${name}.old-`)) {
      await Deno.remove(join(parent, e.name), { recursive: true }).catch(() => {});
    }
  }
  return final;
}

/**
 * Load weights (and, when given, optimiser states) from a checkpoint folder into existing
 * networks and optimisers. Every network must be present; returns the state.
 */
export async function loadRunCheckpoint(
  dir: string,
  target: { networks: ReadonlyMap<string, Model>; optimizers?: ReadonlyMap<string, Optimizer> },
): Promise<RunState> {
  const state = await readRunState(dir);
  for (const [net, model] of target.networks) {
    const path = `${checkpointStem(join(dir, net))}.safetensors`;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (err) {
      throw new Error(`${path}: cannot read the weights of network '${net}' (${(err as Error).message})`);
    }
    loadSafetensorsInto(model, decodeSafetensors(bytes, { source: path }).tensors, { source: path });
    const opt = target.optimizers?.get(net);
    if (opt) {
      const optPath = join(dir, `${net}.optim.safetensors`);
      let ob: Uint8Array;
      try {
        ob = await Deno.readFile(optPath);
      } catch (err) {
        throw new Error(`${optPath}: cannot read the optimiser state of '${net}' (${(err as Error).message})`);
      }
      const entries = decodeSafetensors(ob, { source: optPath }).tensors;
      const tensors = new Map<string, tf.Tensor>();
      for (const [k, e] of entries) tensors.set(k, tf.tensor(e.data as Float32Array, e.shape, "float32"));
      try {
        opt.load(tensors);
      } finally {
        tf.dispose([...tensors.values()]);
      }
    }
  }
  return state;
}
