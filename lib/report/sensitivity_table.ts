/**
 * Table "sensitivity": FGI (code variant) with tau_pos, the DARM ratio and lambda_AFC
 * changed one at a time over small grids (lib/report/plan.ts `SENSITIVITY_GRIDS`),
 * each point compared with the config's own value (the reference run) on the same test
 * images with the paired Wilcoxon test.
 *
 * @module
 */
import { comparisonColumns, comparisonNotes, comparisonRow } from "./ablation_table.ts";
import { type RowDef, SENSITIVITY_LABELS } from "./plan.ts";
import { type CheckpointChoice, outcomesFor, type RunOutcome } from "./run_outcome.ts";
import { makeTable, type Table } from "./table.ts";

/** Options of {@link sensitivityTable}. */
export interface SensitivityTableOptions {
  /** Dataset name (title). */
  dataset: string;
  /** Seeds to aggregate. */
  seeds: readonly number[];
  /** Checkpoint (default "best"). */
  checkpoint?: CheckpointChoice;
  /** Title. */
  title?: string;
  /** Extra notes. */
  notes?: string[];
}

/** The key of the reference run of the sensitivity grids. */
export const SENSITIVITY_REFERENCE = "fgi-code";

/** Build the sensitivity table from the plan's sensitivity rows (grouped by parameter, sorted by value). */
export function sensitivityTable(
  rows: readonly RowDef[],
  outcomes: readonly RunOutcome[],
  options: SensitivityTableOptions,
): Table {
  const ck = options.checkpoint ?? "best";
  const unit = outcomesFor(outcomes, SENSITIVITY_REFERENCE, options.seeds)[0].unit;
  const body = rows.map((row) => {
    if (!row.sensitivity) throw new Error(`sensitivityTable: row ${row.key} is not a sensitivity point`);
    return {
      parameter: SENSITIVITY_LABELS[row.sensitivity.param],
      value: row.sensitivity.value,
      reference: row.key === SENSITIVITY_REFERENCE ? "yes" : "",
      ...comparisonRow(outcomes, row.key, SENSITIVITY_REFERENCE, { seeds: options.seeds, checkpoint: ck }),
    };
  });
  return makeTable(
    [
      { key: "parameter", label: "Parameter", kind: "text" },
      { key: "value", label: "Value", digits: 2 },
      { key: "reference", label: "Config value", kind: "text" },
      ...comparisonColumns(unit),
    ],
    body,
    {
      title: options.title ?? `Sensitivity of FGI on ${options.dataset} (${ck} checkpoint)`,
      notes: [
        "one parameter changed at a time; the others keep the config's values",
        ...comparisonNotes("FGI code variant at the config's value", options.seeds, ck),
        ...(options.notes ?? []),
      ],
    },
  );
}
