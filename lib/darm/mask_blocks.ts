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

/** Place the blocks (see module doc). `options.rng` draws only the block sides here. */
export function maskBlocks(inputs: MaskBlocksInputs, options: DarmOptions): DarmResult {
  void inputs;
  void options;
  throw new Error("maskBlocks: not yet implemented");
}
