/**
 * A scanpath simulator: fixation sequences generated from a binary lesion mask,
 * for ISIC (which has no recorded gaze) and the synthetic dataset. It is this
 * toolkit's own documented procedure (the FGI paper does not publish one),
 * fitted to the statistics of the real GazeMedSeg Kvasir fixations
 * (scanpath_stats.ts), so that simulated and real gaze can be compared
 * (`deno task prepare kvasir --gaze simulated` reports both).
 *
 * Model, per image (all draws from a seeded {@link Rng}):
 * 1. Number of fixations N ~ round(LogNormal(count.logMean, count.logStd)),
 *    clipped to [count.min, count.max].
 * 2. Order t = k / (N - 1). The first fixation is on the lesion with
 *    probability `firstOnTarget`; fixation k >= 1 is OFF the lesion with the
 *    probability `offTargetByDecile[decile(t)]`. In the real Kvasir data the
 *    first fixation misses the lesion 54% of the time (the rough orientation
 *    over the image), later ones 7 to 13% of the time.
 * 3. An on-target fixation lands at depth quantile q ~ Beta with mean
 *    `depthByDecile[decile(t)]` and concentration `depthConcentration`
 *    (q = share of lesion pixels deeper than the fixated one: 0 = centre,
 *    1 = boundary), on a random pixel of that depth ring: the coverage of the
 *    lesion from its centre outwards. In the real data the first decile looks
 *    closer to the centre (mean q 0.42) than the second (0.51), after which
 *    fixations drift slowly inwards again (0.41 in the last decile).
 * 4. An off-target fixation lands at distance D ~ LogNormal(offDistance) image
 *    diagonals from the lesion, on a random background pixel at that distance
 *    (clipped to the largest distance the image offers). Real off-target
 *    fixations are mostly close to the lesion (median 1.7% of the diagonal).
 * 5. Durations ~ LogNormal(durationOn | durationOff), clipped to
 *    [durationMin, durationMax] ms. Start times: the previous start +
 *    duration + a fixed 50 ms saccade.
 * With an empty mask every fixation is off target and uniform over the image.
 * The parameters in use by default ({@link KVASIR_SCANPATH_PARAMS}) come from
 * `deno task fit-gaze-sim` (tasks/fit_gaze_simulator.ts), which measures the
 * real Kvasir statistics and writes scanpath_params.json.
 *
 * @module
 */
import { Rng } from "../core/rng.ts";
import type { Raster } from "../data/raster.ts";
import { depthMap, distanceMap } from "./distance_map.ts";
import type { Fixation } from "./fixations.ts";
import type { ScanpathStats } from "./scanpath_stats.ts";
import params from "./scanpath_params.json" with { type: "json" };

/** A log-normal distribution: exp(Normal(logMean, logStd)). */
export interface LogNormal {
  /** Mean of the log. */
  logMean: number;
  /** Standard deviation of the log. */
  logStd: number;
}

/** Parameters of the simulator (see the module notes for their meaning). */
export interface ScanpathParams {
  /** How the parameters were obtained (data, command, date). */
  source: string;
  /** Fixations per image. */
  count: LogNormal & { min: number; max: number };
  /** Probability that the first fixation is on the lesion. */
  firstOnTarget: number;
  /** Off-target probability of fixations k >= 1 per decile of the order t (10 values). */
  offTargetByDecile: number[];
  /** Mean depth quantile of on-target fixations per decile of t (10 values; 0 = centre, 1 = boundary). */
  depthByDecile: number[];
  /** Beta concentration (alpha + beta) of the depth quantile around its decile mean. */
  depthConcentration: number;
  /** Distance of off-target fixations to the lesion, in image diagonals. */
  offDistance: LogNormal;
  /** Durations (ms) of on-target fixations. */
  durationOn: LogNormal;
  /** Durations (ms) of off-target fixations. */
  durationOff: LogNormal;
  /** Shortest duration (ms; the eye tracker's fixation threshold). */
  durationMin: number;
  /** Longest duration (ms). */
  durationMax: number;
}

/** The parameters fitted to the real GazeMedSeg Kvasir fixations (scanpath_params.json). */
export const KVASIR_SCANPATH_PARAMS: ScanpathParams = params as ScanpathParams;

/**
 * Fit the simulator's parameters to measured statistics (moment matching:
 * log-normal means/stds, per-decile shares and means, Beta concentration from
 * the residual variance of the depth quantile around its linear trend).
 */
export function fitScanpathParams(stats: ScanpathStats, source: string): ScanpathParams {
  const fill = (v: number[], fallback: number) => v.map((x) => (Number.isFinite(x) ? x : fallback));
  const depth = fill(stats.depthByDecile, stats.depthFit.intercept);
  const m = depth.reduce((a, b) => a + b, 0) / depth.length;
  const variance = stats.depthFit.residualStd ** 2;
  return {
    source,
    count: { logMean: stats.count.logMean, logStd: stats.count.logStd, min: stats.count.min, max: stats.count.max },
    firstOnTarget: stats.firstOnTarget,
    offTargetByDecile: fill(stats.offTargetByDecile, stats.offTargetShare),
    depthByDecile: depth,
    depthConcentration: Math.max(0.5, (m * (1 - m)) / Math.max(variance, 1e-6) - 1),
    offDistance: { logMean: stats.offDistance.logMean, logStd: stats.offDistance.logStd },
    durationOn: { logMean: stats.durationOn.logMean, logStd: stats.durationOn.logStd },
    durationOff: { logMean: stats.durationOff.logMean, logStd: stats.durationOff.logStd },
    durationMin: stats.duration.min,
    durationMax: stats.duration.max,
  };
}

/**
 * Pixels grouped by integer distance bins, for drawing a random pixel at a given depth or distance.
 *
 * @internal Used only inside the simulator; {@link ScanpathCanvas} exposes it read-only.
 */
class BinnedPixels {
  readonly start: Int32Array;
  readonly pixels: Int32Array;
  readonly bins: number;

  constructor(value: Float64Array, select: Uint8Array) {
    let maxBin = 0;
    for (let i = 0; i < value.length; i++) if (select[i]) maxBin = Math.max(maxBin, Math.floor(value[i]));
    this.bins = maxBin + 1;
    const count = new Int32Array(this.bins + 1);
    for (let i = 0; i < value.length; i++) if (select[i]) count[Math.floor(value[i]) + 1]++;
    for (let b = 0; b < this.bins; b++) count[b + 1] += count[b];
    this.start = count.slice();
    this.pixels = new Int32Array(count[this.bins]);
    const fillAt = count.slice(0, this.bins);
    for (let i = 0; i < value.length; i++) if (select[i]) this.pixels[fillAt[Math.floor(value[i])]++] = i;
  }

  get size(): number {
    return this.pixels.length;
  }

  /** A random pixel of bin b (or of the nearest non-empty bin). */
  pickInBin(b: number, rng: Rng): number {
    b = Math.max(0, Math.min(this.bins - 1, b));
    for (let r = 0; r < this.bins; r++) {
      for (const bb of [b - r, b + r]) {
        if (bb < 0 || bb >= this.bins) continue;
        const lo = this.start[bb], hi = this.start[bb + 1];
        if (hi > lo) return this.pixels[lo + Math.floor(rng.next() * (hi - lo))];
      }
    }
    throw new Error("BinnedPixels: no pixels");
  }

  /** A random pixel at rank `index` of the ordering by bin (ascending), uniform within that pixel's bin. */
  pickAtRank(index: number, rng: Rng): number {
    let lo = 0, hi = this.bins - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.start[mid + 1] <= index) lo = mid + 1;
      else hi = mid;
    }
    return this.pickInBin(lo, rng);
  }
}

/** Precomputed per-mask geometry for {@link simulateScanpath} (reuse it to draw several scanpaths). */
export class ScanpathCanvas {
  /** Mask width. */
  readonly width: number;
  /** Mask height. */
  readonly height: number;
  /** Lesion pixels binned by depth. */
  readonly lesion: BinnedPixels | null;
  /** Background pixels binned by distance to the lesion. */
  readonly background: BinnedPixels | null;

  /** Analyse a mask (1 channel, non-zero = lesion). */
  constructor(mask: Raster<Uint8Array>) {
    const { width: w, height: h } = mask;
    this.width = w;
    this.height = h;
    const m = new Uint8Array(w * h), bg = new Uint8Array(w * h);
    let area = 0;
    for (let i = 0; i < m.length; i++) {
      m[i] = mask.data[i * mask.channels] ? 1 : 0;
      bg[i] = 1 - m[i];
      area += m[i];
    }
    this.lesion = area > 0 ? new BinnedPixels(depthMap(m, w, h), m) : null;
    this.background = area > 0 && area < m.length ? new BinnedPixels(distanceMap(m, w, h), bg) : null;
  }
}

function logNormal(rng: Rng, d: LogNormal): number {
  return Math.exp(rng.normal(d.logMean, d.logStd));
}

/**
 * Simulate one scanpath over a lesion mask. Returns fixations in viewing
 * order with normalised coordinates (x = column, y = row, both in [0, 1]).
 *
 * @example
 * ```ts
 * import { Rng } from "../../mod.ts";
 * import { simulateScanpath } from "../../mod.ts";
 * const data = new Uint8Array(64 * 48);
 * for (let y = 10; y < 30; y++) for (let x = 20; x < 44; x++) data[y * 64 + x] = 1;
 * const fix = simulateScanpath({ width: 64, height: 48, channels: 1, data }, { rng: new Rng(0) });
 * if (fix.length < 1 || fix.some((f) => f.x < 0 || f.x > 1)) throw new Error("bad scanpath");
 * ```
 */
export function simulateScanpath(
  mask: Raster<Uint8Array> | ScanpathCanvas,
  options: { rng: Rng; params?: ScanpathParams },
): Fixation[] {
  const p = options.params ?? KVASIR_SCANPATH_PARAMS, rng = options.rng;
  const canvas = mask instanceof ScanpathCanvas ? mask : new ScanpathCanvas(mask);
  const { width: w, height: h, lesion, background } = canvas;
  const diag = Math.hypot(w, h);
  const n = Math.min(p.count.max, Math.max(p.count.min, Math.round(logNormal(rng, p.count))));
  const out: Fixation[] = [];
  let start = 0;
  for (let k = 0; k < n; k++) {
    const t = n > 1 ? k / (n - 1) : 0;
    const dec = Math.min(9, Math.floor(t * 10));
    const offProb = k === 0 ? 1 - p.firstOnTarget : p.offTargetByDecile[dec];
    let on = rng.next() >= offProb;
    if (!lesion) on = false;
    if (!background) on = lesion !== null;
    let pixel: number;
    if (on) {
      const mean = Math.min(0.999, Math.max(0.001, p.depthByDecile[dec]));
      const q = rng.beta(mean * p.depthConcentration, (1 - mean) * p.depthConcentration);
      // q = 0 is the deepest pixel: rank from the deep end of the ascending depth ordering
      const rank = Math.min(lesion!.size - 1, Math.floor((1 - q) * lesion!.size));
      pixel = lesion!.pickAtRank(rank, rng);
    } else if (background) {
      const dist = logNormal(rng, p.offDistance) * diag;
      pixel = background.pickInBin(Math.floor(dist), rng);
    } else {
      pixel = Math.floor(rng.next() * w * h);
    }
    const row = Math.floor(pixel / w), col = pixel - row * w;
    const dist = on ? p.durationOn : p.durationOff;
    const duration = Math.round(Math.min(p.durationMax, Math.max(p.durationMin, logNormal(rng, dist))));
    out.push({
      index: k + 1,
      x: (col + rng.next()) / w,
      y: (row + rng.next()) / h,
      duration,
      pupil: NaN,
      start,
      line: 0,
    });
    start += duration + 50;
  }
  return out;
}
