/**
 * Gaze Insight: a Deno/TypeScript toolkit reproducing "From Gaze to Insight"
 * (FGI, Chen et al. 2025): weakly-supervised medical image segmentation from
 * clinician eye-tracking gaze ("where") and a vision-language model's lesion
 * description ("why"), distilled from a text-aware teacher into an image-only
 * student with feature alignment (AFC), confidence-weighted consistency (CWC)
 * and disagreement-aware random masking (DARM).
 *
 * The public surface, in the order data flows:
 * core/backend -> data -> gaze, text -> models -> losses, darm -> train -> metrics -> report.
 *
 * @example
 * ```ts
 * import { openDataset, selectBackend } from "./mod.ts";
 * await selectBackend("wasm");
 * const ds = await openDataset("synthetic", {});
 * console.log(ds.ids("train").length);
 * ```
 *
 * @module
 */
export * from "./lib/core/mod.ts";
export * from "./lib/backend/mod.ts";
export * from "./lib/data/mod.ts";
export * from "./lib/gaze/mod.ts";
export * from "./lib/text/mod.ts";
export * from "./lib/models/mod.ts";
export * from "./lib/losses/mod.ts";
export * from "./lib/darm/mod.ts";
export * from "./lib/train/mod.ts";
export * from "./lib/metrics/mod.ts";
export * from "./lib/report/mod.ts";
