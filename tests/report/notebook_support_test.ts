// finishedSeeds: which seeds of a results folder have every run of a table finished (the diagnosis notebook's seeds).
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { finishedSeeds } from "../../lib/report/notebook_support.ts";

Deno.test("finishedSeeds: seeds whose runs of all keys have done.json; other keys, unfinished runs and files ignored", async () => {
  const dir = await Deno.makeTempDir({ prefix: "gaze-seeds-" });
  try {
    assertEquals(await finishedSeeds(dir, ["a", "b"]), [], "no runs folder");
    const run = async (id: string, done = true) => {
      await Deno.mkdir(join(dir, "runs", id), { recursive: true });
      if (done) await Deno.writeTextFile(join(dir, "runs", id, "done.json"), "{}");
    };
    for (const id of ["a_s0", "b_s0", "a_s2", "b_s2", "a_s10", "b_s10", "a_s1", "c_s1", "a-x_s3", "b_s3"]) {
      await run(id);
    }
    await run("b_s1", false); // started, not finished
    await Deno.writeTextFile(join(dir, "runs", "a_s4"), "not a folder");
    await run("b_s4");
    assertEquals(await finishedSeeds(dir, ["a", "b"]), [0, 2, 10]);
    assertEquals(await finishedSeeds(dir, ["a"]), [0, 1, 2, 10]);
    assertEquals(await finishedSeeds(dir, ["a-x", "b"]), [3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
