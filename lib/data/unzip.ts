/**
 * Streamed ZIP extraction (npm:fflate) into the data layout, by rules that map
 * archive folders to data-root folders. Constant memory per entry, so multi-GB
 * archives (ISIC) work. Only entries matched by a rule are written, each
 * atomically; names are checked to be plain (no `..`, no nested folders), so an
 * archive cannot write outside its target folder.
 *
 * @module
 */
import { Unzip, UnzipInflate } from "fflate";
import { basename, join } from "node:path";
import { atomicWrite } from "../core/atomic_write.ts";
import { progressBar } from "../core/progress.ts";
import { assertPlainId } from "./data_root.ts";
import type { Split } from "./types.ts";

/**
 * One mapping from archive entries to the data root.
 *
 * `from` ending in `/` is a folder: every direct child whose name ends with
 * `suffix` goes to `to/<name>`. Otherwise `from` is one file, written to `to`.
 * `from` matches at the start of the entry path or after any `/` (so an extra
 * top folder in the archive does not matter). `__MACOSX/` and `._*` entries are ignored.
 */
export interface UnpackRule {
  /** Archive folder (ending in `/`) or file path. */
  from: string;
  /** Target folder (for a folder rule) or file, relative to the data root. */
  to: string;
  /** Only entries whose names end with this (folder rules). */
  suffix?: string;
  /** Record the ids (name minus suffix) of the entries matched by this rule in this split. */
  split?: Split;
}

/** What {@link unzipFile} wrote. */
export interface UnzipResult {
  /** Files written, relative to the root. */
  files: string[];
  /** Ids per split from rules with `split`, in archive order. */
  ids: Record<Split, string[]>;
  /** Entries matched per rule index. */
  perRule: number[];
}

function matchRule(name: string, rule: UnpackRule): string | undefined {
  let idx = name.indexOf(rule.from);
  while (idx > 0 && name[idx - 1] !== "/") idx = name.indexOf(rule.from, idx + 1);
  if (idx < 0) return undefined;
  if (!rule.from.endsWith("/")) return idx + rule.from.length === name.length ? rule.to : undefined;
  const rest = name.slice(idx + rule.from.length);
  if (!rest || rest.includes("/") || (rule.suffix && !rest.endsWith(rule.suffix))) return undefined;
  return join(rule.to, rest);
}

/**
 * Extract the entries of the zip at `zipPath` that match `rules` into `root`.
 * A corrupt archive throws naming it (files already written stay, complete).
 */
export async function unzipFile(
  zipPath: string,
  root: string,
  options: { rules: UnpackRule[]; quiet?: boolean },
): Promise<UnzipResult> {
  const { rules } = options;
  const result: UnzipResult = { files: [], ids: { train: [], test: [] }, perRule: rules.map(() => 0) };
  const done: { path: string; data: Uint8Array }[] = [];
  let failure: Error | undefined;
  const uz = new Unzip((file) => {
    const name = file.name;
    if (name.endsWith("/") || name.startsWith("__MACOSX/") || basename(name).startsWith("._")) return;
    const r = rules.findIndex((rule) => matchRule(name, rule) !== undefined);
    if (r < 0) return;
    const rule = rules[r], target = matchRule(name, rule)!;
    if (rule.from.endsWith("/")) assertPlainId(basename(target), `${zipPath}: entry ${name}`);
    const chunks: Uint8Array[] = [];
    file.ondata = (err, chunk, final) => {
      if (err) {
        failure ??= new Error(`${zipPath}: cannot inflate ${name} (${err.message}); the archive may be corrupt`);
        return;
      }
      chunks.push(chunk);
      if (final) {
        const data = chunks.length === 1 ? chunks[0] : new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
        if (chunks.length > 1) {
          let o = 0;
          for (const c of chunks) (data.set(c, o), (o += c.length));
        }
        done.push({ path: target, data });
        result.perRule[r]++;
        if (rule.split) {
          const file = basename(target), cut = rule.suffix?.length ?? 0;
          result.ids[rule.split].push(file.slice(0, file.length - cut));
        }
      }
    };
    file.start();
  });
  uz.register(UnzipInflate);
  const stat = await Deno.stat(zipPath);
  const bar = progressBar(stat.size, { label: `unzip ${basename(zipPath)}`, quiet: options.quiet });
  using f = await Deno.open(zipPath, { read: true });
  const flush = async () => {
    for (const { path, data } of done.splice(0)) {
      await atomicWrite(join(root, path), data);
      result.files.push(path);
    }
  };
  try {
    for await (const chunk of f.readable) {
      uz.push(chunk, false);
      if (failure) throw failure;
      await flush();
      bar.tick(chunk.length);
    }
    uz.push(new Uint8Array(0), true);
  } catch (err) {
    if (err === failure) throw err;
    throw new Error(`${zipPath}: cannot read zip (${(err as Error).message}); the archive may be corrupt or truncated`);
  }
  if (failure) throw failure;
  await flush();
  bar.stop();
  return result;
}
