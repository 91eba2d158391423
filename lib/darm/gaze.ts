/**
 * DARM, `gaze` variant (the released code): candidates U = pixels where the two gaze masks differ.
 *
 * @module
 */
import { checkDarmArrays, darmSettings, maskBlocks } from "./mask_blocks.ts";
import type { DarmOptions, DarmResult, DarmShape } from "./types.ts";

/** Inputs of {@link darmGaze}. */
export interface DarmGazeInputs {
  /** Normalised image `B*H*W*C`. */
  image: Float32Array;
  /** High-confidence mask M_hc `B*H*W` (0/1). */
  mhc: Float32Array | Uint8Array;
  /** Broad-coverage mask M_bc `B*H*W` (0/1). */
  mbc: Float32Array | Uint8Array;
  /** Geometry. */
  shape: DarmShape;
}

/**
 * U = {pixels over the batch with (M_hc > 0.5) != (M_bc > 0.5)}; shuffle U with `options.rng`; place blocks
 * until floor(ratio * |U|) is covered (see `maskBlocks`). Reproducible from the generator's seed.
 *
 * @example
 * ```ts
 * import { Rng } from "../../mod.ts";
 * import { darmGaze } from "../../mod.ts";
 * const shape = { batch: 1, height: 16, width: 16, channels: 3 };
 * const mbc = new Float32Array(256).fill(1), mhc = new Float32Array(256);
 * const r = darmGaze({ image: new Float32Array(768).fill(1), mhc, mbc, shape }, { rng: new Rng(0) });
 * console.log(r.maskedArea >= Math.floor(0.3 * r.candidates)); // true
 * ```
 */
export function darmGaze(inputs: DarmGazeInputs, options: DarmOptions): DarmResult {
  darmSettings(options);
  checkDarmArrays(inputs.shape, { image: inputs.image, mhc: inputs.mhc, mbc: inputs.mbc });
  const u: number[] = [];
  for (let i = 0; i < inputs.mbc.length; i++) {
    if ((inputs.mhc[i] > 0.5) !== (inputs.mbc[i] > 0.5)) u.push(i);
  }
  options.rng.shuffle(u);
  return maskBlocks({ image: inputs.image, mbc: inputs.mbc, order: u, shape: inputs.shape }, options);
}
