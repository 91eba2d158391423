/**
 * Training (docs/METHOD.md sections 6-7): the config and its validation, optimisers and the per-epoch
 * half-cosine schedule, the method plug-ins (`fullsup`, `gaze1`, `gazemedseg`, `fgi` with the
 * paper-vs-code switches and ablations), ONE training loop with checkpoints, resume, JSON-lines
 * logs and Ctrl-C handling, the supervision sources (gaze maps, text tokens) and loading a trained
 * method back from a checkpoint.
 *
 * @module
 */
export * from "./config.ts";
export * from "./optimizer.ts";
export * from "./lr_schedule.ts";
export * from "./batch.ts";
export * from "./supervision.ts";
export * from "./methods/mod.ts";
export * from "./run_checkpoint.ts";
export * from "./loop.ts";
export * from "./trained.ts";
export * from "./dry_run.ts";
export * from "./text_model.ts";
