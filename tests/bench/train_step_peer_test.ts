// The train-step bench case and its PyTorch peer (tasks/bench/peer_train_torch.py) at tiny sizes:
// one iteration of each method runs on both sides, the peer's parameter count per network equals
// the toolkit's, and the toolkit's kernel profile adds up to its iteration. The peer part is
// skipped (with a note) where /usr/bin/python3 has no torch (Debian python3-torch).
import { assert, assertEquals, assertThrows } from "../assert.ts";
import { selectBackend } from "../../lib/backend/mod.ts";
import { countParams } from "../../lib/models/mod.ts";
import { buildNetworks, disposeNetworks, METHOD_NAMES, validateTrainConfig } from "../../lib/train/mod.ts";
import { combineRounds, measureTrainStep, runTrainStepPeer } from "../../tasks/bench/train.ts";

const PYTHON = "/usr/bin/python3";

function hasTorch(): boolean {
  try {
    const r = new Deno.Command(PYTHON, { args: ["-c", "import torch, numpy"], stdout: "null", stderr: "null" })
      .outputSync();
    if (r.success) return true;
  } catch { /* no python */ }
  console.error(
    `skipped train-step peer test: ${PYTHON} with torch + numpy is not available (apt install python3-torch)`,
  );
  return false;
}
const TORCH = hasTorch();

const config = validateTrainConfig({
  dataset: "synthetic",
  profile: "smoke",
  imageSize: 32,
  batchSize: 2,
  iterations: 4,
  models: { teacher: [8, 8, 16, 16, 32, 8], student: [8, 8, 8, 16, 16, 8], unet: [4, 4, 8, 8, 16, 4] },
  text: { encoder: "transformers", length: 3, dim: 16 },
  rampUp: { length: 2 },
});

const NETWORKS: Record<string, string[]> = {
  fullsup: ["unet"],
  gaze1: ["unet"],
  gazemedseg: ["gazemedseg"],
  fgi: ["teacher", "student"],
};

Deno.test({
  name: "train-step: the PyTorch peer runs one iteration of every method with the toolkit's parameter counts",
  ignore: !TORCH,
  async fn() {
    await selectBackend("cpu", { quiet: true });
    for (const m of METHOD_NAMES) {
      const nets = buildNetworks(NETWORKS[m], config, { channels: 3 });
      const params = Object.fromEntries([...nets].map(([n, model]) => [n, countParams(model).trainable]));
      disposeNetworks(nets);
      const peer = await runTrainStepPeer(config, m, { threads: 1, warmup: 0, steps: 1, params, python: PYTHON });
      assert(!("error" in peer) && !("skipped" in peer), `${m}: ${JSON.stringify(peer)}`);
      assertEquals(peer.params, params, m);
      assertEquals(peer.threads, 1);
      assert(typeof peer.median_ms === "number" && peer.median_ms > 0, `${m}: ${JSON.stringify(peer)}`);
      const losses = peer.losses as Record<string, number>;
      assert(Number.isFinite(losses.total), `${m}: loss ${losses.total}`);
    }
  },
});

Deno.test({
  name: "train-step: the peer refuses a parameter count that differs from the toolkit's",
  ignore: !TORCH,
  async fn() {
    const peer = await runTrainStepPeer(config, "fullsup", {
      threads: 1,
      warmup: 0,
      steps: 1,
      params: { unet: 1 },
      python: PYTHON,
    });
    assert(typeof peer.error === "string" && /parameter counts differ/.test(peer.error), JSON.stringify(peer));
  },
});

Deno.test("train-step: one timed iteration plus a kernel profile whose shares add up to the iteration", async () => {
  await selectBackend("wasm", { quiet: true });
  const r = await measureTrainStep(config, "fgi", { warmup: 0, steps: 1, profileSteps: 1 });
  assert(r.median_ms > 0 && r.median_cpu_ms >= 0);
  assertEquals(Object.keys(r.params).sort(), ["student", "teacher"]);
  const p = r.profile!;
  const sum = p.kernels.reduce((s, k) => s + k.share, 0);
  assert(Math.abs(sum - 1) < 0.02, `shares sum to ${sum}`);
  assert(p.kernels.some((k) => k.name === "Conv2D" || k.name === "GazeConv2DBias"), "the convolutions are profiled");
  assert(p.kernel_ms <= p.total_ms + 1e-6, `kernels ${p.kernel_ms} ms within the iteration ${p.total_ms} ms`);
});

Deno.test("combineRounds: median, min and max of per-round medians; bad input refused", () => {
  assertEquals(combineRounds([900, 1100, 950]), { median: 950, min: 900, max: 1100 });
  assertEquals(combineRounds([10, 20.2]), { median: 15.1, min: 10, max: 20.2 });
  assertEquals(combineRounds([3.14159, 2]), { median: 2.6, min: 2, max: 3.1 });
  assertEquals(combineRounds([7]), { median: 7, min: 7, max: 7 });
  assertThrows(() => combineRounds([]), Error, "finite numbers");
  assertThrows(() => combineRounds([1, NaN]), Error, "finite numbers");
});
