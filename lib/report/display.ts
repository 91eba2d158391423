/**
 * Show Plotly figures inline in Jupyter notebooks running on the Deno kernel.
 *
 * @module
 */
import type { PlotlyFigure } from "./figure.ts";

interface JupyterApi {
  display(bundle: Record<string, unknown>, options?: { raw?: boolean }): Promise<void>;
}

/** The kernel's `Deno.jupyter`, or undefined outside `deno jupyter` (where accessing it throws). */
function jupyterApi(): JupyterApi | undefined {
  try {
    const j = (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
    return typeof j?.display === "function" ? j : undefined;
  } catch {
    return undefined;
  }
}

/** True when running inside the Deno Jupyter kernel. */
export function inJupyter(): boolean {
  return jupyterApi() !== undefined;
}

/**
 * Display `fig` inline with the `application/vnd.plotly.v1+json` MIME type when
 * running in the Deno Jupyter kernel, and return undefined there (so the cell does not
 * also print the figure's JSON). Anywhere else it does nothing and returns `fig`.
 *
 * @example
 * ```ts
 * import { displayFigure } from "./display.ts";
 * await displayFigure({ data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }] });
 * ```
 */
export async function displayFigure(fig: PlotlyFigure): Promise<PlotlyFigure | undefined> {
  const j = jupyterApi();
  if (!j) return fig;
  await j.display({ "application/vnd.plotly.v1+json": fig }, { raw: true });
  return undefined;
}
