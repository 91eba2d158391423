import { join } from "node:path";
import { assertEquals, assertRejects } from "../assert.ts";
import { openDataset } from "../../lib/data/open_dataset.ts";
import { openIsic } from "../../lib/data/isic.ts";
import { iterateBatches } from "../../lib/data/batches.ts";
import { SampleCache } from "../../lib/data/cache.ts";
import { encodeJpegRaster, rectMask, rgbRaster, writePng, writeTinyKvasir } from "./fixtures.ts";

async function withRoot(fn: (root: string) => Promise<void>) {
  const root = await Deno.makeTempDir();
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("kvasir loader: a tiny layout loads with RGB images and 0/1 masks", () =>
  withRoot(async (root) => {
    const ids = await writeTinyKvasir(root);
    const ds = await openDataset("kvasir", { root });
    assertEquals(ds.ids("train"), ids.slice(0, 3));
    assertEquals(ds.ids("test"), ids.slice(3));
    const s = await ds.load("img1");
    assertEquals([s.image.width, s.image.height, s.image.channels], [48, 34, 3]);
    // rectangle [10,30) x [8,20): JPEG ringing stays on the right side of 127.5 away from the edge
    assertEquals(s.mask!.data[12 * 48 + 15], 1);
    assertEquals(s.mask!.data[2 * 48 + 2], 0);
    assertEquals(s.mask!.data[25 * 48 + 40], 0);
  }));

Deno.test("loader errors: missing folder, missing split list, unsafe id, id without image", () =>
  withRoot(async (root) => {
    await assertRejects(
      () => openDataset("kvasir", { root }),
      Error,
      `${join(root, "kvasir-seg/images")}: missing image folder`,
    );
    await writeTinyKvasir(root);
    const train = join(root, "gazemedseg-splits/Kvasir-SEG/train.txt");
    await Deno.remove(join(root, "gazemedseg-splits/Kvasir-SEG/test.txt"));
    await assertRejects(() => openDataset("kvasir", { root }), Error, "test.txt: split list not found");
    await Deno.writeTextFile(join(root, "gazemedseg-splits/Kvasir-SEG/test.txt"), "img3\n");
    await Deno.writeTextFile(train, "img0\n../../etc/passwd\n");
    await assertRejects(
      () => openDataset("kvasir", { root }),
      Error,
      `${train}:2: id "../../etc/passwd" is not a plain name`,
    );
    await Deno.writeTextFile(train, "img0\nsub/img1\n");
    await assertRejects(() => openDataset("kvasir", { root }), Error, `${train}:2`);
    await Deno.writeTextFile(train, "img0\nimg1\n\nghost\n");
    await assertRejects(
      () => openDataset("kvasir", { root }),
      Error,
      `${train}:4: id 'ghost' has no image ${join(root, "kvasir-seg/images/ghost.jpg")}`,
    );
    await Deno.writeTextFile(train, "img0\nimg0\n");
    await assertRejects(() => openDataset("kvasir", { root }), Error, `${train}:2: id 'img0' is listed twice`);
    await Deno.writeTextFile(train, "img0\nimg1\n");
    await Deno.remove(join(root, "kvasir-seg/masks/img1.jpg"));
    await assertRejects(() => openDataset("kvasir", { root }), Error, `${train}:2: id 'img1' has no mask`);
  }));

Deno.test("loader errors: truncated image and mask of the wrong size name the file; no cache entry is left", () =>
  withRoot(async (root) => {
    await writeTinyKvasir(root);
    const img = join(root, "kvasir-seg/images/img0.jpg");
    const bytes = await Deno.readFile(img);
    await Deno.writeFile(img, bytes.subarray(0, Math.floor(bytes.length * 0.7)));
    const mask2 = join(root, "kvasir-seg/masks/img2.jpg");
    await Deno.writeFile(mask2, encodeJpegRaster(rectMask(20, 20, [0, 0, 5, 5])));
    const ds = await openDataset("kvasir", { root });
    await assertRejects(() => ds.load("img0"), Error, `${img}: cannot decode image`);
    await assertRejects(() => ds.load("img2"), Error, `${mask2}: mask is 20x20 but its image`);
    await assertRejects(() => ds.load("nope"), Error, "unknown id 'nope'");
    const cache = new SampleCache(join(root, "cache"));
    for (const id of ["img0", "img2"]) {
      await assertRejects(async () => {
        for await (const _ of iterateBatches(ds, [id], { size: 16, batchSize: 1, cache })) { /* consume */ }
      });
    }
    const left = [];
    try {
      for await (const e of Deno.readDir(cache.dir)) left.push(e.name);
    } catch { /* never created: fine */ }
    assertEquals(left, []);
    assertEquals(cache.counters.writes, 0);
  }));

Deno.test("isic loader: images/<id>.jpg with labels/<id>_segmentation.png", () =>
  withRoot(async (root) => {
    await Deno.mkdir(join(root, "isic/images"), { recursive: true });
    await Deno.mkdir(join(root, "isic/labels"), { recursive: true });
    await Deno.mkdir(join(root, "gazemedseg-splits/ISIC"), { recursive: true });
    for (const id of ["ISIC_0000001", "ISIC_0000002"]) {
      await Deno.writeFile(join(root, `isic/images/${id}.jpg`), encodeJpegRaster(rgbRaster(24, 16, (x) => x * 10)));
      await writePng(join(root, `isic/labels/${id}_segmentation.png`), rectMask(24, 16, [4, 4, 12, 10]));
    }
    await Deno.writeTextFile(join(root, "gazemedseg-splits/ISIC/train.txt"), "ISIC_0000001\n");
    await Deno.writeTextFile(join(root, "gazemedseg-splits/ISIC/test.txt"), "ISIC_0000002\n");
    const ds = await openIsic({ root });
    const s = await ds.load("ISIC_0000002");
    assertEquals(s.image.channels, 3);
    let fg = 0;
    for (const v of s.mask!.data) fg += v;
    assertEquals(fg, 8 * 6);
    assertEquals(s.mask!.data[5 * 24 + 5], 1);
    assertEquals(ds.sourceFiles!("ISIC_0000001"), [
      join(root, "isic/images/ISIC_0000001.jpg"),
      join(root, "isic/labels/ISIC_0000001_segmentation.png"),
    ]);
  }));
