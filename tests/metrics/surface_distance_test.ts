import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import { Rng } from "../../lib/core/rng.ts";
import {
  asd,
  assd,
  directedSurfaceDistances,
  hd95,
  type Mask,
  percentile,
  scoreMask,
  surfaceDistances,
} from "../../lib/metrics/mod.ts";
import { art, rect } from "./mask_art.ts";

// ---- an independent brute-force reference (definition-level, O(n*m)) ----

function bruteSurface(m: Mask, conn: 1 | 2): [number, number][] {
  const at = (x: number, y: number) => x >= 0 && y >= 0 && x < m.width && y < m.height && m.data[y * m.width + x] !== 0;
  const nb = conn === 1
    ? [[1, 0], [-1, 0], [0, 1], [0, -1]]
    : [[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1], [1, -1], [-1, 1], [-1, -1]];
  const out: [number, number][] = [];
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      if (at(x, y) && nb.some(([dx, dy]) => !at(x + dx, y + dy))) out.push([x, y]);
    }
  }
  return out;
}

function bruteDirected(a: Mask, b: Mask, conn: 1 | 2, sy: number, sx: number): number[] {
  const sb = bruteSurface(b, conn);
  return bruteSurface(a, conn).map(([x, y]) =>
    Math.min(...sb.map(([u, v]) => Math.sqrt(((x - u) * sx) ** 2 + ((y - v) * sy) ** 2)))
  );
}

/** numpy.percentile(values, q) written out plainly (linear between closest ranks). */
function npPercentile(values: number[], q: number): number {
  const s = [...values].sort((p, r) => p - r);
  const h = (s.length - 1) * q / 100, lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}

const avg = (v: number[]) => v.reduce((p, r) => p + r, 0) / v.length;

// ---- hand-worked cases ----

Deno.test("hd95/asd/assd: a 4x4 square against the same square shifted two columns", () => {
  // P occupies columns 2..5, G columns 4..7 (rows 2..5). P's surface distances to G's surface:
  // left column (4 px) 2; (3,2),(3,5) 1; (4|5, 2|5) 0 (on G's top/bottom rows); (5,3),(5,4) 1 -> mean 12/12 = 1.
  // By symmetry G -> P is the same multiset: 8 zeros, 8 ones, 8 twos in the union; 95th percentile = 2.
  const p = rect(10, 8, 2, 2, 6, 6), g = rect(10, 8, 4, 2, 8, 6);
  assertEquals([...directedSurfaceDistances(p, g)].sort(), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  assertEquals(hd95(p, g), 2);
  assertEquals(asd(p, g), 1);
  assertEquals(assd(p, g), 1);
  // columns 0.5 mm apart, rows 1 mm: horizontal distances halve -> mean (4*1 + 2*0.5 + 2*0.5) / 12 = 0.5
  assertEquals(asd(p, g, { spacing: [1, 0.5] }), 0.5);
  assertEquals(hd95(p, g, { spacing: [1, 0.5] }), 1);
});

Deno.test("hd95/asd: one-pixel objects are their own surfaces (3-4-5 triangle, anisotropic)", () => {
  const p = rect(8, 8, 1, 1, 2, 2), g = rect(8, 8, 4, 5, 5, 6); // dx = 3, dy = 4
  assertEquals(hd95(p, g), 5);
  assertEquals(asd(p, g), 5);
  assertEquals(assd(p, g), 5);
  assertAlmostEquals(hd95(p, g, { spacing: [2, 1] })!, Math.sqrt(9 + 64), 1e-12); // rows 2 mm apart
});

Deno.test("hd95/asd/assd: a filled square against the ring with the same outline", () => {
  const filled = art([
    ".........",
    ".#######.",
    ".#######.",
    ".#######.",
    ".#######.",
    ".#######.",
    ".#######.",
    ".#######.",
    ".........",
  ]);
  const ring = art([
    ".........",
    ".#######.",
    ".#######.",
    ".##...##.",
    ".##...##.",
    ".##...##.",
    ".#######.",
    ".#######.",
    ".........",
  ]);
  // filled -> ring: its 24 outline pixels lie on the ring's outer boundary: all 0 -> ASD 0.
  // ring -> filled: 24 outline pixels at 0, the 12 inner-boundary pixels 1 from the outline.
  // union: 48 zeros + 12 ones, 95th percentile at position 56.05 -> 1. ASSD = (0 + 12/36) / 2.
  assertEquals(asd(filled, ring), 0);
  assertEquals(asd(ring, filled), 12 / 36);
  assertEquals(hd95(filled, ring), 1);
  assertAlmostEquals(assd(filled, ring)!, 1 / 6, 1e-15);
  // 8-connectivity: the inner boundary has 16 pixels (its corners too), each 1 from the outline
  assertEquals(asd(ring, filled, { connectivity: 2 }), 16 / 40);
});

Deno.test("hd95/asd: empty masks follow the documented policy, never NaN or a crash", () => {
  const g = rect(6, 8, 1, 1, 3, 3), e = rect(6, 8, 0, 0, 0, 0);
  for (const [p, q] of [[e, g], [g, e], [e, e]]) {
    assertEquals(hd95(p, q), null);
    assertEquals(asd(p, q), null);
    assertEquals(assd(p, q), null);
    assertEquals(surfaceDistances(p, q), null);
  }
  // the "diagonal" penalty: image diagonal in spacing units when one is empty, 0 when both are
  assertEquals(hd95(e, g, { empty: "diagonal" }), 10); // hypot(6, 8)
  assertEquals(asd(g, e, { empty: "diagonal", spacing: [0.5, 1] }), Math.hypot(6, 4));
  assertEquals(assd(e, e, { empty: "diagonal" }), 0);
  const s = scoreMask(e, g);
  assertEquals([s.dice, s.iou, s.hd95, s.asd, s.assd, s.predEmpty, s.gtEmpty], [0, 0, null, null, null, true, false]);
  assertThrows(() => directedSurfaceDistances(e, g), Error, "empty");
  assertThrows(() => hd95(g, g, { empty: "zero" as "null" }), Error, "policy");
});

Deno.test("hd95/asd/assd: agree with a brute-force surface-distance reference on random masks", () => {
  const rng = new Rng(5);
  for (let k = 0; k < 30; k++) {
    const W = rng.int(4, 28), H = rng.int(4, 28);
    const blob = (): Mask => {
      const data = new Uint8Array(W * H);
      const cx = rng.uniform(0, W), cy = rng.uniform(0, H), r = rng.uniform(1, 10);
      for (let y = 0; y < H; y++) {
        for (let x = 0; x < W; x++) {
          if ((x - cx) ** 2 + (y - cy) ** 2 < r * r || rng.next() < 0.04) data[y * W + x] = 1;
        }
      }
      data[rng.int(0, W * H - 1)] = 1;
      return { width: W, height: H, data };
    };
    const p = blob(), g = blob();
    const conn = (k % 2 ? 1 : 2) as 1 | 2;
    const sy = k % 3 ? 1 : rng.uniform(0.3, 2), sx = k % 3 ? 1 : rng.uniform(0.3, 2);
    const d1 = bruteDirected(p, g, conn, sy, sx), d2 = bruteDirected(g, p, conn, sy, sx);
    const opts = { connectivity: conn, spacing: [sy, sx] as [number, number] };
    const s = scoreMask(p, g, opts);
    assertAlmostEquals(s.hd95!, npPercentile([...d1, ...d2], 95), 1e-9, `hd95 case ${k}`);
    assertAlmostEquals(s.asd!, avg(d1), 1e-9, `asd case ${k}`);
    assertAlmostEquals(s.assd!, (avg(d1) + avg(d2)) / 2, 1e-9, `assd case ${k}`);
    assertEquals(s.unit, "mm");
    assertAlmostEquals(hd95(p, g, opts)!, s.hd95!, 0);
  }
});

Deno.test("percentile: numpy's linear rule on hand-worked values", () => {
  assertAlmostEquals(percentile([1, 2, 3, 4], 95), 3.85, 1e-12); // position 2.85
  assertEquals(percentile([4, 1, 3, 2], 50), 2.5);
  assertEquals(percentile([7], 95), 7);
  assertEquals(percentile([1, 2, 3], 100), 3);
  assertThrows(() => percentile([], 50), Error, "no values");
  assertThrows(() => percentile([1, NaN], 50), Error, "finite");
  assert(percentile([0, 10], 0) === 0);
});
