/**
 * Per-module parameter counts and output shapes of a model (what `deno task model-summary` prints).
 *
 * @module
 */
import type { ModelConfig, ModelSummary } from "./types.ts";

/** Options for {@link summarizeModel}. */
export interface SummarizeModelOptions {
  /** Batch size of the input the shapes refer to (default 1). */
  batch?: number;
  /** Square input side (default: the teacher's `inputSize`, else 224). */
  inputSize?: number;
}

/**
 * Summarise a model from its configuration alone: parameter counts come from the layer formulas
 * applied to a model built on the fly (no forward pass); output shapes are derived from the
 * architecture (tests check them against real forward passes).
 */
export function summarizeModel(config: ModelConfig, options: SummarizeModelOptions = {}): ModelSummary {
  void config;
  void options;
  throw new Error("summarizeModel: not yet implemented");
}
