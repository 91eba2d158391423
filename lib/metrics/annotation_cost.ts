/**
 * Annotation cost per supervision type, so tables and figures can put Dice against
 * the human time each kind of label costs.
 *
 * Source: the FGI paper reports "18.7 h for full masks vs 2.2 h with gaze"
 * (docs/METHOD.md section 9). The paper does not say over how many images; the toolkit
 * reads them as TOTALS for the Kvasir-SEG training split, 900 images (the images a
 * training run is supervised with), giving 18.7 h / 900 = 74.8 s per image for a full
 * mask and 2.2 h / 900 = 8.8 s per image for a gaze recording. If they were meant for
 * all 1000 images, per-image costs would be 10% lower for both, and the ratio (8.5x)
 * is the same either way.
 *
 * The VLM text descriptions of FGI are generated automatically and cost no annotator
 * time, so FGI's supervision cost is the gaze cost. Other label types (scribbles,
 * boxes, points) have no published figure here: pass your own `hoursPerImage` table.
 *
 * @module
 */

/** Supervision types with a published annotation time. */
export type SupervisionKind = "full-mask" | "gaze";

/** The paper's total annotation hours for the Kvasir-SEG training split, by supervision type. */
export const PAPER_ANNOTATION_HOURS: Readonly<Record<SupervisionKind, number>> = Object.freeze({
  "full-mask": 18.7,
  gaze: 2.2,
});

/** The number of images the paper's hours are taken to cover (Kvasir-SEG training split). */
export const PAPER_ANNOTATED_IMAGES = 900;

/** A one-line source note for tables and figures that show annotation hours (numbers derived, not typed). */
export const ANNOTATION_COST_NOTE: string =
  `annotation hours: the FGI paper's ${PAPER_ANNOTATION_HOURS["full-mask"]} h (full masks) ` +
  `and ${PAPER_ANNOTATION_HOURS.gaze} h (gaze), read as totals for the ${PAPER_ANNOTATED_IMAGES} Kvasir-SEG training ` +
  `images; VLM text costs no annotator time`;

/** Options of the annotation-cost functions. */
export interface AnnotationCostOptions {
  /** Hours per image by kind, replacing the paper-derived values (e.g. your own measurements). */
  hoursPerImage?: Partial<Record<string, number>>;
}

/**
 * Hours of annotator time per image for a supervision type: the paper's total divided
 * by {@link PAPER_ANNOTATED_IMAGES}, unless `options.hoursPerImage` gives a value.
 *
 * @example
 * ```ts
 * import { annotationHoursPerImage } from "../../mod.ts";
 * const h = annotationHoursPerImage("gaze"); // 2.2 / 900 h = 8.8 s
 * ```
 */
export function annotationHoursPerImage(kind: SupervisionKind | string, options: AnnotationCostOptions = {}): number {
  const custom = options.hoursPerImage?.[kind];
  if (custom !== undefined) {
    if (!(Number.isFinite(custom) && custom >= 0)) {
      throw new Error(`annotation cost: hoursPerImage["${kind}"] must be a non-negative number, got ${custom}`);
    }
    return custom;
  }
  if (kind === "full-mask" || kind === "gaze") return PAPER_ANNOTATION_HOURS[kind] / PAPER_ANNOTATED_IMAGES;
  throw new Error(
    `annotation cost: no published time for supervision "${kind}"; known: full-mask, gaze ` +
      "(pass options.hoursPerImage for other kinds)",
  );
}

/**
 * Total annotator hours to label `images` images with a supervision type
 * (hours per image x images). With 900 images this returns the paper's figures.
 */
export function annotationHours(
  kind: SupervisionKind | string,
  images: number,
  options: AnnotationCostOptions = {},
): number {
  if (!(Number.isInteger(images) && images >= 0)) {
    throw new Error(`annotation cost: images must be a non-negative integer, got ${images}`);
  }
  return annotationHoursPerImage(kind, options) * images;
}
