/**
 * SHA-256 of bytes and files (streamed, for multi-GB archives), the
 * `MANIFEST.sha256` format of the data mirror (`<hex>  ./<path>` per line), and
 * a tree digest: one SHA-256 over the sorted per-file list, to check a whole
 * unpacked folder against one recorded value.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join, relative } from "node:path";

/**
 * Hex SHA-256 of bytes.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "../../mod.ts";
 * const h = sha256Hex(new TextEncoder().encode("abc"));
 * if (!h.startsWith("ba7816bf")) throw new Error(h);
 * ```
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Hex SHA-256 of a file, read in chunks (constant memory). */
export async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  using f = await Deno.open(path, { read: true });
  for await (const chunk of f.readable) h.update(chunk);
  return h.digest("hex");
}

/**
 * Parse `MANIFEST.sha256` text (`sha256sum` output: `<64 hex>  <path>`, paths
 * optionally starting with `./`) into a map path -> hex. Bad lines are errors
 * naming `file:line`.
 */
export function parseSha256Manifest(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: expected '<sha256>  <path>', got ${JSON.stringify(line.slice(0, 80))}`);
    out.set(m[2].replace(/^\.\//, ""), m[1].toLowerCase());
  });
  return out;
}

/**
 * Tree digest: SHA-256 of the lines `<sha256>  <path>\n` of the given files,
 * sorted by path (paths relative to the data root, `/`-separated).
 */
export function treeDigest(entries: Iterable<[path: string, sha256: string]>): string {
  const lines = [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([p, h]) => `${h}  ${p}\n`);
  return sha256Hex(new TextEncoder().encode(lines.join("")));
}

/** SHA-256 of every file under `dirs` (relative to `root`), as [relative path, hex] pairs. */
export async function hashTree(root: string, dirs: string[]): Promise<[string, string][]> {
  const out: [string, string][] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile) out.push([relative(root, p).split("\\").join("/"), await sha256File(p)]);
    }
  };
  for (const d of dirs) await walk(join(root, d));
  return out;
}
