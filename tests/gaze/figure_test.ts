import { assert, assertEquals, assertThrows } from "../assert.ts";
import { GAZE_FIGURE_COLUMNS, gazeFigure, heatmapOverlay, jetColor } from "../../lib/gaze/mod.ts";

function rowOf(id: string, withMask: boolean) {
  const W = 300, H = 200, n = W * H;
  const heat = new Float32Array(n), crf = new Float32Array(n), img = new Uint8Array(3 * n).fill(90);
  for (let i = 0; i < n; i++) {
    const x = i % W, y = Math.floor(i / W);
    heat[i] = Math.exp(-((x - 150) ** 2 + (y - 100) ** 2) / 5000);
    crf[i] = heat[i] > 0.4 ? 0.9 : 0.1;
  }
  const mask = withMask
    ? { width: W, height: H, channels: 1, data: Uint8Array.from(crf, (v) => (v > 0.5 ? 1 : 0)) }
    : null;
  return {
    id,
    image: { width: W, height: H, channels: 3, data: img },
    mask,
    heatmap: { width: W, height: H, channels: 1, data: heat },
    crf: { width: W, height: H, channels: 1, data: crf },
  };
}

Deno.test("figure: one row per id, five image panels, each on its own axes, downscaled PNG data URLs", () => {
  const fig = gazeFigure([rowOf("a", true), rowOf("b", false)], { title: "gaze", panelSize: 64 });
  assertEquals(fig.data.length, 5 + 4);
  for (const t of fig.data) {
    assertEquals(t.type, "image");
    assert(String(t.source).startsWith("data:image/png;base64,"));
  }
  const axes = new Set(fig.data.map((t) => t.xaxis));
  assertEquals(axes.size, fig.data.length);
  // row a occupies the top half; panel 3 (heatmap overlay) is in the middle column
  const x3 = fig.layout.xaxis3 as { domain: number[] }, y3 = fig.layout.yaxis3 as { domain: number[] };
  assert(x3.domain[0] > 0.4 && x3.domain[1] < 0.6 && y3.domain[0] > 0.5, JSON.stringify([x3, y3]));
  const titles = (fig.layout.annotations as { text: string }[]).map((a) => a.text);
  for (const c of GAZE_FIGURE_COLUMNS) assert(titles.includes(c));
  assert(JSON.stringify(fig).length < 200_000, "panels are downscaled");
  assertThrows(() => gazeFigure([]), Error, "no rows");
});

Deno.test("figure: jet colours and the overlay blend", () => {
  assertEquals(jetColor(0), [0, 0, 128]);
  assertEquals(jetColor(1), [128, 0, 0]);
  assertEquals(jetColor(0.5), [128, 255, 128]);
  const over = heatmapOverlay(
    { width: 1, height: 1, channels: 3, data: new Uint8Array([100, 100, 100]) },
    { width: 1, height: 1, channels: 1, data: new Float32Array([1]) },
    { alpha: 0.5 },
  );
  assertEquals(Array.from(over.data), [114, 50, 50]);
});
