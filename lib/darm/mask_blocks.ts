/**
 * The DARM block placement shared by both variants, as the released code's
 * `mask_uncertain_regions_with_numpy`: walk the ordered candidate pixels; before each, stop once the
 * masked area counted with overlaps (sum of the clipped window areas) has reached the target
 * floor(ratio * |U|); else draw k uniform in {minBlock..maxBlock} and zero the window rows
 * y - floor(k/2) .. y + floor(k/2) and the same columns (side 2 floor(k/2) + 1, clipped to the image)
 * in the image (all channels) and in M_bc. Options `window: "side-k"` (rows y - floor(k/2) ..
 * y - floor(k/2) + k - 1) and `target: "exact"` (target ratio * |U|) give this toolkit's earlier
 * reading.
 *
 * @module
 */
import type { DarmFill, DarmOptions, DarmPlacement, DarmResult, DarmShape, DarmTarget, DarmWindow } from "./types.ts";

/** Inputs of {@link maskBlocks}. */
export interface MaskBlocksInputs {
  /** Normalised image `B*H*W*C`. */
  image: Float32Array;
  /** Broad-coverage mask `B*H*W`. */
  mbc: Float32Array | Uint8Array;
  /** Candidate flat pixel indices (b*H*W + y*W + x) in the order to visit. */
  order: ArrayLike<number>;
  /** Geometry. */
  shape: DarmShape;
}

/** Check the option values; returns them with defaults filled in. */
export function darmSettings(
  options: DarmOptions,
): {
  ratio: number;
  minBlock: number;
  maxBlock: number;
  window: DarmWindow;
  target: DarmTarget;
  placement: DarmPlacement;
  fill: DarmFill;
  ringProbability: number;
} {
  const ratio = options.ratio ?? 0.3, minBlock = options.minBlock ?? 3, maxBlock = options.maxBlock ?? 10;
  const window = options.window ?? "odd", target = options.target ?? "floor";
  if (window !== "odd" && window !== "side-k") {
    throw new Error(`DARM: 'window' must be "odd" or "side-k", got ${JSON.stringify(window)}`);
  }
  if (target !== "floor" && target !== "exact") {
    throw new Error(`DARM: 'target' must be "floor" or "exact", got ${JSON.stringify(target)}`);
  }
  if (!(ratio >= 0)) throw new Error(`DARM: 'ratio' must be >= 0, got ${ratio}`);
  if (!(Number.isInteger(minBlock) && Number.isInteger(maxBlock) && minBlock >= 1 && maxBlock >= minBlock)) {
    throw new Error(`DARM: block sides must be integers with 1 <= minBlock <= maxBlock, got ${minBlock}..${maxBlock}`);
  }
  if (!options.rng) throw new Error("DARM: option 'rng' (a seeded Rng) is required");
  const placement = options.placement ?? "ring", fill = options.fill ?? "zero";
  if (placement !== "ring" && placement !== "ring+random" && placement !== "mixed") {
    throw new Error(`DARM: 'placement' must be "ring", "ring+random" or "mixed", got ${JSON.stringify(placement)}`);
  }
  const ringProbability = options.ringProbability ?? 0.5;
  if (!(typeof ringProbability === "number" && ringProbability >= 0 && ringProbability <= 1)) {
    throw new Error(`DARM: 'ringProbability' must be a number in [0, 1], got ${JSON.stringify(ringProbability)}`);
  }
  if (fill !== "zero" && fill !== "mean" && fill !== "noise") {
    throw new Error(`DARM: 'fill' must be "zero", "mean" or "noise", got ${JSON.stringify(fill)}`);
  }
  return { ratio, minBlock, maxBlock, window, target, placement, fill, ringProbability };
}

/** Check that the flat arrays match the shape. */
export function checkDarmArrays(shape: DarmShape, arrays: Record<string, ArrayLike<number> | undefined>): void {
  const { batch: b, height: h, width: w, channels: c } = shape;
  for (const [k, v] of Object.entries({ batch: b, height: h, width: w, channels: c })) {
    if (!(Number.isInteger(v) && v >= 1)) throw new Error(`DARM: shape.${k} must be a positive integer, got ${v}`);
  }
  for (const [name, a] of Object.entries(arrays)) {
    if (!a) throw new Error(`DARM: input '${name}' is missing`);
    const want = name === "image" ? b * h * w * c : b * h * w;
    if (a.length !== want) throw new Error(`DARM: input '${name}' has ${a.length} values, shape needs ${want}`);
  }
}

/**
 * Place the blocks (see module doc). `options.rng` draws the block sides here (and, for this
 * toolkit's variants, the random block centres and the noise fill).
 *
 * Variants of this toolkit (not in the released code or the article; issue 11's non-leaking DARM):
 * `placement: "ring+random"` first places the blocks around the candidates as usual (area A),
 * then blocks of the same size rule at centres uniform over every pixel of the batch until they
 * add an area >= A; those random blocks change the image only (M_bc keeps its values: they do not
 * mark uncertain pixels), so block presence no longer outlines the disagreement ring.
 * `placement: "mixed"` keeps the stop rule (the walk ends once the summed block area reaches the
 * target) but centres each block, with probability p = `ringProbability` (default 0.5), on the next
 * candidate in the walk's order (M_bc zeroed there, as `ring`) and otherwise on a pixel uniform over
 * the batch (image only, M_bc kept, as the extra blocks of `ring+random`); every block counts toward
 * the target. Per block the draws are: u = rng.next() (compared with p; not drawn when p is 0 or 1),
 * the uniform centre (if chosen), the side k. So p = 1 places exactly the blocks of `ring` from the
 * same generator state, and p = 0 places blocks that do not depend on the ring's position at all (its
 * size |U| still sets the total area). The walk also ends when a ring draw finds the candidates used up.
 * `fill: "mean"` fills the blocks with the image's own per-channel mean, `fill: "noise"` with
 * normal noise of the image's per-channel mean and standard deviation, instead of 0.
 */
export function maskBlocks(inputs: MaskBlocksInputs, options: DarmOptions): DarmResult {
  const { ratio, minBlock, maxBlock, window, target: targetRule, placement, fill, ringProbability } = darmSettings(
    options,
  );
  const { shape, order } = inputs;
  checkDarmArrays(shape, { image: inputs.image, mbc: inputs.mbc });
  const { batch: nb, height: h, width: w, channels: c } = shape;
  const rng = options.rng;
  const image = Float32Array.from(inputs.image);
  const mbc = Float32Array.from(inputs.mbc);
  const blocks = new Uint8Array(mbc.length);
  const stats = fill === "zero" ? null : channelStats(inputs.image, shape);
  const candidates = order.length;
  const target = targetRule === "floor" ? Math.floor(candidates * ratio) : ratio * candidates;
  const place = (p: number, label: boolean): number => {
    const b = Math.floor(p / (h * w)), y = Math.floor((p % (h * w)) / w), x = p % w;
    const k = rng.int(minBlock, maxBlock);
    const half = Math.floor(k / 2), side = window === "odd" ? 2 * half + 1 : k;
    const y0 = Math.max(0, y - half), y1 = Math.min(h, y - half + side);
    const x0 = Math.max(0, x - half), x1 = Math.min(w, x - half + side);
    for (let yy = y0; yy < y1; yy++) {
      const row = b * h * w + yy * w;
      if (label) mbc.fill(0, row + x0, row + x1);
      blocks.fill(1, row + x0, row + x1);
      if (!stats) image.fill(0, (row + x0) * c, (row + x1) * c);
      else {
        for (let q = row + x0; q < row + x1; q++) {
          for (let ch = 0; ch < c; ch++) {
            const m = stats.mean[b * c + ch];
            image[q * c + ch] = fill === "mean" ? m : rng.normal(m, stats.std[b * c + ch]);
          }
        }
      }
    }
    return (y1 - y0) * (x1 - x0);
  };
  let maskedArea = 0, blockCount = 0, randomArea = 0;
  if (placement === "mixed") {
    const p = ringProbability;
    let next = 0;
    while (maskedArea < target) {
      const onRing = p >= 1 || (p > 0 && rng.next() < p);
      if (onRing) {
        if (next >= order.length) break;
        maskedArea += place(order[next++], true);
      } else {
        const area = place(rng.int(0, nb * h * w - 1), false);
        maskedArea += area;
        randomArea += area;
      }
      blockCount++;
    }
    return { image, mbc, blocks, candidates, maskedArea, blockCount, randomArea };
  }
  for (let i = 0; i < order.length && maskedArea < target; i++) {
    maskedArea += place(order[i], true);
    blockCount++;
  }
  if (placement === "ring+random") {
    while (randomArea < maskedArea) {
      randomArea += place(rng.int(0, nb * h * w - 1), false);
      blockCount++;
    }
  }
  return { image, mbc, blocks, candidates, maskedArea, blockCount, randomArea };
}

/** Per image and channel, the mean and standard deviation of `image` (`B*H*W*C`), as `B*C` arrays. */
function channelStats(image: Float32Array, shape: DarmShape): { mean: Float64Array; std: Float64Array } {
  const { batch: nb, height: h, width: w, channels: c } = shape;
  const mean = new Float64Array(nb * c), std = new Float64Array(nb * c);
  const n = h * w;
  for (let b = 0; b < nb; b++) {
    for (let ch = 0; ch < c; ch++) {
      let s = 0, s2 = 0;
      for (let q = 0; q < n; q++) {
        const v = image[(b * n + q) * c + ch];
        s += v;
        s2 += v * v;
      }
      const m = s / n;
      mean[b * c + ch] = m;
      std[b * c + ch] = Math.sqrt(Math.max(0, s2 / n - m * m));
    }
  }
  return { mean, std };
}
