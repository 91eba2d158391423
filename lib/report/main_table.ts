/**
 * Table "main": every method of the paper's comparison trained by the toolkit on one
 * dataset — full supervision, single-level gaze (partial CE), GazeMedSeg, FGI (code
 * variant), FGI (paper variant) — with Dice, IoU, HD95 and ASD (mean ± std, see
 * per_image.ts for the aggregation over images and seeds), the annotation hours of
 * each kind of supervision, and the paper's published Dice next to ours with the
 * difference. Every number comes from the runs' per-image CSVs or from
 * {@link PUBLISHED_DICE}; none is typed here.
 *
 * @module
 */
import { ANNOTATION_COST_NOTE, annotationHours } from "../metrics/annotation_cost.ts";
import { comparisonCells } from "./ablation_table.ts";
import { aggregateMetric } from "./per_image.ts";
import type { RowDef } from "./plan.ts";
import { publishedDice, type PublishedMethod } from "./published.ts";
import { type CheckpointChoice, outcomesFor, perImageAt, type RunOutcome } from "./run_outcome.ts";
import { type Cell, makeTable, type Table } from "./table.ts";

/** Which published number each main-table row is compared with. */
export const MAIN_ROW_PUBLISHED: Readonly<Record<string, PublishedMethod>> = {
  "gazemedseg": "gazemedseg-paper",
  "fgi-code": "fgi",
  "fgi-paper": "fgi",
};

/** Row key every other main-table row is compared with (paired test): GazeMedSeg. */
export const MAIN_TABLE_REFERENCE = "gazemedseg";

/** Options of {@link mainTable}. */
export interface MainTableOptions {
  /** Dataset name (for the published numbers). */
  dataset: string;
  /** Seeds to aggregate. */
  seeds: readonly number[];
  /** Training images (for the annotation hours). */
  trainImages: number;
  /** Checkpoint of the metric columns (default "best", as the paper). */
  checkpoint?: CheckpointChoice;
  /** Title. */
  title?: string;
  /** Extra notes (e.g. provenance of the data). */
  notes?: string[];
}

/**
 * Build the main table from the finished runs. `rows` are the plan's main rows
 * ({@link MAIN_ROWS}); each needs one outcome per seed.
 */
export function mainTable(rows: readonly RowDef[], outcomes: readonly RunOutcome[], options: MainTableOptions): Table {
  const ck = options.checkpoint ?? "best";
  const other: CheckpointChoice = ck === "best" ? "last" : "best";
  let unit = "px";
  // The paired comparison is against GazeMedSeg, the gaze baseline the paper compares FGI with.
  const ref = rows.find((r) => r.key === MAIN_TABLE_REFERENCE);
  const body: Record<string, Cell>[] = rows.map((row) => {
    const runs = outcomesFor(outcomes, row.key, options.seeds);
    unit = runs[0].unit;
    const at = perImageAt(runs, ck);
    const kind = row.method === "fullsup" ? "full-mask" : "gaze";
    const pubKey = MAIN_ROW_PUBLISHED[row.key];
    const pub = pubKey ? publishedDice(pubKey, options.dataset) : undefined;
    const dice = aggregateMetric(at, "dice");
    const teachers = runs.every((r) => r.teacher) ? runs.map((r) => r.teacher![ck]) : null;
    const vsRef = ref && row.key !== ref.key
      ? comparisonCells(outcomes, row.key, ref.key, "dice", { seeds: options.seeds, checkpoint: ck })
      : null;
    return {
      method: row.label,
      supervision: kind === "full-mask" ? "full masks" : row.method === "fgi" ? "gaze + VLM text" : "gaze",
      hours: annotationHours(kind, options.trainImages),
      dice,
      per_seed: dice.perSeed.map((v) => (v === null ? "–" : (v * 100).toFixed(1))).join(", "),
      d_ref: vsRef ? vsRef.delta : null,
      p_ref: vsRef ? vsRef.p : null,
      iou: aggregateMetric(at, "iou"),
      hd95: aggregateMetric(at, "hd95"),
      asd: aggregateMetric(at, "asd"),
      dice_other: aggregateMetric(perImageAt(runs, other), "dice"),
      teacher: row.method === "fgi" && teachers ? aggregateMetric(teachers, "dice") : null,
      paper_dice: pub ? pub.dice : null,
      diff: pub && dice.mean !== null ? dice.mean * 100 - pub.dice : null,
    };
  });
  const seedsNote = options.seeds.length > 1
    ? `mean ± std over seeds ${options.seeds.join(", ")} of the per-seed means over test images (std ddof 1)`
    : `mean ± std over test images (population std), seed ${options.seeds[0]}`;
  const pubNotes = [...new Set(rows.map((r) => MAIN_ROW_PUBLISHED[r.key]).filter(Boolean))]
    .map((m) => publishedDice(m as PublishedMethod, options.dataset))
    .filter((p) => p !== undefined)
    .map((p) => `paper Dice: ${p!.what} — ${p!.source.citation} (${p!.source.spec})`);
  const ckpt = publishedDice("gazemedseg-checkpoint", options.dataset);
  if (ckpt) pubNotes.push(`GazeMedSeg's released checkpoint scores ${ckpt.dice}% Dice (${ckpt.source.spec})`);
  if (!pubNotes.length) pubNotes.push(`no published numbers exist for dataset '${options.dataset}'`);
  return makeTable(
    [
      { key: "method", label: "Method", kind: "text" },
      { key: "supervision", label: "Supervision", kind: "text" },
      { key: "hours", label: "Annotation (h)", digits: 2 },
      { key: "dice", label: "Dice (%)", kind: "meanStd", scale: 100 },
      { key: "per_seed", label: "Dice per seed (%)", kind: "text" },
      { key: "d_ref", label: "Δ Dice vs GazeMedSeg (pp)", scale: 100 },
      { key: "p_ref", label: "p (vs GazeMedSeg)", digits: 4 },
      { key: "iou", label: "IoU (%)", kind: "meanStd", scale: 100 },
      { key: "hd95", label: `HD95 (${unit})`, kind: "meanStd" },
      { key: "asd", label: `ASD (${unit})`, kind: "meanStd" },
      { key: "dice_other", label: `Dice, ${other} ckpt (%)`, kind: "meanStd", scale: 100 },
      { key: "teacher", label: "Teacher Dice (%)", kind: "meanStd", scale: 100 },
      { key: "paper_dice", label: "Paper Dice (%)" },
      { key: "diff", label: "Ours − paper (pp)" },
    ],
    body,
    {
      title: options.title ?? `Main results on ${options.dataset} (${ck} checkpoint, reported network)`,
      notes: [
        seedsNote,
        ...(ref
          ? [
            `Δ vs GazeMedSeg: mean of the per-image differences of Dice (row − ${ref.label}); p: two-sided ` +
            "Wilcoxon signed-rank test on the paired per-image values (averaged over seeds first); with a few " +
            "seeds read it with the per-seed values: a seed that collapses moves the mean by tens of points",
          ]
          : []),
        `metrics of the ${ck} checkpoint (best = highest test Dice during training, optimistic as in the paper); ` +
        `the reported network is the FGI student (no text at test time)`,
        "Teacher Dice: the FGI teacher (with text) at the same checkpoint (chosen by the student's Dice, as the " +
        "released code); the student stays the reported network",
        "HD95/ASD: (k undef.) counts images whose prediction was empty (no surface), left out of the mean",
        `${ANNOTATION_COST_NOTE}; hours for the ${options.trainImages} training images used here`,
        ...pubNotes,
        ...(options.notes ?? []),
      ],
    },
  );
}
