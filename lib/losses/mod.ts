/**
 * Losses (docs/METHOD.md section 6): BCE-with-logits, partial CE, AFC, CWC with its helpers (uniform
 * noise, CutMix, confidence sets), the GazeMedSeg consistency and the ramp-up weight w(t).
 * Every loss returns a scalar and leaks no tensor. Stop-gradient: see `stopGradient` in
 * lib/models (a zero-gradient `tf.customGrad` identity).
 *
 * @module
 */
export * from "./foreground.ts";
export * from "./bce_with_logits.ts";
export * from "./partial_ce.ts";
export * from "./afc.ts";
export * from "./uniform_noise.ts";
export * from "./cutmix.ts";
export * from "./confidence.ts";
export * from "./cwc.ts";
export * from "./gazemedseg_consistency.ts";
export * from "./ramp_up.ts";
