/**
 * Figure details users asked for: the training curves explain GazeMedSeg's negative total loss,
 * keep the legend clear of the axis titles and show every evaluation of every run (distinct open
 * markers); image grids drawn with a colour map carry a colour bar.
 */
import { assert, assertEquals } from "../assert.ts";
import { imageGridFigure } from "../../lib/report/image_grid.ts";
import { turbo, turboColorscale } from "../../lib/report/overlay.ts";
import { trainingCurvesFigure } from "../../lib/report/training_curves.ts";

/** Figure JSON as read back (plain objects). */
// deno-lint-ignore no-explicit-any
type Json = any;

const step = (iteration: number, losses: Record<string, number>) => ({ type: "step", iteration, losses });
const evalRec = (iteration: number, dice: number) => ({ type: "eval", iteration, metrics: { dice } });

Deno.test("training curves: every evaluation drawn with a run's own marker; GazeMedSeg's negative total explained", () => {
  const runs = [
    { label: "fullsup", records: [step(1, { total: 0.8 }), step(2, { total: 0.5 }), evalRec(2, 0), evalRec(4, 0.5)] },
    {
      label: "GazeMedSeg",
      records: [
        step(1, { total: -1.9, CONS: -1.2 }),
        step(2, { total: -5.3, CONS: -1.9 }),
        evalRec(2, 0),
        evalRec(4, 0),
      ],
    },
  ];
  const fig = trainingCurvesFigure(runs, { window: 1 });
  const evals = fig.data.filter((t) => t.xaxis === "x2");
  assertEquals(evals.map((t) => t.x), [[2, 4], [2, 4]]);
  const markers = evals.map((t) => (t.marker as { symbol: string; size: number }));
  assert(markers[0].symbol !== markers[1].symbol && markers[0].size !== markers[1].size, JSON.stringify(markers));
  const layout = fig.layout as Json;
  assertEquals(layout.annotations.length, 1);
  assert(layout.annotations[0].text.includes("CONS") && layout.annotations[0].text.includes("[−K, 0]"));
  // the legend starts below the annotation, which starts below the x-axis titles
  assert(layout.legend.y < layout.annotations[0].y && layout.annotations[0].y < 0, JSON.stringify(layout.legend));
  const plain = trainingCurvesFigure([runs[0]], { window: 1 }).layout as Json;
  assertEquals(plain.annotations, []);
  assert(plain.legend.y < 0 && plain.legend.yanchor === "top");
});

Deno.test("image grid: a colour bar with the turbo scale when asked for, none otherwise", () => {
  const cs = turboColorscale(3);
  assertEquals(cs.map((c) => c[0]), [0, 0.5, 1]);
  assertEquals(cs[2][1], "#" + turbo(1).map((v) => v.toString(16).padStart(2, "0")).join(""));
  const px = { width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(128) };
  const plain = imageGridFigure([[{ image: px }]]);
  assertEquals(plain.data.map((t) => t.type), ["image"]);
  const fig = imageGridFigure([[{ image: px }, { image: px }]], {
    colorbar: { colorscale: cs, title: "attention", tickvals: [0, 1], ticktext: ["low", "high"] },
  });
  assertEquals(fig.data.map((t) => t.type), ["image", "image", "heatmap"]);
  const bar = fig.data[2] as Json;
  assertEquals([bar.colorscale, bar.colorbar.title.text, bar.colorbar.ticktext], [cs, "attention", ["low", "high"]]);
  assert((fig.layout!.width as number) > (imageGridFigure([[{ image: px }, { image: px }]]).layout!.width as number));
  assert(bar.colorbar.x > 0.5 && bar.colorbar.x < 1, "the bar sits right of the panels");
});
