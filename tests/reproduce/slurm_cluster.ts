/**
 * A throw-away single-node SLURM cluster for tests: munged (as the munge user) with its own key,
 * socket and pid file, slurmctld and slurmd (as root) on free ports, state, spool, logs and pid
 * files all under one temp folder. Clients reach it through `SLURM_CONF` ({@link SlurmCluster.env}).
 * {@link SlurmCluster.stop} cancels every job, stops every daemon it started by pid and deletes
 * the folder; call it in a `finally`.
 *
 * Needs root (slurmd), the Debian packages slurm-wlm and munge, and `runuser`; otherwise
 * {@link slurmUnavailable} says why.
 *
 * @module
 */
import { join } from "node:path";

const BINARIES = ["slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scancel", "munged", "runuser"];

/** Absolute path of an executable on PATH (or /usr/sbin, /sbin), or undefined. */
export async function which(name: string): Promise<string | undefined> {
  const dirs = [...(Deno.env.get("PATH") ?? "").split(":"), "/usr/sbin", "/sbin", "/usr/bin"];
  for (const d of dirs.filter(Boolean)) {
    try {
      const st = await Deno.stat(join(d, name));
      if (st.isFile && st.mode !== null && (st.mode & 0o111)) return join(d, name);
    } catch { /* next */ }
  }
  return undefined;
}

async function run(cmd: string, args: string[], env?: Record<string, string>): Promise<{ ok: boolean; out: string }> {
  const r = await new Deno.Command(cmd, { args, env, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  return { ok: r.success, out: (dec.decode(r.stdout) + dec.decode(r.stderr)).trim() };
}

/** Why a test cluster cannot start here (missing binaries, not root, no munge user), or undefined. */
export async function slurmUnavailable(): Promise<string | undefined> {
  const missing: string[] = [];
  for (const b of BINARIES) if (!(await which(b))) missing.push(b);
  if (missing.length) {
    return `SLURM test cluster needs ${missing.join(", ")} (Debian packages slurm-wlm, munge, util-linux)`;
  }
  if (Deno.uid() !== 0) return "SLURM test cluster needs root (slurmd runs as root)";
  const munge = await run("id", ["-u", "munge"]);
  if (!munge.ok) return "SLURM test cluster needs the 'munge' user (Debian package munge)";
  return undefined;
}

/** A free TCP port on this host (bound, then released). */
function freePort(): number {
  const l = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function readPid(path: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    try {
      const pid = Number((await Deno.readTextFile(path)).trim());
      if (Number.isInteger(pid) && pid > 0) return pid;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${path}: no pid after ${timeoutMs} ms`);
}

function alive(pid: number): boolean {
  try {
    // A zombie has no cmdline; count it as gone.
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).length > 0;
  } catch {
    return false;
  }
}

async function stopPid(pid: number, name: string, log: (s: string) => void): Promise<void> {
  if (!alive(pid)) return;
  try {
    Deno.kill(pid, "SIGTERM");
  } catch { /* gone */ }
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) {
    log(`${name} (pid ${pid}) ignored SIGTERM for 10 s: SIGKILL`);
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone */ }
  }
}

/** A running test cluster. */
export interface SlurmCluster {
  /** The temp folder holding configuration, state, spool, logs and pid files. */
  dir: string;
  /** slurm.conf. */
  conf: string;
  /** Environment for client commands and for anything that calls them (`SLURM_CONF`). */
  env: Record<string, string>;
  /** The node's name and CPU count. */
  node: { name: string; cpus: number };
  /** Pids of the daemons this helper started. */
  pids: { munged: number; slurmctld: number; slurmd: number };
  /** Run a client command (sbatch, squeue, scancel, ...) against the cluster. */
  client(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }>;
  /** Wait until none of `jobs` (ids, array ids) is queued or running; throws after `timeoutMs`. */
  waitJobs(jobs: string[], timeoutMs: number): Promise<void>;
  /** Cancel every job, stop every daemon started here (by pid), delete the folder. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Start munged, slurmctld and slurmd for one node with this machine's CPUs and memory (as
 * `slurmd -C` reports them) and wait until the node is idle. On any failure everything started
 * so far is stopped and the folder deleted before the error (with the daemons' log tails) is thrown.
 */
export async function startSlurm(options: { log?: (s: string) => void; idleTimeoutMs?: number } = {}): Promise<
  SlurmCluster
> {
  const log = options.log ?? ((s: string) => console.error(s));
  const dir = await Deno.makeTempDir({ prefix: "gaze-slurm-" });
  await Deno.chmod(dir, 0o755);
  const pids: Partial<SlurmCluster["pids"]> = {};
  const conf = join(dir, "slurm.conf");
  const env = { SLURM_CONF: conf };
  let stopped = false;

  const client = (cmd: string, args: string[]) => run(cmd, args, env);
  // Ctrl-C or a CI timeout's SIGTERM while the cluster is up: stop it before exiting.
  const onSignal = () => stop().finally(() => Deno.exit(143));
  const signals = ["SIGINT", "SIGTERM"] as const;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const sig of signals) Deno.removeSignalListener(sig, onSignal);
    if (pids.slurmctld && alive(pids.slurmctld)) {
      // Jobs first, so that no slurmstepd outlives its slurmd.
      await client("scancel", ["--user", "root"]);
      for (let i = 0; i < 60; i++) {
        const q = await client("squeue", ["-h", "-o", "%i"]);
        const steps = [...Deno.readDirSync(join(dir, "spool"))].filter((e) => /_\d+\.\d+$/.test(e.name));
        if ((q.ok && q.out === "") && steps.length === 0) break;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    for (const name of ["slurmd", "slurmctld", "munged"] as const) {
      if (pids[name]) await stopPid(pids[name]!, name, log);
    }
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };

  for (const sig of signals) Deno.addSignalListener(sig, onSignal);
  try {
    // munge: key, socket and pid under the temp folder, owned by the munge user.
    const munge = join(dir, "munge");
    await Deno.mkdir(munge);
    const key = join(munge, "munge.key");
    await Deno.writeFile(key, crypto.getRandomValues(new Uint8Array(1024)), { mode: 0o400 });
    const chown = await run("chown", ["-R", "munge:munge", munge]);
    if (!chown.ok) throw new Error(`chown munge ${munge}: ${chown.out}`);
    await Deno.chmod(munge, 0o755); // munged requires the socket's folder to be searchable by all
    const socket = join(munge, "munge.socket");
    const m = await run("runuser", [
      "-u",
      "munge",
      "--",
      (await which("munged"))!,
      `--key-file=${key}`,
      `--socket=${socket}`,
      `--pid-file=${join(munge, "munged.pid")}`,
      `--log-file=${join(munge, "munged.log")}`,
      `--seed-file=${join(munge, "munged.seed")}`,
    ]);
    if (!m.ok) throw new Error(`munged did not start: ${m.out}`);
    pids.munged = await readPid(join(munge, "munged.pid"), 10_000);

    // slurm.conf: one node as slurmd -C sees it, free ports, everything under the folder.
    const name = Deno.hostname().split(".")[0];
    const c = await run((await which("slurmd"))!, ["-C"]);
    const line = c.out.split("\n").find((l) => l.startsWith("NodeName="));
    if (!c.ok || !line) throw new Error(`slurmd -C: ${c.out}`);
    const hw = line.split(/\s+/).filter((f) => !f.startsWith("NodeName=") && !f.startsWith("UpTime="));
    const cpus = Number(/CPUs=(\d+)/.exec(line)?.[1] ?? navigator.hardwareConcurrency);
    for (const d of ["state", "spool", "log"]) await Deno.mkdir(join(dir, d));
    const text = [
      "ClusterName=gazetest",
      `SlurmctldHost=${name}(127.0.0.1)`,
      `SlurmctldPort=${freePort()}`,
      `SlurmdPort=${freePort()}`,
      "SlurmUser=root",
      "SlurmdUser=root",
      "AuthType=auth/munge",
      "CredType=cred/munge",
      `AuthInfo=socket=${socket}`,
      `StateSaveLocation=${join(dir, "state")}`,
      `SlurmdSpoolDir=${join(dir, "spool")}`,
      `SlurmctldPidFile=${join(dir, "slurmctld.pid")}`,
      `SlurmdPidFile=${join(dir, "slurmd.pid")}`,
      `SlurmctldLogFile=${join(dir, "log", "slurmctld.log")}`,
      `SlurmdLogFile=${join(dir, "log", "slurmd.log")}`,
      "ProctrackType=proctrack/linuxproc",
      "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core",
      "SchedulerType=sched/backfill",
      "MpiDefault=none",
      "JobAcctGatherType=jobacct_gather/none",
      "AccountingStorageType=accounting_storage/none",
      "ReturnToService=2",
      "KillWait=10",
      "SlurmctldTimeout=30",
      "SlurmdTimeout=30",
      `NodeName=${name} NodeAddr=127.0.0.1 ${hw.join(" ")} State=UNKNOWN`,
      `PartitionName=test Nodes=${name} Default=YES MaxTime=INFINITE State=UP`,
      "",
    ].join("\n");
    await Deno.writeTextFile(conf, text);

    const ctld = await run((await which("slurmctld"))!, ["-f", conf, "-i"], env);
    if (!ctld.ok) throw new Error(`slurmctld did not start: ${ctld.out}`);
    pids.slurmctld = await readPid(join(dir, "slurmctld.pid"), 15_000);
    const d = await run((await which("slurmd"))!, ["-f", conf, "-N", name], env);
    if (!d.ok) throw new Error(`slurmd did not start: ${d.out}`);
    pids.slurmd = await readPid(join(dir, "slurmd.pid"), 15_000);

    const t0 = Date.now();
    const limit = options.idleTimeoutMs ?? 60_000;
    for (;;) {
      const s = await client("sinfo", ["-h", "-N", "-o", "%T"]);
      if (s.ok && s.out === "idle") break;
      if (Date.now() - t0 > limit) throw new Error(`node not idle after ${limit} ms (sinfo: ${s.out})`);
      await new Promise((r) => setTimeout(r, 250));
    }
    log(`slurm test cluster up in ${dir}: node ${name} (${cpus} CPUs), pids ${JSON.stringify(pids)}`);

    return {
      dir,
      conf,
      env,
      node: { name, cpus },
      pids: pids as SlurmCluster["pids"],
      client,
      async waitJobs(jobs, timeoutMs) {
        const t = Date.now();
        for (;;) {
          const q = await client("squeue", ["-h", "-r", "-o", "%i %T", "-j", jobs.join(",")]);
          // squeue -j prints nothing for jobs that have ended, "Invalid job id" once they are forgotten.
          if ((q.ok && q.out === "") || (!q.ok && /invalid job id/i.test(q.out))) return;
          if (Date.now() - t > timeoutMs) throw new Error(`jobs ${jobs.join(",")} still queued: ${q.out}`);
          await new Promise((r) => setTimeout(r, 500));
        }
      },
      stop,
    };
  } catch (err) {
    const tails: string[] = [];
    for (const f of ["log/slurmctld.log", "log/slurmd.log", "munge/munged.log"]) {
      try {
        tails.push(`--- ${f}\n${(await Deno.readTextFile(join(dir, f))).split("\n").slice(-15).join("\n")}`);
      } catch { /* none */ }
    }
    await stop();
    throw new Error(`${(err as Error).message}\n${tails.join("\n")}`);
  }
}
