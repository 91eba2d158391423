/**
 * A failed `reproduce` leaves nothing half-made: no empty results folders (e.g.
 * `<out>/<dataset>/<profile>/runs/`), and no run folder for a run that never trained (here a
 * test image that is not an image).
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { openDataset } from "../../lib/data/open_dataset.ts";
import { executeRun, reproduce, runConfig } from "../../lib/report/reproduce.ts";
import { experimentPlan } from "../../lib/report/plan.ts";
import { validateTrainConfig, VARIANT_SWITCHES } from "../../lib/train/config.ts";
import type { Supervision } from "../../lib/train/supervision.ts";
import { writeTinyKvasir } from "../data/fixtures.ts";

await selectBackend("wasm", { quiet: true });

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    out.push(e.name);
    if (e.isDirectory) out.push(...(await tree(join(dir, e.name))).map((n) => `${e.name}/${n}`));
  }
  return out.sort();
}

Deno.test("reproduce failing before any run leaves no empty results folders", async () => {
  const out = await Deno.makeTempDir({ prefix: "reproduce_fail_" });
  try {
    await assertRejects(
      () =>
        reproduce({
          dataset: "synthetic",
          only: ["main"],
          resultsRoot: join(out, "results"),
          quiet: true,
          log: () => {},
          supervision: () => Promise.reject(new Error("no gaze maps (simulated)")),
        }),
      Error,
      "no gaze maps (simulated)",
    );
    assertEquals(await tree(out), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a run stopped by a bad input file before its first iteration leaves no run folder", async () => {
  const root = await Deno.makeTempDir({ prefix: "reproduce_badfile_" });
  try {
    await writeTinyKvasir(join(root, "data"), { n: 4, nTrain: 3 });
    const bad = join(root, "data/kvasir-seg/images/img3.jpg");
    await Deno.writeFile(bad, new Uint8Array(0));
    const dataset = await openDataset("kvasir", { root: join(root, "data"), quiet: true });
    const base = validateTrainConfig({
      dataset: "kvasir",
      profile: "smoke",
      imageSize: 16,
      batchSize: 2,
      iterations: 2,
      evalEvery: 1,
      models: { teacher: [4, 4, 4, 4, 4, 4], student: [4, 4, 4, 4, 4, 4], unet: [4, 4, 4, 4, 4, 4] },
    });
    const spec = experimentPlan(base, { groups: ["main"], paperSwitches: VARIANT_SWITCHES.paper }).runs[0];
    assertEquals(spec.method, "fullsup");
    const runDir = join(root, "results/kvasir/smoke/runs", spec.id);
    const supervision = { dispose: () => Promise.resolve() } as unknown as Supervision; // fullsup reads none
    const err = await assertRejects(() =>
      executeRun(spec, runConfig(base, spec), runDir, { dataset, supervision, backend: "wasm", log: () => {} })
    );
    assert((err as Error).message.includes(`${bad}: 0-byte file`), (err as Error).message);
    assertEquals(await tree(root).then((t) => t.filter((p) => p.startsWith("results"))), []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
