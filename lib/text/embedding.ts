/**
 * The text-embedding contract shared by every encoder: one description in,
 * one float32 matrix [L, D] out (row-major), the token sequence the teacher's
 * text-fusion attends to (docs/METHOD.md section 5: T = Linear(D -> C_s)(F_t)).
 *
 * @module
 */
import type { Description } from "./schema.ts";

/** Names of the encoders. */
export type EncoderName = "use-lite" | "transformers";

/** Every encoder name, for CLI validation. */
export const ENCODER_NAMES: readonly EncoderName[] = ["use-lite", "transformers"];

/** A token sequence: `data` holds L x D float32 values, row-major (row i = token i). */
export interface TextEmbedding {
  /** Row-major values, length L * D. */
  data: Float32Array;
  /** [L, D]. */
  shape: [number, number];
}

/** An encoder of six-field descriptions. */
export interface DescriptionEncoder {
  /** Which encoder. */
  readonly name: EncoderName;
  /** Width D of each token. */
  readonly dim: number;
  /** Key-free facts about the encoder for provenance (model, pooling, L, ...). */
  readonly info: Readonly<Record<string, unknown>>;
  /** Encode one description to [L, D]. Deterministic. */
  encode(description: Description): Promise<TextEmbedding>;
  /** Encode free sentences to [n, D], one row per sentence (for checks and notebooks). */
  encodeTexts(texts: string[]): Promise<TextEmbedding>;
  /** Free the model (tensors, sessions). The encoder is unusable afterwards. */
  dispose(): Promise<void>;
}

/** Row `i` of an embedding as a view (no copy). */
export function embeddingRow(e: TextEmbedding, i: number): Float32Array {
  const [L, D] = e.shape;
  if (!(i >= 0 && i < L)) throw new Error(`embeddingRow: row ${i} outside [0, ${L})`);
  return e.data.subarray(i * D, (i + 1) * D);
}

/** Mean over the L rows, a D-vector (a sentence-level summary of a token sequence). */
export function meanPool(e: TextEmbedding): Float32Array {
  const [L, D] = e.shape;
  const out = new Float32Array(D);
  for (let i = 0; i < L; i++) for (let d = 0; d < D; d++) out[d] += e.data[i * D + d] / L;
  return out;
}

/**
 * Cosine similarity of two equal-length vectors (0 when either is all zeros).
 *
 * @example
 * ```ts
 * import { cosineSimilarity } from "../../mod.ts";
 * const c = cosineSimilarity(Float32Array.of(1, 0), Float32Array.of(1, 1)); // ~0.7071
 * ```
 */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`cosineSimilarity: lengths differ (${a.length} vs ${b.length})`);
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0;
}
