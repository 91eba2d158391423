/**
 * Every TypeScript example of docs/API.md and README.md type-checks against mod.ts and runs (smoke scale: tiny
 * synthetic images, a 4-iteration training). Each block runs in its own `deno run` with the project's deno.json, so
 * the examples cannot lean on state from one another.
 */
import { join } from "node:path";
import { assert, assertEquals } from "../assert.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const MOD = new URL("../../mod.ts", import.meta.url).href;

/** The ```ts blocks of a Markdown file, with the import of mod.ts pointed at this checkout's file. */
async function blocks(file: string, modSpecifier: string): Promise<{ name: string; code: string }[]> {
  const text = await Deno.readTextFile(join(ROOT, file));
  const out: { name: string; code: string }[] = [];
  for (const m of text.matchAll(/^```ts\n([\s\S]*?)^```$/gm)) {
    const line = text.slice(0, m.index).split("\n").length;
    const code = m[1].replaceAll(`"${modSpecifier}"`, JSON.stringify(MOD));
    assert(code.includes(MOD), `${file}:${line}: the example imports ${modSpecifier}`);
    out.push({ name: `${file}:${line}`, code });
  }
  return out;
}

const examples = [...await blocks("docs/API.md", "../mod.ts"), ...await blocks("README.md", "./mod.ts")];

async function deno(args: string[]): Promise<{ code: number; out: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { GAZE_QUIET: "1", NO_COLOR: "1" },
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout) + dec.decode(r.stderr) };
}

Deno.test("docs: API.md has an example for every concern, and the README's example is included", () => {
  assert(examples.length >= 11, `found ${examples.length} examples`);
  assert(examples.some((e) => e.name.startsWith("README.md")), "README.md example");
});

Deno.test("docs: every example of docs/API.md and README.md type-checks and runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "api_doc_" });
  try {
    const files: string[] = [];
    for (const [i, e] of examples.entries()) {
      const f = join(dir, `example_${i}.ts`);
      await Deno.writeTextFile(f, `// ${e.name}\n${e.code}`);
      files.push(f);
    }
    const config = join(ROOT, "deno.json");
    const check = await deno(["check", "--config", config, ...files]);
    assertEquals(check.code, 0, `type errors in the examples:\n${check.out}`);
    const failures: string[] = [];
    for (let i = 0; i < files.length; i += 2) {
      const runs = files.slice(i, i + 2).map((f) => deno(["run", "-A", "--no-check", "--config", config, f]));
      (await Promise.all(runs)).forEach((r, k) => {
        if (r.code !== 0) failures.push(`${examples[i + k].name} (exit ${r.code}):\n${r.out}`);
      });
    }
    assertEquals(failures, [], failures.join("\n\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("docs: `deno doc --lint mod.ts` is clean and JSDoc examples import from mod.ts and type-check", async () => {
  const lint = await deno(["doc", "--lint", "mod.ts"]);
  assertEquals(lint.code, 0, lint.out);
  assert(!/Failed resolving types|warning/i.test(lint.out), lint.out);
  const relative: string[] = [];
  async function walk(dir: string) {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(p);
        for (const m of text.matchAll(/^ \* import .* from "(\.[^"]*)";/gm)) {
          if (!m[1].endsWith("/mod.ts")) relative.push(`${p.slice(ROOT.length)}: ${m[0].trim()}`);
        }
      }
    }
  }
  await walk(join(ROOT, "lib"));
  assertEquals(relative, [], `JSDoc examples should import from mod.ts:\n${relative.join("\n")}`);
  const check = await deno(["check", "--doc", "lib/", "mod.ts"]);
  assertEquals(check.code, 0, check.out);
});
