// Ground-truth foreground share (the diagnosis's collapse verdict): hand-worked masks, and the
// batch pipeline against the masks loaded directly.
import { assertAlmostEquals, assertEquals, assertRejects } from "../assert.ts";
import { openDataset } from "../../lib/data/open_dataset.ts";
import type { Dataset, Sample } from "../../lib/data/types.ts";
import { foregroundShare } from "../../lib/metrics/foreground_share.ts";

/** A 3-image in-memory dataset of 16 x 16 images; image i has a foreground square of side 4 (i + 1) at the corner. */
function squares(withMask = true): Dataset {
  const ids = ["a", "b", "c"];
  return {
    name: "synthetic",
    channels: 3,
    root: "synthetic",
    ids: (split) => (split === "test" ? ids : []),
    load: (id): Promise<Sample> => {
      const i = ids.indexOf(id), side = 4 * (i + 1);
      const mask = new Uint8Array(256);
      for (let y = 0; y < side; y++) for (let x = 0; x < side; x++) mask[y * 16 + x] = 1;
      const info = { dataset: "synthetic" as const, width: 16, height: 16, source: `memory:${id}` };
      const image = { width: 16, height: 16, channels: 3, data: new Uint8Array(768).fill(100) };
      return Promise.resolve({
        id,
        image,
        mask: withMask ? { width: 16, height: 16, channels: 1, data: mask } : null,
        info,
      });
    },
  };
}

Deno.test("foregroundShare: pooled share of hand-worked masks (16 + 64 + 144 of 3 x 256 pixels)", async () => {
  const ds = squares();
  assertAlmostEquals(await foregroundShare(ds, ds.ids("test"), { size: 16, quiet: true }), 224 / 768, 1e-12);
  assertAlmostEquals(await foregroundShare(ds, ["c"], { size: 16, batchSize: 2, quiet: true }), 144 / 256, 1e-12);
  // Resized to 32 px (nearest-like for a corner square of even side): the share is unchanged.
  assertAlmostEquals(await foregroundShare(ds, ds.ids("test"), { size: 32, quiet: true }), 224 / 768, 0.01);
  await assertRejects(() => foregroundShare(squares(false), ["a"], { size: 16, quiet: true }), Error, "memory:a");
  await assertRejects(() => foregroundShare(ds, [], { size: 16, quiet: true }), Error, "no images");
});

Deno.test("foregroundShare: equals the share of the masks loaded at original size (synthetic, no resize)", async () => {
  const ds = await openDataset("synthetic", { synthetic: { seed: 3, train: 1, test: 5, size: 32 } });
  const ids = ds.ids("test");
  let fg = 0;
  for (const id of ids) fg += (await ds.load(id)).mask!.data.reduce((s, v) => s + v, 0);
  const want = fg / (ids.length * 32 * 32);
  assertEquals(await foregroundShare(ds, ids, { size: 32, quiet: true }), want);
});
