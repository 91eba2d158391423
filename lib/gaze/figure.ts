/**
 * A Plotly figure of the gaze pseudo-masks: one row per image, five panels
 * image | GT | heatmap overlay | heatmap > 0.5 | CRF >= 0.5, as plain JSON
 * `{ data, layout }` (image traces with PNG data URLs, subplots laid out by
 * axis domains). Notebooks display it with the `application/vnd.plotly.v1+json`
 * MIME type; lib/report saves it as HTML/PNG.
 *
 * @module
 */
import { pngDataUrl } from "../data/png.ts";
import type { Raster } from "../data/raster.ts";
import { resize } from "../data/resize.ts";
import { crfGuideImage } from "./crf.ts";

/** One row of the figure. */
export interface GazeFigureRow {
  /** Image id (row label). */
  id: string;
  /** Image: RGB uint8, or 1 channel of any type (min-max scaled for display). */
  image: Raster;
  /** Ground truth 0/1 (null: the GT panel stays empty). */
  mask: Raster<Uint8Array> | null;
  /** Heatmap in [0, 1] (e.g. from loadGazeMaps). */
  heatmap: Raster<Float32Array>;
  /** CRF map in [0, 1]. */
  crf: Raster<Float32Array>;
}

/** Options for {@link gazeFigure}. */
export interface GazeFigureOptions {
  /** Figure title. */
  title?: string;
  /** Longest side of each panel in pixels (images are downscaled to keep the figure small; default 256). */
  panelSize?: number;
  /** Heatmap opacity in the overlay (default 0.45). */
  alpha?: number;
}

/** Plotly's JSON figure (structurally a lib/report `PlotlyFigure`: pass it to its HTML/PNG export). */
export interface GazeFigure {
  /** Traces. */
  data: Record<string, unknown>[];
  /** Layout. */
  layout: Record<string, unknown>;
}

/** The jet colour of v in [0, 1], as [r, g, b] in 0..255. */
export function jetColor(v: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)));
  const t = Math.min(1, Math.max(0, v));
  return [c(1.5 - Math.abs(4 * t - 3)), c(1.5 - Math.abs(4 * t - 2)), c(1.5 - Math.abs(4 * t - 1))];
}

/**
 * Blend a jet-coloured heatmap over the image: out = (1 - alpha) image + alpha jet(h).
 * Returns RGB uint8 at the image's size.
 */
export function heatmapOverlay(image: Raster, heatmap: Raster, options: { alpha?: number } = {}): Raster<Uint8Array> {
  const rgb = crfGuideImage(image);
  if (heatmap.width !== rgb.width || heatmap.height !== rgb.height) {
    throw new Error(
      `heatmapOverlay: heatmap is ${heatmap.width}x${heatmap.height}, image is ${rgb.width}x${rgb.height}`,
    );
  }
  const a = options.alpha ?? 0.45, n = rgb.width * rgb.height, out = new Uint8Array(3 * n);
  for (let i = 0; i < n; i++) {
    const col = jetColor(heatmap.data[i]);
    for (let c = 0; c < 3; c++) out[3 * i + c] = Math.round((1 - a) * rgb.data[3 * i + c] + a * col[c]);
  }
  return { width: rgb.width, height: rgb.height, channels: 3, data: out };
}

function binaryPanel(map: Raster, keep: (v: number) => boolean): Raster<Uint8Array> {
  const n = map.width * map.height, out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = keep(map.data[i * map.channels]) ? 255 : 0;
  return { width: map.width, height: map.height, channels: 1, data: out };
}

function shrink(r: Raster<Uint8Array>, side: number, nearest: boolean): Raster<Uint8Array> {
  const s = Math.min(1, side / Math.max(r.width, r.height));
  if (s === 1) return r;
  const w = Math.max(1, Math.round(r.width * s)), h = Math.max(1, Math.round(r.height * s));
  const out = resize(r, { width: w, height: h, mode: nearest ? "nearest" : "bilinear" });
  if (out.data instanceof Uint8Array) return out as Raster<Uint8Array>;
  const d = new Uint8Array(out.data.length);
  for (let i = 0; i < d.length; i++) d[i] = Math.min(255, Math.max(0, Math.round(out.data[i])));
  return { width: w, height: h, channels: out.channels, data: d };
}

/** Column titles of the figure. */
export const GAZE_FIGURE_COLUMNS = ["image", "ground truth", "heatmap overlay", "heatmap > 0.5", "CRF ≥ 0.5"] as const;

/**
 * Build the figure for the given rows.
 *
 * @example
 * ```ts
 * import { gazeFigure } from "../../mod.ts";
 * const z = (v: number) => ({ width: 4, height: 4, channels: 1, data: new Float32Array(16).fill(v) });
 * const image = { width: 4, height: 4, channels: 3, data: new Uint8Array(48).fill(100) };
 * const fig = gazeFigure([{ id: "a", image, mask: null, heatmap: z(0.7), crf: z(0.2) }]);
 * if (fig.data.length !== 4) throw new Error("expected 4 image traces without GT");
 * ```
 */
export function gazeFigure(rows: readonly GazeFigureRow[], options: GazeFigureOptions = {}): GazeFigure {
  const side = options.panelSize ?? 256;
  const cols = GAZE_FIGURE_COLUMNS.length, nRows = rows.length;
  if (nRows === 0) throw new Error("gazeFigure: no rows");
  const data: Record<string, unknown>[] = [];
  const layout: Record<string, unknown> = {
    title: options.title ? { text: options.title } : undefined,
    width: 180 * cols + 60,
    height: 180 * nRows + 80,
    margin: { l: 40, r: 10, t: options.title ? 70 : 40, b: 10 },
    showlegend: false,
    annotations: [] as Record<string, unknown>[],
  };
  const annotations = layout.annotations as Record<string, unknown>[];
  const gap = 0.01;
  rows.forEach((row, r) => {
    const panels: (Raster<Uint8Array> | null)[] = [
      shrink(crfGuideImage(row.image), side, false),
      row.mask ? shrink(binaryPanel(row.mask, (v) => v > 0), side, true) : null,
      shrink(heatmapOverlay(row.image, row.heatmap, { alpha: options.alpha }), side, false),
      shrink(binaryPanel(row.heatmap, (v) => v > 0.5), side, true),
      shrink(binaryPanel(row.crf, (v) => v >= 0.5), side, true),
    ];
    const y1 = 1 - r / nRows - gap, y0 = 1 - (r + 1) / nRows + gap;
    panels.forEach((panel, c) => {
      const k = r * cols + c + 1, ax = k === 1 ? "" : String(k);
      layout[`xaxis${ax}`] = { domain: [c / cols + gap, (c + 1) / cols - gap], anchor: `y${ax}`, visible: false };
      layout[`yaxis${ax}`] = { domain: [y0, y1], anchor: `x${ax}`, visible: false, scaleanchor: `x${ax}` };
      if (panel) {
        data.push({
          type: "image",
          source: pngDataUrl(panel),
          xaxis: `x${ax}`,
          yaxis: `y${ax}`,
          hoverinfo: "skip",
          name: `${row.id} ${GAZE_FIGURE_COLUMNS[c]}`,
        });
      }
      if (r === 0) {
        annotations.push({
          text: GAZE_FIGURE_COLUMNS[c],
          x: (c + 0.5) / cols,
          y: 1,
          xref: "paper",
          yref: "paper",
          yanchor: "bottom",
          showarrow: false,
        });
      }
    });
    annotations.push({
      text: row.id.length > 14 ? `${row.id.slice(0, 12)}…` : row.id,
      x: 0,
      y: (y0 + y1) / 2,
      xref: "paper",
      yref: "paper",
      xanchor: "right",
      textangle: -90,
      showarrow: false,
    });
  });
  return { data, layout };
}
