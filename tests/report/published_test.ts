/**
 * The published numbers are typed in ONE constant; this test checks it against the
 * spec's table (METHOD.md section 9) when the spec is available on this machine.
 */
import { join } from "node:path";
import { assertEquals } from "../assert.ts";
import { PUBLISHED_DICE, publishedDice } from "../../lib/report/published.ts";

const SPEC = Deno.env.get("GAZE_SPEC_DIR") ?? new URL("../../../shared/spec", import.meta.url).pathname;
let method: string | undefined;
try {
  method = await Deno.readTextFile(join(SPEC, "METHOD.md"));
} catch {
  console.error(`skipped the METHOD.md comparison: ${SPEC}/METHOD.md not found (set GAZE_SPEC_DIR)`);
}

Deno.test({
  name: "PUBLISHED_DICE equals the table of METHOD.md section 9",
  ignore: method === undefined,
  fn() {
    const sec = method!.slice(method!.indexOf("## 9."), method!.indexOf("## 10."));
    const rows = new Map<string, (number | null)[]>();
    for (const line of sec.split("\n")) {
      const cells = line.split("|").slice(1, -1).map((c) => c.trim());
      if (cells.length !== 4 || !/\d/.test(cells[1] + cells[2] + cells[3])) continue;
      rows.set(cells[0], cells.slice(1).map((c) => (/^[\d.]+/.test(c) ? Number(c.match(/^[\d.]+/)![0]) : null)));
    }
    const expect: [string, keyof typeof PUBLISHED_DICE][] = [
      ["FGI (paper)", "fgi"],
      ["GazeMedSeg (its paper)", "gazemedseg-paper"],
      ["GazeMedSeg (released checkpoint)", "gazemedseg-checkpoint"],
      ["GNANet (another gaze method, 3 seeds)", "gnanet"],
      ["pseudo-mask heatmap>0.5 vs GT", "pseudo-heatmap"],
      ["pseudo-mask CRF>=0.5 vs GT", "pseudo-crf"],
    ];
    for (const [label, key] of expect) {
      const spec = rows.get(label);
      assertEquals(spec !== undefined, true, `row '${label}' in METHOD.md`);
      const ours = ["kvasir", "nci-isbi", "isic"].map((d) => publishedDice(key, d)?.dice ?? null);
      assertEquals(ours, spec, label);
    }
    assertEquals(PUBLISHED_DICE.gnanet.kvasir!.std, 0.39);
  },
});
