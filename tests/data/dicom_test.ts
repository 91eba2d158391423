import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import { decodeDicom } from "../../lib/data/dicom.ts";
import { NCI_ISBI_SAMPLES_DIR } from "../../lib/data/layout.ts";
import { openNciIsbi } from "../../lib/data/nci_isbi.ts";
import { realDataRoot, withoutRealData } from "../real_data.ts";
import { buildDicom, writePng } from "./fixtures.ts";

Deno.test("dicom: unsigned 16-bit pixels, spacing [row, col], no rescale", () => {
  const bytes = buildDicom({ rows: 2, cols: 3, pixels: [0, 1, 2, 1000, 4095, 65535], spacing: "0.5\\0.75" });
  const s = decodeDicom(bytes, "u16.dcm");
  assertEquals([s.image.width, s.image.height, s.image.channels], [3, 2, 1]);
  assertEquals(Array.from(s.image.data), [0, 1, 2, 1000, 4095, 65535]);
  assertEquals(s.spacing, [0.5, 0.75]);
});

Deno.test("dicom: signed pixels, bits stored 12 sign-extended, then slope and intercept", () => {
  // stored 12-bit two's complement: 0xFFF = -1, 0x800 = -2048, 0x7FF = 2047; high bits are junk and must be ignored
  const s = decodeDicom(
    buildDicom({
      rows: 1,
      cols: 4,
      bitsStored: 12,
      pixelRepresentation: 1,
      pixels: [0xfff, 0x800, 0x7ff, 0xf005],
      slope: "2",
      intercept: "-100",
    }),
    "s12.dcm",
  );
  assertEquals(Array.from(s.image.data), [-1 * 2 - 100, -2048 * 2 - 100, 2047 * 2 - 100, 5 * 2 - 100]);
  assertEquals(s.spacing, undefined);
});

Deno.test("dicom: unsigned 12-bit stored masks high bits; 8-bit and big-endian files", () => {
  const u = decodeDicom(buildDicom({ rows: 1, cols: 2, bitsStored: 12, pixels: [0xf123, 0x0456] }), "u12.dcm");
  assertEquals(Array.from(u.image.data), [0x123, 0x456]);
  const b8 = decodeDicom(buildDicom({ rows: 2, cols: 2, bitsAllocated: 8, pixels: [0, 7, 200, 255] }), "u8.dcm");
  assertEquals(Array.from(b8.image.data), [0, 7, 200, 255]);
  const be = decodeDicom(
    buildDicom({ rows: 1, cols: 2, pixels: [0x0102, 0x0a0b], transferSyntax: "1.2.840.10008.1.2.2" }),
    "be.dcm",
  );
  assertEquals(Array.from(be.image.data), [0x0102, 0x0a0b]);
});

Deno.test("dicom: bad files give errors naming the file and the problem", () => {
  assertThrows(
    () => decodeDicom(buildDicom({ rows: 4, cols: 4 }), "nopix.dcm"),
    Error,
    "nopix.dcm: DICOM has no pixel data",
  );
  assertThrows(
    () =>
      decodeDicom(buildDicom({ rows: 4, cols: 4, pixels: new Array(16).fill(1), truncatePixelBytes: 10 }), "short.dcm"),
    Error,
    "short.dcm: pixel data holds 10 bytes, expected 32",
  );
  assertThrows(
    () => decodeDicom(new TextEncoder().encode("not a dicom at all"), "txt.dcm"),
    Error,
    "txt.dcm: cannot parse DICOM",
  );
  assertThrows(
    () =>
      decodeDicom(
        buildDicom({ rows: 1, cols: 1, pixels: [1], transferSyntax: "1.2.840.10008.1.2.4.50" }),
        "jpeg.dcm",
      ),
    Error,
    "jpeg.dcm: transfer syntax 1.2.840.10008.1.2.4.50 is compressed",
  );
  const whole = buildDicom({ rows: 8, cols: 8, pixels: new Array(64).fill(3) });
  assertThrows(() => decodeDicom(whole.subarray(0, whole.length - 40), "cut.dcm"), Error, "cut.dcm");
});

/** Independent reader: the pixel data element is the last one; explicit VR LE 'OW' with a 4-byte length. */
function rawPixels(bytes: Uint8Array): Uint16Array {
  for (let i = bytes.length - 12; i >= 132; i--) {
    if (bytes[i] === 0xe0 && bytes[i + 1] === 0x7f && bytes[i + 2] === 0x10 && bytes[i + 3] === 0x00) {
      const len = new DataView(bytes.buffer, bytes.byteOffset + i + 8, 4).getUint32(0, true);
      return new Uint16Array(bytes.slice(i + 12, i + 12 + len).buffer);
    }
  }
  throw new Error("no pixel data tag");
}

Deno.test({
  name: "dicom: the two NCI-ISBI mirror slices decode to 320x320 with their spacing",
  ignore: withoutRealData("dicom: mirror slices"),
  async fn() {
    const root = realDataRoot()!;
    const expected: Record<string, number> = {
      "Prostate3T-01-0001_13": 0.60000002384186,
      "Prostate3T-01-0002_16": 0.625,
    };
    for (const [id, sp] of Object.entries(expected)) {
      const file = join(root, NCI_ISBI_SAMPLES_DIR, `${id}.dcm`);
      const bytes = await Deno.readFile(file);
      const s = decodeDicom(bytes, file);
      assertEquals([s.image.width, s.image.height, s.image.channels], [320, 320, 1]);
      assertAlmostEquals(s.spacing![0], sp, 1e-12);
      assertAlmostEquals(s.spacing![1], sp, 1e-12);
      assertEquals(s.meta.bitsAllocated, 16);
      const raw = rawPixels(bytes);
      assertEquals(raw.length, 320 * 320);
      assertEquals(Array.from(s.image.data), Array.from(raw));
      assert(Math.max(...raw) > 0, "slice is not blank");
    }
    const ds = await openNciIsbi({ root, samples: true, quiet: true });
    assertEquals(ds.ids("train").sort(), Object.keys(expected));
    assertEquals(ds.ids("test"), []);
    const s = await ds.load("Prostate3T-01-0002_16");
    assertEquals(s.info.spacing, [0.625, 0.625]);
    assertEquals(s.mask, null);
  },
});

Deno.test("nci-isbi loader: label PNG >= 1 is foreground; DICOM without pixel data names the file", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(join(root, "nci-isbi/images"), { recursive: true });
    await Deno.mkdir(join(root, "nci-isbi/masks"), { recursive: true });
    await Deno.mkdir(join(root, "gazemedseg-splits/NCI-ISBI-2013"), { recursive: true });
    await Deno.writeFile(
      join(root, "nci-isbi/images/CaseA_1.dcm"),
      buildDicom({ rows: 2, cols: 2, pixels: [1, 2, 3, 4], spacing: "1\\2" }),
    );
    await writePng(join(root, "nci-isbi/masks/CaseA_1.png"), {
      width: 2,
      height: 2,
      channels: 1,
      data: new Uint8Array([0, 1, 2, 0]),
    });
    await Deno.writeFile(join(root, "nci-isbi/images/CaseB_2.dcm"), buildDicom({ rows: 2, cols: 2 }));
    await writePng(join(root, "nci-isbi/masks/CaseB_2.png"), {
      width: 2,
      height: 2,
      channels: 1,
      data: new Uint8Array(4),
    });
    await Deno.writeTextFile(join(root, "gazemedseg-splits/NCI-ISBI-2013/train.txt"), "CaseA_1\n");
    await Deno.writeTextFile(join(root, "gazemedseg-splits/NCI-ISBI-2013/test.txt"), "CaseB_2\n");
    const ds = await openNciIsbi({ root });
    assertEquals(ds.channels, 1);
    const a = await ds.load("CaseA_1");
    assertEquals(Array.from(a.mask!.data), [0, 1, 1, 0]);
    assertEquals(a.info.spacing, [1, 2]);
    await assertRejects(
      () => ds.load("CaseB_2"),
      Error,
      `${join(root, "nci-isbi/images/CaseB_2.dcm")}: DICOM has no pixel data`,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
