/**
 * `deno task describe <dataset>`: write the six-field description of every
 * image (train and test: the teacher needs them at test time too) to
 * `<derived>/<dataset>/descriptions/<id>.json`.
 *
 * Offline by default: the describer reads the image and the gaze maps
 * (`<derived>/<dataset>/heatmap|crf/<id>.png`, from `deno task prepare`). With
 * `--vlm-url` (or $GAZE_VLM_URL) an OpenAI-compatible VLM writes them instead;
 * its answers are cached in `<derived>/<dataset>/vlm-cache/`. Reruns skip
 * up-to-date files.
 *
 * @module
 */
import { extname } from "node:path";
import { intFlag, numberFlag, parseTaskArgs, runTask } from "../lib/core/mod.ts";
import { derivedDir, openDataset, resolveDataRoot, selectListedIds } from "../lib/data/mod.ts";
import { encodePngRaster } from "../lib/data/png.ts";
import type { Raster } from "../lib/data/raster.ts";
import type { Sample } from "../lib/data/types.ts";
import { loadGazeMaps } from "../lib/gaze/mod.ts";
import {
  describeDataset,
  type DescribeItem,
  descriptionsDir,
  fieldDistribution,
  formatFieldDistribution,
  readDescription,
  VlmClient,
  vlmConfigured,
  type VlmImage,
} from "../lib/text/mod.ts";

const USAGE = `usage: deno task describe <dataset> [options]

Write a six-field description per image (train + test) to <derived>/<dataset>/descriptions/<id>.json.
Default: the offline describer (image + gaze maps only; run \`deno task prepare <dataset>\` first).

options:
  --vlm-url URL          OpenAI-compatible API root (e.g. http://127.0.0.1:8000/v1); env GAZE_VLM_URL
  --vlm-model NAME       model name; env GAZE_VLM_MODEL (the key comes from GAZE_VLM_API_KEY or OPENAI_API_KEY)
  --vlm-concurrency N    requests in flight (default 4)
  --vlm-timeout S        seconds per request (default 120)
  --offline              use the offline describer even when GAZE_VLM_URL is set
  --gaze-variant V       read the gaze maps of a variant (heatmap-V/, crf-V/), e.g. sim
  --split S              train | test | all (default all)
  --ids FILE             only the ids listed in FILE (one per line)
  --limit N              only the first N ids
  --force                rewrite up-to-date files
  --data-dir DIR         data root (default $GAZE_DATA_DIR or ./data/cache)
  --quiet                no progress bar`;

const MIME: Record<string, string> = { ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png" };

/** The image file as the VLM should see it: the original JPEG/PNG bytes, else an 8-bit PNG of the pixels. */
async function imageFile(sample: Sample): Promise<VlmImage> {
  const mime = MIME[extname(sample.info.source).toLowerCase()];
  if (mime) return { bytes: await Deno.readFile(sample.info.source), mime };
  return { bytes: encodePngRaster(to8bit(sample.image)), mime: "image/png" };
}

function to8bit(r: Raster): Raster<Uint8Array> {
  if (r.data instanceof Uint8Array) return r as Raster<Uint8Array>;
  let lo = Infinity, hi = -Infinity;
  for (const v of r.data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const s = hi > lo ? 255 / (hi - lo) : 0;
  return { ...r, data: Uint8Array.from(r.data, (v) => Math.round((v - lo) * s)) };
}

await runTask(async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    flags: {
      "vlm-url": { type: "string" },
      "vlm-model": { type: "string" },
      "vlm-concurrency": { type: "string" },
      "vlm-timeout": { type: "string" },
      offline: { type: "boolean" },
      "gaze-variant": { type: "string" },
      split: { type: "string" },
      ids: { type: "string" },
      limit: { type: "string" },
      force: { type: "boolean" },
    },
  });
  const name = positionals[0];
  if (!name || positionals.length > 1) throw new Error(`expected one dataset name\n\n${USAGE}`);
  const root = resolveDataRoot({ dataDir: values["data-dir"] });
  const ds = await openDataset(name, { root, quiet: values.quiet });
  const split = values.split ?? "all";
  if (!["train", "test", "all"].includes(split)) throw new Error(`--split: expected train, test or all, got ${split}`);
  let ids = split === "all" ? [...ds.ids("train"), ...ds.ids("test")] : ds.ids(split as "train" | "test");
  if (values.ids) ids = await selectListedIds(values.ids, ids, ds.name);
  const limit = intFlag(values.limit, "limit", ids.length);
  ids = ids.slice(0, Math.max(0, limit));

  const useVlm = !values.offline && vlmConfigured({ baseUrl: values["vlm-url"] });
  const ref = { root, name: ds.name };
  const vlm = useVlm
    ? new VlmClient({
      baseUrl: values["vlm-url"],
      model: values["vlm-model"],
      concurrency: intFlag(values["vlm-concurrency"], "vlm-concurrency", 4),
      timeoutMs: 1000 * numberFlag(values["vlm-timeout"], "vlm-timeout", 120),
      cacheDir: derivedDir(root, ds.name, "vlm-cache"),
    })
    : undefined;
  console.error(
    `describe ${ds.name}: ${ids.length} images -> ${descriptionsDir(ref)} (${
      vlm ? `VLM ${vlm.config.model} at ${vlm.config.endpoint}` : "offline describer: image + gaze maps"
    })`,
  );

  const load = async (id: string): Promise<DescribeItem> => {
    const sample = await ds.load(id);
    if (vlm) return { image: sample.image, file: await imageFile(sample) };
    const gaze = await loadGazeMaps(root, ds.name, id, { variant: values["gaze-variant"] });
    // The original file's bytes only for provenance (its sha256 goes into the record); no PNG encoding for DICOM.
    const known = MIME[extname(sample.info.source).toLowerCase()];
    const file = known ? { bytes: await Deno.readFile(sample.info.source), mime: known } : undefined;
    return { image: sample.image, gaze, file };
  };
  const summary = await describeDataset(ref, ids, { load, vlm, force: values.force, quiet: values.quiet });

  const records = [];
  for (const id of ids) {
    try {
      records.push((await readDescription(ref, id)).description);
    } catch { /* reported among the failures */ }
  }
  console.log(
    `describe ${ds.name}: ${summary.written} written, ${summary.skipped} up to date, ${summary.failed.length} failed ` +
      `in ${summary.seconds.toFixed(1)} s` +
      (summary.written ? ` (${summary.msPerItem.toFixed(1)} ms per image incl. loading)` : ""),
  );
  console.log(`field distribution over ${records.length} descriptions:`);
  console.log(formatFieldDistribution(fieldDistribution(records), records.length));
  if (summary.failed.length) {
    for (const f of summary.failed.slice(0, 10)) console.error(`  ${f.id}: ${f.error.split("\n")[0]}`);
    if (summary.failed.length > 10) console.error(`  ... and ${summary.failed.length - 10} more`);
    throw new Error(`${summary.failed.length} of ${ids.length} images could not be described`);
  }
});
