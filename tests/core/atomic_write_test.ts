import { assert, assertEquals, assertRejects } from "../assert.ts";
import { atomicWrite, exists } from "../../lib/core/atomic_write.ts";

Deno.test("atomicWrite: writes text and bytes, creates folders, leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  await atomicWrite(`${dir}/a/b/c.txt`, "hello");
  await atomicWrite(`${dir}/a/b/d.bin`, new Uint8Array([1, 2, 3]));
  assertEquals(await Deno.readTextFile(`${dir}/a/b/c.txt`), "hello");
  assertEquals([...await Deno.readFile(`${dir}/a/b/d.bin`)], [1, 2, 3]);
  const names = [...Deno.readDirSync(`${dir}/a/b`)].map((e) => e.name).sort();
  assertEquals(names, ["c.txt", "d.bin"]);
  assert(await exists(`${dir}/a`));
  assert(!(await exists(`${dir}/nope`)));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("atomicWrite: a failed write leaves neither the target nor a temp file", async () => {
  const dir = await Deno.makeTempDir();
  // the target is an existing non-empty folder: rename onto it fails
  await Deno.mkdir(`${dir}/target/x`, { recursive: true });
  await assertRejects(() => atomicWrite(`${dir}/target`, "data"));
  const names = [...Deno.readDirSync(dir)].map((e) => e.name);
  assertEquals(names, ["target"]);
  await Deno.remove(dir, { recursive: true });
});
