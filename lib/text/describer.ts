/**
 * The offline describer: fills the six fields of schema.ts from the image and
 * the gaze maps ONLY. It never sees a ground-truth mask (its signature has no
 * mask argument), so its text is a weak signal exactly like the gaze itself.
 * It is the default when no VLM endpoint is configured; every output says
 * `source: "offline-describer"` so it is never mistaken for a VLM answer.
 *
 * How each field is measured (on a block-averaged copy whose longer side is at
 * most `workSize` px; "region" = CRF map >= 0.5, the gazed region):
 *
 * | field           | measurement                                                                         |
 * |-----------------|-------------------------------------------------------------------------------------|
 * | Location        | CRF-weighted centroid of the region, on a 3x3 grid                                  |
 * | Area Percentage | share of pixels with CRF >= 0.5 at full resolution, binned (schema.ts AREA_BINS)    |
 * | Boundary        | mean Sobel gradient of the luminance on the region's contour / mean over the image  |
 * | Characteristics | colour, brightness and texture of the region's interior vs a ring around it         |
 * | Confidence      | dwell concentration: share of the gaze heat inside the region, and gaze clusters    |
 * | Remarks         | several gaze clusters, region touching the field-of-view border, low contrast      |
 *
 * Pixels darker than luminance 8 (the black frame of endoscopy images, air in
 * MRI) are ignored for the statistics. Thresholds are in
 * {@link DESCRIBER_THRESHOLDS}. Deterministic: same inputs, same output.
 *
 * @module
 */
import type { Raster } from "../data/raster.ts";
import { resize } from "../data/resize.ts";
import { areaBin, type Description, GRID_CELLS, type TargetKind, validateDescription } from "./schema.ts";

/** Version of the describer's measurements and thresholds (recorded in outputs; bump on change). */
export const DESCRIBER_VERSION = "offline-describer-v1";

/** The gaze maps of one image: 1-channel rasters in [0, 1] (uint8 rasters are read as value/255). */
export interface GazeRasters {
  /** Fixation heatmap (docs/METHOD.md 3.1). */
  heatmap: Raster;
  /** Dense-CRF foreground marginal (docs/METHOD.md 3.2). */
  crf: Raster;
}

/** Options of {@link describeFromGaze}. */
export interface DescriberOptions {
  /** Target kind (decides the vocabulary). */
  kind: TargetKind;
  /** Longer side of the working copy in px (default 256). */
  workSize?: number;
}

/** The numbers behind a description (all unitless unless stated). */
export interface DescriberFeatures {
  /** Centroid of the region as fractions of width and height, [x, y] in [0, 1]. */
  centroid: [number, number];
  /** Share of image pixels with CRF >= 0.5 (full resolution). */
  areaShare: number;
  /** Mean gradient on the region contour / mean gradient over the field of view (0 when no contour). */
  boundarySharpness: number;
  /** Mean luminance of the region interior minus that of the surrounding ring (0..255 scale). */
  luminanceDiff: number;
  /** Red chromaticity R/(R+G+B) of the interior minus that of the ring. */
  rednessDiff: number;
  /** Mean gradient inside the region / mean gradient in the ring. */
  textureRatio: number;
  /** Luminance std inside the region / std in the ring. */
  contrastRatio: number;
  /** Share of the total gaze heat that falls inside the region (dwell concentration). */
  dwellInRegion: number;
  /** Connected clusters of heatmap >= 0.5 larger than 0.5 % of the image. */
  gazeClusters: number;
  /** Whether the region touches the image border or the dark frame around the field of view. */
  touchesBorder: boolean;
  /** Which map defined the region: `crf` normally, `heatmap` when the CRF region is empty, `none` without gaze. */
  regionFrom: "crf" | "heatmap" | "none";
}

/** The offline describer's output. */
export interface OfflineDescription {
  /** Always "offline-describer": not a VLM answer. */
  source: "offline-describer";
  /** {@link DESCRIBER_VERSION}. */
  version: string;
  /** The validated six fields. */
  description: Description;
  /** The measurements the fields were derived from. */
  features: DescriberFeatures;
}

/**
 * Thresholds of the describer (documented so a reader can see how each term is
 * chosen). They were set from the spread of the features over 120 Kvasir-SEG
 * images (roughly the quartiles of each feature), never from the masks.
 */
export const DESCRIBER_THRESHOLDS = {
  /** Luminance below this (0..255) is outside the field of view. */
  validLuminance: 8,
  /** boundarySharpness >= this: well-defined. */
  sharpWell: 1.6,
  /** boundarySharpness >= this (and < sharpWell): moderately defined; below: ill-defined. */
  sharpModerate: 1.1,
  /** |luminanceDiff| above this is brighter/darker (hyper/hypo-intense). */
  luminance: 12,
  /** |rednessDiff| above this is reddish / pale. */
  redness: 0.015,
  /** textureRatio above this: textured surface. */
  texture: 1.25,
  /** contrastRatio above this: heterogeneous / variegated. */
  contrast: 1.3,
  /** dwellInRegion >= this with one cluster: high confidence. */
  dwellHigh: 0.6,
  /** dwellInRegion below this (or >= 3 clusters): low confidence. */
  dwellLow: 0.45,
  /** Ring width as a fraction of the working copy's longer side. */
  ring: 0.06,
} as const;

interface Work {
  w: number;
  h: number;
  r: Float32Array;
  g: Float32Array;
  b: Float32Array;
}

/**
 * Block-mean downsampling of the first `channels` channels of `src` by an
 * integer factor `k`, after the linear map v -> v * mul + add. One pass.
 */
function blockMean(src: Raster, channels: number, k: number, mul = 1, add = 0): Float32Array[] {
  const { width: W, height: H, channels: C, data } = src;
  const w = Math.ceil(W / k), h = Math.ceil(H / k);
  const sums = Array.from({ length: channels }, () => new Float64Array(w * h));
  const cnt = new Float64Array(w * h);
  for (let y = 0; y < H; y++) {
    const row = Math.floor(y / k) * w;
    let i = y * W * C;
    for (let x = 0; x < W; x++, i += C) {
      const j = row + Math.floor(x / k);
      for (let c = 0; c < channels; c++) sums[c][j] += data[i + c];
      cnt[j]++;
    }
  }
  return sums.map((sum) => {
    const out = new Float32Array(w * h);
    for (let j = 0; j < out.length; j++) out[j] = (sum[j] / cnt[j]) * mul + add;
    return out;
  });
}

function workImage(image: Raster, k: number): Work {
  const { channels: C, data } = image;
  if (!(C === 1 || C === 3 || C === 4)) {
    throw new Error(`describeFromGaze: image has ${C} channels, expected 1, 3 or 4`);
  }
  let mul = 1, add = 0;
  if (!(data instanceof Uint8Array)) {
    // Raw intensities (e.g. a DICOM slice): min-max to 0..255, as the CRF guide image does.
    let lo = Infinity, hi = -Infinity;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    mul = hi > lo ? 255 / (hi - lo) : 0;
    add = -lo * mul;
  }
  const [r, g, b] = blockMean(image, C === 1 ? 1 : 3, k, mul, add);
  return { w: Math.ceil(image.width / k), h: Math.ceil(image.height / k), r, g: g ?? r, b: b ?? r };
}

/** Check a gaze map (1 channel, values in range) and return the factor to [0, 1] and its share of values >= 0.5. */
function checkMap(map: Raster, name: string): { mul: number; above: number } {
  if (map.channels !== 1) throw new Error(`describeFromGaze: gaze.${name} must have 1 channel, got ${map.channels}`);
  const { data } = map;
  if (data.length !== map.width * map.height) {
    throw new Error(`describeFromGaze: gaze.${name} has ${data.length} values for ${map.width}x${map.height}`);
  }
  const max = data instanceof Uint8Array ? 255 : 1;
  const half = max / 2;
  let above = 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!(v >= 0 && v <= max)) {
      throw new Error(`describeFromGaze: gaze.${name} value ${v} at index ${i} is outside [0, ${max}]`);
    }
    if (v >= half) above++;
  }
  return { mul: 1 / max, above: above / data.length };
}

function workMap(map: Raster, name: string, image: Raster, k: number): { work: Float32Array; above: number } {
  const { mul, above } = checkMap(map, name);
  if (map.width !== image.width || map.height !== image.height) {
    const f = { width: map.width, height: map.height, channels: 1, data: Float32Array.from(map.data, (v) => v * mul) };
    const m = resize(f, { width: image.width, height: image.height, mode: "bilinear" });
    return { work: blockMean(m, 1, k)[0], above };
  }
  return { work: blockMean(map, 1, k, mul)[0], above };
}

/** Count of `mask` pixels in the (2r+1)^2 window around each pixel (clipped), via an integral image. */
function boxCount(mask: Uint8Array, w: number, h: number, r: number): Int32Array {
  const I = new Int32Array((w + 1) * (h + 1));
  for (let y = 0; y < h; y++) {
    let run = 0;
    for (let x = 0; x < w; x++) {
      run += mask[y * w + x];
      I[(y + 1) * (w + 1) + x + 1] = I[y * (w + 1) + x + 1] + run;
    }
  }
  const out = new Int32Array(w * h);
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - r), y1 = Math.min(h, y + r + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - r), x1 = Math.min(w, x + r + 1);
      out[y * w + x] = I[y1 * (w + 1) + x1] - I[y0 * (w + 1) + x1] - I[y1 * (w + 1) + x0] + I[y0 * (w + 1) + x0];
    }
  }
  return out;
}

function dilate(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const c = boxCount(mask, w, h, r);
  return Uint8Array.from(c, (v) => (v > 0 ? 1 : 0));
}

function erode(mask: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const c = boxCount(mask, w, h, r);
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const ny = Math.min(h, y + r + 1) - Math.max(0, y - r);
    for (let x = 0; x < w; x++) {
      const nx = Math.min(w, x + r + 1) - Math.max(0, x - r);
      out[y * w + x] = c[y * w + x] === nx * ny ? 1 : 0;
    }
  }
  return out;
}

/** Sizes of 8-connected components of `mask`. */
function componentSizes(mask: Uint8Array, w: number, h: number): number[] {
  const seen = new Uint8Array(w * h), sizes: number[] = [], stack: number[] = [];
  for (let s = 0; s < w * h; s++) {
    if (!mask[s] || seen[s]) continue;
    let n = 0;
    seen[s] = 1;
    stack.push(s);
    while (stack.length) {
      const p = stack.pop()!;
      n++;
      const px = p % w, py = (p - px) / w;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const x = px + dx, y = py + dy;
          if (x < 0 || y < 0 || x >= w || y >= h) continue;
          const q = y * w + x;
          if (mask[q] && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    sizes.push(n);
  }
  return sizes;
}

interface Stats {
  n: number;
  r: number;
  g: number;
  b: number;
  lum: number;
  lumStd: number;
  grad: number;
}

function stats(set: Uint8Array, img: Work, lum: Float32Array, grad: Float32Array): Stats | undefined {
  let n = 0, r = 0, g = 0, b = 0, l = 0, l2 = 0, gr = 0;
  for (let i = 0; i < set.length; i++) {
    if (!set[i]) continue;
    n++;
    r += img.r[i];
    g += img.g[i];
    b += img.b[i];
    l += lum[i];
    l2 += lum[i] * lum[i];
    gr += grad[i];
  }
  if (n === 0) return undefined;
  const mean = l / n;
  return {
    n,
    r: r / n,
    g: g / n,
    b: b / n,
    lum: mean,
    lumStd: Math.sqrt(Math.max(0, l2 / n - mean * mean)),
    grad: gr / n,
  };
}

const and = (a: Uint8Array, b: Uint8Array) => Uint8Array.from(a, (v, i) => v & b[i]);
const andNot = (a: Uint8Array, b: Uint8Array) => Uint8Array.from(a, (v, i) => v & (1 - b[i]));
const any = (a: Uint8Array) => a.some((v) => v === 1);

/**
 * Describe one image from its gaze maps (no mask, by design).
 *
 * Shape contract: `image` is H x W x C (C = 1, 3 or 4; uint8 as is, other
 * types min-max scaled to 0..255); `gaze.heatmap` and `gaze.crf` are 1-channel
 * maps in [0, 1] (uint8: value/255), ideally H x W (other sizes are resized
 * bilinearly). Edge cases: an empty CRF region falls back to heatmap >= 0.5;
 * an all-zero heatmap gives a "center / low confidence" description with
 * `features.regionFrom = "none"`.
 *
 * @example
 * ```ts
 * import { describeFromGaze } from "../../mod.ts";
 * const W = 64, H = 48, img = new Uint8Array(W * H * 3).fill(120);
 * const heat = new Float32Array(W * H), crf = new Float32Array(W * H);
 * for (let y = 5; y < 20; y++) for (let x = 40; x < 60; x++) { heat[y * W + x] = 1; crf[y * W + x] = 0.9; }
 * const out = describeFromGaze({ width: W, height: H, channels: 3, data: img }, {
 *   heatmap: { width: W, height: H, channels: 1, data: heat },
 *   crf: { width: W, height: H, channels: 1, data: crf },
 * }, { kind: "polyp" });
 * if (out.description.Location !== "upper right") throw new Error(out.description.Location);
 * ```
 */
export function describeFromGaze(image: Raster, gaze: GazeRasters, options: DescriberOptions): OfflineDescription {
  const T = DESCRIBER_THRESHOLDS;
  const { kind } = options;
  const workSize = options.workSize ?? 256;
  const k = Math.max(1, Math.ceil(Math.max(image.width, image.height) / workSize));
  const img = workImage(image, k);
  const { w, h } = img;
  const N = w * h;
  const heat = workMap(gaze.heatmap, "heatmap", image, k).work;
  const { work: crf, above: areaShare } = workMap(gaze.crf, "crf", image, k); // area at full resolution

  const lum = new Float32Array(N);
  for (let i = 0; i < N; i++) lum[i] = 0.299 * img.r[i] + 0.587 * img.g[i] + 0.114 * img.b[i];
  const valid = Uint8Array.from(lum, (v) => (v > T.validLuminance ? 1 : 0));
  const valid2 = erode(valid, w, h, 1);
  const grad = new Float32Array(N);
  const L = (x: number, y: number) => lum[Math.min(h - 1, Math.max(0, y)) * w + Math.min(w - 1, Math.max(0, x))];
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const gx = L(x + 1, y - 1) + 2 * L(x + 1, y) + L(x + 1, y + 1) - L(x - 1, y - 1) - 2 * L(x - 1, y) -
        L(x - 1, y + 1);
      const gy = L(x - 1, y + 1) + 2 * L(x, y + 1) + L(x + 1, y + 1) - L(x - 1, y - 1) - 2 * L(x, y - 1) -
        L(x + 1, y - 1);
      grad[y * w + x] = Math.hypot(gx, gy) / 8;
    }
  }

  // The gazed region: CRF >= 0.5, else heatmap >= 0.5.
  const minRegion = Math.max(4, Math.round(0.001 * N));
  let regionFrom: DescriberFeatures["regionFrom"] = "crf";
  let weight = crf;
  let region = Uint8Array.from(crf, (v) => (v >= 0.5 ? 1 : 0));
  if (region.reduce((a, v) => a + v, 0) < minRegion) {
    regionFrom = "heatmap";
    weight = heat;
    region = Uint8Array.from(heat, (v) => (v >= 0.5 ? 1 : 0));
    if (region.reduce((a, v) => a + v, 0) === 0) regionFrom = "none";
  }

  // Location: weighted centroid on the 3x3 grid.
  let sw = 0, sx = 0, sy = 0;
  for (let i = 0; i < N; i++) {
    if (!region[i]) continue;
    const x = i % w, y = (i - x) / w;
    sw += weight[i];
    sx += weight[i] * (x + 0.5);
    sy += weight[i] * (y + 0.5);
  }
  const centroid: [number, number] = sw > 0 ? [sx / sw / w, sy / sw / h] : [0.5, 0.5];
  const cell = (f: number) => Math.min(2, Math.max(0, Math.floor(f * 3)));
  const location = regionFrom === "none" ? "center" : GRID_CELLS[cell(centroid[1]) * 3 + cell(centroid[0])];

  // Boundary: gradient on the contour (pixels of the region with a 4-neighbour outside it, inside the field of view).
  let contourGrad = 0, contourN = 0, allGrad = 0, allN = 0, touchesBorder = false;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      if (valid2[i]) {
        allGrad += grad[i];
        allN++;
      }
      if (!region[i]) continue;
      let edge = false;
      for (const [dx, dy] of [[1, 0], [-1, 0], [0, 1], [0, -1]]) {
        const xx = x + dx, yy = y + dy;
        if (xx < 0 || yy < 0 || xx >= w || yy >= h || !valid[yy * w + xx]) {
          touchesBorder = true;
          continue;
        }
        if (!region[yy * w + xx] && valid2[yy * w + xx]) edge = true;
      }
      if (edge && valid2[i]) {
        contourGrad += grad[i];
        contourN++;
      }
    }
  }
  const meanGrad = allN ? allGrad / allN : 0;
  const boundarySharpness = contourN && meanGrad > 0 ? contourGrad / contourN / meanGrad : 0;

  // Interior vs ring statistics.
  const ringR = Math.max(2, Math.round(T.ring * Math.max(w, h)));
  const near = dilate(region, w, h, 2);
  let interior = and(erode(region, w, h, 2), valid2);
  if (!any(interior)) interior = and(region, valid2);
  if (!any(interior)) interior = region;
  let ring = and(andNot(dilate(region, w, h, ringR), near), valid2);
  if (!any(ring)) ring = and(andNot(Uint8Array.from(region, (v) => 1 - v), near), valid2);
  const sIn = stats(interior, img, lum, grad);
  const sOut = stats(ring, img, lum, grad) ?? sIn;
  const chroma = (s: Stats) => s.r / (s.r + s.g + s.b + 1e-6);
  const luminanceDiff = sIn && sOut ? sIn.lum - sOut.lum : 0;
  const rednessDiff = sIn && sOut ? chroma(sIn) - chroma(sOut) : 0;
  const textureRatio = sIn && sOut ? (sIn.grad + 1e-6) / (sOut.grad + 1e-6) : 1;
  const contrastRatio = sIn && sOut ? (sIn.lumStd + 1e-6) / (sOut.lumStd + 1e-6) : 1;

  // Dwell concentration and clusters.
  let heatAll = 0, heatIn = 0;
  for (let i = 0; i < N; i++) {
    heatAll += heat[i];
    if (region[i]) heatIn += heat[i];
  }
  const dwellInRegion = heatAll > 0 ? heatIn / heatAll : 0;
  const minCluster = Math.max(1, Math.round(0.005 * N));
  const gazeClusters = componentSizes(Uint8Array.from(heat, (v) => (v >= 0.5 ? 1 : 0)), w, h)
    .filter((n) => n >= minCluster).length;

  const features: DescriberFeatures = {
    centroid,
    areaShare,
    boundarySharpness,
    luminanceDiff,
    rednessDiff,
    textureRatio,
    contrastRatio,
    dwellInRegion,
    gazeClusters,
    touchesBorder: regionFrom !== "none" && touchesBorder,
    regionFrom,
  };

  const boundary = boundarySharpness >= T.sharpWell
    ? "well-defined"
    : boundarySharpness >= T.sharpModerate
    ? "moderately defined"
    : "ill-defined";
  let confidence = "medium";
  if (regionFrom !== "crf" || dwellInRegion < T.dwellLow || gazeClusters >= 3) confidence = "low";
  else if (dwellInRegion >= T.dwellHigh && gazeClusters <= 1) confidence = "high";

  const remarks: string[] = [];
  if (gazeClusters >= 2) remarks.push("several gaze clusters");
  if (features.touchesBorder) remarks.push("touches image border");
  if (regionFrom !== "none" && Math.abs(luminanceDiff) < 8 && Math.abs(rednessDiff) < 0.01) {
    remarks.push("low contrast with surroundings");
  }

  const description = validateDescription(
    {
      Location: location,
      Boundary: boundary,
      Characteristics: characteristics(kind, features, sIn),
      "Area Percentage": areaBin(areaShare),
      Confidence: confidence,
      Remarks: remarks.length ? remarks.slice(0, 3) : ["none"],
    },
    kind,
    `offline describer (${DESCRIBER_VERSION})`,
  );
  return { source: "offline-describer", version: DESCRIBER_VERSION, description, features };
}

function characteristics(kind: TargetKind, f: DescriberFeatures, inside: Stats | undefined): string[] {
  const T = DESCRIBER_THRESHOLDS;
  const brighter = f.luminanceDiff > T.luminance, darker = f.luminanceDiff < -T.luminance;
  switch (kind) {
    case "polyp": {
      const colour = f.rednessDiff > T.redness
        ? "reddish"
        : f.rednessDiff < -T.redness
        ? (brighter ? "whitish" : "pale")
        : "similar in colour to surrounding mucosa";
      const light = brighter
        ? "brighter than surrounding mucosa"
        : darker
        ? "darker than surrounding mucosa"
        : "similar brightness to surrounding mucosa";
      const surface = f.textureRatio > T.texture ? "textured surface" : "smooth surface";
      return [colour, light, surface];
    }
    case "prostate": {
      const signal = brighter ? "hyperintense" : darker ? "hypointense" : "isointense";
      const texture = f.contrastRatio > T.contrast ? "heterogeneous signal" : "homogeneous signal";
      return [signal, texture];
    }
    case "skin lesion": {
      const lum = inside?.lum ?? 128;
      const colour = lum < 40
        ? "black"
        : f.rednessDiff > T.redness && lum >= 90
        ? "reddish"
        : lum < 110
        ? "dark brown"
        : "light brown";
      const tone = darker
        ? "darker than surrounding skin"
        : brighter
        ? "lighter than surrounding skin"
        : "similar in tone to surrounding skin";
      const pigment = f.contrastRatio > T.contrast ? "variegated pigmentation" : "uniform pigmentation";
      return [colour, tone, pigment];
    }
  }
}
