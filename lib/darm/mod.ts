/**
 * DARM, disagreement-aware random masking (docs/METHOD.md section 6.5): square blocks zeroed in the
 * student's image and in M_bc around the pixels where two masks disagree. `gaze` variant
 * (M_hc vs M_bc, the code) and `prediction` variant (teacher vs student, the paper). Seeded.
 *
 * @module
 */
export * from "./types.ts";
export * from "./mask_blocks.ts";
export * from "./gaze.ts";
export * from "./prediction.ts";
export * from "./tensors.ts";
