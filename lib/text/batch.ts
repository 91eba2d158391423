/**
 * Describe and encode a whole dataset, resumably, and load the results.
 *
 * Files (under `derivedDir(root, dataset, kind)`, see lib/data/data_root.ts;
 * `$GAZE_DERIVED_DIR` moves them out of a read-only data root):
 *
 * ```
 * <derived>/<dataset>/descriptions/<id>.json        one DescriptionRecord (six fields + source + provenance)
 * <derived>/<dataset>/embeddings-<encoder>/<id>.bin  float32 little-endian, row-major [L, D]
 * <derived>/<dataset>/embeddings-<encoder>/<id>.json EmbeddingMeta (shape, encoder info, description hash, provenance)
 * ```
 *
 * A rerun skips every id whose output already matches the request (same
 * describer version or VLM model and prompt version; same description hash
 * and encoder), so an interrupted run resumes where it stopped. Writes are
 * atomic; the `.json` sidecar is written after the `.bin`, so a sidecar means
 * a complete embedding.
 *
 * lib/text never imports lib/gaze: the caller (tasks/describe.ts) loads the
 * gaze maps and passes them in.
 *
 * @module
 */
import { join } from "node:path";
import { atomicWrite } from "../core/atomic_write.ts";
import { progressBar } from "../core/progress.ts";
import { provenance } from "../core/provenance.ts";
import { assertPlainId, derivedDir } from "../data/data_root.ts";
import type { Raster } from "../data/raster.ts";
import { describeFromGaze, DESCRIBER_VERSION, type DescriberFeatures, type GazeRasters } from "./describer.ts";
import type { DescriptionEncoder, EncoderName, TextEmbedding } from "./embedding.ts";
import { PROMPT_VERSION } from "./prompt.ts";
import { canonicalJson, type Description, type TargetKind, targetKind, validateDescription } from "./schema.ts";
import type { VlmClient, VlmImage } from "./vlm_client.ts";

/** Which dataset: its data root and name (a `Dataset` from lib/data fits). */
export interface DatasetRef {
  /** Data root. */
  root: string;
  /** Dataset name: kvasir, nci-isbi, isic, synthetic. */
  name: string;
  /**
   * Base folder of derived files, overriding `$GAZE_DERIVED_DIR` and `<root>/derived`
   * (files go to `<derivedBase>/<name>/<kind>`); for tests and notebooks that want a private folder.
   */
  derivedBase?: string;
}

/** One description file. */
export interface DescriptionRecord {
  /** Image id. */
  id: string;
  /** Dataset name. */
  dataset: string;
  /** Target kind (decides the vocabulary). */
  kind: TargetKind;
  /** Who wrote the description: the offline describer or a VLM. */
  source: "offline-describer" | "vlm";
  /** DESCRIBER_VERSION for the offline describer, the model name for a VLM. */
  describer: string;
  /** Prompt / vocabulary version. */
  promptVersion: string;
  /** The validated six fields. */
  description: Description;
  /** sha256 hex of the canonical JSON of `description` (embeddings record it to detect staleness). */
  descriptionSha256: string;
  /** Offline describer only: the measurements behind the fields. */
  features?: DescriberFeatures;
  /** VLM only: key-free endpoint facts and the cache key. */
  vlm?: { endpoint: string; model: string; cacheKey: string; repaired: boolean };
  /** sha256 hex of the image file bytes, when known. */
  imageSha256?: string;
  /** What produced the file. */
  provenance: Record<string, unknown>;
}

/** The sidecar of one embedding. */
export interface EmbeddingMeta {
  /** Image id. */
  id: string;
  /** Dataset name. */
  dataset: string;
  /** Encoder name. */
  encoder: EncoderName;
  /** [L, D]. */
  shape: [number, number];
  /** Always "float32". */
  dtype: "float32";
  /** Always "little-endian". */
  byteOrder: "little-endian";
  /** Hash of the description that was encoded. */
  descriptionSha256: string;
  /** Source of that description. */
  descriptionSource: DescriptionRecord["source"];
  /** The encoder's key-free facts (model, pooling, ...). */
  encoderInfo: Record<string, unknown>;
  /** What produced the file. */
  provenance: Record<string, unknown>;
}

/** What one image needs for describing. */
export interface DescribeItem {
  /** The image at original size. */
  image: Raster;
  /** Gaze maps (needed by the offline describer). */
  gaze?: GazeRasters;
  /** The encoded image file (needed by a VLM; its sha256 is recorded when given). */
  file?: VlmImage;
}

/** Outcome of a batch run. */
export interface BatchSummary {
  /** Ids requested. */
  total: number;
  /** Ids written in this run. */
  written: number;
  /** Ids skipped because their output was already up to date. */
  skipped: number;
  /** Ids that failed, with the error message. */
  failed: { id: string; error: string }[];
  /** Wall time of the run in seconds. */
  seconds: number;
  /** Mean ms per written id (NaN when none). */
  msPerItem: number;
}

/** Folder of the description files of a dataset. */
export function descriptionsDir(ref: DatasetRef): string {
  return textDir(ref, "descriptions");
}

function textDir(ref: DatasetRef, kind: string): string {
  return ref.derivedBase ? join(ref.derivedBase, ref.name, kind) : derivedDir(ref.root, ref.name, kind);
}

/** Folder of the embeddings of a dataset for one encoder. */
export function embeddingsDir(ref: DatasetRef, encoder: EncoderName): string {
  return textDir(ref, `embeddings-${encoder}`);
}

async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** sha256 hex of a description's canonical JSON. */
export function descriptionHash(d: Description): Promise<string> {
  return sha256Hex(canonicalJson(d));
}

async function readJson(path: string): Promise<unknown | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
}

/**
 * Read and validate the description of `id`. Throws naming the file when it is
 * missing (with the command that makes it) or invalid.
 */
export async function readDescription(ref: DatasetRef, id: string): Promise<DescriptionRecord> {
  assertPlainId(id, `${ref.name} description`);
  const path = join(descriptionsDir(ref), `${id}.json`);
  const rec = await readJson(path) as DescriptionRecord | undefined;
  if (rec === undefined) {
    throw new Error(`${path}: no description for ${ref.name}/${id} (run \`deno task describe ${ref.name}\`)`);
  }
  if (typeof rec !== "object" || rec === null) throw new Error(`${path}: expected a JSON object`);
  const kind = targetKind(ref.name);
  rec.description = validateDescription(rec.description, kind, path);
  return rec;
}

async function pool<T>(items: T[], workers: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, items.length)) }, async () => {
    while (next < items.length) await job(items[next++]);
  }));
}

/** Options of {@link describeDataset}. */
export interface DescribeDatasetOptions {
  /** Load what one id needs (image, gaze maps, file bytes). */
  load(id: string): Promise<DescribeItem>;
  /** Ask this VLM instead of running the offline describer. */
  vlm?: VlmClient;
  /** Ids processed at once (default: the VLM client's concurrency, 1 offline). */
  concurrency?: number;
  /** Rewrite even up-to-date files. */
  force?: boolean;
  /** No progress bar. */
  quiet?: boolean;
  /** Stop at the first failure instead of collecting failures (default false). */
  failFast?: boolean;
}

/**
 * Describe every id (offline describer unless `vlm` is given) and write
 * `descriptions/<id>.json`. Resumable; a failure of one id is recorded in the
 * summary and the run goes on (unless `failFast`).
 */
export async function describeDataset(
  ref: DatasetRef,
  ids: string[],
  options: DescribeDatasetOptions,
): Promise<BatchSummary> {
  const kind = targetKind(ref.name);
  const dir = descriptionsDir(ref);
  const t0 = performance.now();
  const summary: BatchSummary = { total: ids.length, written: 0, skipped: 0, failed: [], seconds: 0, msPerItem: NaN };
  const bar = progressBar(ids.length, { label: `describe ${ref.name}`, quiet: options.quiet });
  let busyMs = 0;
  const workers = options.concurrency ?? (options.vlm ? 4 : 1);
  await pool(ids, workers, async (id) => {
    try {
      assertPlainId(id, `${ref.name} id list`);
      const path = join(dir, `${id}.json`);
      if (!options.force) {
        const old = await readJson(path).catch(() => undefined) as DescriptionRecord | undefined;
        const wanted = options.vlm ? options.vlm.config.model : DESCRIBER_VERSION;
        if (
          old && old.promptVersion === PROMPT_VERSION && old.describer === wanted &&
          old.source === (options.vlm ? "vlm" : "offline-describer")
        ) {
          summary.skipped++;
          return;
        }
      }
      const t1 = performance.now();
      const item = await options.load(id);
      const imageSha256 = item.file ? await sha256Hex(item.file.bytes) : undefined;
      let rec: Omit<DescriptionRecord, "descriptionSha256" | "provenance">;
      if (options.vlm) {
        if (!item.file) throw new Error(`${ref.name}/${id}: the VLM needs the image file bytes (DescribeItem.file)`);
        const ans = await options.vlm.describe(item.file, { kind });
        rec = {
          id,
          dataset: ref.name,
          kind,
          source: "vlm",
          describer: ans.model,
          promptVersion: ans.promptVersion,
          description: ans.description,
          vlm: {
            endpoint: options.vlm.config.endpoint,
            model: ans.model,
            cacheKey: ans.cacheKey,
            repaired: ans.repaired,
          },
          imageSha256,
        };
      } else {
        if (!item.gaze) throw new Error(`${ref.name}/${id}: the offline describer needs the gaze maps`);
        const out = describeFromGaze(item.image, item.gaze, { kind });
        rec = {
          id,
          dataset: ref.name,
          kind,
          source: "offline-describer",
          describer: DESCRIBER_VERSION,
          promptVersion: PROMPT_VERSION,
          description: out.description,
          features: out.features,
          imageSha256,
        };
      }
      const full: DescriptionRecord = {
        ...rec,
        descriptionSha256: await descriptionHash(rec.description),
        provenance: provenance({ step: "describe", dataset: ref.name, source: rec.source, describer: rec.describer }),
      };
      await atomicWrite(path, JSON.stringify(full, null, 2) + "\n");
      busyMs += performance.now() - t1;
      summary.written++;
    } catch (err) {
      if (options.failFast) throw err;
      summary.failed.push({ id, error: (err as Error).message });
    } finally {
      bar.tick(1, { failed: summary.failed.length });
    }
  });
  bar.stop();
  summary.seconds = (performance.now() - t0) / 1000;
  summary.msPerItem = summary.written ? busyMs / summary.written : NaN;
  return summary;
}

/** Options of {@link encodeDataset}. */
export interface EncodeDatasetOptions {
  /** The encoder (see encoder.ts createEncoder). */
  encoder: DescriptionEncoder;
  /** Rewrite even up-to-date files. */
  force?: boolean;
  /** No progress bar. */
  quiet?: boolean;
  /** Stop at the first failure (default false). */
  failFast?: boolean;
}

function assertLittleEndian(): void {
  if (new Uint8Array(Float32Array.of(1).buffer)[3] !== 0x3f) {
    throw new Error("text embeddings: this machine is big-endian; the .bin files are little-endian float32");
  }
}

/**
 * Encode the description of every id and write
 * `embeddings-<encoder>/<id>.bin` + `<id>.json`. Resumable: an id whose
 * sidecar records the same description hash and encoder info is skipped.
 */
export async function encodeDataset(
  ref: DatasetRef,
  ids: string[],
  options: EncodeDatasetOptions,
): Promise<BatchSummary> {
  assertLittleEndian();
  const { encoder } = options;
  const dir = embeddingsDir(ref, encoder.name);
  const infoJson = JSON.stringify(encoder.info);
  const t0 = performance.now();
  const summary: BatchSummary = { total: ids.length, written: 0, skipped: 0, failed: [], seconds: 0, msPerItem: NaN };
  const bar = progressBar(ids.length, { label: `encode ${ref.name} (${encoder.name})`, quiet: options.quiet });
  let busyMs = 0;
  for (const id of ids) {
    try {
      const rec = await readDescription(ref, id);
      const hash = await descriptionHash(rec.description);
      const metaPath = join(dir, `${id}.json`);
      if (!options.force) {
        const old = await readJson(metaPath).catch(() => undefined) as EmbeddingMeta | undefined;
        if (old && old.descriptionSha256 === hash && JSON.stringify(old.encoderInfo) === infoJson) {
          summary.skipped++;
          continue;
        }
      }
      const t1 = performance.now();
      const e = await encoder.encode(rec.description);
      const meta: EmbeddingMeta = {
        id,
        dataset: ref.name,
        encoder: encoder.name,
        shape: e.shape,
        dtype: "float32",
        byteOrder: "little-endian",
        descriptionSha256: hash,
        descriptionSource: rec.source,
        encoderInfo: { ...encoder.info },
        provenance: provenance({ step: "encode", dataset: ref.name, encoder: encoder.name }),
      };
      await atomicWrite(join(dir, `${id}.bin`), new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength));
      await atomicWrite(metaPath, JSON.stringify(meta, null, 2) + "\n");
      busyMs += performance.now() - t1;
      summary.written++;
    } catch (err) {
      if (options.failFast) throw err;
      summary.failed.push({ id, error: (err as Error).message });
    } finally {
      bar.tick(1, { failed: summary.failed.length });
    }
  }
  bar.stop();
  summary.seconds = (performance.now() - t0) / 1000;
  summary.msPerItem = summary.written ? busyMs / summary.written : NaN;
  return summary;
}

/** A loaded embedding with its sidecar. */
export interface LoadedTextEmbedding extends TextEmbedding {
  /** The sidecar (encoder, description hash, provenance). */
  meta: EmbeddingMeta;
}

/**
 * Load the text embedding of one image: float32 [L, D] (row-major) plus its
 * sidecar. This is what the trainer calls per sample.
 *
 * Errors name the file: missing (with the command that makes it), a sidecar
 * that is not valid, or a `.bin` whose size is not L * D * 4 bytes.
 *
 * @example
 * ```ts ignore
 * import { loadTextEmbedding } from "../../mod.ts";
 * const e = await loadTextEmbedding({ root, name: "kvasir" }, "cju0qkwl35piu0993l0dewei2", { encoder: "use-lite" });
 * // e.shape = [6, 512]; e.data.length = 3072
 * ```
 */
export async function loadTextEmbedding(
  ref: DatasetRef,
  id: string,
  options: { encoder?: EncoderName } = {},
): Promise<LoadedTextEmbedding> {
  assertLittleEndian();
  assertPlainId(id, `${ref.name} text embedding`);
  const encoder = options.encoder ?? "use-lite";
  const dir = embeddingsDir(ref, encoder);
  const metaPath = join(dir, `${id}.json`), binPath = join(dir, `${id}.bin`);
  const meta = await readJson(metaPath) as EmbeddingMeta | undefined;
  if (meta === undefined) {
    throw new Error(
      `${metaPath}: no ${encoder} embedding for ${ref.name}/${id} (run \`deno task describe ${ref.name}\` then ` +
        `\`deno task encode ${ref.name} --encoder ${encoder}\`)`,
    );
  }
  const shape = meta?.shape;
  if (!Array.isArray(shape) || shape.length !== 2 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new Error(`${metaPath}: "shape" must be [L, D] with positive integers, got ${JSON.stringify(shape)}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(binPath);
  } catch (err) {
    throw new Error(`${binPath}: cannot read the embedding (${(err as Error).message})`);
  }
  const [L, D] = shape;
  if (bytes.byteLength !== L * D * 4) {
    throw new Error(`${binPath}: ${bytes.byteLength} bytes, expected ${L}x${D} float32 = ${L * D * 4} bytes`);
  }
  const data = new Float32Array(L * D);
  new Uint8Array(data.buffer).set(bytes);
  return { data, shape: [L, D], meta };
}

/**
 * Load the embeddings of several images as one batch: float32 [B, L, D]
 * (row-major; sample b starts at b * L * D), in the order of `ids`. Every
 * image must have the same [L, D] (true for `use-lite` and `transformers`
 * with `fields` pooling; `tokens` pooling varies L and is refused here).
 *
 * @example
 * ```ts ignore
 * import { loadTextEmbeddingBatch } from "../../mod.ts";
 * const b = await loadTextEmbeddingBatch({ root, name: "kvasir" }, ids.slice(0, 8), { encoder: "use-lite" });
 * // b.shape = [8, 6, 512]; tf.tensor3d(b.data, b.shape) is the teacher's text input
 * ```
 */
export async function loadTextEmbeddingBatch(
  ref: DatasetRef,
  ids: string[],
  options: { encoder?: EncoderName } = {},
): Promise<{ data: Float32Array; shape: [number, number, number] }> {
  if (ids.length === 0) throw new Error("loadTextEmbeddingBatch: no ids");
  const items = await Promise.all(ids.map((id) => loadTextEmbedding(ref, id, options)));
  const [L, D] = items[0].shape;
  const data = new Float32Array(ids.length * L * D);
  items.forEach((e, b) => {
    if (e.shape[0] !== L || e.shape[1] !== D) {
      throw new Error(
        `loadTextEmbeddingBatch: ${ref.name}/${ids[b]} has shape [${e.shape}] but ${ids[0]} has [${L},${D}]; ` +
          `batches need one [L, D] (use --pooling fields)`,
      );
    }
    data.set(e.data, b * L * D);
  });
  return { data, shape: [ids.length, L, D] };
}
