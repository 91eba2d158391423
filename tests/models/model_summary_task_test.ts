// `deno task model-summary`: JSON output (used by checks) and flag errors.
import { assert, assertEquals } from "../assert.ts";

const TASK = new URL("../../tasks/model_summary.ts", import.meta.url).pathname;

async function runTask(args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", TASK, ...args],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout), stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("model-summary --json reports modules, totals and output shapes of the profile's input", async () => {
  const r = await runTask(["--model", "student", "--profile", "smoke", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assertEquals(out.profile, "smoke");
  assertEquals(out.summary.inputShape, [1, 32, 32, 3]);
  assertEquals(out.summary.outputs.logits, [1, 32, 32, 2]);
  assertEquals(out.summary.outputs["aligned.4"], [1, 2, 2, 32]);
  const sum = out.summary.modules.reduce((a: number, m: { params: number }) => a + m.params, 0);
  assertEquals(sum, out.summary.totalParams);
  assert(out.summary.modules.some((m: { module: string }) => m.module === "adapter.3"));
  assertEquals(typeof out.provenance.created, "string");
});

Deno.test("model-summary rejects an unknown model with a message naming the flag", async () => {
  const r = await runTask(["--model", "resnet", "--profile", "smoke"]);
  assertEquals(r.code, 1);
  assert(r.stderr.includes("--model"), r.stderr);
});
