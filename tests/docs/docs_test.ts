/**
 * The documentation holds together: every image and relative link in README.md, docs/*.md and the notebooks'
 * Markdown cells resolves (anchors into Markdown files included), every "docs/METHOD.md section N" cited anywhere in
 * the repository names a section that exists, and docs/METHOD.md's configuration reference, switch table and figure
 * table cover what the code defines. Nothing here reads a file outside the repository.
 */
import { join, relative } from "node:path";
import { assert, assertEquals } from "../assert.ts";
import { CONFIG_DEFAULTS, VARIANT_SWITCHES } from "../../lib/train/config.ts";
import { FIGURE_NAMES } from "../../lib/report/figures.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const METHOD_PATH = join(ROOT, "docs/METHOD.md");

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[`*_]/g, "").replace(/[^\p{L}\p{N}\s-]/gu, "").replace(/\s/g, "-");
}

/** Anchors of a Markdown text (ATX headings; duplicates get -1, -2 as on GitHub). */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const m = !fenced && line.match(/^#{1,6}\s+(.*?)\s*#*\s*$/);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Link and image targets of a Markdown text, outside code spans and fences. */
function linkTargets(markdown: string): string[] {
  const text = markdown.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  const out: string[] = [];
  for (const m of text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push(m[1]);
  for (const m of text.matchAll(/<img\s[^>]*src="([^"]+)"/g)) out.push(m[1]);
  for (const m of text.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)) out.push(m[1]);
  return out;
}

async function markdownSources(): Promise<{ name: string; dir: string; text: string }[]> {
  const out = [{ name: "README.md", dir: ROOT, text: await Deno.readTextFile(join(ROOT, "README.md")) }];
  for await (const e of Deno.readDir(join(ROOT, "docs"))) {
    if (e.isFile && e.name.endsWith(".md")) {
      out.push({
        name: `docs/${e.name}`,
        dir: join(ROOT, "docs"),
        text: await Deno.readTextFile(join(ROOT, "docs", e.name)),
      });
    }
  }
  for await (const e of Deno.readDir(join(ROOT, "notebooks"))) {
    if (!e.isFile || !e.name.endsWith(".ipynb")) continue;
    const nb = JSON.parse(await Deno.readTextFile(join(ROOT, "notebooks", e.name)));
    const text = (nb.cells as { cell_type: string; source: string | string[] }[])
      .filter((c) => c.cell_type === "markdown")
      .map((c) => (Array.isArray(c.source) ? c.source.join("") : c.source))
      .join("\n\n");
    out.push({ name: `notebooks/${e.name}`, dir: join(ROOT, "notebooks"), text });
  }
  return out;
}

Deno.test("docs: every image and relative link in README.md, docs/*.md and notebook Markdown resolves", async () => {
  const broken: string[] = [];
  let checked = 0;
  for (const src of await markdownSources()) {
    for (const target of linkTargets(src.text)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue; // external (http:, mailto:, ...)
      checked++;
      const [pathPart, anchor] = target.split("#", 2);
      const file = pathPart ? join(src.dir, decodeURIComponent(pathPart)) : null;
      const where = `${src.name}: ${target}`;
      if (file) {
        try {
          await Deno.stat(file);
        } catch {
          broken.push(`${where} (no such file ${relative(ROOT, file)})`);
          continue;
        }
      }
      const md = file ?? join(src.dir, src.name.split("/").pop()!);
      if (anchor && (file === null ? src.name.endsWith(".md") : file.endsWith(".md"))) {
        const text = file ? await Deno.readTextFile(file) : src.text;
        if (!anchors(text).has(anchor)) broken.push(`${where} (no heading #${anchor} in ${relative(ROOT, md)})`);
      }
    }
  }
  assert(checked > 10, `found only ${checked} relative links`);
  assertEquals(broken, [], `broken links:\n${broken.join("\n")}`);
});

Deno.test("docs: README shows committed images only (small PNGs)", async () => {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^https?:/.test(t));
  assert(images.length >= 1, "the README shows at least one image");
  for (const img of images) {
    const info = await Deno.stat(join(ROOT, img));
    assert(info.size < 600_000, `${img} is ${info.size} bytes; keep README images small`);
    const head = (await Deno.readFile(join(ROOT, img))).subarray(0, 8);
    if (img.endsWith(".png")) assertEquals([...head], [137, 80, 78, 71, 13, 10, 26, 10], `${img} is a PNG`);
  }
});

async function repoTextFiles(): Promise<string[]> {
  const out: string[] = [];
  const skip = new Set(["node_modules", ".git", "results", "data", "out"]);
  async function walk(dir: string) {
    for await (const e of Deno.readDir(dir)) {
      if (skip.has(e.name) || e.name.startsWith(".")) continue;
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (/\.(ts|md|json|ipynb|py)$/.test(e.name) && e.name !== "deno.lock") out.push(p);
    }
  }
  await walk(ROOT);
  return out;
}

Deno.test("docs: every 'docs/METHOD.md section N' cited in the repository exists; no reference outside it", async () => {
  const method = await Deno.readTextFile(METHOD_PATH);
  const sections = new Set<string>();
  for (const m of method.matchAll(/^#{2,3} (\d+(?:\.\d+)?)\.?\s/gm)) sections.add(m[1]);
  for (let i = 1; i <= 15; i++) assert(sections.has(String(i)), `docs/METHOD.md has section ${i}`);
  const bad: string[] = [];
  let cites = 0;
  for (const file of await repoTextFiles()) {
    const rel = relative(ROOT, file);
    const text = await Deno.readTextFile(file);
    const sibling = rel.startsWith("docs/"); // docs/*.md link to METHOD.md as a sibling
    if (
      rel !== "tests/docs/docs_test.ts" &&
      (/shared\/spec|(?<![\w/])DESIGN\.md/.test(text) || (!sibling && /(?<![\w/])METHOD\.md/.test(text)))
    ) {
      bad.push(`${rel}: cites a method document outside the repository (use docs/METHOD.md)`);
    }
    for (
      const m of text.matchAll(
        /docs\/METHOD\.md(?:\\n|\s)+sections?\s+(\d+(?:\.\d+)?)(?:\s*(?:-|–|to|and)\s*(\d+(?:\.\d+)?))?/g,
      )
    ) {
      cites++;
      for (const n of [m[1], m[2]].filter(Boolean)) {
        if (!sections.has(n!)) bad.push(`${rel}: docs/METHOD.md section ${n} does not exist`);
      }
    }
    for (const m of text.matchAll(/docs\/METHOD\.md (\d+\.\d+)/g)) {
      cites++;
      if (!sections.has(m[1])) bad.push(`${rel}: docs/METHOD.md ${m[1]} does not exist`);
    }
  }
  assert(cites > 30, `only ${cites} citations found`);
  assertEquals(bad, [], bad.join("\n"));
});

function section(method: string, n: number): string {
  const start = method.indexOf(`\n## ${n}. `), end = method.indexOf(`\n## ${n + 1}. `);
  assert(start > 0 && end > start, `docs/METHOD.md section ${n}`);
  return method.slice(start, end);
}

Deno.test("docs: METHOD.md section 11 lists every config field with its default", async () => {
  const sec = section(await Deno.readTextFile(METHOD_PATH), 11);
  const rows = new Map<string, string>();
  for (const line of sec.split("\n")) {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    const m = cells[0]?.match(/^`([^`]+)`$/);
    if (m && cells.length >= 4) rows.set(m[1], cells[1]);
  }
  const missing: string[] = [];
  function walk(value: unknown, path: string) {
    if (value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      return;
    }
    const doc = rows.get(path);
    if (doc === undefined) missing.push(`${path}: no row`);
    else if (doc.replace(/`/g, "") !== JSON.stringify(value)) {
      missing.push(`${path}: documented ${doc}, default ${JSON.stringify(value)}`);
    }
  }
  walk(CONFIG_DEFAULTS, "");
  assertEquals(missing, [], missing.join("\n"));
  for (const req of ["dataset", "profile", "imageSize", "batchSize", "iterations", "synthetic"]) {
    assert(sec.includes(`\`${req}\``), `section 11 names the required field ${req}`);
  }
});

Deno.test("docs: METHOD.md section 10 lists every switch with both presets; 13 lists every figure", async () => {
  const method = await Deno.readTextFile(METHOD_PATH);
  const s10 = section(method, 10);
  for (const [name, code] of Object.entries(VARIANT_SWITCHES.code)) {
    const paper = VARIANT_SWITCHES.paper[name as keyof typeof VARIANT_SWITCHES.code];
    const row = s10.split("\n").find((l) => l.startsWith(`| \`${name}\``));
    assert(row, `section 10 has a row for the switch ${name}`);
    assert(row.includes(`\`${code}\``) && row.includes(`\`${paper}\``), `${name}: ${code} / ${paper} in "${row}"`);
  }
  const s13 = section(method, 13);
  for (const fig of FIGURE_NAMES) assert(s13.includes(`\`${fig}\``), `section 13 describes ${fig}`);
});
