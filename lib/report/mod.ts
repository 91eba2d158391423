/**
 * Reporting: results tables (Markdown, CSV, JSON, HTML from computed values), Plotly
 * figures exported to standalone HTML and PNG/SVG, notebook display, HTML page building
 * blocks, and the reproduction of the paper — the experiment plan, the main / ablation /
 * sensitivity tables, the figures, the results README, `reproduce()` behind
 * `deno task reproduce`, and the headless notebook runner behind `deno task notebooks`.
 *
 * @module
 */
export * from "./html.ts";
export * from "./table.ts";
export * from "./figure.ts";
export * from "./figure_export.ts";
export * from "./display.ts";
export * from "./published.ts";
export * from "./plan.ts";
export * from "./per_image.ts";
export * from "./run_outcome.ts";
export * from "./main_table.ts";
export * from "./ablation_table.ts";
export * from "./sensitivity_table.ts";
export * from "./diagnosis_table.ts";
export * from "./overlay.ts";
export * from "./image_grid.ts";
export * from "./cases.ts";
export * from "./training_curves.ts";
export * from "./training_dynamics.ts";
export * from "./dice_distribution.ts";
export * from "./annotation_cost_figure.ts";
export * from "./predictions.ts";
export * from "./figures.ts";
export * from "./dataset_choice.ts";
export * from "./results_readme.ts";
export * from "./reproduce.ts";
export * from "./grid.ts";
export * from "./run_lock.ts";
export * from "./notebooks.ts";
export * from "./notebook_support.ts";
