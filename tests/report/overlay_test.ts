import { assert, assertEquals, assertThrows } from "../assert.ts";
import { pickCases } from "../../lib/report/cases.ts";
import { imageGridFigure } from "../../lib/report/image_grid.ts";
import { fitSize, overlayHeatmap, overlayMask, shrink, toDisplayRgb, turbo } from "../../lib/report/overlay.ts";
import {
  dedupeByIteration,
  movingAverage,
  parseLogJsonl,
  trainingCurvesFigure,
} from "../../lib/report/training_curves.ts";
import { annotationCostFigure } from "../../lib/report/annotation_cost_figure.ts";
import { diceDistributionFigure } from "../../lib/report/dice_distribution.ts";
import { checkFigure } from "../../lib/report/figure.ts";

const grey = (w: number, h: number, v: number) => ({
  width: w,
  height: h,
  channels: 3,
  data: new Uint8Array(w * h * 3).fill(v),
});

Deno.test("toDisplayRgb: RGB copied, one channel min-max scaled to grey", () => {
  assertEquals(toDisplayRgb(grey(1, 1, 7)).data, new Uint8Array([7, 7, 7]));
  const mri = { width: 3, height: 1, channels: 1, data: new Float32Array([-10, 0, 10]) };
  assertEquals([...toDisplayRgb(mri).data], [0, 0, 0, 128, 128, 128, 255, 255, 255]);
  assertEquals([...toDisplayRgb({ width: 1, height: 1, channels: 1, data: new Float32Array([5]) }).data], [0, 0, 0]);
});

Deno.test("overlayMask: interior blended at alpha, 4-neighbour boundary opaque, outside untouched", () => {
  // 4x4 image, mask = 3x3 block at the top-left: its centre (1,1) is the only interior pixel.
  const mask = { width: 4, height: 4, data: new Uint8Array([1, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0]) };
  const out = overlayMask(grey(4, 4, 100), mask, { color: [200, 0, 0], alpha: 0.5 });
  const px = (x: number, y: number) => [...out.data.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3)];
  assertEquals(px(1, 1), [150, 50, 50]);
  assertEquals(px(0, 0), [200, 0, 0]);
  assertEquals(px(2, 1), [200, 0, 0]);
  assertEquals(px(3, 3), [100, 100, 100]);
  assertThrows(() => overlayMask(grey(2, 2, 0), mask), Error, "does not match the image 2x2");
});

Deno.test("overlayHeatmap: zero heat leaves the image, full heat blends turbo(1) at alpha", () => {
  const map = { width: 2, height: 1, channels: 1, data: new Float32Array([0, 1]) };
  const out = overlayHeatmap(grey(2, 1, 0), map, { alpha: 1 });
  assertEquals([...out.data.subarray(0, 3)], [0, 0, 0]);
  assertEquals([...out.data.subarray(3, 6)], [...turbo(1)]);
  const u8 = { width: 2, height: 1, channels: 1, data: new Uint8Array([0, 255]) };
  assertEquals(overlayHeatmap(grey(2, 1, 0), u8, { alpha: 1 }).data, out.data, "8-bit maps are read as v/255");
});

Deno.test("turbo runs dark blue -> red; fitSize and shrink keep the aspect ratio and never upscale", () => {
  // Turbo's polynomial gives (35, 23, 27) at 0 (Google's published approximation); blue dominates soon after.
  assertEquals([...turbo(0)], [35, 23, 27]);
  const [r0, , b0] = turbo(0.15), [r1, , b1] = turbo(0.95);
  assert(b0 > 2 * r0 && r1 > 2 * b1, `${turbo(0.15)} ${turbo(0.95)}`);
  assertEquals(fitSize({ width: 1000, height: 500 }, 200), { width: 200, height: 100 });
  assertEquals(fitSize({ width: 50, height: 20 }, 200), { width: 50, height: 20 });
  const s = shrink(grey(8, 4, 9), 4);
  assertEquals([s.width, s.height, s.data.length, s.data[0]], [4, 2, 24, 9]);
  const m = shrink({ width: 4, height: 4, channels: 1, data: new Uint8Array(16).fill(1) }, 2, { mask: true });
  assertEquals([...m.data], [1, 1, 1, 1]);
});

Deno.test("pickCases: best, median (lower middle) and worst, ties by id", () => {
  const c = pickCases([
    { id: "d", value: 0.5 },
    { id: "a", value: 0.9 },
    { id: "c", value: 0.5 },
    { id: "b", value: 0.1 },
  ]);
  assertEquals(c.map((x) => [x.label, x.id]), [["best", "a"], ["median", "c"], ["worst", "b"]]);
  assertEquals(pickCases([{ id: "x", value: 1 }]).map((x) => x.id), ["x", "x", "x"]);
  assertThrows(() => pickCases([]), Error, "no images");
});

Deno.test("imageGridFigure: one image trace per panel on its own hidden axes, titles and row labels", () => {
  const p = { image: grey(4, 2, 50), title: "t" };
  const fig = checkFigure(imageGridFigure([[p, p, p], [p]], { title: "T", rowLabels: ["r1", "r2"] }));
  assertEquals(fig.data.length, 4);
  assertEquals(fig.data.map((d) => d.xaxis), ["x", "x2", "x3", "x4"]);
  assert(String(fig.data[0].source).startsWith("data:image/png;base64,"));
  const ann = (fig.layout!.annotations as { text: string }[]).map((a) => a.text);
  assertEquals(ann.filter((t) => t === "t").length, 4);
  assert(ann.includes("r1") && ann.includes("r2") && ann.includes("<b>T</b>"));
  // a 4x2 image is centred in a 4x4 cell
  assertEquals([fig.data[0].x0, fig.data[0].y0], [0, 1]);
  assertThrows(() => imageGridFigure([[]]), Error, "no panels");
});

Deno.test("training curves: log parsing, moving average, resumed iterations keep the later record", () => {
  assertEquals(movingAverage([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5]);
  assertEquals(movingAverage([4], 3), [4]);
  const recs = parseLogJsonl(
    [
      '{"type":"step","iteration":1,"losses":{"total":4}}',
      '{"type":"step","iteration":2,"losses":{"total":3}}',
      '{"type":"eval","iteration":2,"metrics":{"dice":0.5}}',
      '{"type":"session","event":"resume","iteration":1}',
      '{"type":"step","iteration":2,"losses":{"total":2}}',
      "",
    ].join("\n"),
    "log.jsonl",
  );
  assertEquals(
    dedupeByIteration(recs.filter((r) => r.type === "step")).map((r) =>
      (r as unknown as { losses: { total: number } }).losses.total
    ),
    [4, 2],
  );
  const fig = trainingCurvesFigure([{ label: "m", records: recs }], { window: 1 });
  assertEquals(fig.data[0].y, [4, 2]);
  assertEquals(fig.data[1].y, [50]);
  assertThrows(() => parseLogJsonl("{}\nnope", "l.jsonl"), Error, "l.jsonl: line 2");
});

Deno.test("distribution and annotation-cost figures carry the given values (Dice in %)", () => {
  const d = diceDistributionFigure([{ label: "A", values: [0.5, null, 0.25] }]);
  assertEquals(d.data[0].y, [50, 25]);
  const a = annotationCostFigure([
    { label: "full", hours: 18.7, dice: 0.9, std: 0.1 },
    { label: "g1", hours: 2.2, dice: 0.7, std: null, published: 77.8 },
    { label: "g2", hours: 2.2, dice: 0.8, std: 0.05 },
  ]);
  assertEquals(a.data.length, 4);
  assertEquals(a.data[0].x, [18.7]);
  const gx = [(a.data[1].x as number[])[0], (a.data[2].x as number[])[0]];
  assert(gx[0] < 2.2 && gx[1] > 2.2 && Math.abs(gx[0] + gx[1] - 4.4) < 1e-9, `spread around 2.2: ${gx}`);
  assertEquals(a.data[3].y, [77.8]);
});
