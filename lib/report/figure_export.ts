/**
 * Save Plotly figures as HTML pages that work offline from file:// (plotly.js from
 * npm:plotly.js-dist-min is written ONCE per folder, as `plotly-<version>.min.js` next to the
 * pages, and referenced relatively; `plotly: "inline"` embeds it in each page instead, about
 * 4.6 MB each) and, where Chromium exists, as
 * PNG and SVG rendered by plotly.js itself (`Plotly.toImage`) in headless Chromium
 * driven by playwright-core. One browser serves many figures:
 *
 * ```ts ignore
 * await using exporter = await FigureExporter.open();
 * await exporter.save(fig1, "results/fig1");   // fig1.html (+ fig1.png, fig1.svg)
 * await exporter.save(fig2, "results/fig2");
 * ```
 *
 * Chromium is looked up at $GAZE_CHROMIUM, then /usr/bin/chromium,
 * /usr/bin/chromium-browser. Without it only HTML is written and every result says
 * so in `note` (Debian: `apt-get install chromium`).
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { atomicWrite } from "../core/atomic_write.ts";
import type { Provenance } from "../core/provenance.ts";
import { checkFigure, type PlotlyFigure } from "./figure.ts";
import { escapeHtml, htmlPage, jsonForScript } from "./html.ts";

/** Static image formats rendered through Chromium. */
export type ImageFormat = "png" | "svg";

/** Default figure size in px when neither the options nor the layout give one. */
export const DEFAULT_FIGURE_SIZE = { width: 700, height: 450 } as const;

/** Launch flags that work on machines without a network, display or GPU. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

let plotlyCache: string | undefined;

/** Path of plotly.js-dist-min's `plotly.min.js` in node_modules (throws with a hint when missing). */
export function plotlyPath(): string {
  try {
    return createRequire(import.meta.url).resolve("plotly.js-dist-min");
  } catch (err) {
    throw new Error(
      `cannot find npm:plotly.js-dist-min in node_modules (${
        (err as Error).message
      }); run \`deno install\` in the toolkit`,
    );
  }
}

/** The plotly.js source text (read once, cached). */
export async function plotlySource(): Promise<string> {
  plotlyCache ??= await Deno.readTextFile(plotlyPath());
  return plotlyCache;
}

/** File name of the shared plotly.js copy: `plotly-<version>.min.js` (version from the bundle's header). */
export async function plotlyFileName(): Promise<string> {
  const v = /plotly\.js v(\d+\.\d+\.\d+)/.exec((await plotlySource()).slice(0, 400))?.[1];
  return v ? `plotly-${v}.min.js` : "plotly.min.js";
}

/**
 * Write the shared plotly.js into `dir` (atomically; skipped when a copy of the same size is
 * there) and return its file name, for pages in `dir` to reference relatively.
 */
export async function writePlotlyFile(dir: string): Promise<string> {
  const name = await plotlyFileName(), path = join(dir, name);
  const src = await plotlySource();
  const size = new TextEncoder().encode(src).length;
  const st = await Deno.stat(path).catch(() => null);
  if (st?.isFile && st.size === size) return name;
  await atomicWrite(path, src);
  return name;
}

/** The Chromium executable to use, or undefined when none is installed. */
export function chromiumPath(): string | undefined {
  const candidates = [Deno.env.get("GAZE_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"];
  for (const c of candidates) {
    if (!c) continue;
    try {
      if (Deno.statSync(c).isFile) return c;
    } catch { /* not there */ }
  }
  return undefined;
}

function sizeOf(fig: PlotlyFigure, options: { width?: number; height?: number }): { width: number; height: number } {
  const lw = fig.layout?.width, lh = fig.layout?.height;
  const width = options.width ?? (typeof lw === "number" ? lw : DEFAULT_FIGURE_SIZE.width);
  const height = options.height ?? (typeof lh === "number" ? lh : DEFAULT_FIGURE_SIZE.height);
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`figure size must be positive integers in px, got ${width}x${height}`);
  }
  return { width, height };
}

/**
 * An HTML document showing `fig`: with `options.plotlyScript` (a relative URL such as the name
 * {@link writePlotlyFile} returns) the page loads plotly.js from there; without it plotly.js is
 * inlined (about 4.6 MB; a single self-contained file). Both open offline from file://. The
 * figure JSON is embedded in the page; `options.provenance` is embedded as a JSON script element.
 */
export async function figureHtml(
  fig: PlotlyFigure,
  options: { title?: string; provenance?: Provenance; plotlyScript?: string } = {},
): Promise<string> {
  checkFigure(fig);
  const layoutTitle = fig.layout?.title;
  const title = options.title ??
    (typeof layoutTitle === "string"
      ? layoutTitle
      : typeof (layoutTitle as { text?: unknown })?.text === "string"
      ? (layoutTitle as { text: string }).text
      : "figure");
  const missing = options.plotlyScript
    ? `plotly.js did not load: keep ${options.plotlyScript} next to this page`
    : "plotly.js did not load";
  const body = `<div id="figure"></div>
<script type="application/json" id="figure-data">${jsonForScript(fig)}</script>
<script>
const fig = JSON.parse(document.getElementById("figure-data").textContent);
if (typeof Plotly === "undefined") document.getElementById("figure").textContent = ${jsonForScript(missing)};
else Plotly.newPlot("figure", fig.data, fig.layout || {}, Object.assign({ responsive: true }, fig.config || {}));
</script>`;
  const head = options.plotlyScript
    ? `<script src="${escapeHtml(options.plotlyScript)}"></script>`
    : `<script>/* plotly.js, inlined from npm:plotly.js-dist-min */\n${
      (await plotlySource()).replace(/<\/script/gi, "<\\/script")
    }</script>`;
  return htmlPage(title, body, { head, provenance: options.provenance });
}

/** Options of {@link FigureExporter.save}. */
export interface SaveFigureOptions {
  /** Formats to write; default all of html, png, svg (png/svg only where Chromium exists). */
  formats?: ("html" | ImageFormat)[];
  /** Image width in px; default layout.width, else 700. */
  width?: number;
  /** Image height in px; default layout.height, else 450. */
  height?: number;
  /** PNG pixel ratio: the PNG is (width * scale) x (height * scale); default 1. */
  scale?: number;
  /** Page title of the HTML; default the layout's title. */
  title?: string;
  /** Provenance embedded in the HTML (JSON script) and the SVG (`<metadata>`). */
  provenance?: Provenance;
  /**
   * `shared` (default): write plotly.js once into the HTML's folder ({@link writePlotlyFile}) and
   * reference it; `inline`: embed it in the page (a self-contained 4.6 MB file).
   */
  plotly?: "shared" | "inline";
}

/** What {@link FigureExporter.save} wrote. */
export interface SavedFigure {
  /** `<base>.html` when written. */
  html?: string;
  /** `<base>.png` when written. */
  png?: string;
  /** `<base>.svg` when written. */
  svg?: string;
  /** Why a requested format was not written (no Chromium), else absent. */
  note?: string;
}

// playwright-core types are kept structural so this module does not load playwright at import time.
interface PwPage {
  setContent(html: string): Promise<void>;
  addScriptTag(o: { content: string }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  close(): Promise<void>;
}
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}

/**
 * Exports figures, reusing one headless Chromium for every PNG/SVG. Open with
 * {@link FigureExporter.open}; close with `close()` or `await using`.
 */
export class FigureExporter implements AsyncDisposable {
  #browser: PwBrowser | undefined;
  #page: PwPage | undefined;
  /** The Chromium in use, or undefined (HTML only). */
  readonly chromium: string | undefined;
  /** Why PNG/SVG are unavailable (no Chromium), else undefined. */
  readonly note: string | undefined;

  private constructor(chromium: string | undefined, note: string | undefined) {
    this.chromium = chromium;
    this.note = note;
  }

  /**
   * Start an exporter. With Chromium (see {@link chromiumPath}, or
   * `options.executablePath`) a headless browser is launched now (a few seconds) and
   * reused; without it the exporter writes HTML only and `note` says why.
   * `options.static: false` skips the browser even when Chromium exists.
   */
  static async open(options: { executablePath?: string; static?: boolean } = {}): Promise<FigureExporter> {
    if (options.static === false) return new FigureExporter(undefined, "static export disabled (HTML only)");
    const exe = options.executablePath ?? chromiumPath();
    if (!exe) {
      return new FigureExporter(
        undefined,
        "Chromium not found ($GAZE_CHROMIUM, /usr/bin/chromium): wrote HTML only; `apt-get install chromium` for PNG/SVG",
      );
    }
    const ex = new FigureExporter(exe, undefined);
    const { chromium } = await import("playwright-core");
    ex.#browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_ARGS }) as unknown as PwBrowser;
    try {
      const page = await ex.#browser.newPage();
      await page.setContent(`<html><body></body></html>`);
      await page.addScriptTag({ content: await plotlySource() });
      ex.#page = page;
    } catch (err) {
      await ex.close();
      throw err;
    }
    return ex;
  }

  /** Whether PNG/SVG can be rendered. */
  get staticImages(): boolean {
    return this.#page !== undefined;
  }

  /**
   * Render `fig` to an image in Chromium: an SVG string (width x height, `scale` ignored),
   * or PNG bytes of (width * scale) x (height * scale) pixels. Throws when Chromium is unavailable.
   */
  async render(
    fig: PlotlyFigure,
    format: ImageFormat,
    options: { width?: number; height?: number; scale?: number } = {},
  ): Promise<string | Uint8Array> {
    checkFigure(fig);
    if (!this.#page) throw new Error(`cannot render ${format}: ${this.note ?? "exporter is closed"}`);
    const { width, height } = sizeOf(fig, options);
    const scale = options.scale ?? 1;
    if (!(scale > 0)) throw new Error(`figure scale must be positive, got ${scale}`);
    const url = await this.#page.evaluate(
      // runs in the browser, where plotly.js defines globalThis.Plotly
      (a: { fig: PlotlyFigure; format: string; width: number; height: number; scale: number }) =>
        (globalThis as unknown as {
          Plotly: { toImage(f: unknown, o: unknown): Promise<string> };
        }).Plotly.toImage(
          { data: a.fig.data, layout: a.fig.layout ?? {}, config: a.fig.config ?? {} },
          { format: a.format, width: a.width, height: a.height, scale: a.scale },
        ),
      { fig, format, width, height, scale: format === "svg" ? 1 : scale }, // SVG is vector: never scaled
    );
    if (format === "svg") return decodeURIComponent(url.replace(/^data:image\/svg\+xml,/, ""));
    const b64 = url.slice(url.indexOf(",") + 1);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  /**
   * Write `<basePath>.html` and, where Chromium exists, `.png` and `.svg` (atomically).
   * Returns the paths written and, when a requested format could not be written, a note.
   */
  async save(fig: PlotlyFigure, basePath: string, options: SaveFigureOptions = {}): Promise<SavedFigure> {
    checkFigure(fig);
    const formats = options.formats ?? ["html", "png", "svg"];
    const out: SavedFigure = {};
    if (formats.includes("html")) {
      out.html = `${basePath}.html`;
      const plotlyScript = (options.plotly ?? "shared") === "shared"
        ? await writePlotlyFile(dirname(basePath))
        : undefined;
      await atomicWrite(out.html, await figureHtml(fig, { ...options, plotlyScript }));
    }
    const wanted = formats.filter((f): f is ImageFormat => f === "png" || f === "svg");
    if (wanted.length && !this.staticImages) {
      out.note = `${wanted.join("/")} not written: ${this.note ?? "exporter is closed"}`;
      return out;
    }
    for (const f of wanted) {
      let img = await this.render(fig, f, options);
      if (f === "svg" && options.provenance) {
        const meta = `<metadata id="provenance">${escapeHtml(JSON.stringify(options.provenance))}</metadata>`;
        img = (img as string).replace(/(<svg\b[^>]*>)/, `$1${meta}`);
      }
      out[f] = `${basePath}.${f}`;
      await atomicWrite(out[f]!, img);
    }
    return out;
  }

  /** Close the browser (idempotent). */
  async close(): Promise<void> {
    const b = this.#browser;
    this.#browser = undefined;
    this.#page = undefined;
    if (b) await b.close();
  }

  /** `await using` support: closes the browser. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Save one figure (opens and closes an exporter; for many figures keep one
 * {@link FigureExporter} open instead).
 */
export async function saveFigure(
  fig: PlotlyFigure,
  basePath: string,
  options: SaveFigureOptions = {},
): Promise<SavedFigure> {
  const needStatic = (options.formats ?? ["html", "png", "svg"]).some((f) => f !== "html");
  await using exporter = await FigureExporter.open({ static: needStatic ? undefined : false });
  return await exporter.save(fig, basePath, options);
}
