/**
 * `deno task score --pred <png file|dir> --gt <png file|dir> [--spacing row,col] [--json]
 *   [--empty null|diagonal] [--connectivity 1|2]`
 *
 * Scores predicted masks against ground-truth masks with the toolkit's metrics
 * (Dice, IoU, HD95, ASD, ASSD; docs/METHOD.md section 8), matching files by name without
 * extension; foreground = grey > 127 (grey/255 > 0.5). Prints one line per image and a
 * summary (mean ± population std, median, bootstrap 95% interval, and how many images
 * had an undefined surface distance because a mask was empty), or one JSON object
 * with `--json`. See lib/metrics/score_files.ts for the matching rules.
 *
 * @module
 */
import { parseTaskArgs, progressBar, provenance, runTask } from "../lib/core/mod.ts";
import {
  type Connectivity,
  type EmptyPolicy,
  matchMaskFiles,
  scoreMaskFilePairs,
  type ScoreOptions,
  type Spacing,
  summarize,
} from "../lib/metrics/mod.ts";
import { makeTable, toMarkdown } from "../lib/report/table.ts";

const USAGE = `deno task score --pred <png file|dir> --gt <png file|dir> [--spacing row,col] [--json]
                 [--empty null|diagonal] [--connectivity 1|2]

Scores predicted masks against ground-truth masks (Dice, IoU, HD95, ASD, ASSD).
  --pred, --gt      a mask file (.png/.jpg/.jpeg) or a folder of them; folders are matched
                    by file name without extension (a.png matches a.jpg)
  --spacing R,C     pixel spacing in mm: R between rows (along y), C between columns
                    (along x), the order of DICOM PixelSpacing and of the library's
                    Spacing [row, column]; distances then in mm
  --empty P         surface distances when a mask is empty: "null" (default; left out of
                    means and counted) or "diagonal" (image diagonal penalty, 0 if both empty)
  --connectivity C  surface = mask minus its erosion with the 4- (1, medpy default) or
                    8-neighbourhood (2)
  --json            one JSON object (per-image scores, summaries, provenance) on stdout
Foreground: grey value > 127 (grey/255 > 0.5); RGB is made grey with ITU-R 601 luma.`;

const METRICS = ["dice", "iou", "hd95", "asd", "assd"] as const;

function parseSpacing(v: string | undefined): Spacing | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(",").map((s) => Number(s.trim()));
  if (parts.length !== 2 || !parts.every((p) => Number.isFinite(p) && p > 0)) {
    throw new Error(
      `--spacing: expected two positive numbers "row,col" (mm between rows, mm between columns), got "${v}"`,
    );
  }
  return [parts[0], parts[1]]; // [row, column], as given
}

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    allowPositionals: false,
    flags: {
      pred: { type: "string" },
      gt: { type: "string" },
      spacing: { type: "string" },
      json: { type: "boolean" },
      empty: { type: "string" },
      connectivity: { type: "string" },
    },
  });
  if (!values.pred || !values.gt) throw new Error(`--pred and --gt are required\n\n${USAGE}`);
  const empty = (values.empty ?? "null") as EmptyPolicy;
  if (empty !== "null" && empty !== "diagonal") throw new Error(`--empty: expected null or diagonal, got "${empty}"`);
  const connectivity = Number(values.connectivity ?? 1) as Connectivity;
  if (connectivity !== 1 && connectivity !== 2) {
    throw new Error(`--connectivity: expected 1 or 2, got "${values.connectivity}"`);
  }
  const spacing = parseSpacing(values.spacing);
  const options: ScoreOptions = { spacing, empty, connectivity };
  const unit = spacing ? "mm" : "px";

  const pairs = await matchMaskFiles(values.pred, values.gt);
  const bar = progressBar(pairs.length, { label: "score", quiet: values.quiet });
  // Bad pairs (size mismatch, unreadable file) are reported together at the end; the rest are scored.
  const { scores, failures } = await scoreMaskFilePairs(pairs, { ...options, onPair: () => bar.tick() });
  bar.stop();
  const reportFailures = () => {
    if (!failures.length) return;
    throw new Error(
      `${failures.length} of ${pairs.length} pair(s) could not be scored` +
        (scores.length ? ` (the other ${scores.length} are scored above)` : "") + ":\n" +
        failures.map((f) => `  ${f.name}: ${f.reason}`).join("\n"),
    );
  };
  if (!scores.length) reportFailures();
  const summary = Object.fromEntries(METRICS.map((m) => [m, summarize(scores.map((s) => s[m]))]));
  const nPredEmpty = scores.filter((s) => s.predEmpty).length, nGtEmpty = scores.filter((s) => s.gtEmpty).length;

  if (values.json) {
    console.log(JSON.stringify(
      {
        provenance: provenance({ task: "score", pred: values.pred, gt: values.gt }),
        options: { unit, spacing: spacing ?? null, empty, connectivity, foreground: "grey > 127" },
        images: scores,
        emptyPredictions: nPredEmpty,
        emptyGroundTruths: nGtEmpty,
        summary,
        failures,
      },
      null,
      2,
    ));
    reportFailures();
    return;
  }
  const perImage = makeTable(
    [
      { key: "name", label: "Image", kind: "text" },
      { key: "dice", label: "Dice", digits: 4 },
      { key: "iou", label: "IoU", digits: 4 },
      { key: "hd95", label: `HD95 (${unit})`, digits: 2 },
      { key: "asd", label: `ASD (${unit})`, digits: 2 },
      { key: "assd", label: `ASSD (${unit})`, digits: 2 },
    ],
    scores.map((s) => ({ name: s.name, dice: s.dice, iou: s.iou, hd95: s.hd95, asd: s.asd, assd: s.assd })),
  );
  const summaryTable = makeTable(
    [
      { key: "metric", label: "Metric", kind: "text" },
      { key: "ms", label: "mean ± std", kind: "meanStd", digits: 4 },
      { key: "median", label: "median", digits: 4 },
      { key: "lo", label: "95% CI low", digits: 4 },
      { key: "hi", label: "95% CI high", digits: 4 },
      { key: "n", label: "images", digits: 0 },
      { key: "undef", label: "undefined", digits: 0 },
    ],
    METRICS.map((m) => {
      const s = summary[m];
      return {
        metric: m === "dice" || m === "iou" ? m : `${m} (${unit})`,
        ms: s,
        median: s.median,
        lo: s.ci?.[0] ?? null,
        hi: s.ci?.[1] ?? null,
        n: s.n,
        undef: s.nUndefined,
      };
    }),
    {
      title: `Summary over ${scores.length} image(s)`,
      notes: [
        "std: population (ddof 0, as np.std); 95% CI: bootstrap percentile interval of the mean, 2000 resamples, seed 0",
        `empty predictions: ${nPredEmpty}, empty ground truths: ${nGtEmpty}; surface distances with an empty mask: ` +
        (empty === "null" ? "undefined (left out of the means, counted above)" : "image diagonal (0 if both empty)"),
        `surface: erosion with connectivity ${connectivity}; foreground: grey > 127`,
      ],
    },
  );
  console.log(toMarkdown(perImage));
  console.log(toMarkdown(summaryTable));
  reportFailures();
});
