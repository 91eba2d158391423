/**
 * Show Plotly figures, tables, Markdown and images inline in Jupyter notebooks running
 * on the Deno kernel (and print a text form anywhere else).
 *
 * @module
 */
import { pngDataUrl } from "../data/png.ts";
import type { Raster } from "../data/raster.ts";
import { checkFigure, type PlotlyFigure } from "./figure.ts";
import { chromiumPath, FigureExporter } from "./figure_export.ts";
import { escapeHtml } from "./html.ts";
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

/** One headless Chromium per process for the PNGs of {@link figureMimeBundle} (opened on first use). */
let renderer: Promise<FigureExporter | undefined> | undefined;

function staticRenderer(): Promise<FigureExporter | undefined> {
  renderer ??= chromiumPath()
    ? FigureExporter.open().then((ex) => {
      globalThis.addEventListener("unload", () => void ex.close());
      return ex;
    }, () => undefined)
    : Promise.resolve(undefined);
  return renderer;
}

/** Close the headless Chromium {@link figureMimeBundle} opened, if any (it is also closed when the process ends). */
export async function closeFigureRenderer(): Promise<void> {
  const r = renderer;
  renderer = undefined;
  await (await r)?.close();
}

function figureTitle(fig: PlotlyFigure): string {
  const t = fig.layout?.title;
  const text = typeof t === "string"
    ? t
    : typeof (t as { text?: unknown })?.text === "string"
    ? (t as { text: string }).text
    : "";
  return text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim() || "figure";
}

/** Options of {@link figureMimeBundle} and {@link displayFigure}. */
export interface FigureBundleOptions {
  /** Add a PNG rendered in headless Chromium (`image/png`, and as the `text/html` image); default true where Chromium exists. */
  png?: boolean;
}

/**
 * The MIME bundle a notebook shows for `fig`, so that every front end has something it can draw:
 * `application/vnd.plotly.v1+json` (interactive in JupyterLab and VS Code), `image/png` (rendered by
 * plotly.js in headless Chromium, where installed), `text/html` (that PNG as an `<img>`, which plain
 * `jupyter nbconvert --to html` and GitHub's viewer show; without Chromium a note saying where the
 * interactive figure shows) and `text/plain`.
 */
export async function figureMimeBundle(
  fig: PlotlyFigure,
  options: FigureBundleOptions = {},
): Promise<Record<string, unknown>> {
  checkFigure(fig);
  const title = figureTitle(fig);
  const bundle: Record<string, unknown> = {
    "application/vnd.plotly.v1+json": fig,
    "text/plain": `<Plotly figure: ${title}>`,
  };
  const ex = options.png === false ? undefined : await staticRenderer();
  if (ex?.staticImages) {
    const png = await ex.render(fig, "png") as Uint8Array;
    let bin = "";
    for (let i = 0; i < png.length; i += 0x8000) bin += String.fromCharCode(...png.subarray(i, i + 0x8000));
    const b64 = btoa(bin);
    bundle["image/png"] = b64;
    bundle["text/html"] = `<img src="data:image/png;base64,${b64}" alt="${escapeHtml(title)}" style="max-width: 100%">`;
  } else {
    bundle["text/html"] = `<div style="padding: 0.5em; border: 1px dashed #aaa"><b>${escapeHtml(title)}</b>: ` +
      "an interactive Plotly figure (shown by JupyterLab and VS Code, and in the HTML that " +
      "<code>deno task notebooks</code> writes); install Chromium for a static image here.</div>";
  }
  return bundle;
}

/**
 * Display `fig` inline when running in the Deno Jupyter kernel, as the MIME bundle of
 * {@link figureMimeBundle} (Plotly JSON, PNG, HTML, text), and return undefined there (so the
 * cell does not also print the figure's JSON). Anywhere else it does nothing and returns `fig`.
 *
 * @example
 * ```ts
 * import { displayFigure } from "../../mod.ts";
 * await displayFigure({ data: [{ type: "bar", x: ["a", "b"], y: [1, 2] }] });
 * ```
 */
export async function displayFigure(
  fig: PlotlyFigure,
  options: FigureBundleOptions = {},
): Promise<PlotlyFigure | undefined> {
  const j = jupyterApi();
  if (!j) return fig;
  await j.display(await figureMimeBundle(fig, options), { raw: true });
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
