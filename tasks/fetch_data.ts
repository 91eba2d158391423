/**
 * `deno task fetch-data <kvasir|nci-isbi|isic> [--data-dir DIR] [--from DIR] [--keep-archives] [--force] [--quiet]`
 *
 * Puts a dataset into the data root (--data-dir, else $GAZE_DATA_DIR, else
 * ./data/cache) from its official sources (data/manifest.json), or offline from
 * a local mirror laid out like the data root (`--from ../shared/data`) or a
 * folder holding the downloaded archives. Verifies what it can, prints what it
 * checked, and prints the manual steps where a source needs them (NCI-ISBI DICOMs
 * from TCIA). Logic: lib/data/fetch.ts.
 *
 * @module
 */
import { parseTaskArgs, runTask } from "../lib/core/mod.ts";
import { resolveDataRoot } from "../lib/data/data_root.ts";
import { fetchDataset } from "../lib/data/fetch.ts";
import { readManifest } from "../lib/data/manifest.ts";

const USAGE =
  `deno task fetch-data <kvasir|nci-isbi|isic> [--data-dir DIR] [--from DIR] [--keep-archives] [--force] [--quiet]

  --data-dir DIR     data root to fill (default: $GAZE_DATA_DIR, else ./data/cache)
  --from DIR         copy from a local mirror laid out like the data root (e.g. ../shared/data),
                     or from a folder holding the downloaded archives by their file names
  --keep-archives    keep downloaded archives in <data-root>/downloads/
  --force            unpack archives again even when their contents are in place

Kvasir-SEG brings the GazeMedSeg fixation CSV and the 900/100 split lists with it.
NCI-ISBI: fetches the fixation CSV, split lists and two sample slices, then prints the TCIA steps.
ISIC: downloads the ISIC 2017 Task 1 archives (about 6 GB) and writes the train/test lists.`;

await runTask(async () => {
  const { values, positionals } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    flags: {
      from: { type: "string" },
      "keep-archives": { type: "boolean" },
      force: { type: "boolean" },
    },
  });
  const manifest = await readManifest();
  if (positionals.length !== 1 || !manifest.datasets[positionals[0]]) {
    throw new Error(`expected one dataset name (${Object.keys(manifest.datasets).join(", ")})\n\n${USAGE}`);
  }
  const name = positionals[0];
  const dataDir = resolveDataRoot({ dataDir: values["data-dir"] });
  const spec = manifest.datasets[name];
  console.error(`fetch-data ${name} -> ${dataDir}${values.from ? ` (from ${values.from})` : ""}`);
  const report = await fetchDataset(name, {
    dataDir,
    from: values.from,
    manifest,
    keepArchives: values["keep-archives"],
    force: values.force,
    quiet: values.quiet,
  });
  const repaired = report.repaired.length ? ` (${report.repaired.length} of them repaired)` : "";
  console.log(
    `${name}: ${report.written} files written${repaired}, ${report.unchanged} already present and intact (${report.mode})`,
  );
  for (const r of report.repaired) console.log(`  repaired: ${r}`);
  for (const c of report.checks) console.log(`  ok: ${c}`);
  for (const w of report.warnings) console.log(`  warning: ${w}`);
  if (report.manual.length) {
    console.log(`\nManual steps for ${name}:`);
    for (const line of report.manual) console.log(`  ${line}`);
  }
  console.log(`\nLicence: ${spec.licence}\nCite: ${spec.citation}`);
});
