/**
 * Reporting primitives: results tables (Markdown, CSV, JSON, HTML from computed
 * values), Plotly figures exported to standalone HTML and PNG/SVG, notebook display,
 * and HTML page building blocks.
 *
 * @module
 */
export * from "./html.ts";
export * from "./table.ts";
export * from "./figure.ts";
export * from "./figure_export.ts";
export * from "./display.ts";
