/**
 * The shape of a benchmark case run by `deno task bench`.
 *
 * @module
 */

/** Options every case receives. */
export interface BenchContext {
  /** Backend requested on the command line (`--backend`), already selected. */
  backend: string;
  /** Data root (may not contain real data; cases that need it report `skipped`). */
  dataRoot: string;
  /** Quick mode: fewer repetitions (used by the test that checks the harness). */
  quick: boolean;
  /** `--peer NAME`: also run the case in another framework where the case supports it (e.g. "torch"). */
  peer?: string;
  /** `--threads N`: the wasm thread pool size already set (and the peer's thread count); unset: defaults. */
  threads?: number;
  /** `--peer-threads N`: the peer's thread count when it should differ from the toolkit's. */
  peerThreads?: number;
  /** `--method M`: the method of cases that run one (train-step); unset: the case's default set. */
  method?: string;
  /** `--config FILE`: training config of cases that use one (train-step). */
  config?: string;
  /** `--warmup N`: untimed iterations before the timed ones, for cases that take it. */
  warmup?: number;
  /** `--steps N`: timed iterations, for cases that take it. */
  steps?: number;
  /** `--rounds N`: repeat the measurement (and the peer's, alternating) N times and report medians over rounds. */
  rounds?: number;
}

/** One benchmark case. `run` returns a flat JSON object of measurements. */
export interface BenchCase {
  /** Unique name, used by `--case`. */
  name: string;
  /** One line saying what is measured. */
  description: string;
  /** Run the case; return measurements (numbers with units in their keys) or `{ skipped: "why" }`. */
  run(ctx: BenchContext): Promise<Record<string, unknown>>;
}

/** Median of a list of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
