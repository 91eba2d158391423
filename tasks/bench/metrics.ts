/**
 * Bench case `metrics-1024`: the per-image metrics on a 1024x1024 prediction/GT pair
 * (a polyp-like blob and a perturbed copy), timing each stage separately.
 *
 * @module
 */
import { Rng } from "../../lib/core/rng.ts";
import {
  dice,
  distanceTransform,
  iou,
  type Mask,
  scoreLogits,
  scoreMask,
  surfaceDistances,
  surfacePixels,
} from "../../lib/metrics/mod.ts";
import { type BenchCase, median } from "./types.ts";

const SIZE = 1024;

/** A blob with a wavy boundary: radius r(θ) = r0 (1 + a sin(kθ + φ)), centred at (cx, cy). */
function blob(size: number, cx: number, cy: number, r0: number, a: number, k: number, phase: number): Mask {
  const data = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x - cx, dy = y - cy, t = Math.atan2(dy, dx);
      if (Math.hypot(dx, dy) < r0 * (1 + a * Math.sin(k * t + phase))) data[y * size + x] = 1;
    }
  }
  return { width: size, height: size, data };
}

function time(reps: number, fn: () => unknown): number {
  const t: number[] = [];
  fn(); // warm-up
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return +median(t).toFixed(2);
}

/** Metrics on a 1024x1024 pair, per stage, median ms. */
export const metricsCase: BenchCase = {
  name: "metrics-1024",
  description: "Dice/IoU, surface, exact EDT, HD95+ASD+ASSD and logit scoring on a 1024x1024 pair (ms)",
  run(ctx) {
    const reps = ctx.quick ? 2 : 10;
    const gt = blob(SIZE, 500, 530, 300, 0.15, 5, 0);
    const pred = blob(SIZE, 520, 510, 290, 0.2, 7, 1);
    const rng = new Rng(0);
    const logits = { width: 224, height: 224, channels: 1, data: new Float32Array(224 * 224) };
    for (let y = 0; y < 224; y++) {
      for (let x = 0; x < 224; x++) {
        logits.data[y * 224 + x] = 4 - Math.hypot(x - 112, y - 115) / 16 + rng.normal(0, 0.3);
      }
    }
    const gtSurface = { width: SIZE, height: SIZE, data: surfacePixels(gt) };
    const d = surfaceDistances(pred, gt)!;
    return Promise.resolve({
      size: `${SIZE}x${SIZE}`,
      pred_surface_px: d.predToGt.length,
      gt_surface_px: d.gtToPred.length,
      dice_iou_ms: time(reps, () => [dice(pred, gt), iou(pred, gt)]),
      surface_ms: time(reps, () => surfacePixels(gt)),
      edt_ms: time(reps, () => distanceTransform(gtSurface)),
      surface_distances_ms: time(reps, () => surfaceDistances(pred, gt)),
      score_mask_all_ms: time(reps, () => scoreMask(pred, gt)),
      score_logits_224_to_1024_ms: time(reps, () => scoreLogits(logits, gt)),
    });
  },
};
