import { assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { comparePaired, erfc, normalCdf, normalSf, wilcoxonSignedRank } from "../../lib/metrics/mod.ts";

Deno.test("normal tails: erfc and Phi against tabulated values", () => {
  assertAlmostEquals(erfc(0), 1, 1e-16);
  assertAlmostEquals(erfc(1), 0.157299207050285130, 1e-15);
  assertAlmostEquals(erfc(3) / 2.209049699858544e-5, 1, 1e-12);
  assertAlmostEquals(erfc(-1), 1.842700792949714870, 1e-15);
  assertAlmostEquals(normalCdf(1.959963984540054), 0.975, 1e-14);
  assertAlmostEquals(normalSf(1), 0.158655253931457051, 1e-15);
  assertAlmostEquals(normalSf(6) / 9.865876450376982e-10, 1, 1e-11);
});

Deno.test("wilcoxon exact: hand-worked p-values without ties", () => {
  // |d| ranks: 1.5->3, 0.5->1, 2->4, 3->5, 1->2, 4->6; R- = 1 + 2 = 3, R+ = 18.
  // subsets of {1..6} with sum <= 3: {}, {1}, {2}, {3}, {1,2} -> P(R- <= 3) = 5/64, p = 10/64
  const r = wilcoxonSignedRank([1.5, -0.5, 2, 3, -1, 4]);
  assertEquals([r.rPlus, r.rMinus, r.statistic, r.n, r.method, r.hasTies], [18, 3, 3, 6, "exact", false]);
  assertAlmostEquals(r.pValue, 10 / 64, 1e-15);
  // all positive: only the all-plus assignment reaches R+ = 15 -> p = 2 / 32
  assertAlmostEquals(wilcoxonSignedRank([1, 2, 3, 4, 5]).pValue, 2 / 32, 1e-15);
  assertAlmostEquals(
    wilcoxonSignedRank([-0.1, -0.2, -0.3, -0.4, -0.5, -0.6, -0.7, -0.8, -0.9, -1]).pValue,
    2 / 1024,
    1e-15,
  );
  // perfectly balanced: p capped at 1
  assertEquals(wilcoxonSignedRank([1, -2, -3, 4]).pValue, 1);
});

Deno.test("wilcoxon: ties and zeros with few pairs use the exact permutation distribution (as scipy)", () => {
  // d = [1, -1, 2]: ranks 1.5, 1.5, 3; R+ = 4.5. The 8 sign assignments give R+ in
  // {0, 1.5, 1.5, 3, 3, 4.5, 4.5, 6}: P(R+ >= 4.5) = 3/8, P(R+ <= 4.5) = 7/8 -> p = 6/8
  const r = wilcoxonSignedRank([1, -1, 2]);
  assertEquals([r.rPlus, r.rMinus, r.method, r.hasTies], [4.5, 1.5, "exact", true]);
  assertAlmostEquals(r.pValue, 0.75, 1e-15);
  // a zero difference is dropped (Wilcoxon's method) and counted
  const z = wilcoxonSignedRank([0, 1, -1, 2]);
  assertEquals([z.n, z.nZero], [3, 1]);
  assertAlmostEquals(z.pValue, 0.75, 1e-15);
  // nothing but zeros: no evidence, p = 1, never NaN
  const none = wilcoxonSignedRank([0, 0, 0]);
  assertEquals([none.n, none.nZero, none.pValue, none.statistic], [0, 3, 1, 0]);
});

Deno.test("wilcoxon approx: normal approximation with the tie correction, continuity correction on request", () => {
  // d = [1, 2, -2, 3, 4]: ranks 1, 2.5, 2.5, 4, 5; R+ = 12.5, R- = 2.5; n = 5, mean 7.5,
  // var = 5*6*11/24 - (2^3 - 2)/48 = 13.75 - 0.125 = 13.625
  const d = [1, 2, -2, 3, 4];
  const r = wilcoxonSignedRank(d, { method: "approx" });
  assertEquals([r.rPlus, r.rMinus, r.method], [12.5, 2.5, "approx"]);
  assertAlmostEquals(r.z!, 5 / Math.sqrt(13.625), 1e-14);
  assertAlmostEquals(r.pValue, 2 * normalSf(5 / Math.sqrt(13.625)), 1e-15);
  const c = wilcoxonSignedRank(d, { method: "approx", correction: true });
  assertAlmostEquals(c.z!, 4.5 / Math.sqrt(13.625), 1e-14);
  // more than 50 pairs: auto switches to the approximation; all positive 1..60: z = (1830 - 915) / sqrt(60*61*121/24)
  const big = wilcoxonSignedRank(Array.from({ length: 60 }, (_, i) => i + 1));
  assertEquals(big.method, "approx");
  assertAlmostEquals(big.z!, 915 / Math.sqrt((60 * 61 * 121) / 24), 1e-12);
  // ties with more than 13 pairs: approx (scipy's rule)
  assertEquals(wilcoxonSignedRank([1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]).method, "approx");
  assertThrows(() => wilcoxonSignedRank([1, Infinity]), Error, "difference 1");
});

Deno.test("comparePaired: drops and counts null pairs, differences are a - b", () => {
  const c = comparePaired([0.9, 0.8, null, 0.7, 0.6], [0.85, 0.8, 0.5, 0.75, 0.5]);
  assertEquals([c.n, c.nDropped, c.aGreater, c.bGreater, c.equal], [4, 1, 2, 1, 1]);
  assertAlmostEquals(c.meanDifference!, (0.05 + 0 - 0.05 + 0.1) / 4, 1e-12);
  assertAlmostEquals(c.medianDifference!, 0.025, 1e-12);
  assertEquals(c.wilcoxon!.nZero, 1);
  const empty = comparePaired([null], [0.3]);
  assertEquals([empty.n, empty.wilcoxon, empty.meanDifference], [0, null, null]);
  assertThrows(() => comparePaired([1, 2], [1]), Error, "pair them by image");
});
