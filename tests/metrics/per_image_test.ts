import { assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { logitsToMask, maskFromRaster, scoreLogits, scoreMask } from "../../lib/metrics/mod.ts";
import { art, rect, toArt } from "./mask_art.ts";

Deno.test("logitsToMask: bilinear half-pixel upsampling, then logit > 0 (sigmoid > 0.5; logit 0 is background)", () => {
  // columns 3, -1 upsampled 2 -> 4: source x = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
  // values 3, 3 - 4 * 0.25 = 2, 3 - 4 * 0.75 = 0 (exactly: sigmoid(0) = 0.5 is NOT > 0.5), -1
  const logits = { width: 2, height: 2, channels: 1, data: new Float32Array([3, -1, 3, -1]) };
  const m = logitsToMask(logits, { width: 4, height: 3 });
  assertEquals(toArt(4, m.data), ["##..", "##..", "##.."]);
  // the same logits nudged up by 1e-3 make the third column foreground
  const up = { ...logits, data: logits.data.map((v) => v + 1e-3) };
  assertEquals(toArt(4, logitsToMask(up, { width: 4, height: 1 }).data), ["###."]);
});

Deno.test("scoreLogits: scores at the ground truth's size, picks the foreground channel", () => {
  const gt = art(["##..", "##..", "##.."]);
  // 2-channel logits (background, foreground), channel 1 is the foreground
  const two = {
    width: 2,
    height: 2,
    channels: 2,
    data: new Float32Array([0, 3, 0, -1, 0, 3, 0, -1]),
  };
  const s = scoreLogits(two, gt, { channel: 1 });
  assertAlmostEquals(s.dice, 12 / (12 + 1e-7), 1e-12);
  assertEquals([s.hd95, s.asd, s.assd, s.unit], [0, 0, 0, "px"]);
  assertThrows(() => scoreLogits(two, gt), Error, "pass { channel }");
  assertThrows(() => scoreLogits(two, gt, { channel: 2 }), Error, "out of range");
});

Deno.test("scoreMask: a shifted square, every metric at once; mm when a spacing is given", () => {
  const p = rect(10, 8, 2, 2, 6, 6), g = rect(10, 8, 4, 2, 8, 6);
  const s = scoreMask(p, g, { spacing: [0.5, 0.5] });
  assertAlmostEquals(s.dice, 16 / (32 + 1e-7), 1e-12);
  assertAlmostEquals(s.iou, 8 / (24 + 1e-7), 1e-12);
  assertEquals([s.hd95, s.asd, s.assd, s.unit, s.predEmpty, s.gtEmpty], [1, 0.5, 0.5, "mm", false, false]);
  assertThrows(() => scoreMask(rect(4, 4, 0, 0, 1, 1), rect(5, 4, 0, 0, 1, 1)), Error, "upsample the prediction");
});

Deno.test("maskFromRaster: > 127 for 8-bit, > 0.5 for float, luma for RGB", () => {
  const grey = maskFromRaster({ width: 4, height: 1, channels: 1, data: new Uint8Array([0, 127, 128, 255]) });
  assertEquals([...grey.data], [0, 0, 1, 1]);
  const f = maskFromRaster({ width: 3, height: 1, channels: 1, data: new Float32Array([0.5, 0.51, 1]) });
  assertEquals([...f.data], [0, 1, 1]);
  // pure red: luma 0.299 * 255 = 76 -> background; white -> foreground
  const rgb = maskFromRaster({ width: 2, height: 1, channels: 3, data: new Uint8Array([255, 0, 0, 255, 255, 255]) });
  assertEquals([...rgb.data], [0, 1]);
  // equal channels give exactly the grey value (fixed point): 127 -> background, 128 -> foreground;
  // pure green: 0.587 * 255 = 149.7 -> foreground
  const eq = maskFromRaster({
    width: 3,
    height: 1,
    channels: 3,
    data: new Uint8Array([127, 127, 127, 128, 128, 128, 0, 255, 0]),
  });
  assertEquals([...eq.data], [0, 1, 1]);
  assertThrows(() => maskFromRaster({ width: 2, height: 1, channels: 2, data: new Uint8Array(4) }), Error, "channels");
});
