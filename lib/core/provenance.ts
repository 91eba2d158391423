/**
 * Provenance records: every output of the toolkit says which code (git commit),
 * configuration, seed, backend and data source produced it.
 *
 * @module
 */

/** What produced an output. */
export interface Provenance {
  /** Toolkit version from deno.json. */
  toolkit: string;
  /** Git commit of the toolkit checkout, with "+dirty" when it has uncommitted changes; "unknown" outside git. */
  commit: string;
  /** ISO timestamp of creation. */
  created: string;
  /** Deno and V8 versions. */
  runtime: string;
  /** Free-form extra fields: config, seed, backend, data source, ... */
  [key: string]: unknown;
}

let cachedCommit: string | undefined;

/** The git commit of the toolkit (cached), or "unknown" when git is unavailable. */
export function gitCommit(): string {
  if (cachedCommit !== undefined) return cachedCommit;
  const root = new URL("../../", import.meta.url).pathname;
  try {
    const run = (args: string[]) =>
      new Deno.Command("git", { args, cwd: root, stdout: "piped", stderr: "null" }).outputSync();
    const head = run(["rev-parse", "--short=12", "HEAD"]);
    if (!head.success) return (cachedCommit = "unknown");
    const dirty = run(["status", "--porcelain", "--untracked-files=no"]);
    const sha = new TextDecoder().decode(head.stdout).trim();
    cachedCommit = sha + (new TextDecoder().decode(dirty.stdout).trim() ? "+dirty" : "");
  } catch {
    cachedCommit = "unknown";
  }
  return cachedCommit;
}

const warnings: string[] = [];

/**
 * Record a warning that qualifies every output this process writes from now on (e.g. "the paper
 * profile fell back to the use-lite text encoder"): {@link provenance} lists it under `warnings`.
 * Repeated messages are kept once.
 */
export function addProvenanceWarning(message: string): void {
  if (!warnings.includes(message)) warnings.push(message);
}

/** The warnings recorded by {@link addProvenanceWarning} so far. */
export function provenanceWarnings(): string[] {
  return [...warnings];
}

/**
 * Build a provenance record with the given extra fields (and `warnings`, when any were recorded
 * with {@link addProvenanceWarning}).
 *
 * @example
 * ```ts
 * import { provenance } from "../../mod.ts";
 * const p = provenance({ seed: 0, backend: "wasm" });
 * if (!p.commit) throw new Error("missing commit");
 * ```
 */
export function provenance(extra: Record<string, unknown> = {}): Provenance {
  return {
    toolkit: "gaze-insight 0.1.0",
    commit: gitCommit(),
    created: new Date().toISOString(),
    runtime: `deno ${Deno.version.deno}, v8 ${Deno.version.v8}`,
    ...(warnings.length ? { warnings: [...warnings] } : {}),
    ...extra,
  };
}
