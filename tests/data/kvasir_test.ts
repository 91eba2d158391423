import { parse } from "csv-parse/sync";
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { readImageSizeFile } from "../../lib/data/image_size.ts";
import { DATASET_LAYOUTS } from "../../lib/data/layout.ts";
import { openDataset } from "../../lib/data/open_dataset.ts";
import { decodeImageBytes } from "../../lib/data/png.ts";
import { realDataRoot, withoutRealData } from "../real_data.ts";

const L = DATASET_LAYOUTS.kvasir;

Deno.test({
  name: "kvasir: 900 train / 100 test ids; all 1000 header sizes equal the fixation CSV's IMAGE_WIDTH/HEIGHT",
  ignore: withoutRealData("kvasir: ids and sizes"),
  async fn() {
    const root = realDataRoot()!;
    const ds = await openDataset("kvasir", { root });
    const train = ds.ids("train"), test = ds.ids("test");
    assertEquals([train.length, test.length], [900, 100]);
    const all = new Set([...train, ...test]);
    assertEquals(all.size, 1000, "train and test are disjoint");
    const rows = parse(await Deno.readTextFile(join(root, L.fixations!)), { columns: true }) as Record<
      string,
      string
    >[];
    const csv = new Map<string, [number, number]>();
    for (const r of rows) csv.set(r.IMAGE.replace(/\.jpg$/, ""), [Number(r.IMAGE_WIDTH), Number(r.IMAGE_HEIGHT)]);
    assertEquals([...csv.keys()].sort(), [...all].sort(), "CSV images are exactly the split ids");
    for (const id of all) {
      const s = await readImageSizeFile(join(root, L.images, `${id}.jpg`));
      assertEquals([s.width, s.height], csv.get(id), `size of ${id}`);
      assertEquals(s.channels, 3);
    }
  },
});

Deno.test({
  name: "kvasir: decoded samples match header sizes; masks are grey/255 > 0.5",
  ignore: withoutRealData("kvasir: decode"),
  async fn() {
    const root = realDataRoot()!;
    const ds = await openDataset("kvasir", { root });
    const ids = ds.ids("train");
    for (const id of [ids[0], ids[299], ids[599], ds.ids("test")[99]]) {
      const s = await ds.load(id);
      const head = await readImageSizeFile(join(root, L.images, `${id}.jpg`));
      assertEquals([s.image.width, s.image.height, s.image.channels], [head.width, head.height, 3]);
      assertEquals([s.info.width, s.info.height], [head.width, head.height]);
      assert(s.mask !== null);
      assertEquals([s.mask.width, s.mask.height, s.mask.channels], [head.width, head.height, 1]);
      // independent reference: decode the mask file, grey = channel mean (Kvasir masks are grey), > 0.5 after /255
      const raw = decodeImageBytes(await Deno.readFile(join(root, L.masks, `${id}.jpg`)), id);
      let fg = 0;
      for (let i = 0; i < s.mask.data.length; i++) {
        let g = 0;
        for (let c = 0; c < raw.channels; c++) g += raw.data[i * raw.channels + c];
        const want = g / raw.channels / 255 > 0.5 ? 1 : 0;
        if (s.mask.data[i] !== want) throw new Error(`${id}: mask pixel ${i} is ${s.mask.data[i]}, want ${want}`);
        fg += want;
      }
      assert(fg > 0 && fg < s.mask.data.length, `${id}: mask has both classes`);
    }
  },
});
