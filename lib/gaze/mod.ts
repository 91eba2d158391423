/**
 * Gaze to pseudo-masks, the "where" signal (docs/METHOD.md section 3): the
 * GazeMedSeg fixation reader, the 768-canvas heatmap, a fully connected CRF on
 * the permutohedral lattice, 8-bit storage of both maps, multi-level masks
 * (M_hc / M_bc), a scanpath simulator fitted to the real Kvasir gaze, and a
 * Plotly figure of the maps.
 *
 * @module
 */
export * from "./fixations.ts";
export * from "./gaussian_filter.ts";
export * from "./heatmap.ts";
export * from "./quantise.ts";
export * from "./permutohedral.ts";
export * from "./crf.ts";
export * from "./pipeline.ts";
export * from "./store.ts";
export * from "./levels.ts";
export * from "./distance_map.ts";
export * from "./scanpath_stats.ts";
export * from "./simulate.ts";
export * from "./figure.ts";
