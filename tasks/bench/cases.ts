/**
 * The registry of benchmark cases. Each concern adds its cases in its own file
 * under tasks/bench/ and lists them here.
 *
 * @module
 */
import type { BenchCase } from "./types.ts";
import { unetStepCase } from "./unet_step.ts";

/** All benchmark cases, in run order. */
export const BENCH_CASES: BenchCase[] = [unetStepCase];
