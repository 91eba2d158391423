import { assert, assertAlmostEquals, assertEquals, assertNotEquals } from "../assert.ts";
import { deriveSeed, Rng } from "../../lib/core/rng.ts";

Deno.test("Rng: equal seeds give equal streams, different seeds differ", () => {
  const a = new Rng(42), b = new Rng(42), c = new Rng(43);
  const sa = Array.from({ length: 20 }, () => a.next());
  const sb = Array.from({ length: 20 }, () => b.next());
  const sc = Array.from({ length: 20 }, () => c.next());
  assertEquals(sa, sb);
  assertNotEquals(sa, sc);
  assert(sa.every((v) => v >= 0 && v < 1));
});

Deno.test("Rng: moments of uniform, normal and Beta(4,4) match theory", () => {
  const r = new Rng(1);
  const n = 20000;
  let su = 0, sn = 0, sn2 = 0, sb = 0, sb2 = 0;
  for (let i = 0; i < n; i++) {
    su += r.next();
    const z = r.normal();
    sn += z;
    sn2 += z * z;
    const b = r.beta(4, 4);
    sb += b;
    sb2 += b * b;
  }
  assertAlmostEquals(su / n, 0.5, 0.01);
  assertAlmostEquals(sn / n, 0, 0.03);
  assertAlmostEquals(sn2 / n, 1, 0.04);
  // Beta(4,4): mean 0.5, variance ab/((a+b)^2 (a+b+1)) = 16/(64*9) = 0.02778
  assertAlmostEquals(sb / n, 0.5, 0.01);
  assertAlmostEquals(sb2 / n - (sb / n) ** 2, 16 / (64 * 9), 0.003);
});

Deno.test("Rng: int covers both ends, shuffle is a permutation", () => {
  const r = new Rng(3);
  const seen = new Set<number>();
  for (let i = 0; i < 500; i++) seen.add(r.int(3, 10));
  assertEquals([...seen].sort((a, b) => a - b), [3, 4, 5, 6, 7, 8, 9, 10]);
  const xs = Array.from({ length: 50 }, (_, i) => i);
  const sh = r.shuffle([...xs]);
  assertNotEquals(sh, xs);
  assertEquals([...sh].sort((a, b) => a - b), xs);
});

Deno.test("deriveSeed: stable and label-dependent", () => {
  assertEquals(deriveSeed(0, "darm"), deriveSeed(0, "darm"));
  assertNotEquals(deriveSeed(0, "darm"), deriveSeed(0, "flip"));
  assertNotEquals(deriveSeed(0, "darm"), deriveSeed(1, "darm"));
});
