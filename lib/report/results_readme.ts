/**
 * The README.md of a results folder (`results/<dataset>/<profile>/`): what was run, on
 * which data and why, with which code, config, seeds and backend, how long it took,
 * the tables inline (Markdown from the same computed values as their CSV/JSON) and
 * links to every table, figure and run.
 *
 * @module
 */
import type { Provenance } from "../core/provenance.ts";
import type { WrittenFigure } from "./figures.ts";
import type { WrittenTable } from "./table.ts";

/** One run's line in the README. */
export interface ReadmeRun {
  /** Run id (folder under runs/). */
  id: string;
  /** Label. */
  label: string;
  /** Training seconds (null when unknown). */
  seconds: number | null;
  /** Best iteration (null when unknown). */
  bestIteration: number | null;
  /** Test Dice of the best checkpoint (mean over images, [0, 1]). */
  dice: number | null;
  /** What happened in this invocation: trained now, resumed, or reused. */
  status: string;
}

/** Everything the README shows. */
export interface ReadmeInfo {
  /** Dataset name. */
  dataset: string;
  /** Why this dataset. */
  datasetReason: string;
  /** Data root and source description. */
  dataSource: string;
  /** Profile. */
  profile: string;
  /** Why this profile. */
  profileReason: string;
  /** Seeds. */
  seeds: readonly number[];
  /** Backend and why. */
  backend: string;
  /** Base config file and its content hash. */
  config: { path: string; sha256: string };
  /** The command that reproduces this folder. */
  command: string;
  /** Wall time per stage, seconds. */
  wall: Record<string, number>;
  /** Tables: their Markdown (from `toMarkdown`, or read back from an earlier invocation's file) and files. */
  tables: { name: string; markdown: string; files: WrittenTable; earlier?: boolean }[];
  /** Figures written. */
  figures: readonly WrittenFigure[];
  /** Runs. */
  runs: readonly ReadmeRun[];
  /** Provenance of this invocation. */
  provenance: Provenance;
  /** Extra lines (warnings). */
  notes?: string[];
}

const rel = (path: string, base: string) => (path.startsWith(base + "/") ? path.slice(base.length + 1) : path);

function fmtSeconds(s: number): string {
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(2)} h`;
}

/** The README text; `dir` is the results folder (links are relative to it). */
export function resultsReadme(info: ReadmeInfo, dir: string): string {
  const p = info.provenance;
  const lines: string[] = [];
  lines.push(`# Reproduction of FGI on ${info.dataset} (${info.profile} profile)`, "");
  if (info.dataset === "synthetic") {
    lines.push(
      "> **Synthetic data.** These numbers come from procedurally generated images with simulated gaze. They " +
        "exercise the whole pipeline but say nothing about the paper's results.",
      "",
    );
  }
  lines.push("## Provenance", "");
  lines.push("| | |", "|:---|:---|");
  const row = (k: string, v: string) => lines.push(`| ${k} | ${v.replace(/\|/g, "\\|")} |`);
  row("command", `\`${info.command}\``);
  row("dataset", `${info.dataset} — ${info.datasetReason}`);
  row("data source", info.dataSource);
  row("profile", `${info.profile} — ${info.profileReason}`);
  row("seeds", info.seeds.join(", "));
  row("backend", info.backend);
  row("config", `\`${info.config.path}\` (sha256 ${info.config.sha256.slice(0, 16)}…)`);
  row("toolkit", `${p.toolkit}, commit ${p.commit}`);
  row("runtime", p.runtime);
  row("created", p.created);
  for (const [k, s] of Object.entries(info.wall)) row(`wall time: ${k}`, fmtSeconds(s));
  const trained = info.runs.reduce((s, r) => s + (r.seconds ?? 0), 0);
  row("training time, all runs", `${fmtSeconds(trained)} (sum of the runs' training seconds over all invocations)`);
  lines.push("");
  if (info.notes?.length) lines.push(...info.notes.map((n) => `- ${n}`), "");
  for (const t of info.tables) {
    lines.push(`## Table: ${t.name}`, "");
    lines.push(
      `Files: [Markdown](${rel(t.files.md, dir)}) · [CSV](${rel(t.files.csv, dir)}) · [JSON](${
        rel(t.files.json, dir)
      })`,
      "",
    );
    if (t.earlier) lines.push("_Written by an earlier invocation (not regenerated this time)._", "");
    lines.push(t.markdown.replace(/^### .*\n\n/, "").trimEnd(), "");
  }
  if (info.figures.length) {
    lines.push("## Figures", "");
    for (const f of info.figures) {
      const links = (["html", "png", "svg"] as const).filter((k) => f[k]).map((k) =>
        `[${k.toUpperCase()}](${rel(f[k]!, dir)})`
      );
      lines.push(`- **${f.name}**: ${links.join(" · ") || "not written"}${f.note ? ` — ${f.note}` : ""}`);
    }
    lines.push("");
    for (const f of info.figures) if (f.png) lines.push(`![${f.name}](${rel(f.png, dir)})`, "");
  }
  lines.push("## Runs", "");
  lines.push("| run | what | status | test Dice (best, %) | best at iteration | training time |");
  lines.push("|:---|:---|:---|---:|---:|---:|");
  for (const r of info.runs) {
    lines.push(
      `| [${r.id}](runs/${r.id}/) | ${r.label.replace(/\|/g, "\\|")} | ${r.status} | ${
        r.dice === null ? "–" : (r.dice * 100).toFixed(2)
      } | ${r.bestIteration ?? "–"} | ${r.seconds === null ? "–" : fmtSeconds(r.seconds)} |`,
    );
  }
  lines.push(
    "",
    "Each run folder holds `config.json` (the exact training config), `log.jsonl` (one JSON line per iteration " +
      "and evaluation), `checkpoints/best|last/` (safetensors + JSON sidecars), `eval_best.csv|json` and " +
      "`eval_last.csv|json` (per-image Dice, IoU, HD95, ASD, ASSD and their summaries) and `done.json`.",
    "",
  );
  return lines.join("\n");
}
