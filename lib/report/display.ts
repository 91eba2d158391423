/**
 * Show Plotly figures, tables, Markdown and images inline in Jupyter notebooks running
 * on the Deno kernel (and print a text form anywhere else).
 *
 * @module
 */
import { pngDataUrl } from "../data/png.ts";
import type { Raster } from "../data/raster.ts";
import type { PlotlyFigure } from "./figure.ts";
import { type Table, toHtml, toMarkdown } from "./table.ts";

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
 * import { displayFigure } from "../../mod.ts";
 * await displayFigure({ data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }] });
 * ```
 */
export async function displayFigure(fig: PlotlyFigure): Promise<PlotlyFigure | undefined> {
  const j = jupyterApi();
  if (!j) return fig;
  await j.display({ "application/vnd.plotly.v1+json": fig }, { raw: true });
  return undefined;
}

/**
 * Show Markdown text inline (`text/markdown`, with a `text/plain` copy) in the Deno
 * Jupyter kernel; elsewhere print it to stdout.
 */
export async function displayMarkdown(markdown: string): Promise<void> {
  const j = jupyterApi();
  if (!j) {
    console.log(markdown);
    return;
  }
  await j.display({ "text/markdown": markdown, "text/plain": markdown }, { raw: true });
}

/**
 * Show a results table inline as HTML (with the Markdown as `text/markdown` and
 * `text/plain`); elsewhere print the Markdown.
 */
export async function displayTable(table: Table): Promise<void> {
  const md = toMarkdown(table);
  const j = jupyterApi();
  if (!j) {
    console.log(md);
    return;
  }
  await j.display({ "text/html": toHtml(table), "text/markdown": md, "text/plain": md }, { raw: true });
}

/**
 * Show an 8-bit raster (1 grey, 3 RGB or 4 RGBA channels) inline as a PNG (`image/png`);
 * elsewhere print its size.
 */
export async function displayImage(image: Raster<Uint8Array>): Promise<void> {
  const j = jupyterApi();
  const text = `image ${image.width}x${image.height}x${image.channels}`;
  if (!j) {
    console.log(text);
    return;
  }
  const b64 = pngDataUrl(image).slice("data:image/png;base64,".length);
  await j.display({ "image/png": b64, "text/plain": text }, { raw: true });
}
