import { join } from "node:path";
import { assert, assertAlmostEquals, assertEquals, assertRejects } from "../assert.ts";
import { encodePngRaster } from "../../lib/data/png.ts";
import { matchMaskFiles, scoreMaskFilePair, scoreMaskFilePairs } from "../../lib/metrics/mod.ts";
import { rect } from "./mask_art.ts";
import type { Mask } from "../../lib/metrics/mod.ts";

async function writeMask(path: string, m: Mask, on = 255): Promise<void> {
  const data = m.data.map((v) => (v ? on : 0));
  await Deno.writeFile(path, encodePngRaster({ width: m.width, height: m.height, channels: 1, data }));
}

async function fixture(): Promise<{ dir: string; pred: string; gt: string }> {
  const dir = await Deno.makeTempDir(), pred = join(dir, "pred"), gt = join(dir, "gt");
  await Deno.mkdir(pred);
  await Deno.mkdir(gt);
  // "a": a 4x4 square vs the same square shifted 2 columns (Dice 0.5, HD95 2, ASD 1)
  await writeMask(join(pred, "a.png"), rect(10, 8, 2, 2, 6, 6));
  await writeMask(join(gt, "a.png"), rect(10, 8, 4, 2, 8, 6));
  // "b": an empty prediction (surface distances undefined), GT with another extension; 128 counts as foreground
  await writeMask(join(pred, "b.png"), rect(6, 6, 0, 0, 0, 0));
  await writeMask(join(gt, "b.PNG"), rect(6, 6, 1, 1, 3, 3), 128);
  await Deno.writeTextFile(join(gt, "notes.txt"), "ignored");
  return { dir, pred, gt };
}

Deno.test("score files: match by name without extension, score with the documented mask rule", async () => {
  const f = await fixture();
  try {
    const pairs = await matchMaskFiles(f.pred, f.gt);
    assertEquals(pairs.map((p) => [p.name, p.gt]), [["a", join(f.gt, "a.png")], ["b", join(f.gt, "b.PNG")]]);
    const a = await scoreMaskFilePair(pairs[0]);
    assertAlmostEquals(a.dice, 16 / (32 + 1e-7), 1e-12);
    assertEquals([a.hd95, a.asd, a.width, a.height], [2, 1, 10, 8]);
    const b = await scoreMaskFilePair(pairs[1], { spacing: [0.5, 0.5] });
    assertEquals([b.dice, b.hd95, b.predEmpty, b.gtEmpty, b.unit], [0, null, true, false, "mm"]);
    // file + folder: the file's name is looked up in the folder
    assertEquals((await matchMaskFiles(join(f.pred, "b.png"), f.gt))[0].gt, join(f.gt, "b.PNG"));
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});

Deno.test("score files: clear errors for missing matches, duplicates, size mismatches, missing paths", async () => {
  const f = await fixture();
  try {
    await writeMask(join(f.pred, "c.png"), rect(4, 4, 0, 0, 1, 1));
    await assertRejects(() => matchMaskFiles(f.pred, f.gt), Error, "1 prediction(s) have no ground truth: c");
    await Deno.remove(join(f.pred, "c.png"));
    await Deno.remove(join(f.pred, "b.png"));
    await assertRejects(() => matchMaskFiles(f.pred, f.gt), Error, "1 ground truth(s) have no prediction: b");
    await writeMask(join(f.pred, "b.png"), rect(7, 6, 0, 0, 1, 1));
    const pairs = await matchMaskFiles(f.pred, f.gt);
    await assertRejects(() => scoreMaskFilePair(pairs[1]), Error, "is 7x6 but its ground truth");
    await writeMask(join(f.pred, "b.jpg"), rect(7, 6, 0, 0, 1, 1));
    await assertRejects(() => matchMaskFiles(f.pred, f.gt), Error, 'two files share the name "b"');
    await assertRejects(() => matchMaskFiles(join(f.dir, "nope"), f.gt), Error, "--pred");
    await assertRejects(() => matchMaskFiles(f.pred, join(f.gt, "a.png")), Error, "single file");
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});

Deno.test("deno task score: JSON output with summaries and undefined counts; exit 1 with a message on error", async () => {
  const f = await fixture();
  const task = new URL("../../tasks/score.ts", import.meta.url).pathname;
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), { args: ["run", "-A", task, ...args], stdout: "piped", stderr: "piped" })
      .output();
  try {
    const ok = await run(["--pred", f.pred, "--gt", f.gt, "--spacing", "2,0.5", "--json", "--quiet"]);
    assertEquals(ok.code, 0, new TextDecoder().decode(ok.stderr));
    const out = JSON.parse(new TextDecoder().decode(ok.stdout));
    assertEquals(out.options.spacing, [2, 0.5]); // "row,col" is the library's Spacing [row, column], unchanged
    assertEquals(out.images.length, 2);
    // shifted square: columns 0.5 mm apart -> horizontal distances halve: ASD (4*1 + 4*0.5) / 12 = 0.5
    assertEquals(out.images[0].asd, 0.5);
    // the same spacing through the library gives the same number (one order everywhere)
    const lib = await scoreMaskFilePair((await matchMaskFiles(f.pred, f.gt))[0], { spacing: [2, 0.5] });
    assertEquals(lib.asd, out.images[0].asd);
    // swapped, the rows are 0.5 mm apart and the columns 2 mm: a different number, so the order is observable
    const swapped = await run(["--pred", f.pred, "--gt", f.gt, "--spacing", "0.5,2", "--json", "--quiet"]);
    assert(JSON.parse(new TextDecoder().decode(swapped.stdout)).images[0].asd !== 0.5);
    assertEquals([out.summary.hd95.nUndefined, out.summary.hd95.nDefined, out.emptyPredictions], [1, 1, 1]);
    assertAlmostEquals(out.summary.dice.mean, (16 / (32 + 1e-7) + 0) / 2, 1e-12);
    const text = await run(["--pred", f.pred, "--gt", f.gt, "--quiet"]);
    const md = new TextDecoder().decode(text.stdout);
    assert(md.includes("| hd95 (px) | 2.0000 ± 0.0000 (1 undef.) |"), md);
    const bad = await run(["--pred", f.pred, "--gt", join(f.dir, "missing")]);
    assertEquals(bad.code, 1);
    assert(new TextDecoder().decode(bad.stderr).includes("--gt"), new TextDecoder().decode(bad.stderr));
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});

Deno.test("deno task score on folders: every bad pair is reported, the rest are scored, exit 1", async () => {
  const f = await fixture();
  const task = new URL("../../tasks/score.ts", import.meta.url).pathname;
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), { args: ["run", "-A", task, ...args], stdout: "piped", stderr: "piped" })
      .output();
  try {
    // "c": size mismatch; "d": an empty prediction file; "a" and "b" stay good
    await writeMask(join(f.pred, "c.png"), rect(7, 6, 0, 0, 1, 1));
    await writeMask(join(f.gt, "c.png"), rect(8, 6, 0, 0, 1, 1));
    await Deno.writeFile(join(f.pred, "d.png"), new Uint8Array(0));
    await writeMask(join(f.gt, "d.png"), rect(4, 4, 0, 0, 1, 1));
    const { scores, failures } = await scoreMaskFilePairs(await matchMaskFiles(f.pred, f.gt));
    assertEquals(scores.map((s) => s.name), ["a", "b"]);
    assertEquals(failures.map((x) => x.name), ["c", "d"]);
    assert(failures[0].reason.includes("is 7x6 but its ground truth"), failures[0].reason);
    assertEquals(failures[1].reason, `${join(f.pred, "d.png")}: cannot decode image (0-byte file)`);
    const text = await run(["--pred", f.pred, "--gt", f.gt, "--quiet"]);
    assertEquals(text.code, 1);
    const md = new TextDecoder().decode(text.stdout), err = new TextDecoder().decode(text.stderr);
    assert(md.includes("| a |") && md.includes("| b |") && md.includes("Summary over 2 image(s)"), md);
    assert(err.includes("2 of 4 pair(s) could not be scored (the other 2 are scored above):"), err);
    assert(err.includes("  c: ") && err.includes("  d: ") && err.includes("0-byte file"), err);
    const json = await run(["--pred", f.pred, "--gt", f.gt, "--json", "--quiet"]);
    assertEquals(json.code, 1);
    const out = JSON.parse(new TextDecoder().decode(json.stdout));
    assertEquals(out.images.length, 2);
    assertEquals(out.failures.map((x: { name: string }) => x.name), ["c", "d"]);
  } finally {
    await Deno.remove(f.dir, { recursive: true });
  }
});
