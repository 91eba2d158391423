/**
 * Headless execution of the toolkit's notebooks on the Deno Jupyter kernel, with every
 * output kept, and their export to standalone HTML.
 *
 * Execution goes through `tasks/run_notebook.py` (Debian's python3 with
 * python3-jupyter-client and python3-nbformat), not `jupyter nbconvert --execute`: Deno
 * 2.9's kernel can publish outputs after "idle" and nbconvert then drops them at
 * random; the runner routes every message to its cell and drains until quiet.
 * HTML export uses `jupyter-nbconvert --to html` after adding an offline `text/html`
 * rendering to each Plotly output (nbconvert's templates do not render
 * `application/vnd.plotly.v1+json`; plotly.js is inlined once per page).
 *
 * Notebooks receive the run profile as `$GAZE_PROFILE` (read in their first cell) and
 * the results root as `$GAZE_RESULTS_DIR` when one is given.
 *
 * @module
 */
import { basename, dirname, join, resolve } from "node:path";
import { atomicWrite } from "../core/atomic_write.ts";
import { plotlySource, writePlotlyFile } from "./figure_export.ts";
import { jsonForScript } from "./html.ts";

/** The Python interpreter that has Debian's jupyter packages. */
export const NOTEBOOK_PYTHON = "/usr/bin/python3";

/** Debian's nbconvert entry point, used for the HTML export. */
export const NBCONVERT = "/usr/bin/jupyter-nbconvert";

/** The MIME type of Plotly figures in notebook outputs. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** `tasks/run_notebook.py` of this checkout. */
export function notebookRunnerPath(): string {
  return new URL("../../tasks/run_notebook.py", import.meta.url).pathname;
}

/** The toolkit's `notebooks/` folder. */
export function notebooksDir(): string {
  return new URL("../../notebooks", import.meta.url).pathname;
}

/** One output of a code cell (nbformat 4). */
export interface NotebookOutput {
  /** "stream", "display_data", "execute_result" or "error". */
  output_type: string;
  /** Stream name ("stdout", "stderr"). */
  name?: string;
  /** Stream text (a string or a list of lines). */
  text?: string | string[];
  /** MIME bundle of display_data / execute_result. */
  data?: Record<string, unknown>;
  /** Output metadata. */
  metadata?: Record<string, unknown>;
  /** Error name / value / traceback. */
  ename?: string;
  /** Error value. */
  evalue?: string;
  /** Error traceback lines. */
  traceback?: string[];
  /** execute_result's execution count. */
  execution_count?: number | null;
}

/** One cell (nbformat 4). */
export interface NotebookCell {
  /** "code", "markdown" or "raw". */
  cell_type: string;
  /** Source text (a string or a list of lines). */
  source: string | string[];
  /** Cell metadata. */
  metadata: Record<string, unknown>;
  /** Outputs (code cells). */
  outputs?: NotebookOutput[];
  /** Execution count (code cells). */
  execution_count?: number | null;
  /** Cell id (nbformat 4.5). */
  id?: string;
}

/** A notebook document (nbformat 4). */
export interface Notebook {
  /** Cells in order. */
  cells: NotebookCell[];
  /** Notebook metadata (kernelspec, language_info). */
  metadata: Record<string, unknown>;
  /** Major format version (4). */
  nbformat: number;
  /** Minor format version. */
  nbformat_minor: number;
}

/** Read and minimally validate an .ipynb file (errors name the file). */
export async function readNotebook(path: string): Promise<Notebook> {
  let nb: Notebook;
  try {
    nb = JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    throw new Error(`${path}: not a readable notebook JSON file (${(err as Error).message})`);
  }
  if (nb?.nbformat !== 4 || !Array.isArray(nb.cells)) {
    throw new Error(`${path}: expected an nbformat 4 notebook with a "cells" array`);
  }
  return nb;
}

/** A cell's source as one string. */
export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/** Stream text of an output as one string. */
export function outputText(output: NotebookOutput): string {
  const t = output.text ?? "";
  return Array.isArray(t) ? t.join("") : t;
}

/**
 * Code cells that carry outputs or an execution count, as `[cellIndex, ...]`. A
 * notebook is stored in git without outputs; this is what a test checks.
 */
export function cellsWithOutputs(nb: Notebook): number[] {
  const out: number[] = [];
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    if ((c.outputs?.length ?? 0) > 0 || (c.execution_count ?? null) !== null) out.push(i);
  });
  return out;
}

/** A copy of `nb` with every code cell's outputs and execution count cleared. */
export function stripOutputs(nb: Notebook): Notebook {
  return {
    ...nb,
    cells: nb.cells.map((c) => c.cell_type === "code" ? { ...c, outputs: [], execution_count: null } : { ...c }),
  };
}

/**
 * A comparable digest of a notebook's outputs: per code cell, the list of outputs as
 * `"stream:<name>:<text>"`, `"<type>:<sorted MIME types>"` or `"error:<ename>"`. Two
 * executions of a deterministic notebook give equal digests; a lost output changes it.
 * Stream texts are compared after `options.normalise` (e.g. to mask timings).
 */
export function outputDigest(nb: Notebook, options: { normalise?: (text: string) => string } = {}): string[][] {
  const norm = options.normalise ?? ((s: string) => s);
  return nb.cells.filter((c) => c.cell_type === "code").map((c) =>
    (c.outputs ?? []).map((o) => {
      if (o.output_type === "stream") return `stream:${o.name}:${norm(outputText(o))}`;
      if (o.output_type === "error") return `error:${o.ename}`;
      return `${o.output_type}:${Object.keys(o.data ?? {}).sort().join(",")}`;
    })
  );
}

/** Whether the Python side (interpreter, nbformat, jupyter_client, nbconvert) is installed. */
export interface NotebookTools {
  /** True when notebooks can be executed and exported. */
  ok: boolean;
  /** Why not, with the Debian packages to install. */
  reason?: string;
}

/**
 * Check for /usr/bin/python3 with the `nbformat` and `jupyter_client` modules and
 * for /usr/bin/jupyter-nbconvert (Debian: python3-nbformat, python3-jupyter-client,
 * jupyter-nbconvert).
 */
export async function notebookTools(): Promise<NotebookTools> {
  const hint = "install Debian's python3-jupyter-client, python3-nbformat and jupyter-nbconvert";
  for (const p of [NOTEBOOK_PYTHON, NBCONVERT]) {
    try {
      if (!(await Deno.stat(p)).isFile) return { ok: false, reason: `${p} is not a file; ${hint}` };
    } catch {
      return { ok: false, reason: `${p} is missing; ${hint}` };
    }
  }
  const r = await new Deno.Command(NOTEBOOK_PYTHON, {
    args: ["-c", "import nbformat, jupyter_client"],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!r.success) {
    const err = new TextDecoder().decode(r.stderr).trim().split("\n").pop();
    return { ok: false, reason: `${NOTEBOOK_PYTHON} cannot import nbformat/jupyter_client (${err}); ${hint}` };
  }
  return { ok: true };
}

/** What {@link ensureDenoKernel} found or did. */
export interface KernelStatus {
  /** The kernelspec file. */
  kernelJson: string;
  /** The deno executable the kernelspec starts. */
  deno: string;
  /** True when this call (re)installed the kernelspec. */
  installed: boolean;
  /** Why it was (re)installed, when it was. */
  reason?: string;
}

/**
 * Folder of the user's Jupyter data, as Jupyter resolves it on Linux:
 * $JUPYTER_DATA_DIR, else $XDG_DATA_HOME/jupyter, else ~/.local/share/jupyter.
 */
export function jupyterDataDir(): string {
  const env = Deno.env.get("JUPYTER_DATA_DIR");
  if (env) return env;
  const xdg = Deno.env.get("XDG_DATA_HOME");
  if (xdg) return join(xdg, "jupyter");
  const home = Deno.env.get("HOME");
  if (!home) throw new Error("cannot find the Jupyter data folder: neither $JUPYTER_DATA_DIR nor $HOME is set");
  return join(home, ".local", "share", "jupyter");
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * Make sure the Deno kernelspec (`<jupyter data>/kernels/deno/kernel.json`, see
 * {@link jupyterDataDir}) exists and starts a deno that exists; otherwise run
 * `<deno> jupyter --install --force` with `options.deno` (default `Deno.execPath()`,
 * the deno running this code). Deno writes the kernelspec under $XDG_DATA_HOME (or
 * ~/.local/share); with a $JUPYTER_DATA_DIR elsewhere the install is reported as an error.
 */
export async function ensureDenoKernel(options: { deno?: string } = {}): Promise<KernelStatus> {
  const kernelJson = join(jupyterDataDir(), "kernels", "deno", "kernel.json");
  let reason: string | undefined;
  try {
    const spec = JSON.parse(await Deno.readTextFile(kernelJson));
    const exe = spec?.argv?.[0];
    if (typeof exe !== "string") reason = `${kernelJson} has no argv[0]`;
    else if (!(await isFile(exe))) reason = `${kernelJson} starts ${exe}, which does not exist`;
    else return { kernelJson, deno: exe, installed: false };
  } catch {
    reason = `${kernelJson} is missing or unreadable`;
  }
  const deno = options.deno ?? Deno.execPath();
  const r = await new Deno.Command(deno, {
    args: ["jupyter", "--install", "--force"],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  if (!r.success) {
    throw new Error(
      `\`${deno} jupyter --install\` failed (${reason}): ${new TextDecoder().decode(r.stderr).trim()}`,
    );
  }
  if (!(await isFile(kernelJson))) {
    throw new Error(
      `\`${deno} jupyter --install\` did not write ${kernelJson} (Deno installs under $XDG_DATA_HOME or ` +
        "~/.local/share; unset $JUPYTER_DATA_DIR or point it there)",
    );
  }
  return { kernelJson, deno, installed: true, reason };
}

/** Options of {@link executeNotebook}. */
export interface ExecuteNotebookOptions {
  /** Extra environment for the kernel (e.g. `{ GAZE_PROFILE: "smoke" }`). */
  env?: Record<string, string>;
  /** Seconds per cell before the run fails (default 900). */
  cellTimeout?: number;
  /** Seconds of output silence that end a cell (default 0.5). */
  quiet?: number;
  /** Keep executing after a failing cell (default false). */
  allowErrors?: boolean;
}

/** Result of one notebook execution. */
export interface NotebookRun {
  /** The input notebook. */
  input: string;
  /** The executed notebook, with outputs. */
  output: string;
  /** True when every cell ran without error. */
  ok: boolean;
  /** Wall time in seconds. */
  seconds: number;
  /** The runner's log (per-cell status lines, errors). */
  log: string;
}

/**
 * Execute `input` on the notebook's kernel (Deno) with `tasks/run_notebook.py`,
 * writing the executed notebook with its outputs to `output` (also on failure, with
 * the error output). The kernel's working folder is the INPUT notebook's folder, so
 * `import "../mod.ts"` works for notebooks in `notebooks/`.
 */
export async function executeNotebook(
  input: string,
  output: string,
  options: ExecuteNotebookOptions = {},
): Promise<NotebookRun> {
  const args = [notebookRunnerPath(), resolve(input), resolve(output)];
  args.push("--timeout", String(options.cellTimeout ?? 900), "--quiet", String(options.quiet ?? 0.5));
  for (const [k, v] of Object.entries(options.env ?? {})) args.push("--env", `${k}=${v}`);
  if (options.allowErrors) args.push("--allow-errors");
  await Deno.mkdir(dirname(resolve(output)), { recursive: true });
  const t0 = performance.now();
  const r = await new Deno.Command(NOTEBOOK_PYTHON, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return {
    input,
    output,
    ok: r.success,
    seconds: (performance.now() - t0) / 1000,
    log: dec.decode(r.stdout) + dec.decode(r.stderr),
  };
}

/**
 * A copy of an executed notebook in which each Plotly output's `text/html` is an interactive
 * rendering (a div and a `Plotly.newPlot` call), so nbconvert's HTML shows the figures offline.
 * plotly.js is loaded once per page: from `options.plotlyScript` (a relative URL, e.g. the file
 * {@link writePlotlyFile} puts next to the HTML) or, without it, inlined into the first figure.
 * The kernel's static `text/html` (a PNG, see lib/report/display.ts) stays inside the div until
 * plotly.js draws over it, so the page still shows the figure when scripts are off.
 */
export async function withHtmlPlots(nb: Notebook, options: { plotlyScript?: string } = {}): Promise<Notebook> {
  let first = true, k = 0;
  const cells: NotebookCell[] = [];
  for (const c of nb.cells) {
    if (c.cell_type !== "code" || !c.outputs) {
      cells.push(c);
      continue;
    }
    const outputs: NotebookOutput[] = [];
    for (const o of c.outputs) {
      const fig = o.data?.[PLOTLY_MIME] as { data?: unknown; layout?: unknown; config?: unknown } | undefined;
      if (!fig) {
        outputs.push(o);
        continue;
      }
      const id = `plotly-figure-${k++}`;
      const lib = !first
        ? ""
        : options.plotlyScript
        ? `<script src="${options.plotlyScript}"></script>\n`
        : `<script>/* plotly.js, inlined from npm:plotly.js-dist-min */\n${
          (await plotlySource()).replace(/<\/script/gi, "<\\/script")
        }</script>\n`;
      first = false;
      const staticHtml = o.data?.["text/html"];
      const fallback = typeof staticHtml === "string"
        ? staticHtml
        : Array.isArray(staticHtml)
        ? staticHtml.join("")
        : "";
      const html = `${lib}<div id="${id}">${fallback}</div>
<script type="application/json" id="${id}-data">${jsonForScript(fig)}</script>
<script>(function () { if (typeof Plotly === "undefined") return;
const f = JSON.parse(document.getElementById("${id}-data").textContent), el = document.getElementById("${id}");
el.innerHTML = ""; Plotly.newPlot(el, f.data, f.layout || {}, Object.assign({ responsive: true }, f.config || {})); })();</script>`;
      outputs.push({ ...o, data: { ...o.data, "text/html": html } });
    }
    cells.push({ ...c, outputs });
  }
  return { ...nb, cells };
}

/**
 * Export an executed notebook to `<outDir>/<name>.html` with `jupyter-nbconvert --to
 * html` (Plotly outputs rendered offline, see {@link withHtmlPlots}; plotly.js is written once
 * into `outDir` and referenced relatively). Returns the path.
 */
export async function exportNotebookHtml(notebookPath: string, outDir: string): Promise<string> {
  await Deno.mkdir(outDir, { recursive: true });
  const nb = await withHtmlPlots(await readNotebook(notebookPath), { plotlyScript: await writePlotlyFile(outDir) });
  const name = basename(notebookPath).replace(/\.ipynb$/, "");
  const tmpDir = await Deno.makeTempDir({ prefix: "gaze-nbhtml-" });
  try {
    const tmp = join(tmpDir, `${name}.ipynb`);
    await Deno.writeTextFile(tmp, JSON.stringify(nb));
    const r = await new Deno.Command(NBCONVERT, {
      args: ["--to", "html", "--output-dir", tmpDir, tmp],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!r.success) {
      throw new Error(`nbconvert --to html failed for ${notebookPath}: ${new TextDecoder().decode(r.stderr).trim()}`);
    }
    await Deno.mkdir(outDir, { recursive: true });
    const out = join(outDir, `${name}.html`);
    await atomicWrite(out, await Deno.readFile(join(tmpDir, `${name}.html`)));
    return out;
  } finally {
    await Deno.remove(tmpDir, { recursive: true });
  }
}

/**
 * The notebooks in `dir` (`*.ipynb`, sorted by name), optionally only those whose
 * name (without `.ipynb`) is in `only`; an unknown name in `only` is an error listing
 * the known ones.
 */
export async function listNotebooks(dir: string, options: { only?: string[] } = {}): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.endsWith(".ipynb")) names.push(e.name.replace(/\.ipynb$/, ""));
  }
  names.sort();
  if (!options.only?.length) return names.map((n) => join(dir, `${n}.ipynb`));
  const unknown = options.only.filter((n) => !names.includes(n.replace(/\.ipynb$/, "")));
  if (unknown.length) throw new Error(`unknown notebook(s) ${unknown.join(", ")}; known: ${names.join(", ")}`);
  const want = new Set(options.only.map((n) => n.replace(/\.ipynb$/, "")));
  return names.filter((n) => want.has(n)).map((n) => join(dir, `${n}.ipynb`));
}

/** Options of {@link runNotebooks}. */
export interface RunNotebooksOptions {
  /** Folder of the notebooks (default the toolkit's `notebooks/`). */
  dir?: string;
  /** Output folder for executed notebooks and HTML (default `<dir>/out`). */
  outDir?: string;
  /** Run profile passed as $GAZE_PROFILE (default "smoke"). */
  profile?: string;
  /** Only these notebooks (names without .ipynb). */
  only?: string[];
  /** Extra kernel environment (e.g. GAZE_RESULTS_DIR, GAZE_DATASET). */
  env?: Record<string, string>;
  /** Export HTML after each successful or failed execution (default true). */
  html?: boolean;
  /** Seconds per cell (default 900). */
  cellTimeout?: number;
  /** Called after each notebook. */
  onDone?: (run: NotebookRun & { html?: string }) => void;
}

/**
 * Execute every notebook of `options.dir` headlessly into `options.outDir` (outputs
 * kept) and export each to HTML. Ensures the Deno kernelspec first. Does not stop at a
 * failing notebook: every result is returned.
 */
export async function runNotebooks(options: RunNotebooksOptions = {}): Promise<(NotebookRun & { html?: string })[]> {
  const tools = await notebookTools();
  if (!tools.ok) throw new Error(`cannot run notebooks: ${tools.reason}`);
  await ensureDenoKernel();
  const dir = options.dir ?? notebooksDir();
  const outDir = options.outDir ?? join(dir, "out");
  const env = { GAZE_PROFILE: options.profile ?? "smoke", ...(options.env ?? {}) };
  const results: (NotebookRun & { html?: string })[] = [];
  for (const nb of await listNotebooks(dir, { only: options.only })) {
    const out = join(outDir, basename(nb));
    const run: NotebookRun & { html?: string } = await executeNotebook(nb, out, {
      env,
      cellTimeout: options.cellTimeout,
    });
    if (options.html ?? true) {
      try {
        run.html = await exportNotebookHtml(out, outDir);
      } catch (err) {
        run.ok = false;
        run.log += `\nHTML export failed: ${(err as Error).message}`;
      }
    }
    options.onDone?.(run);
    results.push(run);
  }
  return results;
}
