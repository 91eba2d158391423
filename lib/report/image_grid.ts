/**
 * A grid of image panels as ONE Plotly figure (image traces with PNG data URLs, one
 * pair of hidden axes per panel, titles as annotations), so qualitative and
 * interpretability figures export to HTML/PNG/SVG and show in notebooks like every
 * other figure.
 *
 * @module
 */
import { pngDataUrl } from "../data/png.ts";
import type { Raster } from "../data/raster.ts";
import type { PlotlyFigure } from "./figure.ts";

/** One panel: an RGB image and its caption. */
export interface ImagePanel {
  /** 8-bit RGB (or grey) raster. */
  image: Raster<Uint8Array>;
  /** Caption above the panel. */
  title?: string;
}

/** Options of {@link imageGridFigure}. */
export interface ImageGridOptions {
  /** Figure title. */
  title?: string;
  /** Labels left of each row (e.g. "best", "median", "worst"). */
  rowLabels?: string[];
  /** Panel side in px of the rendered figure (default 170). */
  panel?: number;
  /**
   * A colour bar right of the grid for panels drawn with a colour map (e.g. overlayHeatmap's
   * turbo): its `colorscale` (Plotly `[[0, "#rrggbb"], ..., [1, ...]]`), `title`, and optional tick
   * positions in [0, 1] with labels.
   */
  colorbar?: { colorscale: [number, string][]; title: string; tickvals?: number[]; ticktext?: string[] };
}

/**
 * A Plotly figure showing `rows` of panels. Panels keep their aspect ratio inside
 * square cells; a row may be shorter than the longest (empty cells stay blank).
 *
 * @example
 * ```ts
 * import { imageGridFigure } from "../../mod.ts";
 * const px = { width: 2, height: 2, channels: 3, data: new Uint8Array(12).fill(128) };
 * const fig = imageGridFigure([[{ image: px, title: "a" }, { image: px, title: "b" }]]);
 * if (fig.data.length !== 2) throw new Error("two panels");
 * ```
 */
export function imageGridFigure(rows: ImagePanel[][], options: ImageGridOptions = {}): PlotlyFigure {
  if (!rows.length || rows.every((r) => !r.length)) throw new Error("imageGridFigure: no panels");
  const nr = rows.length, nc = Math.max(...rows.map((r) => r.length));
  const panel = options.panel ?? 170;
  const left = options.rowLabels ? 70 : 10, top = options.title ? 60 : 30, gapY = 28, gapX = 8;
  const bar = options.colorbar ? 110 : 0;
  const width = left + nc * panel + (nc - 1) * gapX + 10 + bar;
  const height = top + nr * panel + (nr - 1) * gapY + 10;
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    width,
    height,
    margin: { l: 0, r: 0, t: 0, b: 0 },
    showlegend: false,
    plot_bgcolor: "white",
    paper_bgcolor: "white",
  };
  const annotations: Record<string, unknown>[] = [];
  if (options.title) {
    annotations.push({
      text: `<b>${options.title}</b>`,
      x: 0.5,
      y: 1,
      xref: "paper",
      yref: "paper",
      xanchor: "center",
      yanchor: "top",
      yshift: -8,
      showarrow: false,
      font: { size: 15 },
    });
  }
  let k = 0;
  rows.forEach((row, r) => {
    const y1 = 1 - (top + r * (panel + gapY)) / height, y0 = y1 - panel / height;
    if (options.rowLabels?.[r]) {
      annotations.push({
        text: options.rowLabels[r],
        x: (left - 6) / width,
        y: (y0 + y1) / 2,
        xref: "paper",
        yref: "paper",
        xanchor: "right",
        showarrow: false,
        font: { size: 13 },
      });
    }
    row.forEach((p, c) => {
      k++;
      const x0 = (left + c * (panel + gapX)) / width, x1 = x0 + panel / width;
      const ax = k === 1 ? "" : String(k);
      const side = Math.max(p.image.width, p.image.height);
      // Center the image in a square cell of `side` data units.
      const padX = (side - p.image.width) / 2, padY = (side - p.image.height) / 2;
      data.push({
        type: "image",
        source: pngDataUrl(p.image),
        x0: padX,
        y0: padY,
        dx: 1,
        dy: 1,
        xaxis: `x${ax}`,
        yaxis: `y${ax}`,
        hoverinfo: "skip",
        name: p.title ?? `panel ${k}`,
      });
      layout[`xaxis${ax}`] = { domain: [x0, x1], range: [-0.5, side - 0.5], visible: false, fixedrange: true };
      layout[`yaxis${ax}`] = {
        domain: [y0, y1],
        range: [side - 0.5, -0.5],
        visible: false,
        fixedrange: true,
      };
      if (p.title) {
        annotations.push({
          text: p.title,
          x: (x0 + x1) / 2,
          y: y1,
          xref: "paper",
          yref: "paper",
          xanchor: "center",
          yanchor: "bottom",
          showarrow: false,
          font: { size: 12 },
        });
      }
    });
  });
  if (options.colorbar) {
    // A hidden one-cell heatmap carries the colour bar (its axes are invisible and out of the way).
    const cb = options.colorbar, ax = String(k + 1);
    data.push({
      type: "heatmap",
      z: [[0, 1]],
      zmin: 0,
      zmax: 1,
      colorscale: cb.colorscale,
      opacity: 0,
      hoverinfo: "skip",
      xaxis: `x${ax}`,
      yaxis: `y${ax}`,
      colorbar: {
        title: { text: cb.title, side: "right" },
        x: 1 - (bar - 12) / width,
        xanchor: "left",
        y: 0.5,
        len: Math.min(0.9, (nr * panel) / height),
        thickness: 14,
        ...(cb.tickvals ? { tickvals: cb.tickvals, ticktext: cb.ticktext } : {}),
      },
    });
    layout[`xaxis${ax}`] = { domain: [0, 0.001], visible: false, fixedrange: true };
    layout[`yaxis${ax}`] = { domain: [0, 0.001], visible: false, fixedrange: true };
  }
  layout.annotations = annotations;
  return { data, layout, config: { displayModeBar: false } };
}
