/**
 * Seeded pseudo-random numbers, so every random choice in the toolkit (data
 * order, flips, DARM blocks, CutMix boxes, simulated gaze) is reproducible from
 * one integer seed.
 *
 * The generator is mulberry32 (32-bit state, period 2^32), which is fast,
 * well distributed for simulation use, and trivially portable.
 *
 * @module
 */

/** A seeded generator of uniform numbers in [0, 1) plus a few distributions. */
export class Rng {
  #state: number;

  /**
   * Create a generator from an integer seed. Equal seeds give equal streams.
   *
   * @example
   * ```ts
   * import { Rng } from "./rng.ts";
   * const a = new Rng(7), b = new Rng(7);
   * if (a.next() !== b.next()) throw new Error("not reproducible");
   * ```
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.#state = (Math.floor(seed) ^ 0x9e3779b9) >>> 0;
  }

  /** The next uniform number in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform number in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A uniform integer in [lo, hi] (both ends included). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** A standard normal draw (Box-Muller). */
  normal(mean = 0, std = 1): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A Gamma(shape, 1) draw (Marsaglia-Tsang; shape > 0). */
  gamma(shape: number): number {
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.next(), 1 / shape);
    const d = shape - 1 / 3, c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number, v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.next();
      if (u < 1 - 0.0331 * x ** 4) return d * v;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /** A Beta(a, b) draw, e.g. the CutMix mixing ratio Beta(4, 4). */
  beta(a: number, b: number): number {
    const x = this.gamma(a), y = this.gamma(b);
    return x / (x + y);
  }

  /** Shuffle an array in place (Fisher-Yates) and return it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }

  /** A new generator whose seed is drawn from this one (for independent sub-streams). */
  fork(): Rng {
    return new Rng(Math.floor(this.next() * 4294967296));
  }
}

/**
 * Derive a stable 32-bit seed from a base seed and a label, so that separate
 * concerns (data order, augmentation, DARM, weights) get independent streams.
 *
 * @example
 * ```ts
 * import { deriveSeed } from "../../mod.ts";
 * const a = deriveSeed(0, "darm"), b = deriveSeed(0, "flip");
 * if (a === b) throw new Error("streams collide");
 * ```
 */
export function deriveSeed(seed: number, label: string): number {
  let h = (Math.floor(seed) ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
