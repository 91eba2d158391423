/**
 * The notebooks as stored in git: no outputs, the Deno kernel, the profile read in the
 * first cell, ../mod.ts imported, and their code type-checks against the toolkit (all
 * code cells of a notebook concatenated, as the kernel runs them in one scope).
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { cellSource, cellsWithOutputs, listNotebooks, notebooksDir, readNotebook } from "../../lib/report/notebooks.ts";

Deno.test("stored notebooks have no outputs, run on the Deno kernel and read GAZE_PROFILE first", async () => {
  const paths = await listNotebooks(notebooksDir());
  const expected = [
    "00_quickstart",
    "01_gaze_to_pseudo_masks",
    "02_vlm_text_cues",
    "03_train_teacher_student",
    "fig_annotation_cost",
    "fig_interpretability",
    "fig_qualitative",
    "fig_training_dynamics",
    "table_ablation",
    "table_main",
    "table_sensitivity",
  ];
  assertEquals(paths.map((p) => p.split("/").pop()!.replace(".ipynb", "")), expected);
  for (const p of paths) {
    const nb = await readNotebook(p);
    assertEquals(cellsWithOutputs(nb), [], `${p} is stored with outputs; strip them before committing`);
    assertEquals((nb.metadata.kernelspec as { name?: string })?.name, "deno", `${p}: kernelspec`);
    const firstCode = nb.cells.find((c) => c.cell_type === "code")!;
    assert(cellSource(firstCode).includes('Deno.env.get("GAZE_PROFILE")'), `${p}: first cell must read GAZE_PROFILE`);
    assert(nb.cells.some((c) => cellSource(c).includes('"../mod.ts"')), `${p}: must import ../mod.ts`);
  }
});

Deno.test("notebook code type-checks against the toolkit (code cells concatenated, as one kernel scope)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gaze-nbcheck-" });
  const modUrl = new URL("../../mod.ts", import.meta.url).href;
  try {
    const files: string[] = [];
    for (const p of await listNotebooks(notebooksDir())) {
      const nb = await readNotebook(p);
      const code = nb.cells.filter((c) => c.cell_type === "code").map(cellSource).join("\n\n");
      const f = join(dir, p.split("/").pop()!.replace(".ipynb", ".ts"));
      await Deno.writeTextFile(
        f,
        code.replaceAll('"../mod.ts"', JSON.stringify(modUrl)).replaceAll(
          '"../lib/',
          JSON.stringify(new URL("../../lib/", import.meta.url).href).slice(0, -1),
        ) + "\nexport {};\n",
      );
      files.push(f);
    }
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["check", "--config", config, ...files],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(r.stderr);
    assert(r.success, `notebook code does not type-check:\n${err.replaceAll(dir, "notebooks")}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
