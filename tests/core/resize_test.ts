import { assertAlmostEquals, assertEquals } from "../assert.ts";
import { resize } from "../../lib/data/resize.ts";

const grey = (w: number, h: number, v: number[]) => ({ width: w, height: h, channels: 1, data: Float32Array.from(v) });

Deno.test("resize bilinear: half-pixel centres, as cv2.resize INTER_LINEAR", () => {
  // 2 -> 4: src x = (dst + 0.5) * 0.5 - 0.5 = -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped to last)
  const r = resize(grey(2, 1, [0, 1]), { width: 4, height: 1, mode: "bilinear" });
  [0, 0.25, 0.75, 1].forEach((v, i) => assertAlmostEquals(r.data[i], v, 1e-6));
  // 4 -> 2 averages neighbouring pairs
  const d = resize(grey(4, 1, [0, 2, 4, 6]), { width: 2, height: 1, mode: "bilinear" });
  assertAlmostEquals(d.data[0], 1, 1e-6);
  assertAlmostEquals(d.data[1], 5, 1e-6);
});

Deno.test("resize nearest: keeps type and picks floor(dst * src / dst)", () => {
  const src = { width: 3, height: 1, channels: 1, data: new Uint8Array([1, 2, 3]) };
  const r = resize(src, { width: 6, height: 2, mode: "nearest" });
  assertEquals(r.data instanceof Uint8Array, true);
  assertEquals([...r.data], [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
});

Deno.test("resize bicubic: constants kept, identity at equal size, Keys a=-0.75 weights", () => {
  const c = resize(grey(4, 4, new Array(16).fill(7)), { width: 9, height: 7, mode: "bicubic" });
  for (const v of c.data) assertAlmostEquals(v, 7, 1e-5);
  const vals = [3, 1, 4, 1, 5, 9, 2, 6];
  const same = resize(grey(8, 1, vals), { width: 8, height: 1, mode: "bicubic" });
  vals.forEach((v, i) => assertAlmostEquals(same.data[i], v, 1e-6));
  // 8 -> 16, output 5 samples src x = 5.5/2 - 0.5 = 2.25: taps at 1,2,3,4 with t = 0.25.
  // Keys kernel, a = -0.75: W(1.25) = a(1.25^3 - 5*1.25^2 + 8*1.25 - 4) = -0.75*0.140625 = -0.10546875,
  // W(0.25) = (a+2)0.25^3 - (a+3)0.25^2 + 1 = 0.01953125 - 0.140625 + 1 = 0.87890625,
  // W(0.75) = 1.25*0.421875 - 2.25*0.5625 + 1 = 0.26171875, W(1.75) = -0.75*(5.359375 - 15.3125 + 14 - 4) = -0.03515625
  const up = resize(grey(8, 1, vals), { width: 16, height: 1, mode: "bicubic" });
  const expect = -0.10546875 * 1 + 0.87890625 * 4 + 0.26171875 * 1 + -0.03515625 * 5;
  assertAlmostEquals(up.data[5], expect, 1e-5);
});

Deno.test("resize: multi-channel interleaving is kept", () => {
  const src = { width: 2, height: 1, channels: 2, data: Float32Array.from([0, 10, 1, 20]) };
  const r = resize(src, { width: 4, height: 1, mode: "bilinear" });
  assertEquals([...r.data].map((v) => +v.toFixed(3)), [0, 10, 0.25, 12.5, 0.75, 17.5, 1, 20]);
});
