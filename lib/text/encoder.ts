/**
 * Pick a description encoder by name: `use-lite` (default, offline, 512-d,
 * L = 6) or `transformers` (a local ONNX text model such as RoBERTa-base,
 * D = 768). Both return [L, D] float32 per description (embedding.ts).
 *
 * @module
 */
import { type DescriptionEncoder, ENCODER_NAMES, type EncoderName } from "./embedding.ts";
import { type TransformersEncoderOptions } from "./transformers_encoder.ts";
import { loadUseLite } from "./use_lite.ts";

/** Options of {@link createEncoder}; `modelDir` is the USE folder for `use-lite`, the ONNX folder for `transformers`. */
export type EncoderOptions = TransformersEncoderOptions;

/** The default encoder (fully offline). */
export const DEFAULT_ENCODER: EncoderName = "use-lite";

/**
 * Create an encoder by name. Throws on an unknown name, listing the valid ones.
 *
 * @example
 * ```ts ignore
 * import { createEncoder } from "../../mod.ts";
 * const enc = await createEncoder("use-lite");
 * console.log(enc.dim); // 512
 * await enc.dispose();
 * ```
 */
export async function createEncoder(
  name: EncoderName | string = DEFAULT_ENCODER,
  options: EncoderOptions = {},
): Promise<DescriptionEncoder> {
  switch (name) {
    case "use-lite":
      return await loadUseLite({ modelDir: options.modelDir });
    case "transformers": {
      // Imported on demand: onnxruntime is heavy and only this encoder needs it.
      const { loadTransformersEncoder } = await import("./transformers_encoder.ts");
      return await loadTransformersEncoder(options);
    }
    default:
      throw new Error(`unknown encoder '${name}': expected one of ${ENCODER_NAMES.join(", ")}`);
  }
}
