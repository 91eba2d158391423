import { assert, assertAlmostEquals, assertEquals, assertNotEquals, assertThrows } from "../assert.ts";
import { Rng } from "../../lib/core/rng.ts";
import { bootstrapInterval, mean, median, std, summarize } from "../../lib/metrics/mod.ts";

Deno.test("mean/std/median: hand-worked values; std is the population std by default", () => {
  const v = [2, 4, 4, 4, 5, 5, 7, 9]; // mean 5, sum of squared deviations 32
  assertEquals(mean(v), 5);
  assertEquals(std(v), 2); // sqrt(32 / 8), np.std
  assertAlmostEquals(std(v, { ddof: 1 }), Math.sqrt(32 / 7), 1e-15); // np.std(ddof=1)
  assertEquals(median(v), 4.5);
  assertEquals(median([3, 1, 2]), 2);
  assertThrows(() => std([1], { ddof: 1 }), Error, "need more than 1");
  assertThrows(() => mean([1, NaN]), Error, "finite");
});

Deno.test("summarize: nulls are counted and left out, never averaged; NaN is an error", () => {
  const s = summarize([0.8, null, 0.6, null], { resamples: 200 });
  assertEquals([s.n, s.nDefined, s.nUndefined], [4, 2, 2]);
  assertAlmostEquals(s.mean!, 0.7, 1e-15);
  assertAlmostEquals(s.std!, 0.1, 1e-15);
  assertEquals([s.min, s.max, s.ddof, s.level], [0.6, 0.8, 0, 0.95]);
  const none = summarize([null, null]);
  assertEquals([none.mean, none.std, none.median, none.ci, none.nUndefined], [null, null, null, null, 2]);
  assertEquals(summarize([0.5], { ddof: 1 }).std, null);
  assertThrows(() => summarize([0.5, NaN]), Error, "value 1 is NaN");
  assertThrows(() => summarize([0.5, undefined as unknown as null]), Error, "value 1");
});

Deno.test("bootstrap: deterministic by seed, a different seed differs, constant data gives a point", () => {
  const rng = new Rng(3);
  const v = Array.from({ length: 50 }, () => rng.uniform(0.5, 0.9));
  const a = bootstrapInterval(v, { seed: 7 }), b = bootstrapInterval(v, { seed: 7 });
  assertEquals(a, b);
  assertNotEquals(bootstrapInterval(v, { seed: 8 }), a);
  const m = mean(v);
  assert(a[0] < m && m < a[1], `mean ${m} inside [${a}]`);
  const point = bootstrapInterval([0.4, 0.4, 0.4], { seed: 1 });
  assertAlmostEquals(point[0], 0.4, 1e-15);
  assertEquals(point[0], point[1]);
  assertEquals(summarize(v, { seed: 7 }).ci, a);
});

Deno.test("bootstrap: the 95% interval of the mean has the normal-theory width 2 * 1.96 * sd / sqrt(n)", () => {
  const rng = new Rng(9);
  const n = 400, v = Array.from({ length: n }, () => rng.normal(0, 1));
  const [lo, hi] = bootstrapInterval(v, { seed: 0, resamples: 2000 });
  const expected = 2 * 1.959964 * std(v) / Math.sqrt(n);
  assert(Math.abs((hi - lo) / expected - 1) < 0.1, `width ${hi - lo} vs ${expected}`);
  // a 50% interval is narrower: 2 * 0.6745 * sd / sqrt(n)
  const [l50, h50] = bootstrapInterval(v, { seed: 0, level: 0.5 });
  assert(Math.abs((h50 - l50) / (2 * 0.6745 * std(v) / Math.sqrt(n)) - 1) < 0.15, `50% width ${h50 - l50}`);
});
