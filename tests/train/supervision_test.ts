/**
 * Supervision sources: the file-backed one reads what `deno task prepare` / `encode` wrote (and
 * caches CRF maps resized exactly as the batcher would); missing files give errors naming the
 * task to run. Uses a private derived folder ($GAZE_DERIVED_DIR) with hand-made maps.
 */
import { join } from "node:path";
import { assert, assertAllClose, assertEquals, assertRejects } from "../assert.ts";
import { derivedDir } from "../../lib/data/data_root.ts";
import { resize } from "../../lib/data/resize.ts";
import type { Dataset } from "../../lib/data/types.ts";
import { gazeMapPath, writeGazeMap } from "../../lib/gaze/store.ts";
import { validateTrainConfig } from "../../lib/train/config.ts";
import { checkSupervision, fileSupervision } from "../../lib/train/supervision.ts";

const W = 40, H = 24;
const dataset: Dataset = {
  name: "kvasir",
  channels: 3,
  root: "/nonexistent",
  ids: (split) => (split === "train" ? ["a", "b"] : ["c"]),
  load: () => Promise.reject(new Error("not needed")),
};
const config = validateTrainConfig({ dataset: "kvasir", profile: "smoke", imageSize: 16, batchSize: 2, iterations: 1 });

Deno.test("file supervision: CRF maps (cached at the training size) and text tokens; missing files name the task", async () => {
  const derived = await Deno.makeTempDir({ prefix: "derived_" });
  const saved = Deno.env.get("GAZE_DERIVED_DIR");
  Deno.env.set("GAZE_DERIVED_DIR", derived);
  try {
    const root = "/data-root-not-used";
    const crf = new Uint8Array(W * H).map((_, i) => (i * 7) % 256);
    await writeGazeMap(gazeMapPath(root, "kvasir", "crf", "a"), { width: W, height: H, channels: 1, data: crf });
    await writeGazeMap(gazeMapPath(root, "kvasir", "heatmap", "a"), { width: W, height: H, channels: 1, data: crf });
    const textDir = derivedDir(root, "kvasir", "embeddings-use-lite");
    await Deno.mkdir(textDir, { recursive: true });
    const tokens = Float32Array.from({ length: 6 * 512 }, (_, i) => Math.cos(i));
    await Deno.writeFile(join(textDir, "a.bin"), new Uint8Array(tokens.buffer));
    await Deno.writeTextFile(join(textDir, "a.json"), JSON.stringify({ id: "a", shape: [6, 512] }));

    const plain = fileSupervision(dataset, config, { root });
    const original = await plain.crf("a");
    assertEquals([original.width, original.height], [W, H]);
    assertAllClose(original.data as Float32Array, Float32Array.from(crf, (v) => v / 255), 1e-7);
    const cachedSup = fileSupervision(dataset, config, { root, memoryCacheSize: 16 });
    const small = await cachedSup.crf("a");
    assertEquals([small.width, small.height], [16, 16]);
    assertEquals(small.data, resize(original, { width: 16, height: 16, mode: "bilinear" }).data);
    assert((await cachedSup.crf("a")) === small, "the second request is served from memory");
    assertEquals(await cachedSup.text("a"), tokens);

    await assertRejects(() => plain.crf("b"), Error, "deno task prepare kvasir");
    await assertRejects(() => plain.text("b"), Error, "deno task encode kvasir --encoder use-lite");
    const missing = await checkSupervision(dataset, config, {
      root,
      needs: { gaze: true, text: true },
      splits: ["train", "test"],
    });
    assertEquals(missing.gaze, ["b", "c"]);
    assertEquals(missing.text, ["b", "c"]);
    assert(
      missing.messages[0].includes("2 of 3 images of kvasir have no gaze maps") &&
        missing.messages[0].includes("prepare"),
    );
    assert(missing.messages[1].includes("deno task describe kvasir"));
    const none = await checkSupervision(dataset, config, { root, needs: { gaze: true, text: false }, splits: [] });
    assertEquals(none.messages, []);
  } finally {
    if (saved === undefined) Deno.env.delete("GAZE_DERIVED_DIR");
    else Deno.env.set("GAZE_DERIVED_DIR", saved);
    await Deno.remove(derived, { recursive: true });
  }
});
