/**
 * Figure: Dice against the annotation hours its supervision costs (the FGI paper's
 * argument: gaze costs 2.2 h where full masks cost 18.7 h). Our methods as points with
 * error bars; the published Dice, where it exists, as hollow markers at the same hours.
 *
 * @module
 */
import type { PlotlyFigure } from "./figure.ts";

/** One point of the figure. */
export interface CostPoint {
  /** Method label. */
  label: string;
  /** Annotation hours of its supervision. */
  hours: number;
  /** Mean Dice in [0, 1]. */
  dice: number;
  /** Std of Dice in [0, 1] (error bar), or null. */
  std: number | null;
  /** Published Dice in PERCENT for the same method, when one exists. */
  published?: number | null;
}

/**
 * Scatter of Dice (%) vs annotation hours, one marker per method, with the paper's
 * number as a hollow diamond where given.
 *
 * @example
 * ```ts
 * import { annotationCostFigure } from "../../mod.ts";
 * const fig = annotationCostFigure([{ label: "FGI", hours: 2.2, dice: 0.8, std: 0.1, published: 80.78 }]);
 * ```
 */
export function annotationCostFigure(
  points: readonly CostPoint[],
  options: { title?: string; note?: string } = {},
): PlotlyFigure {
  const maxH = Math.max(...points.map((p) => p.hours), 1e-9);
  // Methods with the same supervision share an x value: spread them by up to ±2% of the axis so none hides another.
  const groups = new Map<number, number[]>();
  points.forEach((p, i) => groups.set(p.hours, [...(groups.get(p.hours) ?? []), i]));
  const xs = points.map((p, i) => {
    const g = groups.get(p.hours)!;
    const k = g.indexOf(i), n = g.length;
    return n === 1 ? p.hours : p.hours + maxH * 0.04 * (k / (n - 1) - 0.5);
  });
  const data: Record<string, unknown>[] = points.map((p, i) => ({
    type: "scatter",
    mode: "markers",
    name: p.label,
    x: [xs[i]],
    y: [p.dice * 100],
    text: [`${p.label}: ${p.hours.toPrecision(3)} h, Dice ${(p.dice * 100).toFixed(2)}%`],
    hoverinfo: "text",
    error_y: p.std === null ? undefined : { type: "data", array: [p.std * 100], visible: true },
    marker: { size: 11 },
  }));
  const pub = points.map((p, i) => ({ p, x: xs[i] })).filter(({ p }) => typeof p.published === "number");
  if (pub.length) {
    data.push({
      type: "scatter",
      mode: "markers",
      name: "paper (published Dice)",
      x: pub.map(({ x }) => x),
      y: pub.map(({ p }) => p.published),
      text: pub.map(({ p }) => `${p.label}: published ${p.published}%`),
      hoverinfo: "text",
      marker: { symbol: "diamond-open", size: 13, color: "black" },
    });
  }
  const wrap = (t: string) => t.replace(/(.{1,110})(\s+|$)/g, "$1<br>").replace(/<br>$/, "");
  return {
    data,
    layout: {
      title: { text: options.title ?? "Dice vs annotation time" },
      xaxis: { title: { text: "annotation time (hours, training set)" }, range: [0, maxH * 1.1] },
      yaxis: { title: { text: "Dice (%)" } },
      width: 920,
      height: 520,
      annotations: options.note
        ? [{
          text: wrap(options.note + " (methods with the same supervision are spread horizontally for legibility)"),
          xref: "paper",
          yref: "paper",
          x: 0,
          y: -0.2,
          yanchor: "top",
          showarrow: false,
          xanchor: "left",
          align: "left",
          font: { size: 10 },
        }]
        : [],
      margin: { b: 140 },
    },
  };
}
