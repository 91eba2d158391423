/**
 * Bench cases of lib/text: the offline describer (ms per image) and the
 * encoders (ms per description). Inputs are generated here (a textured disc
 * scene with Gaussian gaze), except the real-image describe case, which uses
 * Kvasir-SEG images and their stored gaze maps when both exist.
 *
 * @module
 */
import { join } from "node:path";
import { openDataset } from "../../lib/data/open_dataset.ts";
import type { Raster } from "../../lib/data/raster.ts";
import { hasGazeMaps, loadGazeMaps } from "../../lib/gaze/mod.ts";
import { createEncoder, describeFromGaze, type Description, type GazeRasters } from "../../lib/text/mod.ts";
import { type BenchCase, median } from "./types.ts";

function scene(w: number, h: number): { image: Raster<Uint8Array>; gaze: GazeRasters } {
  const data = new Uint8Array(w * h * 3), heat = new Float32Array(w * h), crf = new Float32Array(w * h);
  const cx = 0.4 * w, cy = 0.55 * h, r = 0.2 * Math.min(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const d = Math.hypot(x - cx, y - cy), inside = d <= r;
      const t = ((x * 7 + y * 13) % 17) - 8;
      const i = (y * w + x) * 3;
      data[i] = inside ? 200 + t : 150 + t;
      data[i + 1] = inside ? 90 + t : 110 + t;
      data[i + 2] = inside ? 80 + t : 100 + t;
      heat[y * w + x] = Math.exp(-(d * d) / (2 * (0.7 * r) ** 2));
      crf[y * w + x] = inside ? 0.85 : 0.08;
    }
  }
  return {
    image: { width: w, height: h, channels: 3, data },
    gaze: {
      heatmap: { width: w, height: h, channels: 1, data: heat },
      crf: { width: w, height: h, channels: 1, data: crf },
    },
  };
}

function timeIt(reps: number, fn: () => void): number[] {
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    fn();
    ms.push(performance.now() - t);
  }
  return ms;
}

const describeCase: BenchCase = {
  name: "text-describe",
  description: "offline describer (image + gaze maps -> six fields), ms per image, synthetic 622x530 and 1920x1072",
  run(ctx) {
    const reps = ctx.quick ? 2 : 10;
    const out: Record<string, unknown> = {};
    for (const [w, h] of [[622, 530], [1920, 1072]]) {
      const { image, gaze } = scene(w, h);
      describeFromGaze(image, gaze, { kind: "polyp" }); // warm-up
      out[`describe_${w}x${h}_ms_per_image`] = +median(
        timeIt(reps, () => describeFromGaze(image, gaze, { kind: "polyp" })),
      )
        .toFixed(2);
    }
    return Promise.resolve(out);
  },
};

const describeRealCase: BenchCase = {
  name: "text-describe-kvasir",
  description: "offline describer on real Kvasir-SEG images with their stored gaze maps, ms per image (load excluded)",
  async run(ctx) {
    let ds;
    try {
      ds = await openDataset("kvasir", { root: ctx.dataRoot, quiet: true });
    } catch (err) {
      return { skipped: `no Kvasir-SEG under the data root (${(err as Error).message.split("\n")[0]})` };
    }
    const ids = ds.ids("test").slice(0, ctx.quick ? 3 : 20);
    if (!(await hasGazeMaps(ctx.dataRoot, "kvasir", ids[0]))) {
      return { skipped: "no Kvasir gaze maps (run `deno task prepare kvasir`)" };
    }
    const ms: number[] = [];
    for (const id of ids) {
      const s = await ds.load(id);
      const g = await loadGazeMaps(ctx.dataRoot, "kvasir", id);
      const t = performance.now();
      describeFromGaze(s.image, g, { kind: "polyp" });
      ms.push(performance.now() - t);
    }
    return { images: ids.length, describe_ms_per_image_median: +median(ms).toFixed(2) };
  },
};

const sample: Description = {
  Location: "middle left",
  Boundary: "moderately defined",
  Characteristics: ["reddish", "brighter than surrounding mucosa", "smooth surface"],
  "Area Percentage": "15-30%",
  Confidence: "medium",
  Remarks: ["touches image border"],
};

async function encodeTiming(encoderName: "use-lite" | "transformers", modelDir: string | undefined, quick: boolean) {
  const t0 = performance.now();
  const enc = await createEncoder(encoderName, { modelDir });
  const loadMs = performance.now() - t0;
  try {
    await enc.encode(sample); // warm-up
    const reps = quick ? 3 : 20, ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      const d = { ...sample, Confidence: ["high", "medium", "low"][i % 3] };
      const t = performance.now();
      await enc.encode(d);
      ms.push(performance.now() - t);
    }
    return {
      load_ms: +loadMs.toFixed(0),
      encode_ms_per_description: +median(ms).toFixed(2),
      tokens_L: 6,
      dim_D: enc.dim,
    };
  } finally {
    await enc.dispose();
  }
}

const encodeUseCase: BenchCase = {
  name: "text-encode-use-lite",
  description: "USE-lite encoder on the active tfjs backend, ms per description (6 field sentences -> [6, 512])",
  async run(ctx) {
    return { backend: ctx.backend, ...(await encodeTiming("use-lite", undefined, ctx.quick)) };
  },
};

const encodeTransformersCase: BenchCase = {
  name: "text-encode-transformers",
  description:
    "transformers.js ONNX encoder (model folder from $GAZE_TEXT_MODEL_DIR, e.g. RoBERTa-base), ms per description",
  async run(ctx) {
    const dir = Deno.env.get("GAZE_TEXT_MODEL_DIR");
    if (!dir) return { skipped: "set GAZE_TEXT_MODEL_DIR to a local ONNX text model folder (e.g. roberta-base)" };
    try {
      await Deno.stat(join(dir, "config.json"));
    } catch {
      return { skipped: `${dir}/config.json not found` };
    }
    return { model: dir, ...(await encodeTiming("transformers", dir, ctx.quick)) };
  },
};

/** The lib/text bench cases, in run order. */
export const TEXT_BENCH_CASES: BenchCase[] = [describeCase, describeRealCase, encodeUseCase, encodeTransformersCase];
