import { assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { dice, iou, overlapCounts } from "../../lib/metrics/mod.ts";
import { rect } from "./mask_art.ts";

Deno.test("dice/iou: a 4x4 square against the same square shifted by one column", () => {
  const p = rect(10, 10, 2, 2, 6, 6), g = rect(10, 10, 3, 2, 7, 6);
  assertEquals(overlapCounts(p, g), { pred: 16, gt: 16, intersection: 12 });
  assertAlmostEquals(dice(p, g), 24 / (32 + 1e-7), 1e-15); // 0.75
  assertAlmostEquals(iou(p, g), 12 / (20 + 1e-7), 1e-15); // 0.6
  // symmetric
  assertEquals(dice(g, p), dice(p, g));
});

Deno.test("dice/iou: one-pixel objects and plain byte arrays (any non-zero is foreground)", () => {
  const a = new Uint8Array([0, 0, 255, 0]), b = new Uint8Array([0, 0, 1, 0]), c = new Uint8Array([1, 0, 0, 0]);
  assertAlmostEquals(dice(a, b), 2 / (2 + 1e-7), 1e-15);
  assertAlmostEquals(iou(a, b), 1 / (1 + 1e-7), 1e-15);
  assertEquals(dice(a, c), 0);
  assertEquals(iou(a, c), 0);
});

Deno.test("dice/iou: empty masks give 0 by the formula (both empty too), never NaN", () => {
  const empty = new Uint8Array(9), some = new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(dice(empty, some), 0);
  assertEquals(dice(some, empty), 0);
  assertEquals(dice(empty, empty), 0);
  assertEquals(iou(empty, empty), 0);
});

Deno.test("dice/iou: size mismatches are clear errors", () => {
  assertThrows(() => dice(rect(4, 4, 0, 0, 1, 1), rect(4, 5, 0, 0, 1, 1)), Error, "ground truth is 4x5");
  assertThrows(() => iou(new Uint8Array(3), new Uint8Array(4)), Error, "3 pixels");
  assertThrows(
    () => dice({ width: 2, height: 2, data: new Uint8Array(3) }, rect(2, 2, 0, 0, 1, 1)),
    Error,
    "expected 2x2",
  );
});
