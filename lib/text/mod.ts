/**
 * Text cues, the "why" signal of FGI (docs/METHOD.md section 4): a six-field
 * structured description per image, written by a VLM (OpenAI-compatible
 * chat-completions client) or, offline and by default, by a describer that
 * reads only the image and the gaze maps; and its token-level embedding
 * [L, D] (USE-lite 512-d offline, or any local ONNX text model such as
 * RoBERTa-base 768-d through transformers.js).
 *
 * @module
 */
export * from "./schema.ts";
export * from "./prompt.ts";
export * from "./limiter.ts";
export * from "./vlm_client.ts";
export * from "./describer.ts";
export * from "./embedding.ts";
export * from "./use_lite.ts";
export * from "./transformers_encoder.ts";
export * from "./encoder.ts";
export * from "./batch.ts";
export * from "./summary.ts";
export * from "./model_dir.ts";
