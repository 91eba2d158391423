/**
 * HTTP(S) download to a file: streamed to `<dest>.part-<random>` while hashing,
 * with a byte progress bar; the expected size and SHA-256 (when known) are
 * checked before the file is renamed into place. On any failure (network,
 * wrong size, checksum mismatch) the partial file is removed, so nothing is left
 * behind.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { dirname } from "node:path";
import { progressBar } from "../core/progress.ts";

/** Options for {@link downloadFile}. */
export interface DownloadOptions {
  /** Expected SHA-256 (hex); null/undefined = not checked. */
  sha256?: string | null;
  /** Expected size in bytes; null/undefined = not checked. */
  size?: number | null;
  /** Progress-bar label (default: the URL). */
  label?: string;
  /** No progress output. */
  quiet?: boolean;
  /** fetch implementation (tests may pass one); default globalThis.fetch. */
  fetch?: typeof fetch;
}

/** What {@link downloadFile} wrote. */
export interface DownloadResult {
  /** Bytes written. */
  bytes: number;
  /** SHA-256 (hex) of the bytes. */
  sha256: string;
}

/**
 * Download `url` to `dest` atomically, verifying size and SHA-256 when given.
 * Throws with the URL and what was wrong; `dest` is then untouched.
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const doFetch = options.fetch ?? fetch;
  await Deno.mkdir(dirname(dest), { recursive: true });
  const part = `${dest}.part-${crypto.randomUUID().slice(0, 8)}`;
  let res: Response;
  try {
    res = await doFetch(url);
  } catch (err) {
    throw new Error(`${url}: download failed (${(err as Error).message}); is the network reachable?`);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel();
    throw new Error(`${url}: download failed with HTTP ${res.status} ${res.statusText}`);
  }
  const total = options.size ?? (Number(res.headers.get("content-length")) || 0);
  const bar = progressBar(total || 1, { label: options.label ?? url, quiet: options.quiet });
  const hash = createHash("sha256");
  let bytes = 0;
  try {
    const file = await Deno.open(part, { write: true, createNew: true });
    try {
      for await (const chunk of res.body) {
        hash.update(chunk);
        bytes += chunk.length;
        let off = 0;
        while (off < chunk.length) off += await file.write(chunk.subarray(off));
        if (total) bar.tick(chunk.length, { MB: bytes / 1e6 });
      }
    } finally {
      file.close();
    }
    bar.stop();
    const sha256 = hash.digest("hex");
    if (options.size != null && bytes !== options.size) {
      throw new Error(`${url}: got ${bytes} bytes, expected ${options.size}; nothing was kept`);
    }
    if (options.sha256 && sha256 !== options.sha256.toLowerCase()) {
      throw new Error(`${url}: checksum mismatch: sha256 ${sha256}, expected ${options.sha256}; nothing was kept`);
    }
    await Deno.rename(part, dest);
    return { bytes, sha256 };
  } catch (err) {
    await Deno.remove(part).catch(() => {});
    throw err;
  }
}
