// The embedded gaze_kernels.wasm is what lib/backend/native/build.sh makes from gaze_kernels.c
// (skipped where clang or wasm-ld is not installed).
import { assertEquals } from "../assert.ts";

async function has(cmd: string): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" }).output()).success;
  } catch {
    return false;
  }
}

Deno.test("lib/backend/gaze_kernels_wasm.ts is reproduced by build.sh", async () => {
  if (!(await has("clang")) || !(await has("wasm-ld"))) {
    console.error("skipped: clang and wasm-ld are needed to rebuild gaze_kernels.wasm (apt-get install clang lld)");
    return;
  }
  const dir = await Deno.makeTempDir({ prefix: "gaze-build-" });
  try {
    const tsOut = `${dir}/gaze_kernels_wasm.ts`;
    const script = new URL("../../lib/backend/native/build.sh", import.meta.url).pathname;
    const res = await new Deno.Command("sh", {
      args: [script],
      env: { OUT: dir, TS_OUT: tsOut, DENO: Deno.execPath() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(res.success, true, new TextDecoder().decode(res.stderr));
    const rebuilt = await Deno.readTextFile(tsOut);
    const committed = await Deno.readTextFile(new URL("../../lib/backend/gaze_kernels_wasm.ts", import.meta.url));
    const b64 = (s: string) => s.match(/"([A-Za-z0-9+/=]+)"/)?.[1];
    assertEquals(b64(rebuilt), b64(committed), "the committed module differs from a rebuild: run build.sh");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
