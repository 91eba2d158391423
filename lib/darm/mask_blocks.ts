/**
 * The DARM block placement shared by both variants: walk the ordered candidate pixels; for each,
 * draw a square side k uniform in {minBlock..maxBlock}, zero the k x k window centred on it
 * (rows y - floor(k/2) .. y - floor(k/2) + k - 1, clipped to the image) in the image (all channels)
 * and in M_bc; stop once the masked area counted with overlaps (sum of clipped window areas)
 * reaches ratio * |U|, or when the candidates run out.
 *
 * @module
 */
import type { DarmOptions, DarmResult, DarmShape } from "./types.ts";

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
export function darmSettings(options: DarmOptions): { ratio: number; minBlock: number; maxBlock: number } {
  const ratio = options.ratio ?? 0.3, minBlock = options.minBlock ?? 3, maxBlock = options.maxBlock ?? 10;
  if (!(ratio >= 0)) throw new Error(`DARM: 'ratio' must be >= 0, got ${ratio}`);
  if (!(Number.isInteger(minBlock) && Number.isInteger(maxBlock) && minBlock >= 1 && maxBlock >= minBlock)) {
    throw new Error(`DARM: block sides must be integers with 1 <= minBlock <= maxBlock, got ${minBlock}..${maxBlock}`);
  }
  if (!options.rng) throw new Error("DARM: option 'rng' (a seeded Rng) is required");
  return { ratio, minBlock, maxBlock };
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

/** Place the blocks (see module doc). `options.rng` draws only the block sides here. */
export function maskBlocks(inputs: MaskBlocksInputs, options: DarmOptions): DarmResult {
  const { ratio, minBlock, maxBlock } = darmSettings(options);
  const { shape, order } = inputs;
  checkDarmArrays(shape, { image: inputs.image, mbc: inputs.mbc });
  const { height: h, width: w, channels: c } = shape;
  const image = Float32Array.from(inputs.image);
  const mbc = Float32Array.from(inputs.mbc);
  const blocks = new Uint8Array(mbc.length);
  const candidates = order.length;
  const target = ratio * candidates;
  let maskedArea = 0, blockCount = 0;
  for (let i = 0; i < order.length && maskedArea < target; i++) {
    const p = order[i];
    const b = Math.floor(p / (h * w)), y = Math.floor((p % (h * w)) / w), x = p % w;
    const k = options.rng.int(minBlock, maxBlock);
    const y0 = Math.max(0, y - Math.floor(k / 2)), y1 = Math.min(h, y - Math.floor(k / 2) + k);
    const x0 = Math.max(0, x - Math.floor(k / 2)), x1 = Math.min(w, x - Math.floor(k / 2) + k);
    for (let yy = y0; yy < y1; yy++) {
      const row = b * h * w + yy * w;
      mbc.fill(0, row + x0, row + x1);
      blocks.fill(1, row + x0, row + x1);
      image.fill(0, (row + x0) * c, (row + x1) * c);
    }
    maskedArea += (y1 - y0) * (x1 - x0);
    blockCount++;
  }
  return { image, mbc, blocks, candidates, maskedArea, blockCount };
}
