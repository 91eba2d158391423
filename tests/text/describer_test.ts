import { assert, assertEquals, assertThrows } from "../assert.ts";
import type { Raster } from "../../lib/data/raster.ts";
import { describeFromGaze, descriptionIssues, type GazeRasters } from "../../lib/text/mod.ts";

const W = 120, H = 90;

interface Disc {
  cx: number;
  cy: number;
  r: number;
}

/** An RGB scene: flat background, a flat disc (optionally with a checkerboard texture and a blurred edge). */
function scene(
  disc: Disc,
  options: { bg?: number[]; fg?: number[]; texture?: number; blur?: number } = {},
): Raster<Uint8Array> {
  const bg = options.bg ?? [120, 120, 120], fg = options.fg ?? [230, 120, 110];
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const d = Math.hypot(x + 0.5 - disc.cx, y + 0.5 - disc.cy);
      // share of foreground: a hard step, or a linear ramp of width `blur` px
      const a = options.blur ? Math.min(1, Math.max(0, (disc.r - d) / options.blur + 0.5)) : (d <= disc.r ? 1 : 0);
      const t = options.texture && a > 0 ? ((x >> 1) + (y >> 1)) % 2 ? options.texture : -options.texture : 0;
      for (let c = 0; c < 3; c++) {
        data[(y * W + x) * 3 + c] = Math.round(Math.min(255, Math.max(0, (1 - a) * bg[c] + a * (fg[c] + t))));
      }
    }
  }
  return { width: W, height: H, channels: 3, data };
}

/** Gaze maps: Gaussian heat blobs (max-normalised) and a CRF map that is 0.9 inside the disc, 0.05 outside. */
function gaze(blobs: { x: number; y: number; s: number }[], crfDisc?: Disc): GazeRasters {
  const heat = new Float32Array(W * H), crf = new Float32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let h = 0;
      for (const b of blobs) h += Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (2 * b.s * b.s));
      heat[y * W + x] = h;
      if (crfDisc) crf[y * W + x] = Math.hypot(x + 0.5 - crfDisc.cx, y + 0.5 - crfDisc.cy) <= crfDisc.r ? 0.9 : 0.05;
    }
  }
  const max = Math.max(...heat);
  if (max > 0) { for (let i = 0; i < heat.length; i++) heat[i] /= max; }
  return {
    heatmap: { width: W, height: H, channels: 1, data: heat },
    crf: { width: W, height: H, channels: 1, data: crf },
  };
}

const discA: Disc = { cx: 30, cy: 22, r: 14 };

Deno.test("describer: signature is (image, gaze, options) with no mask", () => {
  assertEquals(describeFromGaze.length, 3);
  const params = describeFromGaze.toString().slice(0, describeFromGaze.toString().indexOf(")"));
  assert(!/mask/i.test(params), params);
});

Deno.test("describer: hand-worked disc in the upper left: location, area, colour, sharp edge, high confidence", () => {
  const out = describeFromGaze(scene(discA), gaze([{ x: 30, y: 22, s: 9 }], discA), { kind: "polyp" });
  assertEquals(out.source, "offline-describer");
  assertEquals(descriptionIssues(out.description, "polyp"), []);
  const d = out.description;
  assertEquals(d.Location, "upper left"); // centroid (30, 22) of 120 x 90: column 0, row 0
  // pixel-count area of a radius-14 disc: about pi * 14^2 = 616 of 10800 px = 5.7 % -> "5-15%"
  assert(Math.abs(out.features.areaShare - Math.PI * 14 * 14 / (W * H)) < 0.003, String(out.features.areaShare));
  assertEquals(d["Area Percentage"], "5-15%");
  // fg (230,120,110) vs bg grey 120: red chromaticity 0.50 vs 0.33, luminance 151.7 vs 120
  assert(Math.abs(out.features.rednessDiff - (230 / 460 - 1 / 3)) < 1e-3, String(out.features.rednessDiff));
  assert(Math.abs(out.features.luminanceDiff - (0.299 * 230 + 0.587 * 120 + 0.114 * 110 - 120)) < 0.5);
  assertEquals(d.Characteristics, ["reddish", "brighter than surrounding mucosa", "smooth surface"]);
  assertEquals(d.Boundary, "well-defined");
  assertEquals(out.features.gazeClusters, 1);
  assertEquals(d.Confidence, "high");
  assertEquals(d.Remarks, ["none"]);
});

Deno.test("describer: deterministic (same inputs, fresh copies -> identical output)", () => {
  const a = describeFromGaze(scene(discA, { texture: 30 }), gaze([{ x: 30, y: 22, s: 9 }], discA), { kind: "polyp" });
  const b = describeFromGaze(scene(discA, { texture: 30 }), gaze([{ x: 30, y: 22, s: 9 }], discA), { kind: "polyp" });
  assertEquals(a, b);
});

Deno.test("describer: each grid cell is reached by a disc centred there", () => {
  const cells = [
    ["upper left", 20, 15],
    ["upper center", 60, 15],
    ["upper right", 100, 15],
    ["middle left", 20, 45],
    ["center", 60, 45],
    ["middle right", 100, 45],
    ["lower left", 20, 75],
    ["lower center", 60, 75],
    ["lower right", 100, 75],
  ] as const;
  for (const [cell, x, y] of cells) {
    const disc = { cx: x, cy: y, r: 8 };
    const out = describeFromGaze(scene(disc), gaze([{ x, y, s: 6 }], disc), { kind: "polyp" });
    assertEquals(out.description.Location, cell);
  }
});

Deno.test("describer: a blurred edge is less sharp than a hard edge; texture is detected", () => {
  const g = gaze([{ x: 60, y: 45, s: 12 }], { cx: 60, cy: 45, r: 20 });
  const disc = { cx: 60, cy: 45, r: 20 };
  const sharp = describeFromGaze(scene(disc), g, { kind: "polyp" });
  const blurred = describeFromGaze(scene(disc, { blur: 12 }), g, { kind: "polyp" });
  assert(
    blurred.features.boundarySharpness < sharp.features.boundarySharpness,
    `${blurred.features.boundarySharpness} vs ${sharp.features.boundarySharpness}`,
  );
  const rough = describeFromGaze(scene(disc, { texture: 40 }), g, { kind: "polyp" });
  assert(rough.features.textureRatio > 1.25, String(rough.features.textureRatio));
  assert(rough.description.Characteristics.includes("textured surface"));
  assert(sharp.description.Characteristics.includes("smooth surface"));
});

Deno.test("describer: two distant gaze clusters are remarked and lower the confidence", () => {
  const out = describeFromGaze(
    scene(discA),
    gaze([{ x: 30, y: 22, s: 6 }, { x: 95, y: 70, s: 6 }], discA),
    { kind: "polyp" },
  );
  assertEquals(out.features.gazeClusters, 2);
  assert(out.description.Remarks.includes("several gaze clusters"));
  assert(out.description.Confidence !== "high");
});

Deno.test("describer: a region at the image edge is remarked", () => {
  const disc = { cx: 5, cy: 45, r: 12 };
  const out = describeFromGaze(scene(disc), gaze([{ x: 5, y: 45, s: 8 }], disc), { kind: "polyp" });
  assert(out.features.touchesBorder);
  assert(out.description.Remarks.includes("touches image border"));
});

Deno.test("describer: empty CRF falls back to the heatmap; no gaze at all gives a low-confidence centre", () => {
  const g = gaze([{ x: 90, y: 70, s: 8 }]); // CRF all zero
  const out = describeFromGaze(scene(discA), g, { kind: "polyp" });
  assertEquals(out.features.regionFrom, "heatmap");
  assertEquals(out.description.Location, "lower right");
  assertEquals(out.description.Confidence, "low");
  assertEquals(out.description["Area Percentage"], "<5%");

  const none = describeFromGaze(scene(discA), gaze([]), { kind: "polyp" });
  assertEquals(none.features.regionFrom, "none");
  assertEquals(none.description.Location, "center");
  assertEquals(none.description.Confidence, "low");
  assertEquals(descriptionIssues(none.description, "polyp"), []);
});

Deno.test("describer: uint8 maps are read as value/255 and give the same description as float maps", () => {
  const g = gaze([{ x: 30, y: 22, s: 9 }], discA);
  const q = (r: Raster) => ({ ...r, data: Uint8Array.from(r.data, (v) => Math.round(v * 255)) });
  const qf = (r: Raster) => ({ ...r, data: Float32Array.from(r.data, (v) => Math.round(v * 255) / 255) });
  const a = describeFromGaze(scene(discA), { heatmap: q(g.heatmap), crf: q(g.crf) }, { kind: "polyp" });
  const b = describeFromGaze(scene(discA), { heatmap: qf(g.heatmap), crf: qf(g.crf) }, { kind: "polyp" });
  assertEquals(a.description, b.description);
  assertEquals(a.features.areaShare, b.features.areaShare);
});

Deno.test("describer: maps of another size are resized to the image", () => {
  const small = gaze([{ x: 30, y: 22, s: 9 }], discA);
  // half-size maps of the same scene
  const half = (r: Raster): Raster => {
    const w = W / 2, h = H / 2, out = new Float32Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[y * w + x] = r.data[(2 * y) * W + 2 * x];
    return { width: w, height: h, channels: 1, data: out };
  };
  const out = describeFromGaze(scene(discA), { heatmap: half(small.heatmap), crf: half(small.crf) }, { kind: "polyp" });
  assertEquals(out.description.Location, "upper left");
  assertEquals(out.description["Area Percentage"], "5-15%");
});

Deno.test("describer: MRI-like 1-channel int16 slice with a dark gland is hypointense; skin lesion terms", () => {
  const data = new Int16Array(W * H).fill(900);
  const disc = { cx: 60, cy: 45, r: 18 };
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) if (Math.hypot(x + 0.5 - 60, y + 0.5 - 45) <= 18) data[y * W + x] = 300;
  }
  data[0] = 0; // some air so min-max scaling has a floor
  const g = gaze([{ x: 60, y: 45, s: 12 }], disc);
  const out = describeFromGaze({ width: W, height: H, channels: 1, data }, g, { kind: "prostate" });
  assertEquals(descriptionIssues(out.description, "prostate"), []);
  assertEquals(out.description.Characteristics[0], "hypointense");
  assertEquals(out.description.Location, "center");

  const skin = describeFromGaze(scene(disc, { bg: [200, 170, 150], fg: [90, 60, 40] }), g, { kind: "skin lesion" });
  assertEquals(descriptionIssues(skin.description, "skin lesion"), []);
  assert(
    skin.description.Characteristics.includes("darker than surrounding skin"),
    String(skin.description.Characteristics),
  );
  assert(skin.description.Characteristics.includes("dark brown"), String(skin.description.Characteristics));
});

Deno.test("describer: bad inputs name the map and the problem", () => {
  const g = gaze([{ x: 30, y: 22, s: 9 }], discA);
  assertThrows(
    () => describeFromGaze(scene(discA), { ...g, heatmap: { ...g.heatmap, channels: 3 } }, { kind: "polyp" }),
    Error,
    "gaze.heatmap must have 1 channel",
  );
  const bad = Float32Array.from(g.crf.data);
  bad[7] = 1.5;
  assertThrows(
    () => describeFromGaze(scene(discA), { ...g, crf: { ...g.crf, data: bad } }, { kind: "polyp" }),
    Error,
    "gaze.crf value 1.5 at index 7",
  );
});
