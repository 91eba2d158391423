import { assert, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import { gazeMapDir, gazeMapPath, hasGazeMaps, loadGazeMaps, readGazeMap, writeGazeMap } from "../../lib/gaze/mod.ts";

Deno.test("store: maps round-trip losslessly as 8-bit PNG and load as v / 255", async () => {
  const root = await Deno.makeTempDir();
  const dataset = `store-test-${crypto.randomUUID().slice(0, 8)}`;
  try {
    const W = 7, H = 5;
    const heat = {
      width: W,
      height: H,
      channels: 1,
      data: Uint8Array.from({ length: W * H }, (_, i) => (i * 37) % 256),
    };
    const crf = { width: W, height: H, channels: 1, data: Uint8Array.from({ length: W * H }, (_, i) => 255 - i) };
    assert(!(await hasGazeMaps(root, dataset, "img1")));
    await writeGazeMap(gazeMapPath(root, dataset, "heatmap", "img1"), heat);
    assert(!(await hasGazeMaps(root, dataset, "img1")), "only one of the two maps exists");
    await writeGazeMap(gazeMapPath(root, dataset, "crf", "img1"), crf);
    assert(await hasGazeMaps(root, dataset, "img1"));
    assertEquals(
      Array.from((await readGazeMap(gazeMapPath(root, dataset, "heatmap", "img1"))).data),
      Array.from(heat.data),
    );
    const maps = await loadGazeMaps(root, dataset, "img1");
    assertEquals([maps.heatmap.width, maps.heatmap.height, maps.heatmap.channels], [W, H, 1]);
    assertEquals(Array.from(maps.crf.data), Array.from(crf.data, (v) => Math.fround(v / 255)));
    // variants live in their own folders
    assert(gazeMapDir(root, dataset, "crf", { variant: "sim" }).endsWith(`${dataset}/crf-sim`));
    assert(!(await hasGazeMaps(root, dataset, "img1", { variant: "sim" })));
    await assertRejects(() => loadGazeMaps(root, dataset, "nope"), Error, "run `deno task prepare <dataset>` first");
    assertThrows(() => gazeMapPath(root, dataset, "crf", "../x"), Error, "not a plain name");
    assertThrows(() => gazeMapDir(root, dataset, "crf", { variant: "a/b" }), Error, "variant");
  } finally {
    await Deno.remove(root, { recursive: true });
    const derived = Deno.env.get("GAZE_DERIVED_DIR");
    if (derived) await Deno.remove(`${derived}/${dataset}`, { recursive: true }).catch(() => {});
  }
});
