/**
 * The GPU container recipes (containers/) cannot be built here (no image registry); they are linted
 * (dockerfile-utils, the validator behind the VS Code Docker extension, from npm) and checked for the
 * versions they pin: CUDA 11.2 + cuDNN 8.1 (what libtensorflow 2.9.1 of tfjs-node-gpu 4.22 needs),
 * the tfjs version of deno.json, and the Deno version CI uses.
 */
import { validate } from "dockerfile-utils";
import { assert, assertEquals } from "../assert.ts";
import { GPU_STACK } from "../../lib/backend/probe.ts";

const root = new URL("../../", import.meta.url).pathname;
const dockerfile = await Deno.readTextFile(`${root}containers/Dockerfile`);
const def = await Deno.readTextFile(`${root}containers/gaze-insight.def`);
const denoJson = JSON.parse(await Deno.readTextFile(`${root}deno.json`));
const ciDeno = /deno@(\d+\.\d+\.\d+)/.exec(await Deno.readTextFile(`${root}.ci/run`))?.[1];

/** `npm:@tensorflow/tfjs@X` of deno.json. */
function denoJsonVersion(pkg: string): string {
  const spec = denoJson.imports[pkg] as string;
  const m = /@(\d+\.\d+\.\d+)$/.exec(spec);
  if (!m) throw new Error(`deno.json: no pinned version for ${pkg} (${spec})`);
  return m[1];
}

/** Sections of an Apptainer definition: header lines, then `%name` blocks. */
function parseDef(text: string): { header: Record<string, string>; sections: Map<string, string> } {
  const header: Record<string, string> = {};
  const sections = new Map<string, string>();
  let current: string | null = null;
  for (const line of text.split("\n")) {
    const sec = /^%(\w+)\s*$/.exec(line);
    if (sec) {
      if (sections.has(sec[1])) throw new Error(`gaze-insight.def: section %${sec[1]} twice`);
      current = sec[1];
      sections.set(current, "");
    } else if (current) {
      sections.set(current, sections.get(current) + line + "\n");
    } else if (line.trim() && !line.startsWith("#")) {
      const m = /^(\w+):\s*(.+)$/.exec(line);
      if (!m) throw new Error(`gaze-insight.def: bad header line ${JSON.stringify(line)}`);
      header[m[1]] = m[2].trim();
    }
  }
  return { header, sections };
}

Deno.test("Dockerfile: dockerfile-utils finds no problem", () => {
  const problems = validate(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
  assertEquals(problems, []);
  // and the validator does flag a broken file (so the check can fail)
  assert(validate("FROM\nRUN\n").length > 0);
});

Deno.test("Apptainer definition: known sections, docker bootstrap, doctor as its test", () => {
  const { header, sections } = parseDef(def);
  assertEquals(header.Bootstrap, "docker");
  const known = ["files", "environment", "post", "test", "runscript", "labels", "help", "setup", "startscript"];
  for (const s of sections.keys()) assert(known.includes(s), `unknown section %${s}`);
  for (const s of ["files", "environment", "post", "test", "runscript"]) assert(sections.has(s), `missing %${s}`);
  assert(/deno task doctor/.test(sections.get("test")!), "%test runs deno task doctor");
  assert(/^CMD \["deno", "task", "doctor"\]$/m.test(dockerfile), "the Dockerfile's default command is doctor");
});

Deno.test("containers pin CUDA 11.2 + cuDNN 8, deno.json's tfjs and CI's Deno, in both files", () => {
  const from = /^FROM (\S+)$/m.exec(dockerfile)?.[1];
  assertEquals(from, parseDef(def).header.From, "same base image");
  const tag = /^nvidia\/cuda:(\d+\.\d+)\.\d+-cudnn(\d+)-runtime-ubuntu\d+\.\d+$/.exec(from!);
  assert(tag, `base image ${from}: expected nvidia/cuda:<cuda>-cudnn<N>-runtime-ubuntu<release>`);
  assertEquals(tag[1], GPU_STACK.cuda);
  assertEquals(tag[2], GPU_STACK.cudnn.split(".")[0]);
  const tfjs = denoJsonVersion("@tensorflow/tfjs");
  assertEquals(GPU_STACK.tfjs, tfjs);
  for (const pkg of ["@tensorflow/tfjs-core", "@tensorflow/tfjs-backend-wasm", "@tensorflow/tfjs-backend-webgpu"]) {
    assertEquals(denoJsonVersion(pkg), tfjs, `${pkg} in deno.json`);
  }
  assert(ciDeno, ".ci/run pins deno@X.Y.Z");
  assertEquals(Deno.version.deno, ciDeno, "this Deno is the one CI pins");
  for (const [name, text] of [["Dockerfile", dockerfile], ["gaze-insight.def", def]]) {
    assertEquals(/DENO_VERSION=(\S+)/.exec(text)?.[1], ciDeno, `${name}: DENO_VERSION`);
    assertEquals(/TFJS_VERSION=(\S+)/.exec(text)?.[1], tfjs, `${name}: TFJS_VERSION`);
    assert(text.includes('"npm:@tensorflow/tfjs-node-gpu@${TFJS_VERSION}"'), `${name}: installs tfjs-node-gpu`);
    assert(text.includes("deno jupyter --install"), `${name}: Jupyter Deno kernel`);
    assert(/libvulkan1/.test(text) && /mesa-vulkan-drivers/.test(text), `${name}: Vulkan for WebGPU`);
  }
  assert(/org\.gaze-insight\.cuda 11\.2/.test(def) && /org\.gaze-insight\.deno 2\.9\.6/.test(def), "labels");
  assertEquals(/org\.gaze-insight\.deno (\S+)/.exec(def)?.[1], ciDeno);
  assertEquals(/org\.gaze-insight\.tfjs (\S+)/.exec(def)?.[1], tfjs);
  assertEquals(/org\.gaze-insight\.cudnn (\S+)/.exec(def)?.[1], GPU_STACK.cudnn);
});
