/**
 * `deno task compile-doctor [--output FILE]`: build `deno task doctor` as ONE self-contained
 * executable (default `dist/gaze-doctor`) to copy to a bare GPU host with no npm access.
 *
 * It runs `deno compile` on tasks/doctor.ts with the paper config included and the npm packages
 * that doctor never loads left out (onnxruntime, sharp's libvips, Playwright, Plotly): about 400 MB
 * of embedded files. `deno compile` needs Deno's `denort` runtime for the target, which it downloads
 * from dl.deno.land (it is not on npm); on a machine without that access, point `$DENORT_BIN` at a
 * `denort` binary of the same Deno version (from `denort-x86_64-unknown-linux-gnu.zip` of the release).
 * The native TensorFlow backend is embedded only when `@tensorflow/tfjs-node-gpu` is installed in
 * node_modules at build time (its libtensorflow and the host's CUDA 11.2 + cuDNN 8.1 are then used).
 *
 * @module
 */
import { join } from "node:path";
import { parseTaskArgs, runTask } from "../lib/core/mod.ts";

const USAGE = `deno task compile-doctor [--output FILE]

Builds tasks/doctor.ts into one executable (default dist/gaze-doctor). Needs the denort runtime:
downloaded by deno compile from dl.deno.land, or $DENORT_BIN (a denort of Deno ${Deno.version.deno}).`;

/** Folders under node_modules/.deno that doctor never loads (inner package folders; deno compile skips them). */
const LEAVE_OUT = [/^onnxruntime-(node|web)@/, /^@img\+sharp-libvips/, /^playwright-core@/, /^plotly\.js-dist-min@/];

await runTask(async () => {
  const { values } = parseTaskArgs(Deno.args, {
    usage: USAGE,
    allowPositionals: false,
    flags: { output: { type: "string" } },
  });
  const root = new URL("..", import.meta.url).pathname;
  const output = values.output ?? join(root, "dist", "gaze-doctor");
  const excludes: string[] = [];
  const store = join(root, "node_modules", ".deno");
  for (const e of Deno.readDirSync(store)) {
    if (!LEAVE_OUT.some((re) => re.test(e.name))) continue;
    const inner = join(store, e.name, "node_modules");
    for (const p of Deno.readDirSync(inner)) {
      if (p.isSymlink) continue;
      if (p.name.startsWith("@")) {
        for (const q of Deno.readDirSync(join(inner, p.name))) excludes.push("--exclude", join(inner, p.name, q.name));
      } else excludes.push("--exclude", join(inner, p.name));
    }
  }
  await Deno.mkdir(join(output, ".."), { recursive: true });
  const args = [
    "compile",
    "-A",
    "--no-check",
    "--include",
    join(root, "configs", "kvasir.paper.json"),
    ...excludes,
    "--output",
    output,
    join(root, "tasks", "doctor.ts"),
  ];
  console.error(`compile-doctor: deno ${args.map((a) => (a.includes(" ") ? JSON.stringify(a) : a)).join(" ")}`);
  const r = await new Deno.Command(Deno.execPath(), { args, cwd: root, stdout: "inherit", stderr: "inherit" })
    .output();
  if (!r.success) {
    throw new Error(
      `deno compile failed (exit ${r.code}). Without access to dl.deno.land set $DENORT_BIN to a denort binary of ` +
        `Deno ${Deno.version.deno} (the full deno binary does not work as one: it reads its arguments as the deno CLI)`,
    );
  }
  const size = Deno.statSync(output).size;
  console.log(`compile-doctor: ${output} (${(size / 2 ** 20).toFixed(0)} MiB); copy it to the GPU host and run it`);
});
