/**
 * Atomic file writes: write to a temporary sibling, then rename. A crash or a
 * thrown error never leaves a half-written file at the destination.
 *
 * @module
 */
import { dirname } from "node:path";

/**
 * Write bytes or text to `path` atomically, creating parent folders.
 *
 * @example
 * ```ts
 * import { atomicWrite } from "../../mod.ts";
 * const dir = await Deno.makeTempDir();
 * await atomicWrite(`${dir}/a.json`, JSON.stringify({ ok: true }));
 * ```
 */
export async function atomicWrite(path: string, content: Uint8Array | string): Promise<void> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (typeof content === "string") await Deno.writeTextFile(tmp, content);
    else await Deno.writeFile(tmp, content);
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}

/** Synchronous variant of {@link atomicWrite} (for exit handlers and workers). */
export function atomicWriteSync(path: string, content: Uint8Array | string): void {
  Deno.mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
  try {
    if (typeof content === "string") Deno.writeTextFileSync(tmp, content);
    else Deno.writeFileSync(tmp, content);
    Deno.renameSync(tmp, path);
  } catch (err) {
    try {
      Deno.removeSync(tmp);
    } catch { /* already gone */ }
    throw err;
  }
}

/** True when `path` exists (file or folder). */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}
