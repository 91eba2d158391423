/**
 * Progress bars for anything that takes more than a few seconds. On a TTY the
 * bar redraws in place (npm:cli-progress); in CI logs and notebooks it prints a
 * plain line at most every `logEverySeconds` so logs stay readable.
 *
 * @module
 */
import cliProgress from "cli-progress";

/** Options for {@link progressBar}. */
export interface ProgressOptions {
  /** Label printed before the bar. */
  label?: string;
  /** Seconds between plain-text lines when stderr is not a TTY (default 10). */
  logEverySeconds?: number;
  /** Silence the bar entirely (tests). */
  quiet?: boolean;
}

/** A running progress bar. */
export interface Progress {
  /** Advance by `n` items (default 1) and optionally set extra fields shown after the bar. */
  tick(n?: number, fields?: Record<string, string | number>): void;
  /** Finish the bar and print the total time. */
  stop(): void;
}

function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.round((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * Start a progress bar over `total` items, with an ETA.
 *
 * @example
 * ```ts
 * import { progressBar } from "../../mod.ts";
 * const bar = progressBar(3, { label: "demo", quiet: true });
 * for (let i = 0; i < 3; i++) bar.tick();
 * bar.stop();
 * ```
 */
export function progressBar(total: number, options: ProgressOptions = {}): Progress {
  const label = options.label ?? "progress";
  const t0 = performance.now();
  let done = 0;
  let extra: Record<string, string | number> = {};
  const fmtExtra = () =>
    Object.entries(extra).map(([k, v]) => `${k}=${typeof v === "number" ? +v.toPrecision(4) : v}`).join(" ");
  if (options.quiet || Deno.env.get("GAZE_QUIET") === "1") {
    return { tick: (n = 1) => void (done += n), stop: () => {} };
  }
  if (Deno.stderr.isTerminal()) {
    const bar = new cliProgress.SingleBar({
      format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted} | {extra}`,
      stream: process.stderr,
      hideCursor: false,
      etaBuffer: 50,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { extra: "" });
    return {
      tick(n = 1, fields) {
        done += n;
        if (fields) extra = { ...extra, ...fields };
        bar.update(done, { extra: fmtExtra() });
      },
      stop() {
        bar.stop();
        console.error(`${label}: ${done}/${total} in ${fmtSeconds((performance.now() - t0) / 1000)}`);
      },
    };
  }
  const every = (options.logEverySeconds ?? 10) * 1000;
  let last = t0;
  const line = () => {
    const el = (performance.now() - t0) / 1000;
    const eta = done > 0 ? (el / done) * (total - done) : Infinity;
    console.error(
      `${label}: ${done}/${total} (${((100 * done) / Math.max(1, total)).toFixed(0)}%) elapsed ${fmtSeconds(el)} ETA ${
        fmtSeconds(eta)
      } ${fmtExtra()}`,
    );
  };
  return {
    tick(n = 1, fields) {
      done += n;
      if (fields) extra = { ...extra, ...fields };
      const now = performance.now();
      if (now - last >= every) {
        last = now;
        line();
      }
    },
    stop() {
      line();
    },
  };
}
