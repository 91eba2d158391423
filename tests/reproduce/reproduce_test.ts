/**
 * End to end on the synthetic dataset at the smoke profile, sharing one results folder:
 * 0. `gazesup_<dataset>_2_levels` (here on synthetic) trains FGI into the run folder that
 *    `reproduce` then reuses;
 * 1. every notebook executes headlessly with no error and the expected outputs, starting
 *    from NO results (the table and figure notebooks run `reproduce` for what they miss);
 *    ignored, with the reason printed, without Jupyter;
 * 2. `deno task reproduce --profile smoke --dataset synthetic` (the CLI) then writes every
 *    table and figure and the README; its numbers are recomputed here from the runs'
 *    per-image CSVs; a second invocation reuses every run; a run whose config changed is
 *    refused.
 */
import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import { comparePaired } from "../../lib/metrics/paired.ts";
import { chromiumPath, plotlyFileName } from "../../lib/report/figure_export.ts";
import { FIGURE_NAMES } from "../../lib/report/figures.ts";
import { notebookTools, outputDigest, PLOTLY_MIME, readNotebook, runNotebooks } from "../../lib/report/notebooks.ts";
import { parsePerImageCsv } from "../../lib/report/per_image.ts";

const root = await Deno.makeTempDir({ prefix: "gaze-reproduce-test-" });
const dir = join(root, "synthetic", "smoke");
globalThis.addEventListener("unload", () => Deno.removeSync(root, { recursive: true }));
const tools = await notebookTools();
if (!tools.ok) console.error(`skipped notebook execution: ${tools.reason}`);
const CLI = new URL("../../tasks/reproduce.ts", import.meta.url).pathname;
const env = { GAZE_QUIET: "1", GAZE_BACKEND: "wasm" };

async function cli(args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

/** `reproduce --profile smoke --dataset synthetic --only <part> --seeds 0` into the shared folder: each run's status. */
async function reproduceOnly(part: string): Promise<Record<string, string>> {
  const r = await cli([
    "--profile",
    "smoke",
    "--dataset",
    "synthetic",
    "--out",
    root,
    "--only",
    part,
    "--seeds",
    "0",
    "--quiet",
  ]);
  assert(r.ok, r.err);
  const rep = JSON.parse(await Deno.readTextFile(join(dir, "reproduce.json")));
  return Object.fromEntries(rep.runs.map((x: { id: string; status: string }) => [x.id, x.status]));
}

const readCsv = async (run: string, ck = "best") => {
  const p = join(dir, "runs", run, `eval_${ck}.csv`);
  return parsePerImageCsv(await Deno.readTextFile(p), p);
};

Deno.test("gazesup task trains FGI (code variant) into the run folder reproduce uses, and prints the student's scores", async () => {
  const r = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../tasks/gazesup_2_levels.ts", import.meta.url).pathname,
      "synthetic",
      "--profile",
      "smoke",
      "--out",
      root,
      "--quiet",
    ],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(r.stdout);
  assert(r.success, new TextDecoder().decode(r.stderr));
  const best = await readCsv("fgi-code_s0");
  const m = best.reduce((s, x) => s + x.dice, 0) / best.length;
  assert(out.includes(`student Dice ${(100 * m).toFixed(2)} ±`), out);
  assert(out.includes(`over ${best.length} test images`) && out.includes("run trained"), out);
});

Deno.test({
  name: "every notebook executes on the smoke profile with no error and the expected outputs",
  ignore: !tools.ok,
  async fn() {
    const outDir = join(root, "notebooks");
    const runs = await runNotebooks({
      outDir,
      profile: "smoke",
      env: { ...env, GAZE_DATASET: "synthetic", GAZE_RESULTS_DIR: root },
    });
    const failed = runs.filter((r) => !r.ok).map((r) => `${r.input}\n${r.log.split("\n").slice(-25).join("\n")}`);
    assertEquals(failed, [], failed.join("\n\n"));
    // What each notebook must show: MIME types present among its outputs, and text it must print.
    const expect: Record<string, { mime: string[]; text: string[] }> = {
      "00_quickstart": {
        mime: [PLOTLY_MIME, "text/markdown"],
        text: ["dataset: synthetic", "FGI student test Dice after", "teacher (with text)", "training dynamics"],
      },
      "01_gaze_to_pseudo_masks": {
        mime: [PLOTLY_MIME, "text/html"],
        text: ["simulated fixations", "M_hc vs ground truth"],
      },
      "02_vlm_text_cues": { mime: [PLOTLY_MIME, "text/markdown"], text: ['"Location"'] },
      "03_train_teacher_student": {
        mime: [PLOTLY_MIME, "text/html"],
        text: ["darm_candidates", "student Dice", "mean of their logits", "training dynamics"],
      },
      "fig_annotation_cost": { mime: [PLOTLY_MIME], text: ["results "] },
      "fig_interpretability": { mime: [PLOTLY_MIME], text: ["results "] },
      "fig_qualitative": { mime: [PLOTLY_MIME], text: ["best: ", "worst: "] },
      "fig_training_dynamics": {
        mime: ["text/html", "text/markdown", PLOTLY_MIME],
        text: [
          "ground-truth foreground share of the test pixels",
          "training dynamics: FGI (code variant)",
          "training dynamics: FGI − DARM",
          "label-leak (fgi-code): ",
          "collapse (fgi-code): ",
          "vs-gazemedseg (fgi-code): ",
        ],
      },
      "table_ablation": { mime: ["text/html", PLOTLY_MIME], text: ["results "] },
      "table_main": { mime: ["text/html", PLOTLY_MIME], text: ["table_main.md"] },
      "table_sensitivity": { mime: ["text/html", PLOTLY_MIME], text: ["results "] },
    };
    assertEquals(runs.map((r) => r.input.split("/").pop()!.replace(".ipynb", "")), Object.keys(expect));
    for (const r of runs) {
      const name = r.input.split("/").pop()!.replace(".ipynb", "");
      const nb = await readNotebook(r.output);
      const outs = nb.cells.flatMap((c) => c.outputs ?? []);
      assert(!outs.some((o) => o.output_type === "error"), `${name}: an error output`);
      const mimes = new Set(outs.flatMap((o) => Object.keys(o.data ?? {})));
      for (const m of expect[name].mime) assert(mimes.has(m), `${name}: no ${m} output (have ${[...mimes]})`);
      const text = outputDigest(nb).flat().join("\n");
      for (const t of expect[name].text) assert(text.includes(t), `${name}: output lacks "${t}"`);
      if (name === "00_quickstart") {
        const dice = Number(/FGI student test Dice after \d+ iterations: ([\d.]+)%/.exec(text)?.[1]);
        assert(dice >= 40, `quick start: the FGI student does not learn (${dice} %)`);
      }
      const html = await Deno.readTextFile(r.html!);
      assert(html.includes("Plotly.newPlot"), `${name}: the HTML export has no Plotly figure`);
      assert(html.length < 3_000_000 && !html.includes("plotly.js, inlined"), `${name}: plotly.js inlined`);
      // plain nbconvert (no toolkit post-processing) gets a text/html for every Plotly output
      for (const o of outs.filter((x) => x.data?.[PLOTLY_MIME])) {
        assert(
          typeof o.data?.["text/html"] === "string" || Array.isArray(o.data?.["text/html"]),
          `${name}: no text/html`,
        );
        if (chromiumPath()) assert(o.data?.["image/png"], `${name}: a figure without image/png`);
      }
    }
    // The table notebooks ran reproduce for what was missing: the runs exist now.
    for (const run of ["fullsup_s0", "fgi-code_s0", "fgi-code-no-afc_s0", "fgi-code-tauPos-0.9_s0"]) {
      assert((await Deno.stat(join(dir, "runs", run, "done.json"))).isFile, run);
    }
  },
});

Deno.test("deno task reproduce --profile smoke --dataset synthetic: tables, figures and README from the runs", async () => {
  const r = await cli(["--profile", "smoke", "--dataset", "synthetic", "--out", root, "--quiet"]);
  assert(r.ok, r.err);
  assertEquals(r.out.trim(), join(dir, "README.md"));
  const rep = JSON.parse(await Deno.readTextFile(join(dir, "reproduce.json")));
  assertEquals(rep.runs.length, 21);
  const status = (id: string) => rep.runs.find((x: { id: string }) => x.id === id).status;
  assertEquals(status("fgi-code_s0"), "reused", "the gazesup run is reused");
  assertEquals(rep.profile, "smoke");
  for (const t of ["main", "ablation", "sensitivity"]) {
    for (const ext of ["md", "csv", "json"]) assert((await Deno.stat(join(dir, `table_${t}.${ext}`))).size > 0);
  }
  // plotly.js is written once into figures/ and every page references it (pages stay small)
  const lib = await plotlyFileName();
  assert((await Deno.stat(join(dir, "figures", lib))).size > 1_000_000, lib);
  for (const f of FIGURE_NAMES) {
    const html = await Deno.readTextFile(join(dir, "figures", `${f}.html`));
    assert(html.includes(`<script src="${lib}"></script>`) && html.length < 1_500_000, `${f}.html: ${html.length}`);
    if (chromiumPath()) assert((await Deno.stat(join(dir, "figures", `${f}.png`))).size > 0, `${f}.png`);
  }
  // Main table cells recomputed from the per-image CSVs (Dice % and HD95 px, mean and population std).
  const main = JSON.parse(await Deno.readTextFile(join(dir, "table_main.json")));
  const keys = ["fullsup", "gaze1", "gazemedseg", "fgi-code", "fgi-paper"];
  for (const [i, key] of keys.entries()) {
    const rows = await readCsv(`${key}_s0`);
    const d = rows.map((x) => x.dice);
    const m = d.reduce((s, v) => s + v, 0) / d.length;
    const sd = Math.sqrt(d.reduce((s, v) => s + (v - m) ** 2, 0) / d.length);
    assertAlmostEquals(main.rows[i].dice.mean, 100 * m, 1e-9, `${key} Dice mean`);
    assertAlmostEquals(main.rows[i].dice.std, 100 * sd, 1e-9, `${key} Dice std`);
    const h = rows.map((x) => x.hd95).filter((v): v is number => v !== null);
    assertEquals(main.rows[i].hd95.nUndefined, rows.length - h.length, `${key} HD95 undefined count`);
    if (h.length) assertAlmostEquals(main.rows[i].hd95.mean, h.reduce((s, v) => s + v, 0) / h.length, 1e-9);
    const last = await readCsv(`${key}_s0`, "last");
    assertAlmostEquals(main.rows[i].dice_other.mean, 100 * last.reduce((s, x) => s + x.dice, 0) / last.length, 1e-9);
    // The demo shows every method learning (configs/synthetic.smoke.json, notes): the best and the last
    // checkpoint are well above 0 (full supervision >= 60 %, every gaze method >= 40 %).
    const floor = key === "fullsup" ? 60 : 40;
    assert(main.rows[i].dice.mean >= floor, `${key}: best-checkpoint Dice ${main.rows[i].dice.mean} % < ${floor} %`);
    assert(
      main.rows[i].dice_other.mean >= floor,
      `${key}: last checkpoint collapsed to ${main.rows[i].dice_other.mean} %`,
    );
  }
  // Ablation: Δ Dice and the Wilcoxon p of "− AFC" recomputed from the two runs' CSVs.
  const abl = JSON.parse(await Deno.readTextFile(join(dir, "table_ablation.json")));
  const row = abl.rows.find((x: { variant: string }) => x.variant === "FGI − AFC");
  const a = await readCsv("fgi-code-no-afc_s0"), b = await readCsv("fgi-code_s0");
  const byId = new Map(b.map((x) => [x.id, x.dice]));
  const c = comparePaired(a.map((x) => x.dice), a.map((x) => byId.get(x.id)!));
  assertAlmostEquals(row.d_dice, 100 * c.meanDifference!, 1e-9);
  assertAlmostEquals(row.p_dice, c.wilcoxon!.pValue, 1e-12);
  // The ablation rows differ from the reference (a run that learns nothing gives Δ 0, p 1 everywhere).
  const deltas = abl.rows.map((x: { d_dice: number | null }) => x.d_dice).filter((d: number | null) => d !== null);
  assertEquals(deltas.length, abl.rows.length - 1);
  assert(deltas.filter((d: number) => Math.abs(d) >= 0.1).length >= 6, `ablation deltas ${deltas}`);
  assert(abl.rows.some((x: { p_dice: number | null }) => x.p_dice !== null && x.p_dice < 1), "every p is 1");
  // README links every table, figure and run that exists.
  const readme = await Deno.readTextFile(join(dir, "README.md"));
  const links = [...readme.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
  assert(links.length > 30, `${links.length} links`);
  for (const l of links) await Deno.stat(join(dir, l));
  assert(readme.includes("Synthetic data") && readme.includes("commit") && readme.includes("wall time"));
});

Deno.test("a second reproduce reuses every run; a run whose config changed is refused", async () => {
  const r = await cli(["--profile", "smoke", "--dataset", "synthetic", "--out", root, "--only", "main", "--quiet"]);
  assert(r.ok, r.err);
  const rep = JSON.parse(await Deno.readTextFile(join(dir, "reproduce.json")));
  assertEquals(rep.runs.map((x: { status: string }) => x.status), ["reused", "reused", "reused", "reused", "reused"]);
  const cfgPath = join(dir, "runs", "gaze1_s0", "config.json");
  const original = await Deno.readTextFile(cfgPath);
  try {
    const cfg = JSON.parse(original);
    cfg.iterations += 1;
    await Deno.writeTextFile(cfgPath, JSON.stringify(cfg, null, 2) + "\n");
    const bad = await cli(["--profile", "smoke", "--dataset", "synthetic", "--out", root, "--only", "main", "--quiet"]);
    assertEquals(bad.ok, false);
    assert(bad.err.includes("different config") && bad.err.includes("gaze1_s0"), bad.err);
  } finally {
    await Deno.writeTextFile(cfgPath, original);
  }
});

Deno.test("reproduce --only diagnosis (smoke): reuses the shared runs; the DARM variant has masked-test scoring; verdicts", async () => {
  assertEquals(await reproduceOnly("diagnosis"), {
    "fgi-code_s0": "reused",
    "fgi-code-no-darm_s0": "reused",
    // trained by the fig_training_dynamics notebook above when Jupyter is there (same function, same files)
    "fgi-code-darmPlacement-ring+random_s0": tools.ok ? "reused" : "trained",
    "gazemedseg_s0": "reused",
  });
  const run = join(dir, "runs", "fgi-code-darmPlacement-ring+random_s0");
  for (const f of ["eval_best_masked.csv", "eval_last_masked.csv", "eval_best_teacher.csv", "eval_best_mean.csv"]) {
    assert((await Deno.stat(join(run, f))).size > 0, f);
  }
  const log = (await Deno.readTextFile(join(run, "log.jsonl"))).trim().split("\n").map((l) => JSON.parse(l));
  const ev = log.filter((x) => x.type === "eval").at(-1);
  for (const k of ["masked_dice", "teacher_dice", "mean_dice", "dyn/train_masked/student/fg_argmax"]) {
    assert(typeof ev.metrics[k] === "number", k);
  }
  const t = JSON.parse(await Deno.readTextFile(join(dir, "table_diagnosis.json")));
  assertEquals(t.rows.length, 4);
  // Learning curves of the diagnosis rows: FGI rows give student and teacher curves.
  const curves = JSON.parse(await Deno.readTextFile(join(dir, "table_curves.json")));
  assertEquals(curves.rows.length, 3 * 2 + 1);
  const masked = await Deno.readTextFile(join(run, "eval_best_masked.csv"));
  const rows = parsePerImageCsv(masked, "masked");
  assertAlmostEquals(t.rows[2].masked.mean, 100 * rows.reduce((s, x) => s + x.dice, 0) / rows.length, 1e-9);
  assertEquals(t.rows[0].masked, null, "a reused run trained without masked-test scoring has no value");
  // Verdicts from the numbers: the leak of the reused reference cannot be judged (no masked scores); the
  // collapse is judged against the ground truth's foreground share; the variant's own gap is judged.
  const verdicts = (t.notes as string[]).filter((n) => n.startsWith("verdict: "));
  assert(verdicts[0].startsWith("verdict: label leak (FGI (code variant)): not judged"), verdicts[0]);
  assert(/^verdict: collapse (HOLDS|does not hold)/.test(verdicts[1]), verdicts[1]);
  assert(verdicts.some((n) => /ring \+ random .* removes the leak (HOLDS|does NOT hold)/.test(n)), verdicts.join("\n"));
  assert(verdicts.some((n) => n.includes("GazeMedSeg")), "FGI rows against GazeMedSeg");
  assert((t.notes as string[]).some((n) => /the ground truth marks \d+\.\d % of the test pixels/.test(n)));
  // The earlier tables stay in the README.
  const readme = await Deno.readTextFile(join(dir, "README.md"));
  assert(readme.includes("table_main") && readme.includes("table_diagnosis"), readme.slice(0, 400));
});

Deno.test("reproduce --only long (smoke): 4x the iterations in runs of their own; its table and learning curves", async () => {
  assertEquals(await reproduceOnly("long"), {
    "fgi-code-x4_s0": "trained",
    "fgi-code-no-darm-x4_s0": "trained",
    "gazemedseg-x4_s0": "trained",
    "fullsup-x4_s0": "trained",
  });
  const short = JSON.parse(await Deno.readTextFile(join(dir, "runs", "fgi-code_s0", "config.json")));
  const long = JSON.parse(await Deno.readTextFile(join(dir, "runs", "fgi-code-x4_s0", "config.json")));
  assertEquals([long.iterations, long.evalEvery], [4 * short.iterations, short.evalEvery]);
  assertEquals(long.rampUp.length, Math.round((4 * short.iterations * 4000) / 15000));
  const done = JSON.parse(await Deno.readTextFile(join(dir, "runs", "fgi-code-x4_s0", "done.json")));
  assertEquals(done.iterations, 4 * short.iterations);
  const t = JSON.parse(await Deno.readTextFile(join(dir, "table_long.json")));
  assertEquals(t.rows.length, 4);
  assert(t.title.includes(`4x the profile's iterations (${4 * short.iterations})`), t.title);
  assert(typeof t.rows[0].teacher_last?.mean === "number", JSON.stringify(t.rows[0]));
  assertEquals([t.rows[3].teacher, t.rows[3].masked], [null, null], "full supervision has no teacher and no DARM");
  const curves = JSON.parse(await Deno.readTextFile(join(dir, "table_curves.json")));
  assertEquals(curves.rows.length, 2 * 2 + 2, "student and teacher curves of the FGI rows, one of each other row");
  const readme = await Deno.readTextFile(join(dir, "README.md"));
  assert(readme.includes("table_long") && readme.includes("table_diagnosis"), readme.slice(0, 400));
});
