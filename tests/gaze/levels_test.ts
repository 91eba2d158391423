import { assert, assertEquals, assertThrows } from "../assert.ts";
import {
  confidenceMasks,
  gazeLevels,
  GAZEMEDSEG_LEVEL_SETS,
  LEVEL_THRESHOLDS,
  levelThresholds,
  orderLevelsByArea,
  thresholdMap,
} from "../../lib/gaze/mod.ts";
import { Rng } from "../../lib/core/rng.ts";

Deno.test("levels: thresholds use >= (a pixel exactly at the threshold is in)", () => {
  assertEquals(Array.from(thresholdMap(new Float32Array([0.2999, 0.3, 0.5, 0.49999]), 0.3)), [0, 1, 1, 1]);
  const raster = { width: 2, height: 1, channels: 1, data: new Float32Array([0.5, 0.49]) };
  assertEquals(Array.from(thresholdMap(raster, 0.5)), [1, 0]);
  assertThrows(
    () => thresholdMap({ width: 1, height: 1, channels: 3, data: new Float32Array(3) }, 0.5),
    Error,
    "1-channel",
  );
});

Deno.test("levels: every level set is nested (a higher threshold's mask lies inside a lower one's)", () => {
  const rng = new Rng(5);
  const map = Float32Array.from({ length: 4096 }, () => rng.next());
  for (const set of [...Object.values(GAZEMEDSEG_LEVEL_SETS), ...Object.values(LEVEL_THRESHOLDS)]) {
    const lv = gazeLevels(map, set);
    for (const a of lv) {
      for (const b of lv) {
        if (a.threshold <= b.threshold) continue;
        for (let i = 0; i < map.length; i++) {
          assert(!(a.mask[i] && !b.mask[i]), `level ${a.threshold} not inside ${b.threshold}`);
        }
        assert(a.area <= b.area);
      }
    }
  }
});

Deno.test("levels: M_hc is the smaller mask, M_bc the larger, whatever the threshold order", () => {
  const map = new Float32Array([0.1, 0.25, 0.36, 0.46, 0.6, 0.9]);
  // Kvasir [0.5, 0.3]: 0.5 -> 2 px (hc), 0.3 -> 4 px (bc)
  const k = confidenceMasks(map, { thresholds: levelThresholds("kvasir") });
  assertEquals([k.hc.threshold, k.hc.area, k.bc.threshold, k.bc.area], [0.5, 2, 0.3, 4]);
  // NCI-ISBI [0.2, 0.4]: listed low first, but 0.4 -> 3 px is the smaller, so it is M_hc
  const n = confidenceMasks(map, { thresholds: levelThresholds("nci-isbi") });
  assertEquals([n.hc.threshold, n.hc.area, n.bc.threshold, n.bc.area], [0.4, 3, 0.2, 5]);
  assertEquals(Array.from(n.hc.mask), [0, 0, 0, 1, 1, 1]);
  // K levels sorted by area (0.5: 2 px, 0.4 and 0.45: 3, 0.3 and 0.35: 4); ties keep the listed order
  const five = orderLevelsByArea(gazeLevels(map, levelThresholds("kvasir", 5)));
  assertEquals(five.map((l) => l.threshold), [0.5, 0.4, 0.45, 0.3, 0.35]);
  assertEquals(five.map((l) => l.area), [2, 3, 3, 4, 4]);
  assertThrows(() => levelThresholds("kvasir", 6), Error, "1 to 5");
  assertThrows(() => confidenceMasks(map, { thresholds: [0.5] }), Error, "2 thresholds");
});
