/**
 * `deno run -A tasks/readme_figure.ts [--ids a,b,c] [--out notebooks/assets/pseudo_masks_kvasir.png]`
 *
 * Draws the README's hero image with the toolkit's own figure code: `gazeFigure` (lib/gaze/figure.ts, the
 * `fig_pseudo_masks` figure of `reproduce`) on real Kvasir-SEG images and their recorded GazeMedSeg fixations, the
 * heatmap and dense CRF computed as `deno task prepare` does (docs/METHOD.md section 3), exported to PNG through
 * Chromium. Needs Kvasir-SEG and the GazeMedSeg fixations in the data root (`--data-dir` or `$GAZE_DATA_DIR`).
 * Default images: the first three of the training split.
 *
 * @module
 */
import { parseTaskArgs, runTask } from "../lib/core/mod.ts";
import { openDataset, resolveDataRoot } from "../lib/data/mod.ts";
import { computeGazeMaps, dequantiseMap, gazeFigure, type GazeFigureRow, gazeMapSettings } from "../lib/gaze/mod.ts";
import { FigureExporter, imageGaze } from "../lib/report/mod.ts";

const USAGE = `deno run -A tasks/readme_figure.ts [--ids a,b,c] [--out FILE.png] [--panel PX] [--data-dir DIR]

Draws image | ground truth | gaze heatmap | heatmap > 0.5 | dense CRF >= 0.5 for Kvasir-SEG images with their
recorded GazeMedSeg gaze (default: the first three training images) into a PNG.`;

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    allowPositionals: false,
    flags: { ids: { type: "string" }, out: { type: "string" }, panel: { type: "string" } },
  });
  const root = resolveDataRoot({ dataDir: values["data-dir"] });
  const dataset = await openDataset("kvasir", { root });
  const ids = values.ids ? values.ids.split(",").map((s) => s.trim()) : dataset.ids("train").slice(0, 3);
  const settings = gazeMapSettings("kvasir");
  const rows: GazeFigureRow[] = [];
  for (const id of ids) {
    const sample = await dataset.load(id);
    const gaze = await imageGaze(dataset, id, { root });
    if (!gaze.recorded) throw new Error(`kvasir/${id}: no recorded GazeMedSeg fixations in ${root}`);
    const maps = computeGazeMaps(sample.image, gaze.fixations, settings);
    rows.push({
      id,
      image: sample.image,
      mask: sample.mask,
      heatmap: dequantiseMap(maps.heatmap),
      crf: dequantiseMap(maps.crf),
    });
    console.error(`${id}: ${gaze.fixations.length} fixations, CRF ${maps.crfSeconds.toFixed(1)} s`);
  }
  const panel = values.panel ? Number(values.panel) : 160;
  const fig = gazeFigure(rows, {
    title: "Kvasir-SEG, real GazeMedSeg gaze: from fixations to pseudo-masks",
    panelSize: panel,
  });
  const out = values.out ?? "notebooks/assets/pseudo_masks_kvasir.png";
  await using exporter = await FigureExporter.open();
  if (!exporter.chromium) throw new Error(`PNG export needs Chromium: ${exporter.note}`);
  const saved = await exporter.save(fig, out.replace(/\.png$/, ""), { formats: ["png"] });
  console.log(`wrote ${saved.png}`);
});
