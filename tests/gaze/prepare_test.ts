import { assert, assertAlmostEquals, assertEquals } from "../assert.ts";
import { realDataRoot, withoutRealData } from "../real_data.ts";
import { readGazeMap } from "../../lib/gaze/mod.ts";

const NAME = "prepare: the pipeline runs on 20 real Kvasir images, writes maps + quality report, and resumes";

async function prepare(derived: string, ...args: string[]) {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../../tasks/prepare.ts", import.meta.url).pathname, "kvasir", ...args],
    env: { GAZE_DERIVED_DIR: derived, GAZE_DATA_DIR: realDataRoot()!, GAZE_QUIET: "1" },
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test({ name: NAME, ignore: withoutRealData(NAME) }, async () => {
  const derived = await Deno.makeTempDir({ prefix: "gaze-prepare-" });
  try {
    const first = await prepare(derived, "--limit", "20", "--workers", "2");
    assertEquals(first.code, 0, first.stderr);
    const report = JSON.parse(await Deno.readTextFile(`${derived}/kvasir/gaze/quality.json`));
    assertEquals(report.summary.images, 20);
    assertEquals(report.summary.computed, 20);
    assertEquals(report.rows.length, 20);
    assert(report.provenance.commit && report.provenance.settings.crf.thetaXY === 80);
    // plausibility, not the published figure (that needs all 1000 images): gaze pseudo-masks overlap the polyps
    assert(report.summary.mean.dice_heatmap_05 > 0.6, `heatmap Dice ${report.summary.mean.dice_heatmap_05}`);
    assert(report.summary.mean.dice_crf_05 > 0.6, `CRF Dice ${report.summary.mean.dice_crf_05}`);
    for (const r of report.rows) assert(r.seconds > 0 && r.crf_seconds > 0 && r.fixations > 0);
    const csv = (await Deno.readTextFile(`${derived}/kvasir/gaze/quality.csv`)).trim().split("\n");
    assertEquals(csv.length, 21);
    assert(csv[0].startsWith("id,width,height,fixations,dice_heatmap_05"));
    // the maps are 1-channel 8-bit PNGs of the image's size (read by path: the env var is process-wide)
    const { id, width, height } = report.rows[0];
    for (const kind of ["heatmap", "crf"]) {
      const map = await readGazeMap(`${derived}/kvasir/${kind}/${id}.png`);
      assertEquals([map.width, map.height, map.channels], [width, height, 1]);
    }
    // rerun: nothing recomputed, same figures, earlier timings kept
    const second = await prepare(derived, "--limit", "20");
    assertEquals(second.code, 0, second.stderr);
    const again = JSON.parse(await Deno.readTextFile(`${derived}/kvasir/gaze/quality.json`));
    assertEquals(again.summary.computed, 0);
    assertEquals(again.summary.skipped, 20);
    assertAlmostEquals(again.summary.mean.dice_crf_05, report.summary.mean.dice_crf_05, 1e-12);
    assertEquals(again.rows[3].seconds, report.rows[3].seconds);
    // other settings on the same folder are refused
    const other = await prepare(derived, "--limit", "2", "--jpeg-roundtrip");
    assertEquals(other.code, 1);
    assert(other.stderr.includes("were made with other settings"), other.stderr);
  } finally {
    await Deno.remove(derived, { recursive: true });
  }
});

Deno.test("prepare --ids / --limit on part of the images updates the quality report instead of replacing it", async () => {
  const derived = await Deno.makeTempDir({ prefix: "gaze-prepare-subset-" });
  const run = async (...args: string[]) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("../../tasks/prepare.ts", import.meta.url).pathname, "synthetic", ...args],
      env: { GAZE_DERIVED_DIR: derived, GAZE_QUIET: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    return {
      stdout: new TextDecoder().decode(out.stdout),
      stderr,
      report: JSON.parse(await Deno.readTextFile(`${derived}/synthetic/gaze/quality.json`)),
      csv: (await Deno.readTextFile(`${derived}/synthetic/gaze/quality.csv`)).trim().split("\n"),
    };
  };
  const idFile = async (ids: string[]) => {
    const f = `${derived}/ids-${ids.length}.txt`;
    await Deno.writeTextFile(f, ids.join("\n") + "\n");
    return f;
  };
  try {
    const first = await run("--limit", "4", "--workers", "1");
    const ids = first.report.rows.map((r: { id: string }) => r.id);
    assertEquals(first.report.summary.images, 4);
    // Two other images by --ids (the last first): 6 rows in the dataset's order, the first four unchanged.
    const later = [ids[0].replace(/\d+$/, "") + "0010", ids[0].replace(/\d+$/, "") + "0005"];
    const second = await run("--ids", await idFile(later), "--workers", "1");
    const rows = second.report.rows as { id: string; dice_crf_05: number; seconds: number }[];
    assertEquals(rows.map((r) => r.id), [...ids, later[1], later[0]]);
    assertEquals(rows.slice(0, 4), first.report.rows, "rows of the images not in this run are kept as they were");
    assertEquals(second.report.summary.images, 6);
    assertEquals(second.report.summary.computed, 2);
    assertEquals(second.report.summary.run, { images: 2, keptFromEarlierReport: 4 });
    const m = rows.reduce((s, r) => s + r.dice_crf_05, 0) / 6;
    assertAlmostEquals(second.report.summary.mean.dice_crf_05, m, 1e-12, "means over the whole report");
    assertEquals(second.csv.length, 7);
    assert(second.stdout.includes("6 images: 4 kept from the earlier report"), second.stdout);
    // Re-running one image replaces its row only (skipped: maps exist; its earlier timing kept).
    const third = await run("--ids", await idFile([ids[1]]), "--workers", "1");
    const expected = second.report.rows.map((r: object, i: number) => (i === 1 ? { ...r, skipped: true } : r));
    assertEquals(third.report.rows, expected, "only that row changes: re-read, not recomputed");
    assertEquals([third.report.summary.skipped, third.report.summary.images], [1, 6]);
    // Other map settings (--force): the earlier rows describe other maps, so the report starts over.
    const forced = await run("--ids", await idFile([ids[2]]), "--force", "--jpeg-roundtrip", "--workers", "1");
    assertEquals(forced.report.rows.map((r: { id: string }) => r.id), [ids[2]]);
    assert(forced.stderr.includes("the earlier quality report is replaced, not merged"), forced.stderr);
  } finally {
    await Deno.remove(derived, { recursive: true });
  }
});
