/**
 * `deno task model-summary --model teacher|student|gazemedseg|unet --profile paper|cpu|smoke [--json]
 *  [--in-channels N] [--batch B] [--fusion none|learnable] [--no-text]`
 *
 * Prints per-module and total parameter counts and the output shapes for the profile's input
 * (`--backend` defaults to cpu: no forward pass runs; shapes are derived from the architecture, and tests check them against real
 * forward passes). `--json` prints one JSON object (`{ provenance, profile, config, summary }`).
 *
 * @module
 */
import { intFlag, parseTaskArgs, provenance, runTask } from "../lib/core/mod.ts";
import { selectBackend } from "../lib/backend/mod.ts";
import {
  MODEL_PROFILES,
  type ModelConfig,
  modelConfigFor,
  type ModelKind,
  PROFILE_NAMES,
  type ProfileName,
  summarizeModel,
} from "../lib/models/mod.ts";

const KINDS: readonly ModelKind[] = ["teacher", "student", "gazemedseg", "unet"];
const USAGE = `deno task model-summary --model ${KINDS.join("|")} --profile ${PROFILE_NAMES.join("|")} [--json]
  [--in-channels N] [--batch B] [--fusion none|learnable] [--no-text]

Prints per-module and total parameter counts and output shapes for the profile's input size.`;

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    allowPositionals: false,
    flags: {
      model: { type: "string" },
      profile: { type: "string" },
      json: { type: "boolean" },
      "in-channels": { type: "string" },
      batch: { type: "string" },
      fusion: { type: "string" },
      "no-text": { type: "boolean" },
    },
  });
  const kind = values.model as ModelKind;
  if (!KINDS.includes(kind)) {
    throw new Error(`--model: expected one of ${KINDS.join(", ")}, got ${JSON.stringify(values.model)}`);
  }
  const profile = (values.profile ?? "paper") as ProfileName;
  if (!PROFILE_NAMES.includes(profile)) {
    throw new Error(`--profile: expected one of ${PROFILE_NAMES.join(", ")}, got ${JSON.stringify(values.profile)}`);
  }
  const overrides: Partial<ModelConfig> = {};
  if (values.fusion !== undefined) {
    if (values.fusion !== "none" && values.fusion !== "learnable") {
      throw new Error(`--fusion: expected none or learnable, got ${JSON.stringify(values.fusion)}`);
    }
    if (kind !== "teacher") throw new Error("--fusion applies to --model teacher only");
    Object.assign(overrides, { fusion: values.fusion });
  }
  if (values["no-text"]) {
    if (kind !== "teacher") throw new Error("--no-text applies to --model teacher only");
    Object.assign(overrides, { text: false });
  }
  const config = modelConfigFor(kind, profile, {
    inChannels: intFlag(values["in-channels"], "in-channels", 3),
    overrides,
  });
  // Building the parameters needs a backend; no kernels run, so the pure-JS one is enough by default.
  await selectBackend(values.backend ?? "cpu", { quiet: true });
  const summary = summarizeModel(config, {
    batch: intFlag(values.batch, "batch", 1),
    inputSize: MODEL_PROFILES[profile].inputSize,
  });
  if (values.json) {
    console.log(
      JSON.stringify({ provenance: provenance({ task: "model-summary" }), profile, config, summary }, null, 2),
    );
    return;
  }
  const fmt = (n: number) => n.toLocaleString("en-US");
  const textNote = config.kind === "teacher" && config.text !== false
    ? `, text tokens ${config.textLen} x ${config.textDim}${profile === "paper" ? " (RoBERTa-base)" : " (use-lite)"}`
    : "";
  console.log(
    `${kind} @ ${profile}: input [${summary.inputShape.join(", ")}], widths [${config.features.join(", ")}]${textNote}`,
  );
  console.log("| module | params | state | output shape |\n|---|---:|---:|---|");
  for (const m of summary.modules) {
    console.log(
      `| ${m.module} | ${fmt(m.params)} | ${fmt(m.state)} | ${m.outputShape ? `[${m.outputShape.join(", ")}]` : ""} |`,
    );
  }
  console.log(`| **total** | **${fmt(summary.totalParams)}** | **${fmt(summary.totalState)}** | |`);
  console.log("\noutputs:");
  for (const [name, shape] of Object.entries(summary.outputs)) {
    console.log(`  ${name.padEnd(16)} [${shape.join(", ")}]`);
  }
});
