/**
 * Dry runs: a few iterations of a profile (the `paper` profile on a CPU, typically) to prove that it
 * runs and to measure what one iteration costs: seconds, FLOPs (lib/backend/flop_counter.ts, counted
 * as the `unet-step` bench counts them), peak memory (wasm heap and process RSS) and the load of the
 * machine. `deno task train --dry-run` uses this.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { startFlopCounter } from "../backend/flop_counter.ts";
import { batchCount } from "../data/batches.ts";
import type { Dataset } from "../data/types.ts";
import type { TrainConfig } from "./config.ts";
import { epochOrder, type LogRecord } from "./loop.ts";

/** Test images a dry run evaluates on. */
export const DRY_RUN_EVAL_IMAGES = 2;

/**
 * The ids a run's first `iterations` iterations read (train split, in the loop's epoch order), and
 * the first `evalImages` test ids; a dry run prepares supervision for these only.
 */
export function dryRunIds(
  dataset: Dataset,
  config: TrainConfig,
  options: { iterations: number; evalImages?: number },
): { train: string[]; test: string[] } {
  const trainIds = dataset.ids("train");
  const B = config.batchSize;
  const bpe = batchCount(trainIds.length, B);
  const seen = new Set<string>();
  for (let it = 0; it < options.iterations; it++) {
    const epoch = Math.floor(it / bpe), pos = it % bpe;
    for (const id of epochOrder(trainIds, config.seed, epoch).slice(pos * B, pos * B + B)) seen.add(id);
  }
  return { train: [...seen], test: dataset.ids("test").slice(0, options.evalImages ?? DRY_RUN_EVAL_IMAGES) };
}

/** One measured iteration. */
export interface IterationCost {
  /** Completed iterations after it (1-based). */
  iteration: number;
  /** Training phase (`main`, `joint`, `teacher`, `student`). */
  phase: string;
  /** Wall seconds (batch loading included), as logged. */
  seconds: number;
  /** Floating-point operations of convolutions and matrix products executed, forward and backward. */
  gflop: number;
}

/** What a dry run measured. */
export interface DryRunReport {
  /** Per iteration. */
  iterations: IterationCost[];
  /** Mean seconds per iteration. */
  secondsPerIteration: number;
  /** Mean GFLOP per iteration. */
  gflopPerIteration: number;
  /** GFLOP of the evaluation(s). */
  evalGflop: number;
  /** Seconds of the evaluation(s). */
  evalSeconds: number;
  /** Peak memory. */
  memory: {
    /** Size of the wasm backend's heap at the end (it only grows, so this is its peak), bytes; null on other backends. */
    wasmHeapBytes: number | null;
    /** Peak resident set size of the process (VmHWM), bytes; null where /proc is absent. */
    peakRssBytes: number | null;
    /** Bytes held by tfjs tensors at the end. */
    tensorBytes: number;
  };
  /** 1-, 5- and 15-minute load averages at the end (null where /proc is absent). */
  loadAverage: number[] | null;
}

/** The wasm backend's heap size in bytes, or null on another backend. */
export function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== "wasm") return null;
  // deno-lint-ignore no-explicit-any
  const wasm = (tf.backend() as any).wasm;
  const buffer = wasm?.HEAPU8?.buffer ?? wasm?.wasmMemory?.buffer;
  return typeof buffer?.byteLength === "number" ? buffer.byteLength : null;
}

/** Peak resident set size of this process (VmHWM of /proc/self/status), bytes; null where unavailable. */
export function peakRssBytes(): number | null {
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** The load averages of /proc/loadavg, or null. */
export function loadAverage(): number[] | null {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(/\s+/).slice(0, 3).map(Number);
  } catch {
    return null;
  }
}

/**
 * Measure a training run through its log: pass `onLog` to `train()`, then call `report()`. FLOPs
 * between two step records are the later step's (only convolutions and matrix products are counted,
 * so batch loading adds nothing); FLOPs after the last step record are the evaluation's.
 */
export function measureTraining(): { onLog: (rec: LogRecord) => void; report(): DryRunReport; stop(): void } {
  const counter = startFlopCounter();
  const iterations: IterationCost[] = [];
  let evalGflop = 0, evalSeconds = 0;
  const onLog = (rec: LogRecord) => {
    if (rec.type === "step") {
      iterations.push({ iteration: rec.iteration, phase: rec.phase, seconds: rec.seconds, gflop: 0 });
      iterations.at(-1)!.gflop = counter.read().total / 1e9;
      counter.reset();
    } else if (rec.type === "eval") {
      evalGflop += counter.read().total / 1e9;
      evalSeconds += rec.seconds;
      counter.reset();
    }
  };
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
  return {
    onLog,
    report: () => ({
      iterations,
      secondsPerIteration: mean(iterations.map((i) => i.seconds)),
      gflopPerIteration: mean(iterations.map((i) => i.gflop)),
      evalGflop,
      evalSeconds,
      memory: { wasmHeapBytes: wasmHeapBytes(), peakRssBytes: peakRssBytes(), tensorBytes: tf.memory().numBytes },
      loadAverage: loadAverage(),
    }),
    stop: () => counter.stop(),
  };
}
