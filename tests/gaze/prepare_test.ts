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
