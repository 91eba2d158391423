/**
 * The six-field structured description of docs/METHOD.md section 4 and its
 * controlled vocabularies. Every description in the toolkit, whether a VLM
 * wrote it or the offline describer, is an object with exactly these keys:
 *
 * | field             | JSON type              | meaning                                                |
 * |-------------------|------------------------|--------------------------------------------------------|
 * | `Location`        | string                 | centre of the target on a 3x3 grid of the image        |
 * | `Boundary`        | string                 | how sharply the target's edge stands out               |
 * | `Characteristics` | array of 1-4 strings   | colour / intensity / texture / shape descriptors       |
 * | `Area Percentage` | string                 | share of the image area the target covers (5 bins)     |
 * | `Confidence`      | string                 | how certain the describer is about location and extent |
 * | `Remarks`         | array of 1-3 strings   | anything notable; `["none"]` when nothing applies      |
 *
 * The allowed values depend on the target kind (polyp for Kvasir-SEG and the
 * synthetic set, prostate gland for NCI-ISBI, skin lesion for ISIC); see
 * {@link VOCABULARIES}. The paper's exact prompt and vocabulary are not
 * published; these are the toolkit's own and versioned by `PROMPT_VERSION`
 * (prompt.ts).
 *
 * @module
 */

/** The six field names, in the order they are rendered and encoded (token i = field i). */
export const FIELD_NAMES = [
  "Location",
  "Boundary",
  "Characteristics",
  "Area Percentage",
  "Confidence",
  "Remarks",
] as const;

/** One of the six field names. */
export type FieldName = typeof FIELD_NAMES[number];

/** What is being segmented; decides the vocabulary and the prompt. */
export type TargetKind = "polyp" | "prostate" | "skin lesion";

/** A validated six-field description. Array fields hold distinct allowed terms. */
export interface Description {
  /** One grid cell (or "multiple sites"). */
  Location: string;
  /** Edge definition. */
  Boundary: string;
  /** 1 to 4 distinct descriptors. */
  Characteristics: string[];
  /** One of five area bins. */
  "Area Percentage": string;
  /** high | medium | low. */
  Confidence: string;
  /** 1 to 3 distinct remarks, or exactly `["none"]`. */
  Remarks: string[];
}

/** Allowed values per field for one target kind. */
export type Vocabulary = { readonly [F in FieldName]: readonly string[] };

/** The nine cells of the 3x3 location grid, row-major from the top-left. */
export const GRID_CELLS = [
  "upper left",
  "upper center",
  "upper right",
  "middle left",
  "center",
  "middle right",
  "lower left",
  "lower center",
  "lower right",
] as const;

/** Area bins of `Area Percentage`, with their [lo, hi) bounds as fractions of the image area. */
export const AREA_BINS: readonly { label: string; lo: number; hi: number }[] = [
  { label: "<5%", lo: 0, hi: 0.05 },
  { label: "5-15%", lo: 0.05, hi: 0.15 },
  { label: "15-30%", lo: 0.15, hi: 0.30 },
  { label: "30-50%", lo: 0.30, hi: 0.50 },
  { label: ">50%", lo: 0.50, hi: Infinity },
];

/** The `Area Percentage` label of an area share in [0, 1] (e.g. 0.12 -> "5-15%"). */
export function areaBin(share: number): string {
  if (!(share >= 0)) throw new Error(`areaBin: share must be a number >= 0, got ${share}`);
  return AREA_BINS.find((b) => share >= b.lo && share < b.hi)!.label;
}

const BOUNDARY = ["well-defined", "moderately defined", "ill-defined"] as const;
const CONFIDENCE = ["high", "medium", "low"] as const;
const COMMON_REMARKS = [
  "none",
  "several gaze clusters",
  "touches image border",
  "low contrast with surroundings",
  "possible second lesion",
  "image artefacts present",
] as const;

/** Minimum and maximum number of terms in the two array fields. */
export const ARRAY_LIMITS = { Characteristics: [1, 4], Remarks: [1, 3] } as const;

/** Controlled vocabularies per target kind. */
export const VOCABULARIES: Readonly<Record<TargetKind, Vocabulary>> = {
  polyp: {
    Location: [...GRID_CELLS, "multiple sites"],
    Boundary: BOUNDARY,
    Characteristics: [
      "reddish",
      "pinkish",
      "pale",
      "whitish",
      "similar in colour to surrounding mucosa",
      "brighter than surrounding mucosa",
      "darker than surrounding mucosa",
      "similar brightness to surrounding mucosa",
      "smooth surface",
      "textured surface",
      "lobulated surface",
      "vascular pattern visible",
      "sessile",
      "pedunculated",
      "flat",
    ],
    "Area Percentage": AREA_BINS.map((b) => b.label),
    Confidence: CONFIDENCE,
    Remarks: [...COMMON_REMARKS, "specular highlights", "partially occluded", "instrument visible"],
  },
  prostate: {
    Location: [...GRID_CELLS, "multiple sites"],
    Boundary: BOUNDARY,
    Characteristics: [
      "hypointense",
      "isointense",
      "hyperintense",
      "homogeneous signal",
      "heterogeneous signal",
      "ovoid shape",
      "round shape",
      "enlarged gland",
    ],
    "Area Percentage": AREA_BINS.map((b) => b.label),
    Confidence: CONFIDENCE,
    Remarks: [...COMMON_REMARKS, "motion artefacts", "adjacent structures with similar signal"],
  },
  "skin lesion": {
    Location: [...GRID_CELLS, "multiple sites"],
    Boundary: BOUNDARY,
    Characteristics: [
      "black",
      "dark brown",
      "light brown",
      "reddish",
      "pink",
      "blue-grey",
      "darker than surrounding skin",
      "lighter than surrounding skin",
      "similar in tone to surrounding skin",
      "uniform pigmentation",
      "variegated pigmentation",
      "symmetric shape",
      "asymmetric shape",
    ],
    "Area Percentage": AREA_BINS.map((b) => b.label),
    Confidence: CONFIDENCE,
    Remarks: [...COMMON_REMARKS, "hair occlusion", "ruler or marker visible", "vignetting"],
  },
};

/**
 * The target kind of a dataset: polyp for `kvasir` and `synthetic`, prostate
 * for `nci-isbi`, skin lesion for `isic`. Throws on an unknown dataset.
 */
export function targetKind(dataset: string): TargetKind {
  switch (dataset) {
    case "kvasir":
    case "synthetic":
      return "polyp";
    case "nci-isbi":
      return "prostate";
    case "isic":
      return "skin lesion";
    default:
      throw new Error(`unknown dataset '${dataset}': expected kvasir, synthetic, nci-isbi or isic`);
  }
}

/** A description that failed validation; `issues` lists every problem, one line each. */
export class DescriptionError extends Error {
  /** One message per problem (field, value, allowed values). */
  readonly issues: string[];
  /**
   * Build the error from its issues.
   *
   * @param issues the problems found
   * @param where prefixes the message (file, response)
   */
  constructor(issues: string[], where = "description") {
    super(`${where}: invalid six-field description:\n  - ${issues.join("\n  - ")}`);
    this.name = "DescriptionError";
    this.issues = issues;
  }
}

const list = (values: readonly string[]) => values.map((v) => JSON.stringify(v)).join(", ");

/**
 * Every problem with `value` as a description of a `kind` target, as
 * human-readable lines naming the field, the offending value and the allowed
 * values; empty when valid. Matching is exact (case and spacing included).
 *
 * @example
 * ```ts
 * import { descriptionIssues } from "../../mod.ts";
 * const issues = descriptionIssues({ Location: "top" }, "polyp");
 * // issues[0]: 'Location: "top" is not allowed; allowed values: "upper left", ...'
 * ```
 */
export function descriptionIssues(value: unknown, kind: TargetKind): string[] {
  const vocab = VOCABULARIES[kind];
  if (!vocab) return [`unknown target kind ${JSON.stringify(kind)}`];
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return [`expected a JSON object with the fields ${FIELD_NAMES.join(", ")}, got ${describeType(value)}`];
  }
  const obj = value as Record<string, unknown>;
  const issues: string[] = [];
  for (const key of Object.keys(obj)) {
    if (!(FIELD_NAMES as readonly string[]).includes(key)) {
      issues.push(
        `unexpected field ${JSON.stringify(key)}; the object must have exactly the fields ${list(FIELD_NAMES)}`,
      );
    }
  }
  for (const field of FIELD_NAMES) {
    const allowed = vocab[field];
    if (!(field in obj)) {
      issues.push(`missing field ${JSON.stringify(field)}; allowed values: ${list(allowed)}`);
      continue;
    }
    const v = obj[field];
    if (field === "Characteristics" || field === "Remarks") {
      const [lo, hi] = ARRAY_LIMITS[field];
      if (!Array.isArray(v)) {
        issues.push(
          `${field}: expected an array of ${lo} to ${hi} strings, got ${describeType(v)}; allowed values: ${
            list(allowed)
          }`,
        );
        continue;
      }
      if (v.length < lo || v.length > hi) {
        issues.push(`${field}: expected ${lo} to ${hi} items, got ${v.length}`);
      }
      const seen = new Set<string>();
      for (const item of v) {
        if (typeof item !== "string") {
          issues.push(`${field}: item ${describeType(item)} is not a string; allowed values: ${list(allowed)}`);
        } else if (!allowed.includes(item)) {
          issues.push(`${field}: ${JSON.stringify(item)} is not allowed; allowed values: ${list(allowed)}`);
        } else if (seen.has(item)) {
          issues.push(`${field}: ${JSON.stringify(item)} appears more than once`);
        } else seen.add(item);
      }
      if (field === "Remarks" && seen.has("none") && v.length > 1) {
        issues.push(`Remarks: "none" must be the only item when present`);
      }
    } else if (typeof v !== "string") {
      issues.push(`${field}: expected a string, got ${describeType(v)}; allowed values: ${list(allowed)}`);
    } else if (!allowed.includes(v)) {
      issues.push(`${field}: ${JSON.stringify(v)} is not allowed; allowed values: ${list(allowed)}`);
    }
  }
  return issues;
}

function describeType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 60 ? v.slice(0, 60) + "..." : v)}`;
  return typeof v === "object" ? "an object" : `${typeof v} ${String(v)}`;
}

/**
 * Validate `value` and return it as a {@link Description} (a fresh object with
 * the fields in canonical order). Throws {@link DescriptionError} listing every
 * problem; `where` names the source (file, response) in the message.
 *
 * @example
 * ```ts
 * import { validateDescription } from "../../mod.ts";
 * const d = validateDescription({
 *   Location: "center", Boundary: "well-defined", Characteristics: ["reddish"],
 *   "Area Percentage": "5-15%", Confidence: "high", Remarks: ["none"],
 * }, "polyp");
 * ```
 */
export function validateDescription(value: unknown, kind: TargetKind, where?: string): Description {
  const issues = descriptionIssues(value, kind);
  if (issues.length) throw new DescriptionError(issues, where);
  const o = value as Description;
  return {
    Location: o.Location,
    Boundary: o.Boundary,
    Characteristics: [...o.Characteristics],
    "Area Percentage": o["Area Percentage"],
    Confidence: o.Confidence,
    Remarks: [...o.Remarks],
  };
}

/**
 * The six field sentences that the encoders embed, one per field in
 * {@link FIELD_NAMES} order, e.g. `"Location: upper left."`,
 * `"Characteristics: reddish, smooth surface."`.
 */
export function fieldSentences(d: Description): string[] {
  return FIELD_NAMES.map((f) => {
    const v = d[f];
    return `${f}: ${Array.isArray(v) ? v.join(", ") : v}.`;
  });
}

/** Canonical JSON of a description (fields in {@link FIELD_NAMES} order), used for hashing and display. */
export function canonicalJson(d: Description): string {
  return JSON.stringify(Object.fromEntries(FIELD_NAMES.map((f) => [f, d[f]])));
}
