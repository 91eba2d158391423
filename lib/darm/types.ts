/**
 * Types of DARM (disagreement-aware random masking).
 *
 * DARM works on plain typed arrays (NHWC, row-major, like tensor `dataSync()` output), not on
 * tensors: it is index bookkeeping with a seeded Rng, cheap in JS, and identical on every backend.
 * `darmTensors` wraps it for tensor inputs.
 *
 * @module
 */
import type { Rng } from "../core/mod.ts";

/** Batch geometry of the flat arrays. */
export interface DarmShape {
  /** B. */
  batch: number;
  /** H. */
  height: number;
  /** W. */
  width: number;
  /** Image channels C. */
  channels: number;
}

/** Options shared by both variants. */
export interface DarmOptions {
  /** The seeded generator (drives the pixel order and the block sizes). */
  rng: Rng;
  /** Target masked area as a share of |U| (default 0.3). */
  ratio?: number;
  /** Smallest block side (default 3). */
  minBlock?: number;
  /** Largest block side (default 10). */
  maxBlock?: number;
  /**
   * Window of a drawn side k: `odd` (default, the released code) = rows and columns
   * c - floor(k/2) .. c + floor(k/2), side 2 floor(k/2) + 1; `side-k` = c - floor(k/2) .. c - floor(k/2) + k - 1
   * (this toolkit's earlier reading).
   */
  window?: DarmWindow;
  /** Stop target: `floor` (default, the released code) = floor(ratio |U|); `exact` = ratio |U|. */
  target?: DarmTarget;
  /**
   * Block placement: `ring` (default, the released code), or this toolkit's variants `ring+random` and
   * `mixed` (see `maskBlocks`).
   */
  placement?: DarmPlacement;
  /**
   * `placement: "mixed"` only (this toolkit's variant): probability p that a block is centred on the next
   * ring candidate rather than on a uniformly random pixel; in [0, 1], default 0.5. Ignored otherwise.
   */
  ringProbability?: number;
  /** Block content: `zero` (default, the released code), `mean` or `noise` (this toolkit's variants, see `maskBlocks`). */
  fill?: DarmFill;
}

/** DARM block placement (see {@link DarmOptions.placement}). */
export type DarmPlacement = "ring" | "ring+random" | "mixed";

/** DARM block content (see {@link DarmOptions.fill}). */
export type DarmFill = "zero" | "mean" | "noise";

/** DARM window shape (see {@link DarmOptions.window}). */
export type DarmWindow = "odd" | "side-k";

/** DARM stop target (see {@link DarmOptions.target}). */
export type DarmTarget = "floor" | "exact";

/** What DARM returns (new arrays; the inputs are not modified). */
export interface DarmResult {
  /** The masked normalised image, `B*H*W*C` (all channels zeroed inside the blocks). */
  image: Float32Array;
  /** The masked broad-coverage mask M_bc, `B*H*W` (zeroed inside the blocks). */
  mbc: Float32Array;
  /** Block map `B*H*W`: 1 where a block covered the pixel, else 0 (for figures). */
  blocks: Uint8Array;
  /** |U|, the number of candidate (disagreement) pixels over the batch. */
  candidates: number;
  /**
   * Masked area the stop rule counts, with overlaps (sum of the clipped block areas): the candidate
   * blocks, and with `placement: "mixed"` also its uniformly placed blocks (the extra blocks of
   * `ring+random` are not counted here).
   */
  maskedArea: number;
  /** Number of blocks placed. */
  blockCount: number;
  /** Area of the blocks at uniformly random centres (`placement: "ring+random"` or `"mixed"`; 0 otherwise). */
  randomArea: number;
}
