import { assert, assertAlmostEquals, assertEquals, assertNotEquals } from "../assert.ts";
import {
  fitScanpathParams,
  fixationStats,
  KVASIR_SCANPATH_PARAMS,
  ScanpathCanvas,
  type ScanpathParams,
  simulateScanpath,
} from "../../lib/gaze/mod.ts";
import { Rng } from "../../lib/core/rng.ts";

const W = 96, H = 72;

/** An ellipse lesion, 1 channel 0/1. */
function ellipse(cx = 0.55, cy = 0.45, rx = 0.25, ry = 0.2) {
  const data = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) data[y * W + x] = ((x / W - cx) / rx) ** 2 + ((y / H - cy) / ry) ** 2 <= 1 ? 1 : 0;
  }
  return { width: W, height: H, channels: 1, data };
}

const TEST_PARAMS: ScanpathParams = {
  ...KVASIR_SCANPATH_PARAMS,
  source: "test",
  firstOnTarget: 0.5,
  offTargetByDecile: new Array(10).fill(0.2),
  depthByDecile: [0.2, 0.2, 0.2, 0.2, 0.2, 0.7, 0.7, 0.7, 0.7, 0.7],
  depthConcentration: 20,
};

Deno.test("simulate: deterministic per seed, valid fixations", () => {
  const mask = ellipse();
  const a = simulateScanpath(mask, { rng: new Rng(11) }), b = simulateScanpath(mask, { rng: new Rng(11) });
  assertEquals(a, b);
  assertNotEquals(simulateScanpath(mask, { rng: new Rng(12) }), a);
  const p = KVASIR_SCANPATH_PARAMS;
  assert(a.length >= p.count.min && a.length <= p.count.max);
  a.forEach((f, k) => {
    assertEquals(f.index, k + 1);
    assert(f.x >= 0 && f.x < 1 && f.y >= 0 && f.y < 1, `fixation ${k} at ${f.x}, ${f.y}`);
    assert(f.duration >= p.durationMin && f.duration <= p.durationMax && Number.isInteger(f.duration));
    if (k > 0) assertEquals(f.start, a[k - 1].start + a[k - 1].duration + 50);
  });
});

Deno.test("simulate: the measured statistics follow the parameters (off-target share, depth by order, counts)", () => {
  const canvas = new ScanpathCanvas(ellipse());
  const rng = new Rng(3), mask = ellipse();
  const records = Array.from(
    { length: 300 },
    () => ({ fixations: simulateScanpath(canvas, { rng, params: TEST_PARAMS }), mask }),
  );
  const s = fixationStats(records);
  assertAlmostEquals(s.firstOnTarget, 0.5, 0.1);
  for (let d = 0; d < 10; d++) assertAlmostEquals(s.offTargetByDecile[d], 0.2, 0.06, `off-target share, decile ${d}`);
  // depth quantile: central early (0.2), outer late (0.7); the integer depth rings blur this a little
  for (let d = 0; d < 5; d++) assertAlmostEquals(s.depthByDecile[d], 0.2, 0.07, `depth, decile ${d}`);
  for (let d = 5; d < 10; d++) assertAlmostEquals(s.depthByDecile[d], 0.7, 0.07, `depth, decile ${d}`);
  assertAlmostEquals(s.count.logMean, TEST_PARAMS.count.logMean, 0.06);
  assertAlmostEquals(s.durationOn.logMean, TEST_PARAMS.durationOn.logMean, 0.05);
  // off-target fixations lie near the lesion: median distance close to exp(logMean) image diagonals
  assertAlmostEquals(Math.log(s.offDistance.median), TEST_PARAMS.offDistance.logMean, 0.35);
  // fitting the measured statistics gives back the parameters
  const fit = fitScanpathParams(s, "refit");
  assertAlmostEquals(fit.count.logStd, TEST_PARAMS.count.logStd, 0.05);
  assertAlmostEquals(fit.durationOff.logStd, TEST_PARAMS.durationOff.logStd, 0.06);
});

Deno.test("simulate: an empty mask gives only off-target fixations, a full mask only on-target ones", () => {
  const empty = { width: W, height: H, channels: 1, data: new Uint8Array(W * H) };
  const full = { width: W, height: H, channels: 1, data: new Uint8Array(W * H).fill(1) };
  const rng = new Rng(9);
  const e = fixationStats([{ mask: full, fixations: simulateScanpath(empty, { rng }) }]);
  assertEquals(e.offTargetShare, 0, "positions must be in the image (the full mask covers all of it)");
  const f = fixationStats([{ mask: full, fixations: simulateScanpath(full, { rng }) }]);
  assertEquals(f.offTargetShare, 0);
  const offAll = fixationStats([{ mask: empty, fixations: simulateScanpath(empty, { rng }) }]);
  assertEquals(offAll.offTargetShare, 1);
});
