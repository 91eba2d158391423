/**
 * Header checks of a dataset's files before a run reads them (lib/data/check_files.ts): each kind
 * of damage is named with its file and reason, good files pass, and a mask whose size differs
 * from its image's is reported.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { assertDatasetFiles, checkDatasetFiles, checkImageFile } from "../../lib/data/check_files.ts";
import { openDataset } from "../../lib/data/open_dataset.ts";
import { encodePngRaster } from "../../lib/data/png.ts";
import { encodeJpegRaster, rectMask, writeTinyKvasir } from "./fixtures.ts";

Deno.test("checkImageFile: good JPEG/PNG give their size; 0-byte, foreign, truncated files are named with why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "check_files_" });
  try {
    const jpeg = encodeJpegRaster(rectMask(20, 10, [2, 2, 8, 8]));
    const png = encodePngRaster({ width: 7, height: 5, channels: 1, data: new Uint8Array(35) });
    const files: Record<string, Uint8Array> = {
      "ok.jpg": jpeg,
      "ok.png": png,
      "empty.jpg": new Uint8Array(0),
      "html.jpg": new TextEncoder().encode("<html>404 Not Found</html>"),
      "cut.jpg": jpeg.subarray(0, Math.floor(jpeg.length * 0.8)),
      "cut.png": png.subarray(0, png.length - 12),
      "nosof.jpg": new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
      "bad.dcm": new Uint8Array(200),
    };
    for (const [name, bytes] of Object.entries(files)) await Deno.writeFile(join(dir, name), bytes);
    const check = (name: string) => checkImageFile(join(dir, name));
    assertEquals(await check("ok.jpg"), { width: 20, height: 10 });
    assertEquals(await check("ok.png"), { width: 7, height: 5 });
    const reason = async (name: string) => {
      const r = await check(name);
      assert(r && "reason" in r, `${name} passed`);
      assertEquals(r.file, join(dir, name));
      return r.reason;
    };
    assertEquals(await reason("empty.jpg"), "0-byte file");
    assertEquals(await reason("html.jpg"), 'not a JPEG or PNG file (starts with text "<html>404 Not Fo")');
    assert((await reason("cut.jpg")).startsWith("truncated JPEG: no end-of-image marker (FFD9)"));
    assert((await reason("cut.png")).startsWith("truncated PNG: no IEND chunk"));
    assert((await reason("nosof.jpg")).startsWith("corrupt header: no JPEG frame header (SOF) found"));
    assert((await reason("bad.dcm")).startsWith('not a DICOM file (no "DICM" tag at byte 128'));
    assertEquals(await reason("missing.jpg"), "file not found");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkDatasetFiles: every bad image and mask of a Kvasir layout is listed; assertDatasetFiles names them all", async () => {
  const root = await Deno.makeTempDir({ prefix: "check_ds_" });
  try {
    await writeTinyKvasir(root, { n: 5, nTrain: 3 });
    const ds = await openDataset("kvasir", { root, quiet: true });
    assertEquals(await checkDatasetFiles(ds, ds.ids("train").concat(ds.ids("test"))), []);
    const img0 = join(root, "kvasir-seg/images/img0.jpg"), mask1 = join(root, "kvasir-seg/masks/img1.jpg");
    const img3 = join(root, "kvasir-seg/images/img3.jpg"), mask4 = join(root, "kvasir-seg/masks/img4.jpg");
    await Deno.writeFile(img0, new Uint8Array(0));
    await Deno.writeTextFile(mask1, "GIF89a not really");
    const good = await Deno.readFile(img3);
    await Deno.writeFile(img3, good.subarray(0, good.length - 100));
    await Deno.writeFile(mask4, encodeJpegRaster(rectMask(9, 9, [1, 1, 4, 4])));
    const problems = await checkDatasetFiles(ds, [...ds.ids("train"), ...ds.ids("test")]);
    assertEquals(problems.map((p) => p.file), [img0, mask1, img3, mask4]);
    assertEquals(problems[0].reason, "0-byte file");
    assert(problems[1].reason.startsWith('not a JPEG or PNG file (starts with text "GIF89a'), problems[1].reason);
    assert(problems[2].reason.startsWith("truncated JPEG"), problems[2].reason);
    assert(problems[3].reason.startsWith("mask is 9x9 but its image"), problems[3].reason);
    const err = await assertRejects(() => assertDatasetFiles(ds, ds.ids("train"), { what: "for a test" }));
    const msg = (err as Error).message;
    assert(msg.startsWith("kvasir: 2 bad file(s) among the 3 samples for a test:"), msg);
    assert(msg.includes(`${img0}: 0-byte file`) && msg.includes(mask1) && !msg.includes(img3), msg);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
