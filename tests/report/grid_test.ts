/**
 * The grid outside one process, without a scheduler: plan entries (config hashes, cost
 * estimates, on-disk status), the generated SLURM scripts, run lookup by id, the run lock,
 * and the `--collect` / `--run-id` command lines. The real-SLURM test is tests/reproduce/slurm_test.ts.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects, assertThrows } from "../assert.ts";
import {
  CPU_REFERENCE,
  estimateSeconds,
  findRun,
  formatPlan,
  planEntries,
  shellQuote,
  slurmScripts,
  STEP_FLOOR,
  writePlanJson,
  writeSlurmScripts,
} from "../../lib/report/grid.ts";
import { resolvePlan, runConfig, runStatus, sameRunConfig } from "../../lib/report/reproduce.ts";
import { acquireRunLock } from "../../lib/report/run_lock.ts";
import { loadTrainConfig } from "../../lib/train/config.ts";

const TOOLKIT = new URL("../../", import.meta.url).pathname;
const cfg = (name: string) => join(TOOLKIT, "configs", name);

async function sha256(text: string): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function smokePlan(out: string, only: ("main" | "ablation")[] = ["main"]) {
  return await resolvePlan({ dataset: "synthetic", profile: "smoke", only, seeds: [0, 1], resultsRoot: out });
}

Deno.test("plan entries: one per run and seed, hash of the exact config.json text, status from the run folder", async () => {
  const out = await Deno.makeTempDir();
  try {
    const p = await smokePlan(out);
    const entries = await planEntries(p);
    assertEquals(entries.map((e) => e.id), [
      "fullsup_s0",
      "fullsup_s1",
      "gaze1_s0",
      "gaze1_s1",
      "gazemedseg_s0",
      "gazemedseg_s1",
      "fgi-code_s0",
      "fgi-code_s1",
      "fgi-paper_s0",
      "fgi-paper_s1",
    ]);
    const spec = p.plan.runs.find((r) => r.id === "fgi-paper_s1")!;
    const text = JSON.stringify(runConfig(p.base, spec), null, 2) + "\n";
    const e = entries.find((x) => x.id === "fgi-paper_s1")!;
    assertEquals(e.configHash, await sha256(text));
    assertEquals(new Set(entries.map((x) => x.configHash)).size, entries.length);
    assert(entries.every((x) => x.status === "pending" && x.dataset === "synthetic" && x.profile === "smoke"));

    // Status follows the folder: started, resumable, finished, or holding another config.
    const dir = join(p.dir, "runs", "fgi-paper_s1");
    await Deno.mkdir(join(dir, "checkpoints", "last"), { recursive: true });
    await Deno.writeTextFile(join(dir, "config.json"), text);
    assertEquals((await runStatus(runConfig(p.base, spec), dir)).detail, "started, no checkpoint yet");
    await Deno.writeTextFile(
      join(dir, "checkpoints", "last", "state.json"),
      JSON.stringify({ format: "gaze-insight-run-state/1", iteration: 7 }),
    );
    const st = await runStatus(runConfig(p.base, spec), dir);
    assertEquals([st.status, st.iteration], ["partial", 7]);
    await Deno.writeTextFile(join(dir, "done.json"), "{}");
    assertEquals((await runStatus(runConfig(p.base, spec), dir)).status, "done");
    // Rewording the config's notes does not orphan a finished run; any training field does.
    const renoted = { ...runConfig(p.base, spec), notes: "reworded notes" };
    assertEquals((await runStatus(renoted, dir)).status, "done");
    assert(sameRunConfig(text, renoted));
    assert(!sameRunConfig(text, { ...renoted, iterations: renoted.iterations + 1 }));
    assert(!sameRunConfig("not json", renoted));
    await Deno.writeTextFile(join(dir, "config.json"), text.replace('"seed": 1', '"seed": 5'));
    assertEquals((await runStatus(runConfig(p.base, spec), dir)).status, "conflict");
    assertThrows(() => slurmScripts(p, [{ ...e, status: "conflict", detail: "x holds another config" }]), Error, "x");

    const lines = formatPlan(entries);
    assertEquals(lines.length, entries.length + 2);
    assert(lines[0].startsWith("run id") && lines[0].includes("config hash") && lines[0].includes("est. cost"));
    assert(lines[1].includes(entries[0].configHash.slice(0, 12)));
    assert(lines.at(-1)!.startsWith("10 runs, 10 not finished"));
    const file = await writePlanJson(p, entries);
    const json = JSON.parse(await Deno.readTextFile(file));
    assertEquals(json.format, "gaze-insight-plan/1");
    assertEquals(json.runs.length, 10);
    assertEquals(json.seeds, [0, 1]);
    assertEquals([...Deno.readDirSync(p.dir)].filter((f) => f.name.includes(".tmp-")), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("cost estimate: the cpu profile's measured step time, scaled up, never below the smoke floor", async () => {
  const cpu = await loadTrainConfig(cfg("kvasir.cpu.json"));
  // The cpu profile IS the reference when its shape matches it.
  if (cpu.imageSize === 64 && cpu.batchSize === 8 && Math.max(...cpu.models.teacher) === 128) {
    assertEquals(estimateSeconds(cpu, "fgi"), cpu.iterations * CPU_REFERENCE.secondsPerIteration.fgi);
  }
  const big = { ...cpu, imageSize: cpu.imageSize * 2 };
  assertEquals(estimateSeconds(big, "fgi"), 4 * estimateSeconds(cpu, "fgi"));
  const tiny = { ...cpu, imageSize: 8 };
  assertEquals(estimateSeconds(tiny, "gazemedseg"), cpu.iterations * STEP_FLOOR.gazemedseg);
});

Deno.test("findRun: any run of any table by id, with clear errors", async () => {
  const base = await loadTrainConfig(cfg("synthetic.smoke.json"));
  assertEquals(findRun(base, "fgi-code-no-darm_s3").ablation.darm, false);
  assertEquals(findRun(base, "fgi-code-no-darm_s3").seed, 3);
  assertEquals(findRun(base, "fgi-code-tauPos-0.9_s0").sensitivity, { param: "tauPos", value: 0.9 });
  assertThrows(() => findRun(base, "fgi-code"), Error, "expected <key>_s<seed>");
  assertThrows(() => findRun(base, "nope_s0"), Error, "known keys: fullsup, gaze1");
});

Deno.test("slurm scripts: one array task per unfinished run, %N, resources, container, dependent collect", async () => {
  const out = await Deno.makeTempDir();
  try {
    const p = await smokePlan(out);
    const entries = (await planEntries(p)).map((e) => e.id === "gaze1_s0" ? { ...e, status: "done" as const } : e);
    const s = slurmScripts(p, entries, {
      partition: "gpu",
      gres: "gpu:1",
      time: "1-02:00:00",
      arrayLimit: 3,
      cpusPerTask: 4,
      container: "/images/gaze insight.sif",
      backend: "tensorflow",
    });
    assertEquals(s.runs.length, 9);
    assert(!s.runs.includes("gaze1_s0"));
    const a = s.array!;
    for (
      const l of [
        "#SBATCH --array=0-8%3",
        "#SBATCH --partition=gpu",
        "#SBATCH --gres=gpu:1",
        "#SBATCH --time=1-02:00:00",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --requeue",
        `#SBATCH --output=${join(p.dir, "slurm", "logs")}/%x_%A_%a.out`,
        `RUNS=(${s.runs.join(" ")})`,
        'RUN_ID="${RUNS[$SLURM_ARRAY_TASK_ID]}"',
      ]
    ) assert(a.split("\n").includes(l), `missing '${l}' in\n${a}`);
    // Each task's wasm threads = the CPUs SLURM gave it, unless the submitting shell set a count.
    const threadsLine = a.split("\n").find((l) => l.startsWith("export GAZE_WASM_THREADS="))!;
    for (
      const [pre, want] of [["SLURM_CPUS_PER_TASK=4", "4"], ["", "1"], [
        "GAZE_WASM_THREADS=3 SLURM_CPUS_PER_TASK=4",
        "3",
      ]]
    ) {
      const sh = await new Deno.Command("bash", {
        args: ["-c", `${pre ? `export ${pre}; ` : ""}${threadsLine}; echo "$GAZE_WASM_THREADS"`],
        env: { PATH: Deno.env.get("PATH") ?? "" },
        clearEnv: true,
        stdout: "piped",
      }).output();
      assertEquals(new TextDecoder().decode(sh.stdout).trim(), want, `${pre}: ${threadsLine}`);
    }
    const exec = a.split("\n").find((l) => l.startsWith("exec "))!;
    assert(
      exec.startsWith(`exec apptainer exec --nv '/images/gaze insight.sif' "$DENO" task train --run-id "$RUN_ID"`),
    );
    assert(exec.includes(`--out ${join(p.dir, "runs")}`) && exec.includes("--backend tensorflow"));
    assert(a.includes("DENO=${DENO:-deno}"), "inside a container the image's deno runs");
    // Collect: no GPU, no array, trains nothing.
    assert(!s.collect.includes("--gres") && !s.collect.includes("--array"));
    const cexec = s.collect.split("\n").find((l) => l.startsWith("exec "))!;
    assert(cexec.includes("task reproduce --collect --dataset synthetic --profile smoke --only main --seeds 0,1"));
    assert(cexec.includes(`--out ${out}`) && !cexec.includes("train"));
    assert(s.submit.includes("--dependency=afterany:$array"));
    // Written files; nothing pending leaves only the collect job.
    const files = await writeSlurmScripts(p, s);
    assertEquals(await Deno.readTextFile(files.array!), a);
    assert((await Deno.stat(files.logs)).isDirectory);
    assert(files.commands[1].startsWith("sbatch --dependency=afterany:${jid%%;*}"));
    const none = slurmScripts(p, entries.map((e) => ({ ...e, status: "done" as const })));
    assertEquals(none.array, undefined);
    const f2 = await writeSlurmScripts(p, none);
    assertEquals(f2.array, undefined);
    assert(!(await Deno.stat(join(p.dir, "slurm", "grid.sbatch")).then(() => true, () => false)));
    // Missing gaze/text: prepared once, first; the array waits for it (afterok).
    const prep = slurmScripts(p, entries, { prepare: true });
    assert(prep.prepare!.includes('"$DENO" task prepare synthetic --data-dir'));
    assert(prep.prepare!.includes('"$DENO" task encode synthetic --encoder use-lite'));
    assert(/array=\$\(sbatch --parsable --dependency=afterok:\$\{prep%%;\*\} .*grid\.sbatch\)/.test(prep.submit));
    assertThrows(() => slurmScripts(p, entries, { time: "90" }), Error, "--time");
    assertThrows(() => slurmScripts(p, entries, { arrayLimit: 0 }), Error, "--array-limit");
    assertEquals(shellQuote("a b'c"), `'a b'\\''c'`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("run lock: one holder per run folder; dead holders and requeued jobs are taken over", async () => {
  const dir = await Deno.makeTempDir();
  const saved = Deno.env.get("SLURM_JOB_ID");
  try {
    const release = await acquireRunLock(dir);
    await assertRejects(() => acquireRunLock(dir), Error, `is being trained by pid ${Deno.pid}`);
    await release();
    assertEquals([...Deno.readDirSync(dir)].length, 0);
    // A holder on this host whose process is gone.
    const lock = join(dir, "run.lock");
    const dead = { host: Deno.hostname(), pid: 2 ** 22 + 17, job: null, since: "2026-01-01T00:00:00Z" };
    await Deno.writeTextFile(lock, JSON.stringify(dead));
    await (await acquireRunLock(dir))();
    // Another host, but the same SLURM job (a requeued array task).
    await Deno.writeTextFile(lock, JSON.stringify({ ...dead, host: "elsewhere", pid: 1, job: "4242" }));
    Deno.env.delete("SLURM_ARRAY_JOB_ID");
    Deno.env.set("SLURM_JOB_ID", "4242");
    await (await acquireRunLock(dir))();
    // Another host, another job, fresh: refused.
    await Deno.writeTextFile(lock, JSON.stringify({ ...dead, host: "elsewhere", pid: 1, job: "1" }));
    await assertRejects(() => acquireRunLock(dir), Error, "on elsewhere (SLURM job 1)");
  } finally {
    if (saved === undefined) Deno.env.delete("SLURM_JOB_ID");
    else Deno.env.set("SLURM_JOB_ID", saved);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CLI: --collect trains nothing and exits 3 listing missing runs; --run-id refuses plan-fixed flags", async () => {
  const out = await Deno.makeTempDir();
  const derived = await Deno.makeTempDir();
  const run = async (task: string, args: string[]) => {
    const r = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(TOOLKIT, "tasks", task), ...args],
      env: { GAZE_QUIET: "1", GAZE_BACKEND: "wasm", GAZE_DERIVED_DIR: derived },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return { code: r.code, err: new TextDecoder().decode(r.stderr) };
  };
  try {
    const c = await run("reproduce.ts", [
      "--dataset",
      "synthetic",
      "--profile",
      "smoke",
      "--only",
      "main",
      "--out",
      out,
      "--collect",
      "--no-static",
    ]);
    assertEquals(c.code, 3, c.err);
    assert(c.err.includes("5 runs not finished: fullsup_s0 (not started), gaze1_s0 (not started)"), c.err);
    const dir = join(out, "synthetic", "smoke");
    const runFolders = await Array.fromAsync(Deno.readDir(join(dir, "runs"))).catch(() => []);
    assertEquals(runFolders, [], "collect created a run folder");
    assert(!(await Deno.stat(join(dir, "table_main.csv")).then(() => true, () => false)));
    const bad = await run("train.ts", ["--config", cfg("synthetic.smoke.json"), "--run-id", "gaze1_s0", "--seed", "2"]);
    assertEquals(bad.code, 1);
    assert(bad.err.includes("--seed cannot be combined with --run-id"), bad.err);
    const unknown = await run("train.ts", ["--config", cfg("synthetic.smoke.json"), "--run-id", "gaze9_s0"]);
    assert(unknown.err.includes("no run 'gaze9_s0' in the plan"), unknown.err);
  } finally {
    await Deno.remove(out, { recursive: true });
    await Deno.remove(derived, { recursive: true });
  }
});
