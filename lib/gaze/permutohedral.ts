/**
 * The permutohedral lattice (Adams, Baek & Davis, "Fast High-Dimensional
 * Filtering Using the Permutohedral Lattice", Eurographics 2010): approximate
 * Gaussian filtering in a d-dimensional feature space in O(N d^2), the
 * message-passing engine of the fully connected CRF (Kraehenbuehl & Koltun 2011).
 *
 * This follows Philipp Kraehenbuehl's densecrf `Permutohedral` (the code behind
 * pydensecrf) step for step, so the CRF gives the same marginals:
 * - features are scaled by the elevation matrix E with the factor
 *   sqrt(2/3) (d + 1), so the lattice blur approximates exp(-|f_i - f_j|^2 / 2)
 *   (up to a global constant) for features already divided by the kernel widths;
 * - each point finds its enclosing simplex (nearest remainder-0 point by
 *   rounding, then sorting the differences: `rank`), and its d + 1 vertices
 *   and barycentric weights; vertices live in a hash table keyed by their
 *   first d integer coordinates (the last one is implied: they sum to 0);
 * - filtering = splat (barycentric-weighted sums into vertices), blur with
 *   the unnormalised kernel [0.5, 1, 0.5] along each of the d + 1 lattice
 *   directions in order 0..d (missing neighbours count as 0), slice
 *   (barycentric interpolation) times alpha = 1 / (1 + 2^-d).
 * The point itself is part of its own neighbourhood: the filter includes the
 * i = j term, as densecrf's does.
 *
 * Rounding to the nearest remainder-0 point uses round-half-even, as the SSE
 * build of densecrf does (the x86 default); ties do not occur for image features
 * in practice. Sums are done in float64 and stored in float32.
 *
 * @module
 */

/** Grows-on-demand open-addressing hash table from integer keys of length `d` to dense ids. */
class KeyTable {
  readonly d: number;
  keys: Int32Array;
  table: Int32Array;
  size = 0;
  #mask: number;

  constructor(d: number, expected: number) {
    this.d = d;
    let cap = 16;
    while (cap < 2 * expected) cap *= 2;
    this.table = new Int32Array(cap).fill(-1);
    this.#mask = cap - 1;
    this.keys = new Int32Array(Math.max(16, expected) * d);
  }

  #hash(k: Int32Array, off: number): number {
    let h = 0;
    for (let i = 0; i < this.d; i++) h = Math.imul(h + k[off + i], 1664525) + 1013904223;
    h ^= h >>> 15;
    h = Math.imul(h, 0x2c1b3c6d);
    h ^= h >>> 12;
    return h & this.#mask;
  }

  #grow(): void {
    const cap = this.table.length * 2;
    this.table = new Int32Array(cap).fill(-1);
    this.#mask = cap - 1;
    for (let e = 0; e < this.size; e++) {
      let h = this.#hash(this.keys, e * this.d);
      while (this.table[h] >= 0) h = (h + 1) & this.#mask;
      this.table[h] = e;
    }
  }

  /** Id of key `k` (its first d entries), creating it when `create`; -1 when absent. */
  find(k: Int32Array, create: boolean): number {
    if (create && 2 * (this.size + 1) > this.table.length) this.#grow();
    const d = this.d, keys = this.keys, table = this.table, mask = this.#mask;
    let h = this.#hash(k, 0);
    for (;;) {
      const e = table[h];
      if (e < 0) {
        if (!create) return -1;
        if ((this.size + 1) * d > keys.length) {
          const bigger = new Int32Array(keys.length * 2);
          bigger.set(keys);
          this.keys = bigger;
        }
        this.keys.set(k.subarray(0, d), this.size * d);
        table[h] = this.size;
        return this.size++;
      }
      let same = true;
      for (let i = 0; i < d; i++) {
        if (keys[e * d + i] !== k[i]) {
          same = false;
          break;
        }
      }
      if (same) return e;
      h = (h + 1) & mask;
    }
  }
}

function roundHalfEven(v: number): number {
  const f = Math.floor(v), r = v - f;
  if (r < 0.5) return f;
  if (r > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * A permutohedral lattice built over N points with d-dimensional features.
 * Build once per image ({@link PermutohedralLattice.build}), filter many times.
 */
export class PermutohedralLattice {
  /** Number of points. */
  readonly n: number;
  /** Feature dimension. */
  readonly d: number;
  /** Number of lattice vertices (hash table entries). */
  readonly vertices: number;
  /** Per point, its d + 1 vertex ids plus 1 (slot 0 of the value arrays is the zero vertex). */
  readonly #offset: Int32Array;
  /** Per point, its d + 1 barycentric weights. */
  readonly #bary: Float32Array;
  /** Per direction j and vertex i: neighbour ids plus 1 at [2 (j M + i)] and [2 (j M + i) + 1]; 0 = missing. */
  readonly #blur: Int32Array;

  private constructor(
    n: number,
    d: number,
    vertices: number,
    offset: Int32Array,
    bary: Float32Array,
    blur: Int32Array,
  ) {
    this.n = n;
    this.d = d;
    this.vertices = vertices;
    this.#offset = offset;
    this.#bary = bary;
    this.#blur = blur;
  }

  /**
   * Build the lattice for `n` points whose features are stored point-major in
   * `features` (`features[i * d + k]`, already divided by the kernel widths).
   *
   * @example
   * ```ts
   * import { PermutohedralLattice } from "./permutohedral.ts";
   * const f = new Float32Array([0, 0, 0.1, 0, 5, 5]); // 3 points in 2-D
   * const lat = PermutohedralLattice.build(f, 3, 2);
   * const out = lat.filter(new Float32Array([1, 1, 1]), 1);
   * if (!(out[0] > out[2])) throw new Error("near points should share more weight");
   * ```
   */
  static build(features: Float32Array, n: number, d: number): PermutohedralLattice {
    if (!(Number.isInteger(n) && Number.isInteger(d) && n > 0 && d > 0)) {
      throw new Error(`PermutohedralLattice.build: need n > 0 points and d > 0 dimensions, got n=${n}, d=${d}`);
    }
    if (features.length !== n * d) {
      throw new Error(`PermutohedralLattice.build: features has ${features.length} values, expected n*d = ${n * d}`);
    }
    for (let i = 0; i < features.length; i++) {
      if (!Number.isFinite(features[i])) {
        throw new Error(`PermutohedralLattice.build: feature ${i % d} of point ${Math.floor(i / d)} is not finite`);
      }
    }
    const d1 = d + 1;
    // the vertex table grows by doubling (a 600 x 530 Kvasir image needs about 20k vertices, not n (d + 1))
    const table = new KeyTable(d, 1 << 12);
    const offset = new Int32Array(n * d1), bary = new Float32Array(n * d1);
    // canonical simplex: canonical[r * d1 + j] = r for j <= d - r, else r - d1
    const canonical = new Int32Array(d1 * d1);
    for (let r = 0; r <= d; r++) {
      for (let j = 0; j <= d - r; j++) canonical[r * d1 + j] = r;
      for (let j = d - r + 1; j <= d; j++) canonical[r * d1 + j] = r - d1;
    }
    const invStd = Math.sqrt(2 / 3) * d1;
    const scale = new Float64Array(d);
    for (let i = 0; i < d; i++) scale[i] = Math.fround((1 / Math.sqrt((i + 2) * (i + 1))) * invStd);
    const elevated = new Float64Array(d1), rem0 = new Int32Array(d1), rank = new Int32Array(d1);
    const b = new Float64Array(d + 2), key = new Int32Array(d1);
    const prevRem = new Int32Array(d1).fill(0x7fffffff), prevRank = new Int32Array(d1);
    const down = 1 / d1;
    for (let p = 0; p < n; p++) {
      // elevate: y = E f
      let sm = 0;
      for (let j = d; j > 0; j--) {
        const cf = features[p * d + j - 1] * scale[j - 1];
        elevated[j] = sm - j * cf;
        sm += cf;
      }
      elevated[0] = sm;
      // nearest remainder-0 point
      let sum = 0;
      for (let i = 0; i <= d; i++) {
        const v = roundHalfEven(elevated[i] * down);
        rem0[i] = v * d1;
        sum += v;
      }
      // rank of each coordinate of the difference
      for (let i = 0; i <= d; i++) rank[i] = 0;
      for (let i = 0; i < d; i++) {
        const di = elevated[i] - rem0[i];
        for (let j = i + 1; j <= d; j++) {
          if (di < elevated[j] - rem0[j]) rank[i]++;
          else rank[j]++;
        }
      }
      // bring the point back onto the plane sum = 0
      for (let i = 0; i <= d; i++) {
        rank[i] += sum;
        if (rank[i] < 0) {
          rank[i] += d1;
          rem0[i] += d1;
        } else if (rank[i] > d) {
          rank[i] -= d1;
          rem0[i] -= d1;
        }
      }
      // barycentric coordinates
      for (let i = 0; i <= d + 1; i++) b[i] = 0;
      for (let i = 0; i <= d; i++) {
        const v = (elevated[i] - rem0[i]) * down;
        b[d - rank[i]] += v;
        b[d - rank[i] + 1] -= v;
      }
      b[0] += 1 + b[d + 1];
      // vertices: reuse the previous point's when it lies in the same simplex (neighbouring pixels usually do)
      let same = true;
      for (let i = 0; i <= d; i++) {
        if (rem0[i] !== prevRem[i] || rank[i] !== prevRank[i]) {
          same = false;
          break;
        }
      }
      const o = p * d1;
      if (same) {
        for (let r = 0; r <= d; r++) offset[o + r] = offset[o - d1 + r];
      } else {
        for (let r = 0; r <= d; r++) {
          for (let i = 0; i < d; i++) key[i] = rem0[i] + canonical[r * d1 + rank[i]];
          offset[o + r] = table.find(key, true) + 1;
        }
        for (let i = 0; i <= d; i++) {
          prevRem[i] = rem0[i];
          prevRank[i] = rank[i];
        }
      }
      for (let r = 0; r <= d; r++) bary[o + r] = b[r];
    }
    const m = table.size;
    const blur = new Int32Array(2 * d1 * m);
    const n1 = new Int32Array(d1), n2 = new Int32Array(d1);
    for (let j = 0; j <= d; j++) {
      for (let i = 0; i < m; i++) {
        for (let k = 0; k < d; k++) {
          const v = table.keys[i * d + k];
          n1[k] = v - 1;
          n2[k] = v + 1;
        }
        if (j < d) {
          n1[j] = table.keys[i * d + j] + d;
          n2[j] = table.keys[i * d + j] - d;
        }
        blur[2 * (j * m + i)] = table.find(n1, false) + 1;
        blur[2 * (j * m + i) + 1] = table.find(n2, false) + 1;
      }
    }
    return new PermutohedralLattice(n, d, m, offset, bary, blur);
  }

  /**
   * Filter `valueSize` values per point (point-major, `values[i * valueSize + c]`):
   * out_i = alpha * sum over the point's vertices of w * blur(splat(values)).
   * Returns a new float32 array of the same layout.
   */
  filter(values: Float32Array, valueSize: number): Float32Array {
    const { n, d, vertices: m } = this;
    const vs = valueSize, d1 = d + 1;
    if (!(Number.isInteger(vs) && vs > 0) || values.length !== n * vs) {
      throw new Error(`PermutohedralLattice.filter: expected ${n} x ${valueSize} values, got ${values.length}`);
    }
    const offset = this.#offset, bary = this.#bary, blur = this.#blur;
    let cur = new Float32Array((m + 1) * vs), next = new Float32Array((m + 1) * vs);
    const out = new Float32Array(n * vs);
    const alpha = 1 / (1 + Math.pow(2, -d));
    if (vs === 1) {
      for (let p = 0, k = 0; p < n; p++) {
        const v = values[p];
        for (let r = 0; r < d1; r++, k++) cur[offset[k]] += bary[k] * v;
      }
      for (let j = 0; j <= d; j++) {
        for (let i = 0, b = 2 * j * m; i < m; i++, b += 2) {
          next[i + 1] = cur[i + 1] + 0.5 * (cur[blur[b]] + cur[blur[b + 1]]);
        }
        const t = cur;
        cur = next;
        next = t;
      }
      for (let p = 0, k = 0; p < n; p++) {
        let acc = 0;
        for (let r = 0; r < d1; r++, k++) acc += bary[k] * alpha * cur[offset[k]];
        out[p] = acc;
      }
      return out;
    }
    if (vs === 2) {
      for (let p = 0, k = 0; p < n; p++) {
        const v0 = values[2 * p], v1 = values[2 * p + 1];
        for (let r = 0; r < d1; r++, k++) {
          const o = 2 * offset[k], w = bary[k];
          cur[o] += w * v0;
          cur[o + 1] += w * v1;
        }
      }
      for (let j = 0; j <= d; j++) {
        for (let i = 0, b = 2 * j * m; i < m; i++, b += 2) {
          const o = 2 * (i + 1), a = 2 * blur[b], c = 2 * blur[b + 1];
          next[o] = cur[o] + 0.5 * (cur[a] + cur[c]);
          next[o + 1] = cur[o + 1] + 0.5 * (cur[a + 1] + cur[c + 1]);
        }
        const t = cur;
        cur = next;
        next = t;
      }
      for (let p = 0, k = 0; p < n; p++) {
        let a0 = 0, a1 = 0;
        for (let r = 0; r < d1; r++, k++) {
          const o = 2 * offset[k], w = bary[k] * alpha;
          a0 += w * cur[o];
          a1 += w * cur[o + 1];
        }
        out[2 * p] = a0;
        out[2 * p + 1] = a1;
      }
      return out;
    }
    // any number of values per point
    for (let p = 0; p < n; p++) {
      for (let r = 0; r < d1; r++) {
        const o = offset[p * d1 + r] * vs, w = bary[p * d1 + r];
        for (let c = 0; c < vs; c++) cur[o + c] += w * values[p * vs + c];
      }
    }
    for (let j = 0; j <= d; j++) {
      const base = 2 * j * m;
      for (let i = 0; i < m; i++) {
        const a = blur[base + 2 * i] * vs, bb = blur[base + 2 * i + 1] * vs, o = (i + 1) * vs;
        for (let c = 0; c < vs; c++) next[o + c] = cur[o + c] + 0.5 * (cur[a + c] + cur[bb + c]);
      }
      const t = cur;
      cur = next;
      next = t;
    }
    const acc = new Float64Array(vs);
    for (let p = 0; p < n; p++) {
      acc.fill(0);
      for (let r = 0; r < d1; r++) {
        const o = offset[p * d1 + r] * vs, w = bary[p * d1 + r] * alpha;
        for (let c = 0; c < vs; c++) acc[c] += w * cur[o + c];
      }
      for (let c = 0; c < vs; c++) out[p * vs + c] = acc[c];
    }
    return out;
  }
}
