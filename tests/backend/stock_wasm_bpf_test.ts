// With the toolkit's kernels switched off (GAZE_WASM_KERNELS=off), the wasm backend still trains convs:
// the tf-ops Conv2DBackpropFilter (lib/backend/wasm_conv2d_backprop_filter.ts) matches the cpu kernel
// for strides 1 and 2, 'same' and 'valid', kernels 1-3, batch 2, also as conv2dTranspose's filter gradient.
import { assert, assertEquals } from "../assert.ts";

Deno.test("stock wasm + tf-ops Conv2DBackpropFilter matches cpu (subprocess with GAZE_WASM_KERNELS=off)", async () => {
  const script = new URL("./stock_wasm_bpf_check.ts", import.meta.url).pathname;
  const res = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script],
    env: { GAZE_WASM_KERNELS: "off" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(res.stderr);
  assert(res.success, `subprocess failed: ${stderr}`);
  const out = JSON.parse(new TextDecoder().decode(res.stdout)) as Record<string, number | string>;
  assert(String(out.reason).includes("GAZE_WASM_KERNELS=off"), `kernels were not switched off: ${out.reason}`);
  assertEquals(out.gazeConvPaths, 0, "a toolkit conv kernel ran although switched off");
  const cases = Object.entries(out).filter(([k]) => k.startsWith("k"));
  assertEquals(cases.length, 24);
  for (const [name, rel] of cases) assert((rel as number) <= 1e-5, `${name}: relative difference ${rel}`);
});
