/**
 * The fully connected CRF of Kraehenbuehl & Koltun (NIPS 2011) that refines a
 * gaze heatmap (docs/METHOD.md section 3.2), with exactly the semantics of
 * pydensecrf's
 * ```
 * d = DenseCRF2D(W, H, 2); d.setUnaryEnergy(unary_from_softmax([1 - h, h]))
 * d.addPairwiseBilateral(sxy=80, srgb=13, rgbim=img, compat=1)  # DIAG_KERNEL, NORMALIZE_SYMMETRIC
 * Q = d.inference(10); crf = Q[1]
 * ```
 * - Unary: U_l = -log(clip(p_l, 1e-5, 1)) with p = [1 - h, h] in float32.
 * - One bilateral kernel on features f_i = (x/80, y/80, r/13, g/13, b/13)
 *   (x = column, y = row, RGB uint8), filtered on the permutohedral lattice
 *   (permutohedral.ts); no smoothness (xy-only) kernel.
 * - NORMALIZE_SYMMETRIC: n_i = 1 / sqrt(K1_i + 1e-20) with K1 = lattice
 *   filter of a vector of ones; the message is n .* K(n .* Q), i.e. the kernel
 *   D^-1/2 K D^-1/2. As in densecrf, the point itself is NOT excluded
 *   (K includes the j = i term), and nothing is subtracted for it.
 * - Potts compatibility w = 1: densecrf's PottsCompatibility maps the message
 *   m to -w m, and inference computes tmp = -U - (-w m) = -U + w m per label
 *   (equivalent to the textbook -U - w sum_{l' != l} m_l' up to a per-pixel
 *   constant that the softmax removes).
 * - Mean field: Q0 = softmax(-U); 10 times Q = softmax(-U + w n .* K(n .* Q)).
 * The output is the foreground marginal Q1 (float32, one per pixel).
 *
 * For MRI the guide image is the slice min-max scaled to 0..255, truncated to
 * uint8 and repeated to 3 channels ({@link crfGuideImage}), as GazeMedSeg does.
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";
import { PermutohedralLattice } from "./permutohedral.ts";

/** CRF parameters (defaults: docs/METHOD.md section 3.2). */
export interface DenseCrfOptions {
  /** Spatial kernel width in pixels (default 80). */
  thetaXY?: number;
  /** Colour kernel width in uint8 intensity units (default 13). */
  thetaRGB?: number;
  /** Potts compatibility weight of the bilateral kernel (default 1). */
  weight?: number;
  /** Mean-field iterations (default 10). */
  iterations?: number;
  /** Probability clip of the unary (default 1e-5, pydensecrf's unary_from_softmax). */
  clip?: number;
}

/**
 * The 3-channel uint8 guide image of the bilateral kernel. RGB uint8 images
 * pass through; a 1-channel image of any type (MRI) is min-max scaled to
 * 0..255 in float32, truncated to uint8 and repeated to 3 channels (a constant
 * image becomes all zeros).
 */
export function crfGuideImage(image: Raster): Raster<Uint8Array> {
  if (image.channels === 3 && image.data instanceof Uint8Array) return image as Raster<Uint8Array>;
  if (image.channels !== 1) {
    throw new Error(`crfGuideImage: expected an RGB uint8 image or a 1-channel image, got ${image.channels} channels`);
  }
  const src = image.data, n = image.width * image.height;
  let mn = Infinity, mx = -Infinity;
  for (let i = 0; i < n; i++) {
    if (src[i] < mn) mn = src[i];
    if (src[i] > mx) mx = src[i];
  }
  const out = new Uint8Array(n * 3);
  const range = Math.fround(mx - mn);
  if (range > 0) {
    for (let i = 0; i < n; i++) {
      const v = Math.trunc(Math.fround(Math.fround(Math.fround(src[i] - mn) / range) * 255));
      out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = v;
    }
  }
  return { width: image.width, height: image.height, channels: 3, data: out };
}

/**
 * Bilateral features (x/thetaXY, y/thetaXY, r/thetaRGB, g/thetaRGB, b/thetaRGB)
 * per pixel, point-major, float32 (as densecrf's addPairwiseBilateral).
 */
export function bilateralFeatures(
  image: Raster<Uint8Array>,
  options: { thetaXY?: number; thetaRGB?: number } = {},
): Float32Array {
  if (image.channels !== 3) throw new Error(`bilateralFeatures: expected 3 channels, got ${image.channels}`);
  const sxy = Math.fround(options.thetaXY ?? 80), srgb = Math.fround(options.thetaRGB ?? 13);
  if (!(sxy > 0 && srgb > 0)) throw new Error(`bilateralFeatures: kernel widths must be > 0, got ${sxy}, ${srgb}`);
  const { width: w, height: h, data } = image;
  const f = new Float32Array(w * h * 5);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      f[5 * i] = x / sxy;
      f[5 * i + 1] = y / sxy;
      f[5 * i + 2] = data[3 * i] / srgb;
      f[5 * i + 3] = data[3 * i + 1] / srgb;
      f[5 * i + 4] = data[3 * i + 2] / srgb;
    }
  }
  return f;
}

/**
 * The 2-label unary energies U = -log(clip([1 - h, h], clip, 1)), point-major
 * (`U[2 i + l]`), float32 like pydensecrf's `unary_from_softmax`.
 */
export function crfUnary(prob: Raster, options: { clip?: number } = {}): Float32Array {
  if (prob.channels !== 1) throw new Error(`crfUnary: expected a 1-channel probability map, got ${prob.channels}`);
  const clip = options.clip ?? 1e-5;
  const n = prob.width * prob.height, u = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const h = Math.fround(prob.data[i]);
    const p0 = Math.min(1, Math.max(clip, Math.fround(1 - h))), p1 = Math.min(1, Math.max(clip, h));
    u[2 * i] = -Math.log(Math.fround(p0));
    u[2 * i + 1] = -Math.log(Math.fround(p1));
  }
  return u;
}

function softmax2(a: number, b: number): number {
  // returns the second label's probability, computed as densecrf's expAndNormalize (subtract the max first)
  const m = a > b ? a : b;
  const ea = Math.exp(a - m), eb = Math.exp(b - m);
  return eb / (ea + eb);
}

/** Output of {@link denseCrf}. */
export interface DenseCrfResult {
  /** Foreground marginal Q1 per pixel, 1 channel float32 in [0, 1]. */
  q1: Raster<Float32Array>;
  /** Lattice vertices (for diagnostics and benchmarks). */
  vertices: number;
}

/**
 * Run the dense CRF on `image` (RGB uint8, or 1-channel MRI: see
 * {@link crfGuideImage}) with the foreground probability map `prob`
 * (1 channel, same size, values in [0, 1], e.g. the 8-bit heatmap / 255).
 *
 * @example
 * ```ts
 * import { denseCrf } from "../../mod.ts";
 * const image = { width: 4, height: 1, channels: 3, data: new Uint8Array([0,0,0, 0,0,0, 255,255,255, 255,255,255]) };
 * const prob = { width: 4, height: 1, channels: 1, data: new Float32Array([0.2, 0.45, 0.55, 0.8]) };
 * const { q1 } = denseCrf(image, prob, { thetaXY: 10 });
 * if (!(q1.data[1] < 0.45 && q1.data[2] > 0.55)) throw new Error("edges should sharpen");
 * ```
 */
export function denseCrf(image: Raster, prob: Raster, options: DenseCrfOptions = {}): DenseCrfResult {
  const guide = crfGuideImage(image);
  const { width: w, height: h } = guide;
  if (prob.width !== w || prob.height !== h) {
    throw new Error(`denseCrf: probability map is ${prob.width}x${prob.height}, image is ${w}x${h}`);
  }
  const iterations = options.iterations ?? 10, weight = options.weight ?? 1;
  if (!(Number.isInteger(iterations) && iterations >= 0)) {
    throw new Error(`denseCrf: iterations must be a non-negative integer, got ${iterations}`);
  }
  const n = w * h;
  const unary = crfUnary(prob, { clip: options.clip });
  const lattice = PermutohedralLattice.build(bilateralFeatures(guide, options), n, 5);
  const norm = lattice.filter(new Float32Array(n).fill(1), 1);
  for (let i = 0; i < n; i++) norm[i] = 1 / Math.sqrt(norm[i] + 1e-20);
  const q = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const q1 = softmax2(-unary[2 * i], -unary[2 * i + 1]);
    q[2 * i + 1] = q1;
    q[2 * i] = 1 - q1;
  }
  const scaled = new Float32Array(2 * n);
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < n; i++) {
      scaled[2 * i] = norm[i] * q[2 * i];
      scaled[2 * i + 1] = norm[i] * q[2 * i + 1];
    }
    const msg = lattice.filter(scaled, 2);
    for (let i = 0; i < n; i++) {
      const a = -unary[2 * i] + weight * Math.fround(norm[i] * msg[2 * i]);
      const b = -unary[2 * i + 1] + weight * Math.fround(norm[i] * msg[2 * i + 1]);
      const q1 = softmax2(a, b);
      q[2 * i + 1] = q1;
      q[2 * i] = 1 - q1;
    }
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = q[2 * i + 1];
  return { q1: { width: w, height: h, channels: 1, data: out }, vertices: lattice.vertices };
}
