/**
 * Which dataset and profile `deno task reproduce` (and the notebooks) use when the
 * user does not say: `auto` = Kvasir-SEG with its GazeMedSeg gaze when they are in the
 * data root (or can be fetched into it), else the synthetic dataset — always with the
 * reason, printed and recorded in the results' README.
 *
 * Default profile: `cpu` for a real dataset (the scale chosen so the main Kvasir table
 * trains on 2 CPU cores in about half an hour per the configs), `smoke` for synthetic
 * (a demonstration of the whole pipeline in minutes: synthetic numbers say nothing
 * about the paper). `paper` is only ever chosen explicitly (it needs a GPU host).
 *
 * @module
 */
import { join } from "node:path";
import { exists } from "../core/atomic_write.ts";
import { fetchDataset } from "../data/fetch.ts";
import type { DatasetName } from "../data/types.ts";
import type { TrainProfile } from "../train/config.ts";

/** What the user may ask for. */
export type DatasetRequest = "auto" | DatasetName;

/** Every accepted `--dataset` value. */
export const DATASET_REQUESTS: readonly DatasetRequest[] = ["auto", "kvasir", "nci-isbi", "isic", "synthetic"];

/** The decision. */
export interface DatasetChoice {
  /** The dataset to use. */
  dataset: DatasetName;
  /** Why (one sentence, printed and recorded). */
  reason: string;
  /** True when the data was fetched by this call. */
  fetched: boolean;
}

/** Files that must exist under the data root for Kvasir-SEG with gaze. */
export const KVASIR_REQUIRED = [
  "kvasir-seg/images",
  "kvasir-seg/masks",
  "gazemedseg-fixations/kvasir_fixation.csv",
  "gazemedseg-splits/Kvasir-SEG/train.txt",
  "gazemedseg-splits/Kvasir-SEG/test.txt",
] as const;

/** The required Kvasir paths missing under `root` (empty when complete). */
export async function missingKvasir(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of KVASIR_REQUIRED) if (!(await exists(join(root, p)))) out.push(p);
  return out;
}

/** Options of {@link chooseDataset}. */
export interface ChooseDatasetOptions {
  /** Data root. */
  root: string;
  /** Try `fetch-data kvasir` into the root when Kvasir is absent (default true). */
  fetch?: boolean;
  /** Silence the fetch's progress. */
  quiet?: boolean;
}

/**
 * Resolve `auto` (see module doc); any other request is returned as is, with the
 * reason "requested".
 */
export async function chooseDataset(request: DatasetRequest, options: ChooseDatasetOptions): Promise<DatasetChoice> {
  if (!DATASET_REQUESTS.includes(request)) {
    throw new Error(`--dataset: unknown '${request}' (expected ${DATASET_REQUESTS.join(", ")})`);
  }
  if (request !== "auto") return { dataset: request, reason: `--dataset ${request} was requested`, fetched: false };
  const missing = await missingKvasir(options.root);
  if (!missing.length) {
    return {
      dataset: "kvasir",
      reason: `Kvasir-SEG and its GazeMedSeg gaze are in the data root ${options.root}`,
      fetched: false,
    };
  }
  if (options.fetch ?? true) {
    try {
      await fetchDataset("kvasir", { dataDir: options.root, quiet: options.quiet ?? true });
      if (!(await missingKvasir(options.root)).length) {
        return { dataset: "kvasir", reason: `Kvasir-SEG was fetched into ${options.root}`, fetched: true };
      }
    } catch (err) {
      return {
        dataset: "synthetic",
        reason: `Kvasir-SEG is not in the data root ${options.root} (missing ${missing[0]}) and could not be fetched ` +
          `(${
            (err as Error).message.split("\n")[0]
          }); using the synthetic dataset (numbers say nothing about the paper)`,
        fetched: false,
      };
    }
  }
  return {
    dataset: "synthetic",
    reason: `Kvasir-SEG is not in the data root ${options.root} (missing ${missing[0]}); using the synthetic ` +
      "dataset (numbers say nothing about the paper; `deno task fetch-data kvasir` brings the real data)",
    fetched: false,
  };
}

/** The default profile for a dataset (see module doc). */
export function defaultProfile(dataset: DatasetName): TrainProfile {
  return dataset === "synthetic" ? "smoke" : "cpu";
}
