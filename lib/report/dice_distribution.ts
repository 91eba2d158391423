/**
 * Figure: the distribution of per-image Dice of each method (box plot with every image
 * shown as a point), so a mean ± std in a table can be read against its spread and its
 * failures.
 *
 * @module
 */
import type { PlotlyFigure } from "./figure.ts";

/** One method's per-image values. */
export interface MethodValues {
  /** Method label. */
  label: string;
  /** Per-image values (null = undefined, left out). */
  values: readonly (number | null)[];
}

/**
 * Box plots of per-image Dice (in %) per method, all points drawn (jittered).
 *
 * @example
 * ```ts
 * import { diceDistributionFigure } from "../../mod.ts";
 * const fig = diceDistributionFigure([{ label: "FGI", values: [0.8, 0.7, 0.9] }]);
 * ```
 */
export function diceDistributionFigure(
  methods: readonly MethodValues[],
  options: { title?: string; metricLabel?: string; scale?: number } = {},
): PlotlyFigure {
  const scale = options.scale ?? 100;
  return {
    data: methods.map((m) => ({
      type: "box",
      name: m.label,
      y: m.values.filter((v): v is number => v !== null).map((v) => v * scale),
      boxpoints: "all",
      jitter: 0.4,
      pointpos: 0,
      marker: { size: 4, opacity: 0.6 },
      boxmean: true,
    })),
    layout: {
      title: { text: options.title ?? "Per-image Dice by method" },
      yaxis: { title: { text: options.metricLabel ?? "Dice (%)" }, zeroline: false },
      xaxis: { automargin: true },
      showlegend: false,
      width: Math.max(520, 130 * methods.length + 120),
      height: 460,
    },
  };
}
