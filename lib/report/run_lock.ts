/**
 * The run lock: `runs/<id>/run.lock` makes sure that one process at a time trains a run folder
 * (an array submitted twice, a local `reproduce` beside a running grid). Taken by
 * `executeRun` (lib/report/reproduce.ts), so every way of training a planned run honours it.
 *
 * @module
 */
import { join } from "node:path";

/** Who holds a run lock (run.lock in the run folder). */
export interface RunLockOwner {
  /** Host name. */
  host: string;
  /** Process id on that host. */
  pid: number;
  /** SLURM job (`<array job>_<task>` or the job id), when run by SLURM. */
  job: string | null;
  /** When the lock was taken (ISO). */
  since: string;
}

/** A lock not refreshed for this long is stale (its holder refreshes it every {@link LOCK_REFRESH_MS}). */
export const LOCK_STALE_MS = 10 * 60 * 1000;
/** How often a held lock is refreshed. */
export const LOCK_REFRESH_MS = 60 * 1000;

/** The SLURM job this process belongs to, if any (stable across requeues of an array task). */
function slurmJob(): string | null {
  const e = (k: string) => Deno.env.get(k);
  if (e("SLURM_ARRAY_JOB_ID") && e("SLURM_ARRAY_TASK_ID")) {
    return `${e("SLURM_ARRAY_JOB_ID")}_${e("SLURM_ARRAY_TASK_ID")}`;
  }
  return e("SLURM_JOB_ID") ?? null;
}

/**
 * Take `<runDir>/run.lock` so that two processes never train the same run folder (e.g. an array
 * submitted twice). A lock is taken over when its holder is gone: the same host and a dead pid,
 * the same SLURM job (a requeued task), or no refresh for {@link LOCK_STALE_MS}. Otherwise this
 * throws, naming the holder. Returns the release function (it stops the refresh timer).
 */
export async function acquireRunLock(runDir: string): Promise<() => Promise<void>> {
  const path = join(runDir, "run.lock");
  const me: RunLockOwner = { host: Deno.hostname(), pid: Deno.pid, job: slurmJob(), since: new Date().toISOString() };
  await Deno.mkdir(runDir, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Deno.writeTextFile(path, JSON.stringify(me) + "\n", { createNew: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
      let other: RunLockOwner | null = null;
      let age = 0;
      try {
        const st = await Deno.stat(path);
        age = Date.now() - (st.mtime?.getTime() ?? 0);
        other = JSON.parse(await Deno.readTextFile(path));
      } catch { /* vanished or half-written: retry below */ }
      const stale = other === null
        ? age > 5000
        : (other.host === me.host && other.pid !== me.pid && !(await pidAlive(other.pid))) ||
          (other.job !== null && other.job === me.job) || age > LOCK_STALE_MS;
      if (!stale) {
        if (other === null) {
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        throw new Error(
          `${path}: run is being trained by pid ${other.pid} on ${other.host}` +
            `${other.job ? ` (SLURM job ${other.job})` : ""} since ${other.since}; ` +
            `if that process is gone, delete the lock (it also expires ${
              LOCK_STALE_MS / 60000
            } min after its last refresh)`,
        );
      }
      await Deno.remove(path).catch(() => {});
      continue;
    }
    const timer = setInterval(() => {
      const now = new Date();
      Deno.utime(path, now, now).catch(() => {});
    }, LOCK_REFRESH_MS);
    Deno.unrefTimer(timer);
    return async () => {
      clearInterval(timer);
      await Deno.remove(path).catch(() => {});
    };
  }
  throw new Error(`${path}: could not take the run lock`);
}

/** True when a process with this pid exists on this host (Linux /proc). */
async function pidAlive(pid: number): Promise<boolean> {
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
