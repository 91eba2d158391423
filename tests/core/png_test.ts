import { assertEquals, assertThrows } from "../assert.ts";
import { decodeImageBytes, encodePngRaster, pngDataUrl } from "../../lib/data/png.ts";

Deno.test("png: grey and RGB round trips are lossless", () => {
  const g = { width: 3, height: 2, channels: 1, data: new Uint8Array([0, 50, 100, 150, 200, 255]) };
  assertEquals(decodeImageBytes(encodePngRaster(g), "g.png"), g);
  const rgb = { width: 2, height: 2, channels: 3, data: Uint8Array.from({ length: 12 }, (_, i) => i * 20) };
  assertEquals(decodeImageBytes(encodePngRaster(rgb), "rgb.png"), rgb);
  const url = pngDataUrl(g);
  assertEquals(url.startsWith("data:image/png;base64,"), true);
});

Deno.test("png: corrupt bytes give an error naming the file", () => {
  assertThrows(() => decodeImageBytes(new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]), "bad.jpg"), Error, "bad.jpg");
  const png = encodePngRaster({ width: 8, height: 8, channels: 1, data: new Uint8Array(64) });
  assertThrows(() => decodeImageBytes(png.subarray(0, 30), "trunc.png"), Error, "trunc.png");
});
