/**
 * The Plotly figure object every plot of the toolkit is: plain JSON
 * (`{ data, layout, config }`, as plotly.js and Python's `fig.to_dict()` use), built
 * in TypeScript, shown in notebooks and exported to HTML/PNG/SVG.
 *
 * @module
 */

/** A Plotly figure: traces, layout and optional config (plain JSON). */
export interface PlotlyFigure {
  /** Traces, e.g. `{ type: "scatter", x: [...], y: [...] }`. */
  data: Record<string, unknown>[];
  /** Layout: title, axes, width/height in px, ... */
  layout?: Record<string, unknown>;
  /** Plotly config (e.g. `{ responsive: true }`). */
  config?: Record<string, unknown>;
}

/** Check that `fig` looks like a Plotly figure (a `data` array of objects), naming `what` in the error. */
export function checkFigure(fig: PlotlyFigure, what = "figure"): PlotlyFigure {
  if (typeof fig !== "object" || fig === null || !Array.isArray(fig.data)) {
    throw new Error(`${what}: expected a Plotly figure { data: [...], layout?: {...} }`);
  }
  fig.data.forEach((t, i) => {
    if (typeof t !== "object" || t === null) throw new Error(`${what}: data[${i}] must be a trace object`);
  });
  if (fig.layout !== undefined && (typeof fig.layout !== "object" || fig.layout === null)) {
    throw new Error(`${what}: layout must be an object`);
  }
  return fig;
}
