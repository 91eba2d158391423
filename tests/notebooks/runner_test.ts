/**
 * The notebook runner: stored notebooks carry no outputs, the Deno kernelspec is
 * (re)installed when missing or broken, and executing a notebook whose cells publish
 * outputs late (after the kernel went idle) keeps every output, run after run.
 */
import { dirname, join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import {
  cellsWithOutputs,
  ensureDenoKernel,
  executeNotebook,
  exportNotebookHtml,
  listNotebooks,
  type Notebook,
  notebookTools,
  outputDigest,
  PLOTLY_MIME,
  readNotebook,
  stripOutputs,
} from "../../lib/report/notebooks.ts";

const tools = await notebookTools();
if (!tools.ok) console.error(`skipped notebook execution tests: ${tools.reason}`);

Deno.test("cellsWithOutputs / stripOutputs / listNotebooks --only", async () => {
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {},
    cells: [
      { cell_type: "markdown", source: "# t", metadata: {} },
      { cell_type: "code", source: "1", metadata: {}, outputs: [], execution_count: 3 },
      { cell_type: "code", source: "2", metadata: {}, outputs: [{ output_type: "stream", name: "stdout", text: "x" }] },
      { cell_type: "code", source: "3", metadata: {}, outputs: [], execution_count: null },
    ],
  };
  assertEquals(cellsWithOutputs(nb), [1, 2]);
  assertEquals(cellsWithOutputs(stripOutputs(nb)), []);
  assertEquals(nb.cells[2].outputs!.length, 1, "stripOutputs does not mutate its input");
  const dir = await Deno.makeTempDir();
  try {
    for (const n of ["b", "a", "c"]) await Deno.writeTextFile(join(dir, `${n}.ipynb`), "{}");
    await Deno.writeTextFile(join(dir, "x.txt"), "");
    assertEquals((await listNotebooks(dir)).map((p) => p.split("/").pop()), ["a.ipynb", "b.ipynb", "c.ipynb"]);
    assertEquals((await listNotebooks(dir, { only: ["c", "a"] })).map((p) => p.split("/").pop()), [
      "a.ipynb",
      "c.ipynb",
    ]);
    let msg = "";
    try {
      await listNotebooks(dir, { only: ["zz"] });
    } catch (e) {
      msg = (e as Error).message;
    }
    assert(msg.includes("unknown notebook(s) zz") && msg.includes("a, b, c"), msg);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ensureDenoKernel installs a missing or broken kernelspec and keeps a good one", async () => {
  const dir = await Deno.makeTempDir();
  const saved = { xdg: Deno.env.get("XDG_DATA_HOME"), jd: Deno.env.get("JUPYTER_DATA_DIR") };
  try {
    Deno.env.set("XDG_DATA_HOME", dir);
    Deno.env.delete("JUPYTER_DATA_DIR");
    const spec = join(dir, "jupyter", "kernels", "deno", "kernel.json");
    const a = await ensureDenoKernel();
    assertEquals([a.installed, a.kernelJson], [true, spec]);
    assert(a.reason?.includes("missing"), a.reason);
    const written = JSON.parse(await Deno.readTextFile(spec));
    const sameDeno = (exe: string) => Deno.realPathSync(exe) === Deno.realPathSync(Deno.execPath());
    assert(sameDeno(written.argv[0]), `kernelspec starts ${written.argv[0]}, not this deno`);
    const b = await ensureDenoKernel();
    assertEquals(b.installed, false);
    written.argv[0] = join(dir, "no-such-deno");
    await Deno.writeTextFile(spec, JSON.stringify(written));
    const c = await ensureDenoKernel();
    assertEquals(c.installed, true);
    assert(c.reason?.includes("does not exist"), c.reason);
    assert(sameDeno(JSON.parse(await Deno.readTextFile(spec)).argv[0]));
  } finally {
    if (saved.xdg === undefined) Deno.env.delete("XDG_DATA_HOME");
    else Deno.env.set("XDG_DATA_HOME", saved.xdg);
    if (saved.jd !== undefined) Deno.env.set("JUPYTER_DATA_DIR", saved.jd);
    await Deno.remove(dir, { recursive: true });
  }
});

/** A notebook whose cells publish outputs after the cell has returned (late, after idle). */
function lateOutputNotebook(): Notebook {
  const code = (source: string) => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: [
      code('const profile = Deno.env.get("GAZE_PROFILE") ?? "smoke";\nconsole.log("profile", profile);'),
      code('for (let i = 0; i < 40; i++) console.log("line", i);\n"value"'),
      code('setTimeout(() => console.log("late stream"), 150);\nconsole.log("early");'),
      code(
        'setTimeout(() => Deno.jupyter.display({ "text/plain": "late display" }, { raw: true }), 100);\n' +
          `await Deno.jupyter.display({ "${PLOTLY_MIME}": { data: [{ type: "bar", x: ["a"], y: [2] }] } }, { raw: true });`,
      ),
      code('console.error("to stderr");\nconsole.log("to stdout");'),
    ],
  };
}

Deno.test({
  name: "executeNotebook keeps late outputs: three executions give identical, complete outputs",
  ignore: !tools.ok,
  async fn() {
    await ensureDenoKernel();
    const dir = await Deno.makeTempDir();
    try {
      const input = join(dir, "late.ipynb");
      await Deno.writeTextFile(input, JSON.stringify(lateOutputNotebook()));
      const expected = [
        ["stream:stdout:profile cpu\n"],
        [`stream:stdout:${Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join("")}`, "execute_result:text/plain"],
        ["stream:stdout:early\nlate stream\n"],
        [`display_data:${PLOTLY_MIME}`, "display_data:text/plain"],
        ["stream:stderr:to stderr\n", "stream:stdout:to stdout\n"],
      ];
      for (let run = 0; run < 3; run++) {
        const out = join(dir, `out${run}.ipynb`);
        const r = await executeNotebook(input, out, { env: { GAZE_PROFILE: "cpu" }, quiet: 0.5 });
        assert(r.ok, r.log);
        const nb = await readNotebook(out);
        const digest = outputDigest(nb);
        // stderr and stdout may interleave in either order; compare as sets per cell for the last cell.
        digest[4].sort();
        assertEquals(digest, expected, `run ${run}`);
        assertEquals(cellsWithOutputs(await readNotebook(input)), [], "the input notebook is not modified");
      }
      const html = await exportNotebookHtml(join(dir, "out0.ipynb"), join(dir, "html"));
      const text = await Deno.readTextFile(html);
      assert(text.includes("Plotly.newPlot") && text.includes("late display") && text.includes("line 39"));
      // plotly.js is written once next to the page and referenced, not inlined
      assertEquals((text.match(/plotly\.js, inlined/g) ?? []).length, 0, "plotly.js not inlined");
      const scripts = [...text.matchAll(/<script src="(plotly-[^"]+\.min\.js)"><\/script>/g)].map((m) => m[1]);
      assertEquals(scripts.length, 1, "plotly.js referenced once");
      assert((await Deno.stat(join(dirname(html), scripts[0]))).size > 1_000_000, "the referenced plotly.js exists");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "executeNotebook reports a failing cell and still writes the notebook with the error",
  ignore: !tools.ok,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const nb = lateOutputNotebook();
      nb.cells.splice(2, 0, {
        cell_type: "code",
        source: 'throw new Error("boom")',
        metadata: {},
        outputs: [],
        execution_count: null,
      });
      const input = join(dir, "fail.ipynb");
      await Deno.writeTextFile(input, JSON.stringify(nb));
      const r = await executeNotebook(input, join(dir, "out.ipynb"));
      assertEquals(r.ok, false);
      const out = await readNotebook(join(dir, "out.ipynb"));
      const d = outputDigest(out);
      assertEquals(d[2], ["error:Error"]);
      assertEquals(d[3], [], "execution stops at the failing cell");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
