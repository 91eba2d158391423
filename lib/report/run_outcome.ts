/**
 * What a finished training run contributes to the tables and figures: its plan entry,
 * the per-image scores of its reported network at the `best` and `last` checkpoints,
 * its wall time, and where its files are.
 *
 * @module
 */
import type { PerImageRow } from "./per_image.ts";
import type { RunSpec } from "./plan.ts";

/** Which checkpoint a table reports. */
export type CheckpointChoice = "best" | "last";

/** A finished run, as the tables read it. */
export interface RunOutcome {
  /** The plan entry. */
  spec: RunSpec;
  /** The run folder. */
  dir: string;
  /** Per-image scores at the best checkpoint (best test Dice of the reported network; optimistic, as the paper). */
  best: PerImageRow[];
  /** Per-image scores at the last checkpoint. */
  last: PerImageRow[];
  /** FGI: per-image scores of the TEACHER (with text) at the best and last checkpoints, when written. */
  teacher?: { best: PerImageRow[]; last: PerImageRow[] };
  /** Diagnosis runs: the student's per-image scores on DARM-masked test images, when written. */
  masked?: { best: PerImageRow[]; last: PerImageRow[] };
  /** Every evaluation logged during training (log.jsonl `eval` records), in order, when read. */
  evaluations?: { iteration: number; metrics: Record<string, number> }[];
  /** The metrics of the run's last evaluation (result.json), e.g. the `dyn/...` output statistics. */
  lastMetrics?: Record<string, number>;
  /** Unit of the surface distances. */
  unit: "px" | "mm";
  /** Training wall time in seconds, when logged. */
  seconds: number | null;
  /** Iteration of the best checkpoint, when known. */
  bestIteration: number | null;
}

/**
 * The outcomes of one table row (a plan key) over seeds, in seed order. Throws when
 * one is missing (naming the run), so a table is never silently built on fewer seeds.
 */
export function outcomesFor(
  outcomes: readonly RunOutcome[],
  key: string,
  seeds: readonly number[],
): RunOutcome[] {
  return seeds.map((seed) => {
    const o = outcomes.find((x) => x.spec.key === key && x.spec.seed === seed);
    if (!o) throw new Error(`no results for run ${key}_s${seed}; run \`deno task reproduce\` to produce them`);
    return o;
  });
}

/** The per-image lists of `outcomes` at a checkpoint. */
export function perImageAt(outcomes: readonly RunOutcome[], checkpoint: CheckpointChoice): PerImageRow[][] {
  return outcomes.map((o) => o[checkpoint]);
}
