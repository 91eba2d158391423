import { assertEquals, assertThrows } from "../assert.ts";
import { surfacePixels } from "../../lib/metrics/mod.ts";
import { art, toArt } from "./mask_art.ts";

Deno.test("surface: a filled square keeps its border ring (both connectivities)", () => {
  const m = art([
    ".......",
    ".#####.",
    ".#####.",
    ".#####.",
    ".#####.",
    ".#####.",
    ".......",
  ]);
  const ring = [
    ".......",
    ".#####.",
    ".#...#.",
    ".#...#.",
    ".#...#.",
    ".#####.",
    ".......",
  ];
  assertEquals(toArt(7, surfacePixels(m, { connectivity: 1 })), ring);
  assertEquals(toArt(7, surfacePixels(m, { connectivity: 2 })), ring);
});

Deno.test("surface: a diamond differs between 4- and 8-neighbourhood erosion", () => {
  const m = art([
    "...#...",
    "..###..",
    ".#####.",
    "..###..",
    "...#...",
  ]);
  // connectivity 1: interior = pixels whose 4 edge neighbours are all inside (|dx|+|dy| <= 1)
  assertEquals(toArt(7, surfacePixels(m)), [
    "...#...",
    "..#.#..",
    ".#...#.",
    "..#.#..",
    "...#...",
  ]);
  // connectivity 2: only the centre has all 8 neighbours inside
  assertEquals(toArt(7, surfacePixels(m, { connectivity: 2 })), [
    "...#...",
    "..###..",
    ".##.##.",
    "..###..",
    "...#...",
  ]);
});

Deno.test("surface: a thick ring has inner and outer boundaries; 36 vs 40 pixels", () => {
  const m = art([
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
  const s1 = surfacePixels(m, { connectivity: 1 }), s2 = surfacePixels(m, { connectivity: 2 });
  assertEquals(s1.reduce((a, b) => a + b, 0), 36); // 24 outer + 12 (the 5x5 inner ring without its corners)
  assertEquals(s2.reduce((a, b) => a + b, 0), 40); // every ring pixel touches background diagonally
  // row 2: the outer column pixels, and the three pixels above the hole; (2,2) and (6,2) are interior
  assertEquals(toArt(9, s1)[2], ".#.###.#.");
  assertEquals(toArt(9, s2)[2], ".#######.");
});

Deno.test("surface: pixels outside the image are background; one pixel is its own surface; empty stays empty", () => {
  const full = art(["###", "###", "###"]);
  assertEquals(toArt(3, surfacePixels(full)), ["###", "#.#", "###"]);
  assertEquals(toArt(3, surfacePixels(art(["...", ".#.", "..."]))), ["...", ".#.", "..."]);
  assertEquals(toArt(3, surfacePixels(art(["...", "...", "..."]))), ["...", "...", "..."]);
  assertThrows(() => surfacePixels(full, { connectivity: 3 as 1 }), Error, "connectivity must be 1 or 2");
});
