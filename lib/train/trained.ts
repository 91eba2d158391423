/**
 * Rebuild a trained method from a run checkpoint, for evaluation, figures and notebooks.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { exists } from "../core/atomic_write.ts";
import { createMethod } from "./methods/mod.ts";
import type { TrainMethod } from "./methods/types.ts";
import { loadRunCheckpoint, readRunState, type RunState } from "./run_checkpoint.ts";

/** A method with the weights of a checkpoint. Call `method.dispose()` when done. */
export interface TrainedMethod {
  /** The method (all its networks loaded). */
  method: TrainMethod;
  /** The checkpoint's state.json (config, iteration, best metrics). */
  state: RunState;
  /** The checkpoint folder. */
  dir: string;
  /** The network named by a file path (`.../student.safetensors`), else the reported network. */
  network: string;
}

/**
 * Load a trained method from a run checkpoint: `path` is a checkpoint FOLDER
 * (`<run>/checkpoints/best`, holding state.json), a RUN folder (its `best`, else `last`), or one
 * network's file in a checkpoint folder (`.../best/student.safetensors` or `.json`: that network
 * becomes `network`). Errors name the path and what was expected.
 *
 * @example
 * ```ts ignore
 * import { loadTrainedMethod } from "../../mod.ts";
 * const { method, network } = await loadTrainedMethod("results/run/checkpoints/best");
 * const logits = method.predict(images, { network }); // [B, H, W, 1]
 * method.dispose();
 * ```
 */
export async function loadTrainedMethod(path: string): Promise<TrainedMethod> {
  let dir = path, network: string | undefined;
  const m = /^(.*)\.(safetensors|json)$/.exec(path);
  if (m && basename(path) !== "state.json") {
    dir = dirname(path);
    network = basename(m[1]).replace(/\.optim$/, "");
  } else if (basename(path) === "state.json") {
    dir = dirname(path);
  } else if (!(await exists(join(path, "state.json")))) {
    const best = join(path, "checkpoints", "best"), last = join(path, "checkpoints", "last");
    if (await exists(join(best, "state.json"))) dir = best;
    else if (await exists(join(last, "state.json"))) dir = last;
    else {
      throw new Error(
        `${path}: not a checkpoint (expected a folder with state.json, a run folder with checkpoints/best or ` +
          `checkpoints/last, or a <network>.safetensors file inside a checkpoint folder)`,
      );
    }
  }
  const st = await readRunState(dir);
  const channels = (await readChannels(dir, st.networks[0])) ?? 3;
  const method = createMethod(st.method, { config: st.config, channels });
  try {
    const state = await loadRunCheckpoint(dir, { networks: method.networks });
    if (network !== undefined && !method.networks.has(network)) {
      throw new Error(
        `${path}: '${network}' is not a network of this ${st.method} checkpoint (${st.networks.join(", ")})`,
      );
    }
    return { method, state, dir, network: network ?? method.reported };
  } catch (err) {
    method.dispose();
    throw err;
  }
}

async function readChannels(dir: string, net: string): Promise<number | undefined> {
  try {
    const side = JSON.parse(await Deno.readTextFile(join(dir, `${net}.json`)));
    return side?.config?.inChannels;
  } catch {
    return undefined;
  }
}
