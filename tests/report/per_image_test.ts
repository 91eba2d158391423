import { assert, assertAlmostEquals, assertEquals, assertThrows } from "../assert.ts";
import {
  aggregateMetric,
  comparePerImage,
  parsePerImageCsv,
  type PerImageRow,
  seedAveraged,
} from "../../lib/report/per_image.ts";

const rows = (dice: number[], hd95: (number | null)[] = dice.map(() => 1), prefix = "im"): PerImageRow[] =>
  dice.map((d, i) => ({ id: `${prefix}${i}`, dice: d, iou: d / (2 - d), hd95: hd95[i], asd: hd95[i], assd: hd95[i] }));

Deno.test("parsePerImageCsv reads lib/metrics' evaluation CSV; empty distance cells are undefined", () => {
  const csv = "id,dice,iou,hd95,asd,assd,unit,pred_empty,gt_empty,width,height\n" +
    "a,0.5,0.3333333333,4.5,2,2.25,px,0,0,10,10\n" +
    "b,0,0,,,,px,1,0,10,10\n";
  assertEquals(parsePerImageCsv(csv, "x.csv"), [
    { id: "a", dice: 0.5, iou: 0.3333333333, hd95: 4.5, asd: 2, assd: 2.25 },
    { id: "b", dice: 0, iou: 0, hd95: null, asd: null, assd: null },
  ]);
});

Deno.test("parsePerImageCsv names the file, line and column of bad input", () => {
  assertThrows(() => parsePerImageCsv("id,dice,iou\na,1,1\n", "r.csv"), Error, "r.csv: missing column(s) hd95, asd");
  assertThrows(() => parsePerImageCsv("id,dice,iou,hd95,asd\na,,1,1,1\n", "r.csv"), Error, "line 2, column dice");
  assertThrows(() => parsePerImageCsv("id,dice,iou,hd95,asd\na,x,1,1,1\n", "r.csv"), Error, "'x' is not a finite");
  assertThrows(
    () => parsePerImageCsv("id,dice,iou,hd95,asd\na,1,1,1,1\na,1,1,1,1\n", "r.csv"),
    Error,
    "line 3: id 'a' appears twice",
  );
});

Deno.test("aggregateMetric, one seed: mean ± population std over images, undefined values counted", () => {
  const a = aggregateMetric([rows([0.8, 0.6, 0.7, 0.9])], "dice");
  assertAlmostEquals(a.mean!, 0.75, 1e-12);
  assertAlmostEquals(a.std!, Math.sqrt(0.0125), 1e-12); // deviations ±0.05, ±0.15
  assertEquals([a.seeds, a.images, a.nUndefined], [1, 4, 0]);
  const h = aggregateMetric([rows([1, 1, 1, 1], [10, null, 20, 30])], "hd95");
  assertEquals([h.mean, h.nUndefined], [20, 1]);
  assertAlmostEquals(h.std!, Math.sqrt(200 / 3), 1e-12);
});

Deno.test("aggregateMetric, several seeds: mean of the per-seed means ± their sample std", () => {
  const a = aggregateMetric([rows([0.8, 0.6, 0.7, 0.9]), rows([0.7, 0.5, 0.6, 0.8])], "dice");
  assertAlmostEquals(a.mean!, 0.7, 1e-12);
  assertAlmostEquals(a.std!, Math.sqrt(0.005), 1e-12); // means 0.75, 0.65; ddof 1
  assertEquals(a.perSeed.map((v) => +v!.toFixed(12)), [0.75, 0.65]);
});

Deno.test("seedAveraged aligns by id and is null where any seed is undefined", () => {
  const s0 = rows([0.2, 0.4], [1, null]), s1 = [...rows([0.6, 0.8], [3, 5])].reverse();
  const d = seedAveraged([s0, s1], "dice");
  assertEquals(d.ids, ["im0", "im1"]);
  assertAlmostEquals(d.values[0]!, 0.4, 1e-12);
  assertAlmostEquals(d.values[1]!, 0.6, 1e-12);
  assertEquals(seedAveraged([s0, s1], "hd95").values, [2, null]);
  assertThrows(() => seedAveraged([s0, rows([0.1], [1])], "dice"), Error, "different images");
});

Deno.test("comparePerImage: paired Wilcoxon on the same images (5 positive distinct differences: exact p = 2/32)", () => {
  const a = rows([0.8, 0.6, 0.7, 0.9, 0.5]);
  const b = rows([0.79, 0.58, 0.67, 0.86, 0.45]);
  const c = comparePerImage([a], [b], "dice");
  assertEquals([c.n, c.aGreater, c.bGreater], [5, 5, 0]);
  assertAlmostEquals(c.meanDifference!, 0.03, 1e-12);
  assertAlmostEquals(c.wilcoxon!.pValue, 2 / 32, 1e-12);
  assertThrows(
    () => comparePerImage([a], [rows([0.1, 0.2, 0.3, 0.4, 0.5], undefined, "x")], "dice"),
    Error,
    "only in A",
  );
  assert(comparePerImage([a], [a], "dice").wilcoxon!.pValue === 1);
});
