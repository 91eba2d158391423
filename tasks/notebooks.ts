/**
 * `deno task notebooks [--profile smoke] [--out DIR] [--only a,b] [--results DIR] [--dataset NAME] [--no-html]`
 *
 * Executes every notebooks/*.ipynb headlessly on the Deno kernel (outputs kept, none
 * lost) into DIR (default notebooks/out/), then exports each to HTML. The profile
 * reaches the notebooks as $GAZE_PROFILE; --results and --dataset as
 * $GAZE_RESULTS_DIR and $GAZE_DATASET. Exit status 1 when a notebook fails.
 *
 * @module
 */
import { resolve } from "node:path";
import { parseTaskArgs, runTask } from "../lib/core/cli.ts";
import { notebooksDir, runNotebooks } from "../lib/report/notebooks.ts";

const USAGE = `usage: deno task notebooks [--profile smoke|cpu|paper] [--out DIR] [--only a,b]
                          [--results DIR] [--dataset auto|kvasir|synthetic|...] [--no-html]

Executes notebooks/*.ipynb on the Deno kernel into DIR (default notebooks/out/) with
every output kept, and exports HTML next to them. Needs Debian's python3-jupyter-client,
python3-nbformat and jupyter-nbconvert. The profile is passed as $GAZE_PROFILE (default smoke).`;

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    flags: {
      profile: { type: "string" },
      out: { type: "string" },
      only: { type: "string" },
      results: { type: "string" },
      dataset: { type: "string" },
      "no-html": { type: "boolean" },
    },
    usage: USAGE,
    allowPositionals: false,
  });
  const profile = values.profile ?? "smoke";
  if (!["smoke", "cpu", "paper"].includes(profile)) throw new Error(`--profile: expected smoke, cpu or paper`);
  const env: Record<string, string> = {};
  if (values.results) env.GAZE_RESULTS_DIR = resolve(values.results);
  if (values.dataset) env.GAZE_DATASET = values.dataset;
  if (values["data-dir"]) env.GAZE_DATA_DIR = resolve(values["data-dir"]);
  if (values.backend) env.GAZE_BACKEND = values.backend;
  const outDir = resolve(values.out ?? `${notebooksDir()}/out`);
  const only = values.only ? values.only.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
  console.error(`notebooks: profile ${profile}, output ${outDir}`);
  const runs = await runNotebooks({
    outDir,
    profile,
    only,
    env,
    html: !values["no-html"],
    onDone: (r) =>
      console.error(
        `${r.ok ? "ok    " : "FAILED"} ${r.input.split("/").pop()} ${r.seconds.toFixed(1)}s -> ${r.html ?? r.output}`,
      ),
  });
  const failed = runs.filter((r) => !r.ok);
  for (const f of failed) console.error(`\n--- ${f.input} ---\n${f.log.trim().split("\n").slice(-30).join("\n")}`);
  if (failed.length) throw new Error(`${failed.length} of ${runs.length} notebooks failed`);
  console.error(`${runs.length} notebooks executed; outputs and HTML in ${outDir}`);
});
