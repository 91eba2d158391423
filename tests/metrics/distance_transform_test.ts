import { assertAllClose, assertEquals, assertThrows } from "../assert.ts";
import { Rng } from "../../lib/core/rng.ts";
import { distanceTransform } from "../../lib/metrics/mod.ts";
import type { Mask } from "../../lib/metrics/mod.ts";
import { art } from "./mask_art.ts";

/** Brute force: min over all seeds of the Euclidean distance in spacing units. */
function bruteForce(m: Mask, sy: number, sx: number): Float64Array {
  const seeds: [number, number][] = [];
  for (let y = 0; y < m.height; y++) for (let x = 0; x < m.width; x++) if (m.data[y * m.width + x]) seeds.push([x, y]);
  const out = new Float64Array(m.width * m.height);
  for (let y = 0; y < m.height; y++) {
    for (let x = 0; x < m.width; x++) {
      let best = Infinity;
      for (const [a, b] of seeds) best = Math.min(best, Math.hypot((x - a) * sx, (y - b) * sy));
      out[y * m.width + x] = best;
    }
  }
  return out;
}

function randomMask(rng: Rng, density: number): Mask {
  const width = rng.int(1, 40), height = rng.int(1, 40);
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) data[i] = rng.next() < density ? 1 : 0;
  data[rng.int(0, data.length - 1)] = 1; // at least one seed
  return { width, height, data };
}

Deno.test("distance transform: hand-worked values (a single seed, a knight's move, a line)", () => {
  const d = distanceTransform(art([
    "#....",
    ".....",
    ".....",
  ]));
  assertAllClose(d, [
    0,
    1,
    2,
    3,
    4,
    1,
    Math.SQRT2,
    Math.sqrt(5),
    Math.sqrt(10),
    Math.sqrt(17),
    2,
    Math.sqrt(5),
    Math.sqrt(8),
    Math.sqrt(13),
    Math.sqrt(20),
  ], 1e-12);
  // two seeds: each pixel takes the nearer one
  const line = distanceTransform(art(["#...#..."]));
  assertEquals([...line], [0, 1, 2, 1, 0, 1, 2, 3]);
});

Deno.test("distance transform: equals brute force on random masks (unit spacing, exact squared integers)", () => {
  const rng = new Rng(11);
  for (let k = 0; k < 40; k++) {
    const m = randomMask(rng, [0.01, 0.05, 0.3, 0.9][k % 4]);
    const sq = distanceTransform(m, { squared: true });
    const ref = bruteForce(m, 1, 1).map((v) => v * v);
    assertEquals([...sq], [...ref].map((v) => Math.round(v)), `case ${k} (${m.width}x${m.height})`);
  }
});

Deno.test("distance transform: equals brute force with anisotropic spacing", () => {
  const rng = new Rng(12);
  for (let k = 0; k < 40; k++) {
    const m = randomMask(rng, [0.01, 0.05, 0.3][k % 3]);
    const sy = rng.uniform(0.2, 3), sx = rng.uniform(0.2, 3);
    assertAllClose(distanceTransform(m, { spacing: [sy, sx] }), bruteForce(m, sy, sx), 1e-9, `case ${k}`);
  }
  // spacing is [row, column]: rows 2 mm apart, columns 0.5 mm apart
  const d = distanceTransform(art(["#..", "...", "..."]), { spacing: [2, 0.5] });
  assertAllClose([d[1], d[3], d[8]], [0.5, 2, Math.hypot(4, 1)], 1e-12);
});

Deno.test("distance transform: no seed gives Infinity everywhere; bad spacing is an error", () => {
  const d = distanceTransform(art(["...", "..."]));
  assertEquals([...d].every((v) => v === Infinity), true);
  assertThrows(() => distanceTransform(art(["#"]), { spacing: [0, 1] }), Error, "spacing must be two positive");
});
