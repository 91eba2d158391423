/**
 * `deno task prepare <dataset> [options]`: turn gaze into the two stored maps
 * of every image (docs/METHOD.md section 3): the fixation heatmap and its dense-CRF
 * refinement, as 8-bit PNGs under `<derived>/<dataset>/heatmap|crf/<id>.png`
 * (lib/gaze/store.ts), plus `<derived>/<dataset>/gaze/quality.json|csv`: per
 * image and mean Dice/IoU vs the ground truth of heatmap > 0.5, CRF >= 0.5 and
 * CRF >= 0.3, and the seconds each image took, with provenance. A run on part of the
 * images (`--ids`, `--limit`) updates the report: its rows replace those of the same ids and
 * the rows of the other images are kept (unless the maps' settings changed, `--force`), so
 * the report always covers every image whose maps were made with the current settings.
 *
 * Resumable: images whose two maps exist are re-read, not recomputed (unless
 * --force); every file is written atomically. Work is spread over Deno
 * Workers (default: one per core, at most 2 here).
 *
 * @module
 */
import { join } from "node:path";
import { atomicWrite, intFlag, parseTaskArgs, progressBar, provenance, runTask } from "../lib/core/mod.ts";
import { assertPlainId, openDataset, resolveDataRoot } from "../lib/data/mod.ts";
import type { DatasetName } from "../lib/data/types.ts";
import { gazeMapDir, type GazeMapSettings, gazeMapSettings, readFixations } from "../lib/gaze/mod.ts";
import type { QualityRow, WorkerInit } from "./prepare_worker.ts";

const USAGE = `usage: deno task prepare <dataset> [options]

Write the gaze heatmap and dense-CRF map of every image to <derived>/<dataset>/{heatmap,crf}/<id>.png
and the quality report to <derived>/<dataset>/gaze/quality.{json,csv} (a run on part of the images
updates the rows of those images and keeps the others).
Datasets: kvasir, nci-isbi (real GazeMedSeg gaze), isic, synthetic (simulated gaze).

options:
  --data-dir DIR       data root (default $GAZE_DATA_DIR, then ./data/cache); maps go to $GAZE_DERIVED_DIR if set
  --ids FILE           only these image ids (one per line)
  --limit N            only the first N images
  --workers N          parallel workers (default: number of cores, at most 8)
  --gaze real|simulated  fixation source (default real where a GazeMedSeg CSV exists, else simulated)
  --seed N             simulator seed (default 0; per image deriveSeed(seed, id))
  --variant NAME       write to heatmap-NAME/, crf-NAME/, gaze-NAME/ (default "sim" for simulated gaze
                       on a dataset with real gaze, else none)
  --jpeg-roundtrip     bit-faithful to the original Kvasir maps: numpy float16/float32 truncation and a
                       JPEG (quality 75) round trip before storing (default: rounding, lossless)
  --original-quantise  numpy truncation without JPEG (the original NCI-ISBI storage)
  --samples            nci-isbi: use the two slices of nci-isbi-dicom-samples/
  --force              recompute maps that already exist
  --backend B          accepted for uniformity; the gaze pipeline is plain TypeScript and uses no tensors
  --quiet              no progress bar`;

const PUBLISHED: Partial<Record<DatasetName, Record<string, number>>> = {
  kvasir: { dice_heatmap_05: 0.745, dice_crf_05: 0.751 },
  "nci-isbi": { dice_heatmap_05: 0.792, dice_crf_05: 0.666 },
};

const METRICS = [
  "dice_heatmap_05",
  "iou_heatmap_05",
  "dice_crf_05",
  "iou_crf_05",
  "dice_crf_03",
  "iou_crf_03",
] as const;

function mean(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

function csv(rows: QualityRow[]): string {
  const cols = ["id", "width", "height", "fixations", ...METRICS, "seconds", "crf_seconds", "skipped"] as const;
  const fmt = (
    v: unknown,
  ) => (v === null || v === undefined ? "" : typeof v === "number" ? String(+v.toFixed(6)) : String(v));
  return [cols.join(","), ...rows.map((r) => cols.map((c) => fmt(r[c])).join(","))].join("\n") + "\n";
}

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
}

await runTask(async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    flags: {
      ids: { type: "string" },
      limit: { type: "string" },
      workers: { type: "string" },
      gaze: { type: "string" },
      seed: { type: "string" },
      variant: { type: "string" },
      "jpeg-roundtrip": { type: "boolean" },
      "original-quantise": { type: "boolean" },
      samples: { type: "boolean" },
      force: { type: "boolean" },
    },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new Error(`expected one dataset name\n\n${USAGE}`);
  const root = resolveDataRoot({ dataDir: values["data-dir"] });
  const ds = await openDataset(name, { root, samples: values.samples, quiet: values.quiet });
  const dataset = ds.name;
  const hasRealGaze = dataset === "kvasir" || dataset === "nci-isbi";
  const gaze = (values.gaze ?? (hasRealGaze ? "real" : "simulated")) as "real" | "simulated";
  if (gaze !== "real" && gaze !== "simulated") {
    throw new Error(`--gaze: expected real or simulated, got ${values.gaze}`);
  }
  if (gaze === "real" && !hasRealGaze) {
    throw new Error(`--gaze real: dataset '${dataset}' has no recorded gaze; use --gaze simulated`);
  }
  const variant = values.variant ?? (gaze === "simulated" && hasRealGaze ? "sim" : "");
  const seed = intFlag(values.seed, "seed", 0);
  const settings: GazeMapSettings = gazeMapSettings(dataset, { faithful: values["jpeg-roundtrip"] });
  if (values["original-quantise"]) settings.quantise = "original";

  // the image ids: every id of the dataset (train then test), restricted to those with gaze when it is real
  let ids = [...ds.ids("train"), ...ds.ids("test")];
  let allIds = ids;
  if (gaze === "real") {
    const table = await readFixations(root, dataset as "kvasir" | "nci-isbi");
    const before = ids.length;
    ids = ids.filter((id) => table.images.has(id));
    allIds = ids;
    if (ids.length < before && !values.quiet) {
      console.error(
        `prepare ${dataset}: ${before - ids.length} of ${before} images have no recorded gaze and are left out`,
      );
    }
    const rejected = Object.entries(table.rejected);
    if (rejected.length) {
      console.error(
        `prepare ${dataset}: ${table.file}: rows left out: ${
          rejected.map(([k, r]) => `${r!.count} ${k} (first at line ${r!.firstLine})`).join(", ")
        }`,
      );
    }
  }
  if (values.ids) {
    const wanted = (await Deno.readTextFile(values.ids)).split(/\r?\n/).map((s) => s.trim()).filter(Boolean);
    const known = new Set(ids);
    wanted.forEach((id, i) => {
      assertPlainId(id, `${values.ids}: line ${i + 1}`);
      if (!known.has(id)) {
        throw new Error(`${values.ids}: line ${i + 1}: id ${id} is not an image of ${dataset} with gaze`);
      }
    });
    ids = wanted;
  }
  ids = ids.slice(0, Math.max(0, intFlag(values.limit, "limit", ids.length)));
  if (ids.length === 0) throw new Error(`prepare ${dataset}: no images to process`);

  // refuse to mix maps made with different settings
  const reportDir = gazeMapDir(root, dataset, "gaze", { variant });
  const settingsPath = join(reportDir, "settings.json");
  const recorded = { settings, gaze, seed: gaze === "simulated" ? seed : null };
  const previous = await readJson(settingsPath);
  const sameSettings = !previous || JSON.stringify(previous.recorded) === JSON.stringify(recorded);
  if (!sameSettings && !values.force) {
    throw new Error(
      `${settingsPath}: the maps in ${
        gazeMapDir(root, dataset, "heatmap", { variant })
      } were made with other settings ` +
        `(${JSON.stringify(previous.recorded)}); rerun with --force to recompute them, or pick another --variant`,
    );
  }
  await atomicWrite(settingsPath, JSON.stringify({ recorded, provenance: provenance({ task: "prepare" }) }, null, 2));
  const previousQuality = await readJson(join(reportDir, "quality.json"));
  const previousSeconds = new Map<string, [number | null, number | null]>();
  for (const r of (previousQuality?.rows as QualityRow[] | undefined) ?? []) {
    previousSeconds.set(r.id, [r.seconds, r.crf_seconds]);
  }

  const nWorkers = Math.max(
    1,
    Math.min(ids.length, intFlag(values.workers, "workers", Math.min(8, navigator.hardwareConcurrency || 1))),
  );
  if (!values.quiet) {
    console.error(
      `prepare ${dataset}: ${ids.length} images, gaze ${gaze}${gaze === "simulated" ? ` (seed ${seed})` : ""}, ` +
        `${nWorkers} worker(s) -> ${gazeMapDir(root, dataset, "heatmap", { variant })}, ${
          gazeMapDir(root, dataset, "crf", { variant })
        }`,
    );
  }
  const init: WorkerInit = {
    type: "init",
    root,
    dataset,
    samples: values.samples ?? false,
    gaze,
    seed,
    variant,
    settings,
    force: values.force ?? false,
  };
  const bar = progressBar(ids.length, { label: `prepare ${dataset}`, quiet: values.quiet });
  const rows = new Map<string, QualityRow>();
  const failed: { id: string; message: string }[] = [];
  const t0 = performance.now();
  let next = 0;
  const runningDice: number[] = [];
  await Promise.all(Array.from({ length: nWorkers }, () =>
    new Promise<void>((resolve, reject) => {
      const worker = new Worker(new URL("./prepare_worker.ts", import.meta.url).href, { type: "module" });
      const send = () => {
        if (next >= ids.length) {
          worker.terminate();
          resolve();
          return;
        }
        worker.postMessage({ type: "job", id: ids[next++] });
      };
      worker.onmessage = (e: MessageEvent) => {
        const msg = e.data;
        if (msg.type === "ready") return send();
        if (msg.type === "done") {
          const row = msg.row as QualityRow;
          if (row.skipped) [row.seconds, row.crf_seconds] = previousSeconds.get(row.id) ?? [null, null];
          rows.set(row.id, row);
          if (row.dice_crf_05 !== null) runningDice.push(row.dice_crf_05);
          bar.tick(1, { crf_dice: mean(runningDice) ?? NaN });
        } else if (msg.type === "error") {
          if (msg.id === null) {
            worker.terminate();
            reject(new Error(`prepare worker: ${msg.message}`));
            return;
          }
          failed.push({ id: msg.id, message: msg.message });
          bar.tick(1);
        }
        send();
      };
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        worker.terminate();
        reject(new Error(`prepare worker crashed: ${e.message}`));
      };
      worker.postMessage(init);
    })));
  bar.stop();
  const wallSeconds = (performance.now() - t0) / 1000;

  const ordered = ids.filter((id) => rows.has(id)).map((id) => rows.get(id)!);
  const computed = ordered.filter((r) => !r.skipped);
  // A run on part of the images updates the report instead of replacing it: the earlier report's
  // rows and failures of the images not in this run are kept when their maps were made with the
  // same settings (after --force with other settings they describe maps of other settings: dropped).
  const thisRun = new Set(ids);
  const earlier = sameSettings && previousQuality ? previousQuality : null;
  const keptRows = ((earlier?.rows as QualityRow[] | undefined) ?? []).filter((r) => !thisRun.has(r.id));
  const keptFailures = ((earlier?.failures as { id: string; message: string }[] | undefined) ?? []).filter((x) =>
    !thisRun.has(x.id)
  );
  const byId = new Map([...keptRows, ...ordered].map((r) => [r.id, r]));
  const rank = new Map(allIds.map((id, i) => [id, i]));
  const merged = [...byId.values()].sort((a, b) =>
    (rank.get(a.id) ?? Infinity) - (rank.get(b.id) ?? Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
  const failures = [...keptFailures, ...failed];
  if (!sameSettings && previousQuality && !values.quiet) {
    console.error(
      `prepare ${dataset}: the maps' settings changed (--force): the earlier quality report is replaced, not merged`,
    );
  }
  const timed = merged.filter((r) => r.crf_seconds !== null);
  const megapixels = timed.reduce((a, r) => a + (r.width * r.height) / 1e6, 0);
  const means: Record<string, number | null> = {};
  for (const m of METRICS) means[m] = mean(merged.map((r) => r[m]));
  // images, withGroundTruth, mean and the timings are over the whole report; computed, skipped,
  // failed (this run's), wallSeconds and workers describe this run (`run` says which images it had).
  const summary = {
    images: merged.length,
    withGroundTruth: merged.filter((r) => r.dice_crf_05 !== null).length,
    computed: computed.length,
    skipped: ordered.length - computed.length,
    failed: failed.length,
    run: { images: ordered.length, keptFromEarlierReport: merged.length - ordered.length },
    mean: means,
    secondsPerImage: mean(merged.map((r) => r.seconds)),
    crfSecondsPerImage: mean(timed.map((r) => r.crf_seconds)),
    crfSecondsPerMegapixel: megapixels > 0 ? timed.reduce((a, r) => a + r.crf_seconds!, 0) / megapixels : null,
    wallSeconds,
    workers: nWorkers,
  };
  let comparison: Record<string, unknown> | undefined;
  if (gaze === "simulated" && hasRealGaze) {
    const real = await readJson(join(gazeMapDir(root, dataset, "gaze"), "quality.json"));
    if (real) {
      const realMean = (real.summary as { mean: Record<string, number | null> }).mean;
      comparison = { real: realMean, simulated: means, realImages: (real.summary as { images: number }).images };
    }
  }
  const report = {
    provenance: provenance({
      task: "prepare",
      dataset,
      dataRoot: root,
      maps: {
        heatmap: gazeMapDir(root, dataset, "heatmap", { variant }),
        crf: gazeMapDir(root, dataset, "crf", { variant }),
      },
      gaze,
      seed: gaze === "simulated" ? seed : null,
      variant,
      settings,
      backend: values.backend ?? "none (plain TypeScript)",
      synthetic: dataset === "synthetic",
    }),
    summary,
    published: PUBLISHED[dataset] ?? null,
    comparison: comparison ?? null,
    failures,
    rows: merged,
  };
  await atomicWrite(join(reportDir, "quality.json"), JSON.stringify(report, null, 1));
  await atomicWrite(join(reportDir, "quality.csv"), csv(merged));

  const f = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : v.toFixed(4));
  console.log(
    `prepare ${dataset}${variant ? ` (${variant})` : ""}: ${ordered.length} images (${summary.computed} computed, ` +
      `${summary.skipped} already done) in ${wallSeconds.toFixed(1)} s wall with ${nWorkers} worker(s)`,
  );
  console.log(
    `  mean Dice vs GT (${summary.withGroundTruth} images): heatmap>0.5 ${f(means.dice_heatmap_05)}, ` +
      `CRF>=0.5 ${f(means.dice_crf_05)}, CRF>=0.3 ${f(means.dice_crf_03)}` +
      (PUBLISHED[dataset]
        ? ` (published: heatmap ${PUBLISHED[dataset]!.dice_heatmap_05}, CRF ${PUBLISHED[dataset]!.dice_crf_05})`
        : ""),
  );
  if (summary.crfSecondsPerImage !== null) {
    console.log(
      `  CRF ${summary.crfSecondsPerImage.toFixed(3)} s/image, ${
        summary.crfSecondsPerMegapixel!.toFixed(3)
      } s/megapixel; ` +
        `${f(summary.secondsPerImage)} s/image in all`,
    );
  }
  if (comparison) {
    const real = comparison.real as Record<string, number | null>;
    console.log(
      `  simulated vs real gaze: heatmap>0.5 ${f(means.dice_heatmap_05)} vs ${f(real.dice_heatmap_05)}, ` +
        `CRF>=0.5 ${f(means.dice_crf_05)} vs ${f(real.dice_crf_05)}, CRF>=0.3 ${f(means.dice_crf_03)} vs ${
          f(real.dice_crf_03)
        }`,
    );
  }
  console.log(
    `  report: ${join(reportDir, "quality.json")} (${merged.length} images${
      merged.length > ordered.length ? `: ${merged.length - ordered.length} kept from the earlier report` : ""
    })`,
  );
  if (failed.length) {
    for (const x of failed.slice(0, 10)) console.error(`  ${x.id}: ${x.message.split("\n")[0]}`);
    throw new Error(`${failed.length} of ${ids.length} images failed`);
  }
});
