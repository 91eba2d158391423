/**
 * Image resizing with the half-pixel-centre convention used by OpenCV
 * (`cv2.resize`) and PyTorch (`interpolate(..., align_corners=False)`):
 * source coordinate = (dst + 0.5) * (src / dst) - 0.5, clamped at the borders.
 *
 * - `bilinear`: images and CRF maps at load time (docs/METHOD.md section 3.3).
 * - `nearest`: ground-truth masks (source index = floor(dst * src / dst), as cv2 INTER_NEAREST).
 * - `bicubic`: the gaze heatmap (Keys kernel, a = -0.75, as cv2 INTER_CUBIC).
 *
 * Output is float32 for bilinear/bicubic and the input's type for nearest.
 *
 * @module
 */
import type { Raster, RasterData } from "./raster.ts";

/** Interpolation modes of {@link resize}. */
export type ResizeMode = "bilinear" | "nearest" | "bicubic";

function cubicWeights(t: number, a: number, out: Float64Array): void {
  // Keys cubic convolution weights for offsets -1, 0, 1, 2 around t in [0, 1)
  const w = (x: number) => {
    x = Math.abs(x);
    if (x <= 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    return 0;
  };
  out[0] = w(1 + t);
  out[1] = w(t);
  out[2] = w(1 - t);
  out[3] = w(2 - t);
}

/**
 * Resize a raster to `width` x `height`.
 *
 * @example
 * ```ts
 * import { resize } from "../../mod.ts";
 * const src = { width: 2, height: 1, channels: 1, data: new Float32Array([0, 1]) };
 * const up = resize(src, { width: 4, height: 1, mode: "bilinear" });
 * // half-pixel centres: [0, 0.25, 0.75, 1]
 * ```
 */
export function resize(
  src: Raster,
  options: { width: number; height: number; mode: ResizeMode },
): Raster {
  const { width: W, height: H, mode } = options;
  const { width: w, height: h, channels: C, data } = src;
  if (!(W > 0 && H > 0)) throw new Error(`resize: target size must be positive, got ${W}x${H}`);
  if (mode === "nearest") {
    const out = new (data.constructor as { new (n: number): RasterData })(W * H * C);
    for (let y = 0; y < H; y++) {
      const sy = Math.min(h - 1, Math.floor((y * h) / H));
      for (let x = 0; x < W; x++) {
        const sx = Math.min(w - 1, Math.floor((x * w) / W));
        const si = (sy * w + sx) * C, di = (y * W + x) * C;
        for (let c = 0; c < C; c++) out[di + c] = data[si + c];
      }
    }
    return { width: W, height: H, channels: C, data: out };
  }
  const out = new Float32Array(W * H * C);
  const sxScale = w / W, syScale = h / H;
  if (mode === "bilinear") {
    const x0s = new Int32Array(W), x1s = new Int32Array(W), fx = new Float32Array(W);
    for (let x = 0; x < W; x++) {
      let s = (x + 0.5) * sxScale - 0.5;
      if (s < 0) s = 0;
      const x0 = Math.min(Math.floor(s), w - 1);
      x0s[x] = x0;
      x1s[x] = Math.min(x0 + 1, w - 1);
      fx[x] = s - x0;
    }
    for (let y = 0; y < H; y++) {
      let s = (y + 0.5) * syScale - 0.5;
      if (s < 0) s = 0;
      const y0 = Math.min(Math.floor(s), h - 1), y1 = Math.min(y0 + 1, h - 1), fy = s - y0;
      for (let x = 0; x < W; x++) {
        const a = (y0 * w + x0s[x]) * C, b = (y0 * w + x1s[x]) * C;
        const c0 = (y1 * w + x0s[x]) * C, d = (y1 * w + x1s[x]) * C, di = (y * W + x) * C;
        for (let c = 0; c < C; c++) {
          const top = data[a + c] + (data[b + c] - data[a + c]) * fx[x];
          const bot = data[c0 + c] + (data[d + c] - data[c0 + c]) * fx[x];
          out[di + c] = top + (bot - top) * fy;
        }
      }
    }
    return { width: W, height: H, channels: C, data: out };
  }
  // bicubic
  const A = -0.75;
  const wx = new Float64Array(4 * W), ix = new Int32Array(4 * W), tmp = new Float64Array(4);
  for (let x = 0; x < W; x++) {
    const s = (x + 0.5) * sxScale - 0.5, x0 = Math.floor(s);
    cubicWeights(s - x0, A, tmp);
    for (let k = 0; k < 4; k++) {
      wx[4 * x + k] = tmp[k];
      ix[4 * x + k] = Math.min(w - 1, Math.max(0, x0 - 1 + k));
    }
  }
  const wy = new Float64Array(4);
  for (let y = 0; y < H; y++) {
    const s = (y + 0.5) * syScale - 0.5, y0 = Math.floor(s);
    cubicWeights(s - y0, A, wy);
    const rows = [0, 1, 2, 3].map((k) => Math.min(h - 1, Math.max(0, y0 - 1 + k)));
    for (let x = 0; x < W; x++) {
      const di = (y * W + x) * C;
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let ky = 0; ky < 4; ky++) {
          const row = rows[ky] * w;
          let r = 0;
          for (let kx = 0; kx < 4; kx++) r += wx[4 * x + kx] * data[(row + ix[4 * x + kx]) * C + c];
          acc += wy[ky] * r;
        }
        out[di + c] = acc;
      }
    }
  }
  return { width: W, height: H, channels: C, data: out };
}
