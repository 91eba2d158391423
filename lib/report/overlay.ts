/**
 * Raster helpers for figures: any image to displayable RGB, masks and heat maps drawn
 * over it, and a size cap so figures embedding images stay small. All plain typed-array
 * code on {@link Raster}s (HWC, interleaved); no tensors.
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";
import { resize } from "../data/resize.ts";

/** An RGB colour, 0..255 per channel. */
export type Rgb = readonly [number, number, number];

/** Colours used across the figures. */
export const COLORS = {
  /** Ground truth. */
  gt: [0, 200, 0] as Rgb,
  /** A prediction. */
  pred: [255, 60, 60] as Rgb,
  /** Gaze. */
  gaze: [255, 200, 0] as Rgb,
} as const;

/**
 * An 8-bit RGB copy of `image` for display: RGB uint8 is copied; 1-channel images
 * (MRI float pixels, masks) are min-max scaled to 0..255 and repeated to 3 channels; a
 * 4th channel is dropped. A constant image becomes black.
 */
export function toDisplayRgb(image: Raster): Raster<Uint8Array> {
  const { width, height, channels, data } = image;
  const n = width * height;
  const out = new Uint8Array(n * 3);
  if (channels >= 3 && data instanceof Uint8Array) {
    for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = data[i * channels + c];
    return { width, height, channels: 3, data: out };
  }
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = data[i * channels];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi > lo ? hi - lo : 1;
  for (let i = 0; i < n; i++) {
    if (channels >= 3) {
      for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round((255 * (data[i * channels + c] - lo)) / span);
    } else {
      const g = hi > lo ? Math.round((255 * (data[i] - lo)) / span) : 0;
      out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = g;
    }
  }
  return { width, height, channels: 3, data: out };
}

/**
 * The size that fits `maxSide` keeping the aspect ratio (never upscales).
 *
 * @example
 * ```ts
 * import { fitSize } from "../../mod.ts";
 * const s = fitSize({ width: 1000, height: 500 }, 200); // { width: 200, height: 100 }
 * ```
 */
export function fitSize(size: { width: number; height: number }, maxSide: number): { width: number; height: number } {
  const k = Math.min(1, maxSide / Math.max(size.width, size.height));
  return { width: Math.max(1, Math.round(size.width * k)), height: Math.max(1, Math.round(size.height * k)) };
}

/**
 * Resize for display to at most `maxSide` px: bilinear for images and maps, nearest
 * for masks (`options.mask`). 8-bit input stays 8-bit (rounded, clamped).
 */
export function shrink<T extends Raster>(r: T, maxSide: number, options: { mask?: boolean } = {}): T {
  const size = fitSize(r, maxSide);
  if (size.width === r.width && size.height === r.height) return r;
  const out = resize(r, { ...size, mode: options.mask ? "nearest" : "bilinear" });
  if (r.data instanceof Uint8Array && !(out.data instanceof Uint8Array)) {
    const u = new Uint8Array(out.data.length);
    for (let i = 0; i < u.length; i++) u[i] = Math.min(255, Math.max(0, Math.round(out.data[i])));
    return { ...out, data: u } as T;
  }
  return out as T;
}

function checkSame(a: { width: number; height: number }, b: { width: number; height: number }, what: string): void {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`${what}: size ${b.width}x${b.height} does not match the image ${a.width}x${a.height}`);
  }
}

/**
 * Draw a binary mask (non-zero = inside; 1 channel) over an RGB image: inside pixels
 * blended with `color` at `alpha` (default 0.35), and the mask's boundary (inside pixels
 * with a 4-neighbour outside or on the border) painted opaque. Returns a new raster.
 */
export function overlayMask(
  rgb: Raster<Uint8Array>,
  mask: Raster | { width: number; height: number; data: ArrayLike<number> },
  options: { color?: Rgb; alpha?: number; contour?: boolean } = {},
): Raster<Uint8Array> {
  checkSame(rgb, mask, "overlayMask");
  const color = options.color ?? COLORS.pred, alpha = options.alpha ?? 0.35, contour = options.contour ?? true;
  const { width: w, height: h } = rgb;
  const m = mask.data;
  const out = Uint8Array.from(rgb.data);
  const inside = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && m[y * w + x] !== 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (!inside(x, y)) continue;
      const edge = contour && (!inside(x - 1, y) || !inside(x + 1, y) || !inside(x, y - 1) || !inside(x, y + 1));
      const a = edge ? 1 : alpha;
      const i = (y * w + x) * 3;
      for (let c = 0; c < 3; c++) out[i + c] = Math.round(out[i + c] * (1 - a) + color[c] * a);
    }
  }
  return { width: w, height: h, channels: 3, data: out };
}

/**
 * The "turbo" colour map (Google's polynomial approximation) at t in [0, 1], as RGB 0..255.
 */
export function turbo(t: number): Rgb {
  const x = Math.min(1, Math.max(0, t));
  const r = 0.13572138 +
    x * (4.6153926 + x * (-42.66032258 + x * (132.13108234 + x * (-152.94239396 + x * 59.28637943))));
  const g = 0.09140261 + x * (2.19418839 + x * (4.84296658 + x * (-14.18503333 + x * (4.27729857 + x * 2.82956604))));
  const b = 0.1066733 +
    x * (12.64194608 + x * (-60.58204836 + x * (110.36276771 + x * (-89.90310912 + x * 27.34824973))));
  const c = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  return [c(r), c(g), c(b)];
}

/**
 * The turbo colour map as a Plotly colour scale with `n` stops (default 11), for colour bars
 * next to {@link overlayHeatmap} panels.
 *
 * @example
 * ```ts
 * import { turboColorscale } from "../../mod.ts";
 * const cs = turboColorscale(3); // [[0, "#..."], [0.5, "#..."], [1, "#..."]]
 * ```
 */
export function turboColorscale(n = 11): [number, string][] {
  if (!(Number.isInteger(n) && n >= 2)) throw new Error(`turboColorscale: n must be an integer >= 2, got ${n}`);
  return Array.from({ length: n }, (_, i) => {
    const t = i / (n - 1);
    return [t, "#" + turbo(t).map((v) => v.toString(16).padStart(2, "0")).join("")] as [number, string];
  });
}

/**
 * Draw a heat map (1 channel, values in [0, 1], or 8-bit 0..255 scaled by 1/255) over an
 * RGB image with the turbo colour map; the blend weight is `alpha * value` (default
 * alpha 0.6), so cold regions keep the image visible. `options.normalise` min-max
 * scales the map first (attention maps).
 */
export function overlayHeatmap(
  rgb: Raster<Uint8Array>,
  map: Raster,
  options: { alpha?: number; normalise?: boolean } = {},
): Raster<Uint8Array> {
  checkSame(rgb, map, "overlayHeatmap");
  const alpha = options.alpha ?? 0.6;
  const n = rgb.width * rgb.height;
  const scale = map.data instanceof Uint8Array ? 1 / 255 : 1;
  let lo = 0, hi = 1;
  if (options.normalise) {
    lo = Infinity;
    hi = -Infinity;
    for (let i = 0; i < n; i++) {
      const v = map.data[i * map.channels] * scale;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) hi = lo + 1;
  }
  const out = Uint8Array.from(rgb.data);
  for (let i = 0; i < n; i++) {
    const v = Math.min(1, Math.max(0, (map.data[i * map.channels] * scale - lo) / (hi - lo)));
    const col = turbo(v), a = alpha * v;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = Math.round(out[i * 3 + c] * (1 - a) + col[c] * a);
  }
  return { width: rgb.width, height: rgb.height, channels: 3, data: out };
}
