/**
 * Test helper: find the real-data mirror through the data-root mechanism
 * ($GAZE_DATA_DIR, set by .ci/run to ../shared/data), never by a hard-coded path.
 * Tests that need real data call {@link realDataRoot} and are ignored, with the
 * reason printed, when it returns undefined.
 *
 * @module
 */
import { join } from "node:path";
import { resolveDataRoot } from "../lib/data/data_root.ts";

/** The data root when it holds the real Kvasir-SEG mirror, else undefined. */
export function realDataRoot(): string | undefined {
  const root = resolveDataRoot();
  try {
    Deno.statSync(join(root, "kvasir-seg", "images"));
    return root;
  } catch {
    return undefined;
  }
}

/** `ignore` flag for Deno.test: true (and a note on stderr) when real data is absent. */
export function withoutRealData(name: string): boolean {
  if (realDataRoot()) return false;
  console.error(`skipped '${name}': no real data under the data root (set GAZE_DATA_DIR)`);
  return true;
}
