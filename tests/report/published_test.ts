/**
 * The published numbers are typed in ONE constant; this test checks it against the table of
 * docs/METHOD.md section 9, the project's own documentation (always present in a clone).
 */
import { assert, assertEquals } from "../assert.ts";
import { PUBLISHED_DICE, publishedDice } from "../../lib/report/published.ts";

const METHOD = new URL("../../docs/METHOD.md", import.meta.url);

Deno.test("PUBLISHED_DICE equals the table of docs/METHOD.md section 9", async () => {
  const method = await Deno.readTextFile(METHOD);
  const start = method.indexOf("\n## 9. "), end = method.indexOf("\n## 10. ");
  assert(start > 0 && end > start, "docs/METHOD.md has sections '## 9. ' and '## 10. '");
  const sec = method.slice(start, end);
  const rows = new Map<string, (number | null)[]>();
  for (const line of sec.split("\n")) {
    const cells = line.split("|").slice(1, -1).map((c) => c.trim());
    if (cells.length < 4 || !/\d/.test(cells[1] + cells[2] + cells[3])) continue;
    rows.set(cells[0], cells.slice(1, 4).map((c) => (/^[\d.]+/.test(c) ? Number(c.match(/^[\d.]+/)![0]) : null)));
  }
  const expect: [string, keyof typeof PUBLISHED_DICE][] = [
    ["FGI (paper)", "fgi"],
    ["GazeMedSeg (its paper)", "gazemedseg-paper"],
    ["GazeMedSeg (released checkpoint)", "gazemedseg-checkpoint"],
    ["GNANet (another gaze method, 3 seeds)", "gnanet"],
    ["pseudo-mask heatmap>0.5 vs GT", "pseudo-heatmap"],
    ["pseudo-mask CRF>=0.5 vs GT", "pseudo-crf"],
  ];
  assertEquals(rows.size, expect.length, `rows of the section 9 table: ${[...rows.keys()].join("; ")}`);
  for (const [label, key] of expect) {
    const doc = rows.get(label);
    assert(doc !== undefined, `row '${label}' in docs/METHOD.md section 9`);
    const ours = ["kvasir", "nci-isbi", "isic"].map((d) => publishedDice(key, d)?.dice ?? null);
    assertEquals(ours, doc, label);
  }
  assertEquals(PUBLISHED_DICE.gnanet.kvasir!.std, 0.39);
  assert(sec.includes("79.32 ± 0.39") && sec.includes("80.33 ± 0.24"), "GNANet's seed std in the table");
});
