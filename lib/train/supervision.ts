/**
 * Where the weak supervision of a run comes from: the CRF gaze map and the text tokens of each
 * image. File-backed datasets read what the preparation tasks wrote under the derived folder
 * (`deno task prepare <dataset>` for the gaze maps, `deno task describe <dataset>` then
 * `deno task encode <dataset>` for the text); the synthetic dataset simulates gaze, runs the CRF,
 * describes and encodes on the fly, once per image per process (kept in memory).
 *
 * @module
 */
import { join } from "node:path";
import { atomicWrite } from "../core/atomic_write.ts";
import { deriveSeed, Rng } from "../core/rng.ts";
import { derivedDir } from "../data/data_root.ts";
import type { PreparedSample } from "../data/cache.ts";
import type { Raster } from "../data/raster.ts";
import { resize } from "../data/resize.ts";
import type { Dataset, Split } from "../data/types.ts";
import { computeGazeMaps, gazeMapSettings } from "../gaze/pipeline.ts";
import { dequantiseMap } from "../gaze/quantise.ts";
import { ScanpathCanvas, simulateScanpath } from "../gaze/simulate.ts";
import { gazeMapPath, type GazeMaps, hasGazeMaps, loadGazeMaps, readGazeMap, writeGazeMap } from "../gaze/store.ts";
import { embeddingsDir, loadTextEmbedding } from "../text/batch.ts";
import { describeFromGaze, DESCRIBER_VERSION } from "../text/describer.ts";
import type { DescriptionEncoder } from "../text/embedding.ts";
import { createEncoder } from "../text/encoder.ts";
import { targetKind } from "../text/schema.ts";
import type { TrainConfig } from "./config.ts";

/** Supervision of one dataset. */
export interface Supervision {
  /** The CRF map of `id` (1 channel, values in [0, 1]) at the image's original size or at the training size. */
  crf(id: string, sample?: PreparedSample): Promise<Raster>;
  /** The gaze heatmap of `id` (1 channel, [0, 1]), for figures; original size. */
  heatmap(id: string): Promise<Raster>;
  /** Text tokens of `id`, L*D float32 row-major, with L, D = `config.text`. */
  text(id: string): Promise<Float32Array>;
  /** Where it comes from (recorded in the run's provenance). */
  readonly source: Record<string, unknown>;
  /** Free models held (e.g. the text encoder). */
  dispose(): Promise<void>;
}

/** What a run needs, to check before training starts. */
export interface SupervisionNeeds {
  /** Gaze maps for the training ids. */
  gaze: boolean;
  /** Text tokens for the training ids (and the test ids when the teacher is evaluated). */
  text: boolean;
}

/** Options of {@link fileSupervision}. */
export interface FileSupervisionOptions {
  /** Data root. */
  root: string;
  /** Gaze map variant (`sim` = simulated maps next to real ones); default the dataset's own. */
  gazeVariant?: string;
  /**
   * Keep CRF maps in memory resized (bilinearly, as the batcher would) to this training size, and
   * text tokens as read, so each file is decoded once per process. Omit to read on every request.
   */
  memoryCacheSize?: number;
}

/**
 * Supervision read from the derived folder of a file-backed dataset (see module doc).
 * Errors name the missing file and the task that writes it.
 */
export function fileSupervision(dataset: Dataset, config: TrainConfig, options: FileSupervisionOptions): Supervision {
  const { root } = options;
  const ref = { root, name: dataset.name };
  const variant = options.gazeVariant;
  const [L, D] = [config.text.length, config.text.dim];
  const gaze = async (id: string) => {
    try {
      return await loadGazeMaps(root, dataset.name, id, { variant });
    } catch (err) {
      throw new Error(
        `${
          (err as Error).message
        }\n(the gaze maps of ${dataset.name} are written by \`deno task prepare ${dataset.name}\`)`,
      );
    }
  };
  const size = options.memoryCacheSize;
  const crfCache = new Map<string, Promise<Raster>>();
  const textCache = new Map<string, Promise<Float32Array>>();
  const readText = async (id: string) => {
    const e = await loadTextEmbedding(ref, id, { encoder: config.text.encoder });
    if (e.shape[0] !== L || e.shape[1] !== D) {
      throw new Error(
        `${embeddingsDir(ref, config.text.encoder)}/${id}.json: embedding is [${e.shape}], the config's text is ` +
          `[${L}, ${D}] (fields 'text.length', 'text.dim')`,
      );
    }
    return e.data;
  };
  const cached = <T>(cache: Map<string, Promise<T>>, id: string, make: () => Promise<T>): Promise<T> => {
    let p = cache.get(id);
    if (!p) {
      p = make();
      cache.set(id, p);
      p.catch(() => cache.delete(id));
    }
    return p;
  };
  return {
    crf(id) {
      if (!size) return gaze(id).then((g) => g.crf);
      return cached(crfCache, id, async () => {
        const crf = (await gaze(id)).crf;
        return crf.width === size && crf.height === size
          ? crf
          : resize(crf, { width: size, height: size, mode: "bilinear" });
      });
    },
    async heatmap(id) {
      return (await gaze(id)).heatmap;
    },
    text(id) {
      return size ? cached(textCache, id, () => readText(id)) : readText(id);
    },
    source: { kind: "files", root, dataset: dataset.name, gazeVariant: variant ?? null, encoder: config.text.encoder },
    dispose() {
      crfCache.clear();
      textCache.clear();
      return Promise.resolve();
    },
  };
}

/** What is missing for a run, per kind, with the task that makes it. */
export interface MissingSupervision {
  /** Ids without gaze maps. */
  gaze: string[];
  /** Ids without a text embedding of the configured encoder. */
  text: string[];
  /** One line per kind that is missing something, naming the task to run; empty when complete. */
  messages: string[];
}

/**
 * Check that the derived files a run needs exist for `splits`, or only for `ids` when given (a dry
 * run touches a few images; no decoding, stat only). Synthetic datasets need nothing (simulated on the fly).
 */
export async function checkSupervision(
  dataset: Dataset,
  config: TrainConfig,
  options: { root: string; needs: SupervisionNeeds; splits: Split[]; ids?: readonly string[]; gazeVariant?: string },
): Promise<MissingSupervision> {
  const out: MissingSupervision = { gaze: [], text: [], messages: [] };
  if (dataset.name === "synthetic") return out;
  const ids = options.ids ?? options.splits.flatMap((s) => dataset.ids(s));
  const ref = { root: options.root, name: dataset.name };
  const dir = embeddingsDir(ref, config.text.encoder);
  for (const id of ids) {
    if (options.needs.gaze && !(await hasGazeMaps(options.root, dataset.name, id, { variant: options.gazeVariant }))) {
      out.gaze.push(id);
    }
    if (options.needs.text) {
      try {
        await Deno.stat(`${dir}/${id}.json`);
      } catch {
        out.text.push(id);
      }
    }
  }
  const name = dataset.name;
  if (out.gaze.length) {
    out.messages.push(
      `${out.gaze.length} of ${ids.length} images of ${name} have no gaze maps (e.g. ${out.gaze[0]}): ` +
        `run \`deno task prepare ${name}\``,
    );
  }
  if (out.text.length) {
    out.messages.push(
      `${out.text.length} of ${ids.length} images of ${name} have no ${config.text.encoder} text embedding ` +
        `(e.g. ${out.text[0]}, in ${dir}): run \`deno task describe ${name}\` then ` +
        `\`deno task encode ${name} --encoder ${config.text.encoder}\``,
    );
  }
  return out;
}

/** Options of {@link syntheticSupervision}. */
export interface SyntheticSupervisionOptions {
  /** Seed of the gaze simulator (per image deriveSeed(seed, id), as `deno task prepare synthetic --seed`); default 0. */
  gazeSeed?: number;
  /** An encoder to use (default: `createEncoder(config.text.encoder)`, loaded on the first text request). */
  encoder?: DescriptionEncoder;
  /** Model folder of the `transformers` encoder (lib/train/text_model.ts resolves it). */
  textModelDir?: string;
  /**
   * Data root whose derived folder caches the computed maps and text on disk (so later runs and
   * processes reuse them): `derivedDir(root, "synthetic", "{heatmap,crf}-<key>")/<id>.png` and
   * `.../text-<encoder>-<key>/<id>.bin` (float32 LE), key = `g<gazeSeed>_d<dataSeed>_px<size>`.
   * Omit for memory only.
   */
  cacheRoot?: string;
}

/**
 * Supervision of the synthetic dataset, computed on the fly and kept in memory: per image the
 * scanpath simulator (lib/gaze/simulate.ts, fitted to the real Kvasir gaze) runs on the ground
 * truth with deriveSeed(gazeSeed, id), the heatmap and dense CRF follow docs/METHOD.md 3 with the
 * synthetic settings (sigma 70) and the toolkit's lossless 8-bit storage, exactly as
 * `deno task prepare synthetic` does; the text is the offline describer's six fields of
 * (image, heatmap, CRF map), encoded by `config.text.encoder`.
 */
export function syntheticSupervision(
  dataset: Dataset,
  config: TrainConfig,
  options: SyntheticSupervisionOptions = {},
): Supervision {
  const seed = options.gazeSeed ?? 0;
  const settings = gazeMapSettings("synthetic");
  const maps = new Map<string, Promise<GazeMaps>>();
  const texts = new Map<string, Promise<Float32Array>>();
  let encoder: Promise<DescriptionEncoder> | undefined = options.encoder ? Promise.resolve(options.encoder) : undefined;
  const ownEncoder = !options.encoder;
  const [L, D] = [config.text.length, config.text.dim];
  const syn = config.synthetic ?? { seed: 0, size: 128 };
  const key = `g${seed}_d${syn.seed}_px${syn.size}`;
  const root = options.cacheRoot;
  // The disk cache is best effort: a read-only derived folder switches it off (said once on stderr).
  let cacheOff = false;
  const cacheWrite = async (write: () => Promise<void>) => {
    if (cacheOff) return;
    try {
      await write();
    } catch (err) {
      cacheOff = true;
      console.error(
        `synthetic supervision: not caching to ${derivedDir(root!, "synthetic", "")} (${(err as Error).message}); ` +
          `set GAZE_DERIVED_DIR to a writable folder to keep the maps between runs`,
      );
    }
  };
  const textFile = (id: string) =>
    join(derivedDir(root!, "synthetic", `text-${config.text.encoder}-${DESCRIBER_VERSION}-${key}`), `${id}.bin`);
  const gaze = (id: string): Promise<GazeMaps> => {
    let p = maps.get(id);
    if (!p) {
      p = (async () => {
        const paths = root
          ? (["heatmap", "crf"] as const).map((k) => gazeMapPath(root, "synthetic", k, id, { variant: key }))
          : null;
        if (paths) {
          try {
            const [h, c] = await Promise.all(paths.map((f) => readGazeMap(f)));
            return { heatmap: dequantiseMap(h), crf: dequantiseMap(c) };
          } catch { /* not cached yet */ }
        }
        const sample = await dataset.load(id);
        if (!sample.mask) throw new Error(`synthetic/${id}: simulated gaze needs the ground-truth mask`);
        const fixations = simulateScanpath(new ScanpathCanvas(sample.mask), { rng: new Rng(deriveSeed(seed, id)) });
        const m = computeGazeMaps(sample.image, fixations, settings);
        if (paths) {
          await cacheWrite(async () => {
            await writeGazeMap(paths[0], m.heatmap);
            await writeGazeMap(paths[1], m.crf);
          });
        }
        return { heatmap: dequantiseMap(m.heatmap), crf: dequantiseMap(m.crf) };
      })();
      maps.set(id, p);
    }
    return p;
  };
  return {
    async crf(id) {
      return (await gaze(id)).crf;
    },
    async heatmap(id) {
      return (await gaze(id)).heatmap;
    },
    text(id) {
      let p = texts.get(id);
      if (!p) {
        p = (async () => {
          if (root) {
            try {
              const bytes = await Deno.readFile(textFile(id));
              if (bytes.byteLength === L * D * 4) {
                const f = new Float32Array(L * D);
                new Uint8Array(f.buffer).set(bytes);
                return f;
              }
            } catch { /* not cached yet */ }
          }
          encoder ??= createEncoder(config.text.encoder, { modelDir: options.textModelDir });
          const [sample, g, enc] = await Promise.all([dataset.load(id), gaze(id), encoder]);
          const d = describeFromGaze(sample.image, g, { kind: targetKind("synthetic") });
          const e = await enc.encode(d.description);
          if (e.shape[0] !== L || e.shape[1] !== D) {
            throw new Error(
              `synthetic/${id}: the ${config.text.encoder} encoder gives [${e.shape}], the config's text is [${L}, ${D}] ` +
                `(fields 'text.length', 'text.dim')`,
            );
          }
          if (root) {
            await cacheWrite(() =>
              atomicWrite(textFile(id), new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength))
            );
          }
          return e.data;
        })();
        texts.set(id, p);
      }
      return p;
    },
    source: {
      kind: "synthetic-on-the-fly",
      gazeSeed: seed,
      settings,
      encoder: config.text.encoder,
      describer: DESCRIBER_VERSION,
      cache: root ? derivedDir(root, "synthetic", `*-${key}`) : null,
    },
    async dispose() {
      if (encoder && ownEncoder) await (await encoder).dispose();
      maps.clear();
      texts.clear();
    },
  };
}

/**
 * The supervision of a dataset: {@link syntheticSupervision} for `synthetic`, else
 * {@link fileSupervision} over the data root.
 */
export function createSupervision(
  dataset: Dataset,
  config: TrainConfig,
  options: FileSupervisionOptions & SyntheticSupervisionOptions,
): Supervision {
  return dataset.name === "synthetic"
    ? syntheticSupervision(dataset, config, { cacheRoot: options.root, ...options })
    : fileSupervision(dataset, config, { memoryCacheSize: config.imageSize, ...options });
}
