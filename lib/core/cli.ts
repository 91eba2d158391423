/**
 * Command-line helpers shared by every task: `node:util` parseArgs (JSR's
 * @std/cli is not reachable here) with the common flags, and a uniform way of
 * failing with a clear message instead of a stack trace.
 *
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Flags every task accepts. */
export const COMMON_FLAGS = {
  backend: { type: "string" },
  "data-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
  quiet: { type: "boolean" },
} as const satisfies NonNullable<ParseArgsConfig["options"]>;

/** Options for {@link parseTaskArgs}. */
export interface TaskArgsOptions<O extends NonNullable<ParseArgsConfig["options"]>> {
  /** Task-specific flags (merged with {@link COMMON_FLAGS}). */
  flags: O;
  /** Usage text printed by --help and on a bad flag. */
  usage: string;
  /** Whether positional arguments are allowed (default true). */
  allowPositionals?: boolean;
}

/**
 * What {@link parseTaskArgs} returns: `node:util` parseArgs' result for the task's flags plus {@link COMMON_FLAGS}
 * (`values` typed by the flags, `positionals`).
 */
export type TaskArgs<O extends NonNullable<ParseArgsConfig["options"]>> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof COMMON_FLAGS & O; allowPositionals: boolean; strict: true }>
>;

/**
 * Parse `args` with the task's flags plus the common ones. `--help` prints the
 * usage and exits 0; an unknown flag prints the usage and exits 2.
 */
export function parseTaskArgs<O extends NonNullable<ParseArgsConfig["options"]>>(
  args: string[],
  options: TaskArgsOptions<O>,
): TaskArgs<O> {
  try {
    const parsed = parseArgs({
      args,
      options: { ...COMMON_FLAGS, ...options.flags },
      allowPositionals: options.allowPositionals ?? true,
      strict: true,
    });
    if ((parsed.values as Record<string, unknown>).help) {
      console.log(options.usage);
      Deno.exit(0);
    }
    return parsed;
  } catch (err) {
    console.error(`error: ${(err as Error).message}\n\n${options.usage}`);
    Deno.exit(2);
  }
}

/** Parse an integer flag, failing with the flag's name on a bad value. */
export function intFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n)) throw new Error(`--${name}: expected an integer, got ${JSON.stringify(value)}`);
  return n;
}

/** Parse a number flag, failing with the flag's name on a bad value. */
export function numberFlag(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`--${name}: expected a number, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Run a task's main function: errors print as `error: <message>` (no stack
 * trace unless GAZE_DEBUG=1) and exit with status 1.
 */
export async function runTask(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (Deno.env.get("GAZE_DEBUG") === "1") console.error(err);
    else console.error(`error: ${(err as Error).message}`);
    Deno.exit(1);
  }
}
