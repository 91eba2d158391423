/**
 * Statistics of fixation sequences relative to the ground-truth mask: what
 * the scanpath simulator (simulate.ts) is fitted to, and what lets a reader
 * compare simulated with real gaze.
 *
 * Per fixation k of an image with N fixations, the normalised order is
 * t = k / (N - 1) (0 for N = 1). A fixation is on target when the mask pixel
 * under it (row floor(y H), column floor(x W)) is foreground. For on-target
 * fixations the depth quantile is the share of mask pixels deeper (farther
 * from the background) than the fixated pixel: 0 = the lesion's centre-most
 * pixel, 1 = its boundary, uniform over the lesion area for uniform sampling.
 * For off-target fixations the distance to the nearest mask pixel is measured
 * in units of the image diagonal.
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";
import { depthMap, distanceMap } from "./distance_map.ts";
import type { Fixation } from "./fixations.ts";

/** One image's fixations with its ground truth. */
export interface ScanpathRecord {
  /** Fixations in viewing order. */
  fixations: readonly Pick<Fixation, "x" | "y" | "duration">[];
  /** Ground truth, 1 channel, non-zero = lesion, image size. */
  mask: Raster<Uint8Array>;
}

/** Mean and spread of a positive quantity, also on the log scale. */
export interface PositiveSummary {
  /** Arithmetic mean. */
  mean: number;
  /** Standard deviation. */
  std: number;
  /** Median. */
  median: number;
  /** Mean of the natural log. */
  logMean: number;
  /** Standard deviation of the natural log. */
  logStd: number;
  /** Smallest value. */
  min: number;
  /** Largest value. */
  max: number;
}

/** Everything {@link fixationStats} measures. */
export interface ScanpathStats {
  /** Images with at least one fixation. */
  images: number;
  /** Fixations in total. */
  fixations: number;
  /** Fixations per image. */
  count: PositiveSummary;
  /** Durations in ms, all fixations. */
  duration: PositiveSummary;
  /** Durations of on-target fixations. */
  durationOn: PositiveSummary;
  /** Durations of off-target fixations. */
  durationOff: PositiveSummary;
  /** Share of fixations off the lesion. */
  offTargetShare: number;
  /**
   * Share off the lesion per decile of normalised order t, over fixations k >= 1
   * (the first fixation is counted by `firstOnTarget`); 10 values, NaN where a decile is empty.
   */
  offTargetByDecile: number[];
  /** Mean depth quantile of on-target fixations per decile of t (0 = centre, 1 = boundary). */
  depthByDecile: number[];
  /** Least-squares line depthQuantile = intercept + slope t over on-target fixations, and the residual std. */
  depthFit: { intercept: number; slope: number; residualStd: number };
  /** Distance of off-target fixations to the lesion, in image diagonals. */
  offDistance: PositiveSummary;
  /** Share of images whose FIRST fixation is on the lesion. */
  firstOnTarget: number;
  /** Lesion area as a share of the image (per image). */
  lesionShare: PositiveSummary;
}

/** Summary of positive values (logs use max(v, 1e-9)). */
export function positiveSummary(values: readonly number[]): PositiveSummary {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, median: NaN, logMean: NaN, logStd: NaN, min: NaN, max: NaN };
  const s = [...values].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(s.reduce((a, b) => a + (b - mean) ** 2, 0) / n);
  const logs = s.map((v) => Math.log(Math.max(v, 1e-9)));
  const logMean = logs.reduce((a, b) => a + b, 0) / n;
  const logStd = Math.sqrt(logs.reduce((a, b) => a + (b - logMean) ** 2, 0) / n);
  const median = n % 2 ? s[n >> 1] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { mean, std, median, logMean, logStd, min: s[0], max: s[n - 1] };
}

/** Per-mask lookup of depth quantiles: fraction of lesion pixels strictly deeper than a given depth. */
export class DepthQuantiles {
  /** Lesion depths sorted descending (deepest first). */
  readonly sorted: Float64Array;
  /** Depth per pixel (0 off the lesion). */
  readonly depth: Float64Array;

  /** Measure the depth of every lesion pixel of `mask` (1 channel, non-zero = lesion). */
  constructor(mask: Raster<Uint8Array>) {
    const { width: w, height: h } = mask;
    const m = new Uint8Array(w * h);
    for (let i = 0; i < m.length; i++) m[i] = mask.data[i * mask.channels] ? 1 : 0;
    this.depth = depthMap(m, w, h);
    const vals: number[] = [];
    for (let i = 0; i < m.length; i++) if (m[i]) vals.push(this.depth[i]);
    this.sorted = Float64Array.from(vals.sort((a, b) => b - a));
  }

  /** Share of lesion pixels deeper than `depth` (0 at the centre, ~1 at the boundary). */
  quantile(depth: number): number {
    const s = this.sorted;
    let lo = 0, hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid] > depth) lo = mid + 1;
      else hi = mid;
    }
    return s.length ? lo / s.length : NaN;
  }
}

/**
 * Measure the statistics of a set of real (or simulated) scanpaths against
 * their ground-truth masks.
 *
 * @example
 * ```ts
 * import { fixationStats } from "../../mod.ts";
 * const mask = { width: 4, height: 4, channels: 1, data: new Uint8Array(16).fill(1) };
 * const s = fixationStats([{ mask, fixations: [{ x: 0.5, y: 0.5, duration: 200 }] }]);
 * if (s.offTargetShare !== 0 || s.count.mean !== 1) throw new Error("bad stats");
 * ```
 */
export function fixationStats(records: readonly ScanpathRecord[]): ScanpathStats {
  const counts: number[] = [], durs: number[] = [], dOn: number[] = [], dOff: number[] = [];
  const offDist: number[] = [], lesion: number[] = [];
  const offByDec = new Array(10).fill(0), nByDec = new Array(10).fill(0);
  const depthSum = new Array(10).fill(0), depthN = new Array(10).fill(0);
  const ts: number[] = [], qs: number[] = [];
  let off = 0, total = 0, firstOn = 0;
  for (const rec of records) {
    const n = rec.fixations.length;
    if (n === 0) continue;
    const { width: w, height: h } = rec.mask;
    const m = new Uint8Array(w * h);
    let area = 0;
    for (let i = 0; i < m.length; i++) area += m[i] = rec.mask.data[i * rec.mask.channels] ? 1 : 0;
    lesion.push(area / m.length);
    const dq = new DepthQuantiles(rec.mask);
    const toLesion = area > 0 ? distanceMap(m, w, h) : null;
    const diag = Math.hypot(w, h);
    counts.push(n);
    rec.fixations.forEach((f, k) => {
      const t = n > 1 ? k / (n - 1) : 0;
      const dec = Math.min(9, Math.floor(t * 10));
      const row = Math.min(h - 1, Math.floor(f.y * h)), col = Math.min(w - 1, Math.floor(f.x * w));
      const on = m[row * w + col] === 1;
      durs.push(f.duration);
      total++;
      if (k > 0) nByDec[dec]++;
      if (k === 0 && on) firstOn++;
      if (on) {
        dOn.push(f.duration);
        const q = dq.quantile(dq.depth[row * w + col]);
        depthSum[dec] += q;
        depthN[dec]++;
        ts.push(t);
        qs.push(q);
      } else {
        off++;
        if (k > 0) offByDec[dec]++;
        dOff.push(f.duration);
        if (toLesion) offDist.push(toLesion[row * w + col] / diag);
      }
    });
  }
  // least squares q = a + b t
  const nq = ts.length;
  const mt = ts.reduce((a, b) => a + b, 0) / Math.max(1, nq), mq = qs.reduce((a, b) => a + b, 0) / Math.max(1, nq);
  let sxy = 0, sxx = 0;
  for (let i = 0; i < nq; i++) {
    sxy += (ts[i] - mt) * (qs[i] - mq);
    sxx += (ts[i] - mt) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0, intercept = mq - slope * mt;
  let res = 0;
  for (let i = 0; i < nq; i++) res += (qs[i] - intercept - slope * ts[i]) ** 2;
  return {
    images: counts.length,
    fixations: total,
    count: positiveSummary(counts),
    duration: positiveSummary(durs),
    durationOn: positiveSummary(dOn),
    durationOff: positiveSummary(dOff),
    offTargetShare: total ? off / total : NaN,
    offTargetByDecile: offByDec.map((o, i) => (nByDec[i] ? o / nByDec[i] : NaN)),
    depthByDecile: depthSum.map((s, i) => (depthN[i] ? s / depthN[i] : NaN)),
    depthFit: { intercept, slope, residualStd: Math.sqrt(res / Math.max(1, nq)) },
    offDistance: positiveSummary(offDist),
    firstOnTarget: counts.length ? firstOn / counts.length : NaN,
    lesionShare: positiveSummary(lesion),
  };
}
