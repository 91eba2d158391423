/**
 * `deno task fit-gaze-sim [--data-dir DIR] [--seed N] [--limit N] [--out FILE]`:
 * measure the statistics of the real GazeMedSeg Kvasir fixations against the
 * ground-truth masks (lib/gaze/scanpath_stats.ts), fit the scanpath
 * simulator's parameters to them (lib/gaze/simulate.ts `fitScanpathParams`),
 * check the fit by simulating one scanpath per image from its mask and
 * measuring the same statistics, and write everything to
 * lib/gaze/scanpath_params.json (the parameters the simulator uses by default,
 * plus the real and simulated statistics side by side).
 *
 * @module
 */
import {
  atomicWrite,
  deriveSeed,
  intFlag,
  parseTaskArgs,
  progressBar,
  provenance,
  Rng,
  runTask,
} from "../lib/core/mod.ts";
import { openDataset, resolveDataRoot } from "../lib/data/mod.ts";
import {
  fitScanpathParams,
  fixationStats,
  readFixations,
  ScanpathCanvas,
  type ScanpathRecord,
  type ScanpathStats,
  simulateScanpath,
} from "../lib/gaze/mod.ts";

const USAGE = `usage: deno task fit-gaze-sim [--data-dir DIR] [--seed N] [--limit N] [--out FILE]

Fit the scanpath simulator to the real Kvasir gaze and write lib/gaze/scanpath_params.json
(or --out FILE). Needs kvasir-seg/ and gazemedseg-fixations/ under the data root.`;

function row(name: string, real: number, sim: number): string {
  return `  ${name.padEnd(34)} ${real.toFixed(3).padStart(9)} ${sim.toFixed(3).padStart(9)}`;
}

/** The side-by-side lines of the statistics a reader cares about. */
function compare(real: ScanpathStats, sim: ScanpathStats): string[] {
  return [
    `  ${"statistic".padEnd(34)} ${"real".padStart(9)} ${"simulated".padStart(9)}`,
    row("fixations per image (mean)", real.count.mean, sim.count.mean),
    row("fixations per image (std)", real.count.std, sim.count.std),
    row("duration ms (median)", real.duration.median, sim.duration.median),
    row("duration ms (mean)", real.duration.mean, sim.duration.mean),
    row("off-target share", real.offTargetShare, sim.offTargetShare),
    row("off-target share, first 10% (k>=1)", real.offTargetByDecile[0], sim.offTargetByDecile[0]),
    row("off-target share, last 10%", real.offTargetByDecile[9], sim.offTargetByDecile[9]),
    row("first fixation on target", real.firstOnTarget, sim.firstOnTarget),
    row("depth quantile, first 10%", real.depthByDecile[0], sim.depthByDecile[0]),
    row("depth quantile, second 10%", real.depthByDecile[1], sim.depthByDecile[1]),
    row("depth quantile, last 10%", real.depthByDecile[9], sim.depthByDecile[9]),
    row("off-target distance (median, diag)", real.offDistance.median, sim.offDistance.median),
  ];
}

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    flags: { seed: { type: "string" }, limit: { type: "string" }, out: { type: "string" } },
    allowPositionals: false,
  });
  const root = resolveDataRoot({ dataDir: values["data-dir"] });
  const seed = intFlag(values.seed, "seed", 0);
  const ds = await openDataset("kvasir", { root });
  const table = await readFixations(root, "kvasir");
  let ids = [...ds.ids("train"), ...ds.ids("test")].filter((id) => table.images.has(id));
  ids = ids.slice(0, intFlag(values.limit, "limit", ids.length));
  const real: ScanpathRecord[] = [], sim: ScanpathRecord[] = [];
  const bar = progressBar(ids.length, { label: "fit-gaze-sim", quiet: values.quiet });
  for (const id of ids) {
    const s = await ds.load(id);
    if (!s.mask) throw new Error(`kvasir/${id}: no ground-truth mask`);
    real.push({ fixations: table.images.get(id)!.fixations, mask: s.mask });
    bar.tick();
  }
  bar.stop();
  const realStats = fixationStats(real);
  const source = `fitted by \`deno task fit-gaze-sim\` to ${realStats.fixations} real GazeMedSeg fixations on ` +
    `${realStats.images} Kvasir-SEG images (GT masks from the data root), ${new Date().toISOString().slice(0, 10)}`;
  const params = fitScanpathParams(realStats, source);
  for (const [i, id] of ids.entries()) {
    const canvas = new ScanpathCanvas(real[i].mask);
    sim.push({
      fixations: simulateScanpath(canvas, { rng: new Rng(deriveSeed(seed, id)), params }),
      mask: real[i].mask,
    });
  }
  const simStats = fixationStats(sim);
  const out = values.out ?? new URL("../lib/gaze/scanpath_params.json", import.meta.url).pathname;
  const round = (_k: string, v: unknown) => (typeof v === "number" ? +v.toPrecision(5) : v);
  await atomicWrite(
    out,
    JSON.stringify(
      {
        ...params,
        measured: { real: realStats, simulated: simStats, simulationSeed: seed },
        provenance: provenance({ task: "fit-gaze-sim", dataRoot: root }),
      },
      round,
      2,
    ) + "\n",
  );
  console.log(`fit-gaze-sim: ${realStats.images} images, ${realStats.fixations} fixations -> ${out}`);
  console.log(compare(realStats, simStats).join("\n"));
});
