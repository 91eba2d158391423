/**
 * The experiment grid on a REAL single-node SLURM (slurm-wlm + munge, started by
 * slurm_cluster.ts; skipped with the reason where they or root are missing):
 *
 * 1. `reproduce --slurm --submit` submits the synthetic main grid (5 runs, 30 iterations each,
 *    `last` saved every 5) as a job array (%2) plus a collect job (afterany), while a sequential
 *    `reproduce` of the same plan runs beside it, sharing the derived-data caches;
 * 2. one array task (fgi-code_s0) is cancelled with scancel mid-run; the collect job then lists it
 *    as not finished and writes no main table (it trains nothing);
 * 3. re-submitting runs only that run, which resumes from its checkpoint; the collected tables
 *    and every run's per-image scores then equal the sequential ones byte for byte (tables: up to
 *    the provenance comment/record), and no temp file or lock is left behind.
 *
 * The numbers themselves are not checked (the smoke profile is not about them); equality is.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { slurmUnavailable, startSlurm } from "./slurm_cluster.ts";

const reason = await slurmUnavailable();
if (reason) console.error(`slurm grid test skipped: ${reason}`);

const TOOLKIT = new URL("../../", import.meta.url).pathname;
const CLI = join(TOOLKIT, "tasks", "reproduce.ts");
const ITERATIONS = 30;
const EVERY = 5;
const KILLED = "fgi-code_s0";

async function cli(args: string[], env: Record<string, string>): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { ok: r.success, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

async function readJson(path: string): Promise<Record<string, unknown> | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch {
    return null;
  }
}

/** Every file under `dir` (relative paths). */
async function walk(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, prefix))) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await walk(dir, rel));
    else out.push(rel);
  }
  return out;
}

const withoutProvenance = (md: string) => md.split("\n").filter((l) => !l.startsWith("<!--")).join("\n");

Deno.test({
  name: "slurm: job array + collect equals sequential reproduce; a cancelled task resumes on re-submission",
  ignore: reason !== undefined,
  async fn() {
    const t0 = performance.now();
    const tmp = await Deno.makeTempDir({ prefix: "gaze-slurm-grid-" });
    const cluster = await startSlurm();
    const phases: Record<string, number> = { cluster: (performance.now() - t0) / 1000 };
    try {
      // A smoke config with enough iterations and checkpoints to cancel a run in the middle.
      const cfg = JSON.parse(await Deno.readTextFile(join(TOOLKIT, "configs", "synthetic.smoke.json")));
      Object.assign(cfg, { name: "synthetic.slurm-test", iterations: ITERATIONS, evalEvery: EVERY });
      cfg.rampUp = { length: Math.max(1, Math.round(ITERATIONS * 4000 / 15000)) };
      const config = join(tmp, "synthetic.slurm-test.json");
      await Deno.writeTextFile(config, JSON.stringify(cfg, null, 2));
      const env = {
        ...cluster.env,
        GAZE_QUIET: "1",
        GAZE_BACKEND: "wasm",
        GAZE_DATA_DIR: join(tmp, "data"),
        GAZE_DERIVED_DIR: join(tmp, "derived"),
      };
      const common = ["--dataset", "synthetic", "--profile", "smoke", "--config", config, "--only", "main"];
      const seqRoot = join(tmp, "seq");
      const gridRoot = join(tmp, "grid");
      const seqDir = join(seqRoot, "synthetic", "smoke");
      const gridDir = join(gridRoot, "synthetic", "smoke");

      // 1. Submit; the sequential reference runs at the same time on the same caches.
      const seq = cli([...common, "--seeds", "0", "--out", seqRoot, "--no-static", "--quiet"], env);
      const slurmArgs = [...common, "--seeds", "0", "--out", gridRoot, "--no-static", "--slurm", "--array-limit", "2"];
      const sub = await cli([...slurmArgs, "--submit"], env);
      assert(sub.ok, `reproduce --slurm --submit failed:\n${sub.out}\n${sub.err}`);
      const ids = /submitted job array (\d+) and collect job (\d+)/.exec(sub.out);
      assert(ids, `no job ids in:\n${sub.out}`);
      const [array, collect] = [ids[1], ids[2]];
      const script = await Deno.readTextFile(join(gridDir, "slurm", "grid.sbatch"));
      assert(script.includes("#SBATCH --array=0-4%2"), script);
      const runs = /^RUNS=\((.*)\)$/m.exec(script)![1].split(" ");
      assertEquals(runs, ["fullsup_s0", "gaze1_s0", "gazemedseg_s0", "fgi-code_s0", "fgi-paper_s0"]);
      assert(
        (await Deno.readTextFile(join(gridDir, "slurm", "collect.sbatch"))).includes("task reproduce --collect"),
      );

      // 2. Cancel the FGI task once it has saved a checkpoint, before it finishes.
      const killedDir = join(gridDir, "runs", KILLED);
      const tWait = performance.now();
      let killedAt = -1;
      while (performance.now() - tWait < 240_000) {
        const st = await readJson(join(killedDir, "checkpoints", "last", "state.json"));
        const it = typeof st?.iteration === "number" ? st.iteration : -1;
        if (it >= EVERY && it < ITERATIONS - EVERY) {
          const c = await cluster.client("scancel", [`${array}_${runs.indexOf(KILLED)}`]);
          assert(c.ok, `scancel: ${c.out}`);
          killedAt = it;
          break;
        }
        if (it >= ITERATIONS - EVERY) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert(killedAt >= EVERY, `never saw ${KILLED} mid-run (the cancel window was missed)`);
      await cluster.waitJobs([array, collect], 300_000);
      phases["first submission"] = (performance.now() - t0) / 1000 - phases.cluster;
      assert(!(await readJson(join(killedDir, "done.json"))), `${KILLED} finished although it was cancelled`);
      const partial = await readJson(join(killedDir, "checkpoints", "last", "state.json"));
      const resumeFrom = partial!.iteration as number;
      assert(resumeFrom >= killedAt && resumeFrom < ITERATIONS, `checkpoint at ${resumeFrom}`);
      for (const r of runs.filter((r) => r !== KILLED)) {
        assert(await readJson(join(gridDir, "runs", r, "done.json")), `${r} did not finish`);
      }
      const collectLog = await Deno.readTextFile(
        join(gridDir, "slurm", "logs", `gaze-synthetic-smoke-collect_${collect}.out`),
      );
      assert(collectLog.includes(`${KILLED} (checkpoint at iteration`), collectLog);
      assert(collectLog.includes("not finished"), collectLog);
      assert(!(await readJson(join(gridDir, "table_main.json"))), "collect wrote a main table without all runs");

      // 3. Re-submit: only the cancelled run is pending; it resumes.
      const plan = await cli([...common, "--seeds", "0", "--out", gridRoot, "--plan"], env);
      assert(plan.ok, plan.err);
      assert(
        new RegExp(`${KILLED} .* partial \\(checkpoint at iteration ${resumeFrom}/${ITERATIONS}\\)`).test(plan.out),
      );
      const planJson = await readJson(join(gridDir, "plan.json"));
      assertEquals((planJson!.runs as { status: string }[]).map((r) => r.status), [
        "done",
        "done",
        "done",
        "partial",
        "done",
      ]);
      const t2 = performance.now();
      const re = await cli([...slurmArgs, "--submit"], env);
      assert(re.ok, `re-submission failed:\n${re.out}\n${re.err}`);
      const ids2 = /submitted job array (\d+) and collect job (\d+)/.exec(re.out)!;
      assertEquals(/^RUNS=\((.*)\)$/m.exec(await Deno.readTextFile(join(gridDir, "slurm", "grid.sbatch")))![1], KILLED);
      await cluster.waitJobs([ids2[1], ids2[2]], 300_000);
      phases["re-submission"] = (performance.now() - t2) / 1000;
      const sq = await seq;
      assert(sq.ok, `sequential reproduce failed:\n${sq.err}`);

      // Resumed from the checkpoint, not retrained.
      const sessions = (await Deno.readTextFile(join(killedDir, "log.jsonl"))).trim().split("\n").map((l) =>
        JSON.parse(l)
      ).filter((r) => r.type === "session");
      const resume = sessions.find((s) => s.event === "resume");
      assert(resume, `no resume in ${JSON.stringify(sessions)}`);
      assertEquals(resume.iteration, resumeFrom);
      assertEquals(sessions.filter((s) => s.event === "start").length, 1);
      assertEquals(sessions.at(-1).event, "done");

      // Nothing lost: per-image scores and tables equal the sequential reproduce.
      for (const r of runs) {
        for (const f of ["eval_best.csv", "eval_last.csv", "config.json"]) {
          assertEquals(
            await Deno.readTextFile(join(gridDir, "runs", r, f)),
            await Deno.readTextFile(join(seqDir, "runs", r, f)),
            `${r}/${f}`,
          );
        }
      }
      assertEquals(
        await Deno.readTextFile(join(gridDir, "table_main.csv")),
        await Deno.readTextFile(join(seqDir, "table_main.csv")),
      );
      assertEquals(
        withoutProvenance(await Deno.readTextFile(join(gridDir, "table_main.md"))),
        withoutProvenance(await Deno.readTextFile(join(seqDir, "table_main.md"))),
      );
      const tj = async (d: string) => {
        const j = await readJson(join(d, "table_main.json"));
        delete j!.provenance;
        return j;
      };
      assertEquals(await tj(gridDir), await tj(seqDir));

      // No half-written file, leftover checkpoint folder or lock anywhere.
      const leftovers = [
        ...(await walk(gridRoot)).map((p) => `grid/${p}`),
        ...(await walk(join(tmp, "derived"))).map((p) => `derived/${p}`),
      ].filter((p) => /\.tmp-|\.old-|run\.lock$/.test(p));
      assertEquals(leftovers, []);
      phases.total = (performance.now() - t0) / 1000;
      console.error(
        `slurm grid test: ${Object.entries(phases).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(", ")}; ` +
          `cancelled ${KILLED} at iteration ${killedAt}, resumed from ${resumeFrom}`,
      );
    } finally {
      await cluster.stop();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
