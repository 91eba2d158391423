import { assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { dice, diceFromCounts, iou, iouFromCounts, overlapCounts, scoreMask } from "../../lib/metrics/mod.ts";
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

Deno.test("dice/iou: one empty mask gives 0, both empty give 1 (medpy dc/jc, MONAI ignore_empty=False), never NaN", () => {
  const empty = new Uint8Array(9), some = new Uint8Array([1, 1, 0, 0, 0, 0, 0, 0, 0]);
  assertEquals(dice(empty, some), 0);
  assertEquals(dice(some, empty), 0);
  assertEquals(iou(empty, some), 0);
  assertEquals(iou(some, empty), 0);
  assertEquals(dice(empty, empty), 1);
  assertEquals(iou(empty, empty), 1);
  assertEquals(dice(rect(5, 4, 0, 0, 0, 0), rect(5, 4, 0, 0, 0, 0)), 1);
  // the per-image scorer and the counts helpers agree with dice/iou on the same cases
  const both = scoreMask(rect(6, 6, 0, 0, 0, 0), rect(6, 6, 0, 0, 0, 0));
  assertEquals([both.dice, both.iou], [1, 1]);
  const one = scoreMask(rect(6, 6, 0, 0, 0, 0), rect(6, 6, 1, 1, 3, 3));
  assertEquals([one.dice, one.iou], [0, 0]);
  assertEquals(diceFromCounts({ pred: 0, gt: 0, intersection: 0 }), 1);
  assertEquals(iouFromCounts({ pred: 0, gt: 0, intersection: 0 }), 1);
  assertAlmostEquals(diceFromCounts({ pred: 3, gt: 1, intersection: 1 }), 2 / (4 + 1e-7), 1e-15);
  assertAlmostEquals(iouFromCounts({ pred: 3, gt: 1, intersection: 1 }), 1 / (3 + 1e-7), 1e-15);
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
