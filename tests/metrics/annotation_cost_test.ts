import { assertAlmostEquals, assertThrows } from "../assert.ts";
import { annotationHours, annotationHoursPerImage, PAPER_ANNOTATED_IMAGES } from "../../lib/metrics/mod.ts";

Deno.test("annotation cost: the paper's totals over the 900 Kvasir training images", () => {
  assertAlmostEquals(annotationHours("full-mask", PAPER_ANNOTATED_IMAGES), 18.7, 1e-12);
  assertAlmostEquals(annotationHours("gaze", 900), 2.2, 1e-12);
  assertAlmostEquals(annotationHoursPerImage("full-mask") * 3600, 74.8, 1e-9); // seconds per image
  assertAlmostEquals(annotationHoursPerImage("gaze") * 3600, 8.8, 1e-9);
  assertAlmostEquals(annotationHours("gaze", 100), 2.2 / 9, 1e-12);
});

Deno.test("annotation cost: custom kinds need a given cost; bad input is an error", () => {
  assertAlmostEquals(annotationHours("scribble", 10, { hoursPerImage: { scribble: 0.01 } }), 0.1, 1e-12);
  assertThrows(() => annotationHoursPerImage("box"), Error, "no published time");
  assertThrows(() => annotationHours("gaze", -1), Error, "non-negative integer");
});
