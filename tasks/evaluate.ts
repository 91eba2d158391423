/**
 * `deno task evaluate --checkpoint PATH [--split test] [--network NAME] [--out DIR] [--limit N]
 *   [--data-dir DIR] [--backend B] [--quiet]`
 *
 * Scores a trained checkpoint (a checkpoint folder such as `<run>/checkpoints/best`, a run folder,
 * or one network's `.safetensors` in a checkpoint folder) on a split, docs/METHOD.md section 8: per image
 * the logits are upsampled bilinearly to the ground truth's original size and thresholded at 0.5
 * (sigmoid); Dice, IoU, HD95, ASD, ASSD. Writes `<out>/eval_<split>_<checkpoint>_<network>.csv`
 * (per image) and `.json` (summaries with bootstrap intervals, provenance: checkpoint, iteration,
 * config, backend, data root). Default `--out`: the run folder of the checkpoint.
 *
 * @module
 */
import { basename, dirname } from "node:path";
import { intFlag, parseTaskArgs, runTask } from "../lib/core/mod.ts";
import { selectBackend } from "../lib/backend/mod.ts";
import { openDataset, resolveDataRoot } from "../lib/data/mod.ts";
import { evaluateMethod, writeEvaluation } from "../lib/metrics/evaluate.ts";
import { createSupervision, loadTrainedMethod } from "../lib/train/mod.ts";

const USAGE = `usage: deno task evaluate --checkpoint PATH [options]

PATH: a checkpoint folder (<run>/checkpoints/best|last), a run folder, or <checkpoint>/<network>.safetensors
options:
  --split S        test (default) | train
  --network NAME   network to score (default: the checkpoint's reported one, e.g. the FGI student; or the file's)
  --out DIR        output folder (default: the run folder)
  --limit N        only the first N images of the split
  --backend B      auto | tensorflow | webgpu | wasm | cpu
  --data-dir DIR   data root (default $GAZE_DATA_DIR or ./data/cache)
  --quiet          no progress bar`;

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    allowPositionals: false,
    flags: {
      checkpoint: { type: "string" },
      split: { type: "string" },
      network: { type: "string" },
      out: { type: "string" },
      limit: { type: "string" },
    },
  });
  if (!values.checkpoint) throw new Error(`--checkpoint is required\n\n${USAGE}`);
  const split = values.split ?? "test";
  if (split !== "test" && split !== "train") throw new Error(`--split: expected test or train, got ${split}`);
  const choice = await selectBackend(values.backend, { quiet: values.quiet });
  const trained = await loadTrainedMethod(values.checkpoint);
  const { method, state, dir } = trained;
  const supervisionHolder: { dispose(): Promise<void> }[] = [];
  try {
    const config = state.config;
    const network = values.network ?? trained.network;
    const root = resolveDataRoot({ dataDir: values["data-dir"] });
    const dataset = await openDataset(config.dataset, { root, synthetic: config.synthetic, quiet: values.quiet });
    const supervision = method.needsText(network) ? createSupervision(dataset, config, { root }) : undefined;
    if (supervision) supervisionHolder.push(supervision);
    const ev = await evaluateMethod(method, dataset, {
      split,
      imageSize: config.imageSize,
      network,
      supervision,
      limit: values.limit !== undefined ? intFlag(values.limit, "limit", 0) : undefined,
      quiet: values.quiet,
    });
    const ckptName = basename(dir).replace(/^\.(\w+)\.old-.*$/, "$1");
    const runDir = basename(dirname(dir)) === "checkpoints" ? dirname(dirname(dir)) : dir;
    const out = values.out ?? runDir;
    const paths = await writeEvaluation(ev, out, {
      stem: `eval_${split}_${ckptName}_${network}`,
      extra: {
        checkpoint: dir,
        iteration: state.iteration,
        method: state.method,
        network,
        config,
        dataRoot: dataset.root,
        provenance: { backend: choice.name, checkpointProvenance: state.provenance },
      },
    });
    const s = ev.summary;
    const f = (m: { mean: number | null; std: number | null }, k = 1) =>
      m.mean === null ? "n/a" : `${(m.mean * k).toFixed(2)} ± ${((m.std ?? 0) * k).toFixed(2)}`;
    console.log(
      `${state.method} ${ckptName} (iteration ${state.iteration}) ${network} on ${config.dataset}/${split} ` +
        `(${ev.rows.length} images): Dice ${f(s.dice, 100)} %, IoU ${f(s.iou, 100)} %, HD95 ${f(s.hd95)}, ` +
        `ASD ${f(s.asd)}, ASSD ${f(s.assd)} ${ev.rows[0]?.unit ?? "px"} (${s.hd95.nUndefined} without a surface)`,
    );
    console.log(`wrote ${paths.csv} and ${paths.json}`);
  } finally {
    for (const s of supervisionHolder) await s.dispose();
    method.dispose();
  }
});
