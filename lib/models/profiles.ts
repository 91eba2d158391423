/**
 * Model sizes per run profile (`paper`, `cpu`, `smoke`) and a helper that turns a
 * profile into a model configuration. Widths are data, not code: every model takes
 * its widths from its config, so a trainer may override any field.
 *
 * | profile | input | teacher widths            | student widths          | GazeMedSeg / UNet widths | text L x D |
 * |---------|-------|---------------------------|-------------------------|--------------------------|-----------|
 * | paper   | 224   | 64,128,256,512,1024,128   | 32,64,128,256,512,32    | 64,128,256,512,1024,128  | 6 x 768   |
 * | cpu     | 96    | 16,32,64,128,256,16       | 8,16,32,64,128,8        | 16,32,64,128,256,16      | 6 x 512   |
 * | smoke   | 32    | 8,8,16,16,32,8            | 4,4,8,8,16,4            | 8,8,16,16,32,8           | 6 x 512   |
 *
 * Text: L = 6 tokens (one per field of the VLM's JSON answer). D = 768 at `paper` (RoBERTa-base, the
 * released teacher's `text_proj = Linear(768, C)`; the `transformers` encoder with a local ONNX model),
 * D = 512 at `cpu` and `smoke` (Universal Sentence Encoder lite, the offline default encoder). A paper
 * run without the RoBERTa folder falls back to 512 (lib/train/text_model.ts) and builds its teacher
 * from the run's config, not from this table.
 *
 * @module
 */
import type { ConfigOf, Features, ModelConfig, ModelKind } from "./types.ts";

/** Run profile names. */
export type ProfileName = "paper" | "cpu" | "smoke";

/** The list of profile names, for CLI validation. */
export const PROFILE_NAMES: readonly ProfileName[] = ["paper", "cpu", "smoke"];

/** Model sizes of one profile. */
export interface ModelProfile {
  /** Profile name. */
  name: ProfileName;
  /** Square training / inference image side in pixels (multiple of 16). */
  inputSize: number;
  /** FGI teacher widths. */
  teacherFeatures: Features;
  /** FGI student widths. */
  studentFeatures: Features;
  /** GazeMedSeg and full-supervision UNet widths. */
  unetFeatures: Features;
  /** Text tokens per image (L). */
  textLen: number;
  /** Text token width (D). */
  textDim: number;
}

/** The three profiles. */
export const MODEL_PROFILES: Readonly<Record<ProfileName, ModelProfile>> = {
  paper: {
    name: "paper",
    inputSize: 224,
    teacherFeatures: [64, 128, 256, 512, 1024, 128],
    studentFeatures: [32, 64, 128, 256, 512, 32],
    unetFeatures: [64, 128, 256, 512, 1024, 128],
    textLen: 6,
    textDim: 768,
  },
  cpu: {
    name: "cpu",
    inputSize: 96,
    teacherFeatures: [16, 32, 64, 128, 256, 16],
    studentFeatures: [8, 16, 32, 64, 128, 8],
    unetFeatures: [16, 32, 64, 128, 256, 16],
    textLen: 6,
    textDim: 512,
  },
  smoke: {
    name: "smoke",
    inputSize: 32,
    teacherFeatures: [8, 8, 16, 16, 32, 8],
    studentFeatures: [4, 4, 8, 8, 16, 4],
    unetFeatures: [8, 8, 16, 16, 32, 8],
    textLen: 6,
    textDim: 512,
  },
};

/** Options for {@link modelConfigFor}. */
export interface ModelConfigForOptions {
  /** Input channels (default 3). */
  inChannels?: number;
  /** Fields that replace the profile's values (e.g. `fusion`, `text`, `levels`, `features`). */
  overrides?: Partial<ModelConfig>;
}

/**
 * The configuration of model `kind` at `profile`'s sizes.
 *
 * @example
 * ```ts
 * import { modelConfigFor } from "../../mod.ts";
 * const cfg = modelConfigFor("teacher", "smoke", { overrides: { fusion: "learnable" } });
 * console.log(cfg.kind, cfg.features); // teacher [8, 8, 16, 16, 32, 8]
 * ```
 */
export function modelConfigFor<K extends ModelKind>(
  kind: K,
  profile: ProfileName | ModelProfile,
  options: ModelConfigForOptions = {},
): ConfigOf<K> {
  const p = typeof profile === "string" ? MODEL_PROFILES[profile] : profile;
  if (!p) throw new Error(`modelConfigFor: unknown profile '${profile}', expected one of ${PROFILE_NAMES.join(", ")}`);
  const inChannels = options.inChannels ?? 3;
  let config: ModelConfig;
  switch (kind) {
    case "teacher":
      config = {
        kind,
        inChannels,
        features: p.teacherFeatures,
        inputSize: p.inputSize,
        textLen: p.textLen,
        textDim: p.textDim,
        heads: 8,
        fusion: "none",
        text: true,
        numClasses: 2,
      };
      break;
    case "student":
      config = { kind, inChannels, features: p.studentFeatures, teacherFeatures: p.teacherFeatures, numClasses: 2 };
      break;
    case "gazemedseg":
      config = { kind, inChannels, features: p.unetFeatures, levels: 2 };
      break;
    case "unet":
      config = { kind, inChannels, features: p.unetFeatures, numClasses: 1 };
      break;
    default:
      throw new Error(`modelConfigFor: unknown model kind '${kind}', expected teacher, student, gazemedseg or unet`);
  }
  return { ...config, ...(options.overrides ?? {}) } as ConfigOf<K>;
}
