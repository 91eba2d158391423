import { assertEquals, assertThrows } from "../assert.ts";
import { parseSha256Manifest, sha256Hex, treeDigest } from "../../lib/data/checksum.ts";
import { readImageSize } from "../../lib/data/image_size.ts";
import { encodePngRaster } from "../../lib/data/png.ts";
import { parseSplitList } from "../../lib/data/split_list.ts";
import { encodeJpegRaster, rgbRaster } from "./fixtures.ts";

Deno.test("image size: hand-built JPEG header (APP0 then SOF2), real encoder output, PNG, and bad input", () => {
  // SOI, APP0 of length 16, a fill byte, SOF2 (progressive): precision 8, height 0x0102, width 0x0304, 3 components
  const jpeg = new Uint8Array([
    0xff,
    0xd8,
    0xff,
    0xe0,
    0x00,
    0x10,
    ...new Array(14).fill(0),
    0xff,
    0xff,
    0xc2,
    0x00,
    0x11,
    0x08,
    0x01,
    0x02,
    0x03,
    0x04,
    0x03,
  ]);
  assertEquals(readImageSize(jpeg, "h.jpg"), { format: "jpeg", width: 0x0304, height: 0x0102, channels: 3 });
  assertEquals(readImageSize(encodeJpegRaster(rgbRaster(37, 21, () => 9)), "e.jpg"), {
    format: "jpeg",
    width: 37,
    height: 21,
    channels: 3,
  });
  assertEquals(
    readImageSize(encodePngRaster({ width: 5, height: 7, channels: 1, data: new Uint8Array(35) }), "p.png"),
    {
      format: "png",
      width: 5,
      height: 7,
      channels: 1,
    },
  );
  assertThrows(() => readImageSize(jpeg.subarray(0, 20), "cut.jpg"), Error, "cut.jpg: no JPEG frame header");
  assertThrows(
    () => readImageSize(new Uint8Array([0xff, 0xd8, 0x00, 0x01]), "junk.jpg"),
    Error,
    "junk.jpg: JPEG marker expected",
  );
  assertThrows(() => readImageSize(new TextEncoder().encode("GIF89a...."), "x.gif"), Error, "x.gif: not a JPEG or PNG");
});

Deno.test("split lists: blank lines and CRLF ignored; unsafe ids and duplicates name file:line", () => {
  assertEquals(parseSplitList("a\r\n\n  b  \n", "l.txt"), [{ id: "a", line: 1 }, { id: "b", line: 3 }]);
  assertThrows(() => parseSplitList("a\n..\n", "l.txt"), Error, "l.txt:2");
  assertThrows(() => parseSplitList("a\nx\\y\n", "l.txt"), Error, "l.txt:2");
  assertThrows(() => parseSplitList("a\nb\na\n", "l.txt"), Error, "l.txt:3: id 'a' is listed twice (first at line 1)");
});

Deno.test("checksums: sha256 known answer, MANIFEST.sha256 parsing, tree digest is order independent", () => {
  assertEquals(sha256Hex(new Uint8Array(0)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const h = "a".repeat(64);
  const m = parseSha256Manifest(`${h}  ./x/y.jpg\n${"B".repeat(64)} *z.txt\n\n`, "M");
  assertEquals([...m], [["x/y.jpg", h], ["z.txt", "b".repeat(64)]]);
  assertThrows(() => parseSha256Manifest("nothex  ./a\n", "M"), Error, "M:1");
  const a = treeDigest([["b", h], ["a", h]]), b = treeDigest([["a", h], ["b", h]]);
  assertEquals(a, b);
  assertEquals(a, sha256Hex(new TextEncoder().encode(`${h}  a\n${h}  b\n`)));
});
