/**
 * The prompt that asks a vision-language model for the six-field JSON of
 * schema.ts. The paper (docs/METHOD.md section 4) names GPT-4o and Doubao but does
 * not publish its prompt; this one is the toolkit's own. It lists, for each
 * field, the only values allowed, so the answer can be validated strictly.
 *
 * `PROMPT_VERSION` is part of every VLM cache key and every description file:
 * change it whenever the prompt text or the vocabularies change.
 *
 * @module
 */
import { ARRAY_LIMITS, type Description, FIELD_NAMES, type TargetKind, VOCABULARIES } from "./schema.ts";

/** Version of the prompt and vocabularies (bump on any change of either). */
export const PROMPT_VERSION = "fgi-six-field-v1";

/** The chat messages of the prompt, text only (the image is attached by the client). */
export interface Prompt {
  /** System message: role and output rules. */
  system: string;
  /** User message text; the image goes next to it. */
  user: string;
}

const CONTEXT: Record<TargetKind, { specialist: string; image: string; target: string; example: Description }> = {
  polyp: {
    specialist: "an experienced gastroenterologist",
    image: "colonoscopy image",
    target: "the polyp",
    example: {
      Location: "center",
      Boundary: "well-defined",
      Characteristics: ["reddish", "smooth surface", "sessile"],
      "Area Percentage": "5-15%",
      Confidence: "high",
      Remarks: ["specular highlights"],
    },
  },
  prostate: {
    specialist: "an experienced radiologist",
    image: "axial T2-weighted prostate MRI slice",
    target: "the prostate gland",
    example: {
      Location: "center",
      Boundary: "moderately defined",
      Characteristics: ["isointense", "heterogeneous signal"],
      "Area Percentage": "<5%",
      Confidence: "medium",
      Remarks: ["none"],
    },
  },
  "skin lesion": {
    specialist: "an experienced dermatologist",
    image: "dermoscopy image",
    target: "the skin lesion",
    example: {
      Location: "center",
      Boundary: "well-defined",
      Characteristics: ["dark brown", "uniform pigmentation"],
      "Area Percentage": "15-30%",
      Confidence: "high",
      Remarks: ["none"],
    },
  },
};

const MEANING: Record<string, string> = {
  Location: "where the centre of {target} lies on a 3x3 grid over the image",
  Boundary: "how clearly the edge of {target} stands out from its surroundings",
  Characteristics: "colour / intensity, texture and shape of {target}",
  "Area Percentage": "share of the whole image area covered by {target}",
  Confidence: "how certain you are about the location and extent of {target}",
  Remarks: 'anything else notable; use ["none"] when nothing applies',
};

/**
 * Build the prompt for one target kind. The user text lists every field with
 * its allowed values and an example of the exact JSON shape.
 *
 * @example
 * ```ts
 * import { buildPrompt } from "../../mod.ts";
 * const p = buildPrompt("polyp");
 * if (!p.user.includes('"Area Percentage"')) throw new Error("field missing");
 * ```
 */
export function buildPrompt(kind: TargetKind): Prompt {
  const ctx = CONTEXT[kind];
  if (!ctx) throw new Error(`buildPrompt: unknown target kind ${JSON.stringify(kind)}`);
  const vocab = VOCABULARIES[kind];
  const lines = FIELD_NAMES.map((f) => {
    const allowed = vocab[f].map((v) => JSON.stringify(v)).join(", ");
    const meaning = MEANING[f].replace("{target}", ctx.target);
    if (f === "Characteristics" || f === "Remarks") {
      const [lo, hi] = ARRAY_LIMITS[f];
      return `- "${f}" (${meaning}): an array of ${lo} to ${hi} distinct values from: ${allowed}`;
    }
    return `- "${f}" (${meaning}): exactly one of: ${allowed}`;
  });
  const system = [
    `You are ${ctx.specialist} describing medical images for a segmentation study.`,
    "You answer with ONE JSON object and nothing else: no prose, no markdown, no code fences.",
    "Every value must be copied exactly from the allowed values you are given (same spelling and case).",
  ].join(" ");
  const user = [
    `Describe ${ctx.target} in this ${ctx.image}.`,
    `Return a JSON object with exactly these six keys and no others:`,
    ...lines,
    `Example of the format (not of the content): ${JSON.stringify(ctx.example)}`,
  ].join("\n");
  return { system, user };
}

/**
 * The follow-up message sent once when an answer fails validation: it quotes
 * the validator's messages and asks for a corrected JSON object.
 */
export function repairMessage(issues: string[]): string {
  return [
    "Your answer was rejected by the validator:",
    ...issues.map((i) => `- ${i}`),
    "Reply again with only the corrected JSON object, using only the allowed values.",
  ].join("\n");
}
