/**
 * The registry of benchmark cases. Each concern adds its cases in its own file
 * under tasks/bench/ and lists them here.
 *
 * @module
 */
import type { BenchCase } from "./types.ts";
import { TEXT_BENCH_CASES } from "./text.ts";
import { unetStepCase } from "./unet_step.ts";
import { metricsCase } from "./metrics.ts";
import { DATA_BENCH_CASES } from "./data.ts";
import { MODEL_BENCH_CASES } from "./models.ts";
import { GAZE_BENCH_CASES } from "./gaze.ts";
import { trainStepCase } from "./train.ts";

/** All benchmark cases, in run order. */
export const BENCH_CASES: BenchCase[] = [
  ...DATA_BENCH_CASES,
  unetStepCase,
  metricsCase,
  ...GAZE_BENCH_CASES,
  ...TEXT_BENCH_CASES,
  ...MODEL_BENCH_CASES,
  trainStepCase,
];
