import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { provenance } from "../../lib/core/provenance.ts";
import {
  chromiumPath,
  closeFigureRenderer,
  displayFigure,
  FigureExporter,
  figureHtml,
  figureMimeBundle,
  inJupyter,
  type PlotlyFigure,
  plotlyFileName,
  plotlySource,
  saveFigure,
} from "../../lib/report/mod.ts";

const FIG: PlotlyFigure = {
  data: [
    { type: "scatter", mode: "lines+markers", x: [1, 2, 3], y: [0.3125, 0.5625, 0.71875], name: "student Dice" },
    { type: "bar", x: ["a", "b"], y: [4, 7], name: "</script><b>tricky</b>" },
  ],
  layout: { title: { text: "Curves & bars" }, width: 520, height: 300 },
};

const NO_CHROMIUM = !chromiumPath();
if (NO_CHROMIUM) {
  console.error(
    "skipped PNG/SVG export tests: no Chromium ($GAZE_CHROMIUM, /usr/bin/chromium); apt-get install chromium",
  );
}

function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const sig = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assertEquals([...bytes.subarray(0, 8)], sig, "PNG signature");
  assertEquals(new TextDecoder().decode(bytes.subarray(12, 16)), "IHDR");
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  return { width: dv.getUint32(16), height: dv.getUint32(20) };
}

Deno.test("figureHtml: standalone page with plotly.js inlined and the figure's data, safe against </script>", async () => {
  const html = await figureHtml(FIG, { provenance: provenance({ seed: 1 }) });
  assert(html.startsWith("<!DOCTYPE html>"));
  assert(html.length > 1_000_000, "plotly.js is inlined");
  assert(!/<script[^>]+src=/.test(html), "no external script");
  assert(html.includes("<title>Curves &amp; bars</title>"));
  const data = html.match(/<script type="application\/json" id="figure-data">(.*?)<\/script>/s)![1];
  assertEquals(JSON.parse(data), FIG);
  const prov = html.match(/<script type="application\/json" id="provenance">(.*?)<\/script>/s)![1];
  assertEquals(JSON.parse(prov).seed, 1);
});

Deno.test("FigureExporter without static export writes HTML only and says why", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await using ex = await FigureExporter.open({ static: false });
    assertEquals(ex.staticImages, false);
    const r = await ex.save(FIG, join(dir, "f"));
    assertEquals(r.html, join(dir, "f.html"));
    // plotly.js is written once per folder and referenced relatively; each page stays small
    await ex.save(FIG, join(dir, "f2"), { formats: ["html"] });
    const lib = await plotlyFileName();
    assert(/^plotly-\d+\.\d+\.\d+\.min\.js$/.test(lib), lib);
    assertEquals((await Deno.stat(join(dir, lib))).size, new TextEncoder().encode(await plotlySource()).length);
    for (const f of ["f.html", "f2.html"]) {
      const html = await Deno.readTextFile(join(dir, f));
      assert(html.includes(`<script src="${lib}"></script>`) && html.length < 20_000, `${f}: ${html.length} chars`);
    }
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assertEquals(names.sort(), ["f.html", "f2.html", lib]);
    assertEquals([r.png, r.svg], [undefined, undefined]);
    assert(r.note?.includes("png/svg not written"), r.note);
    assertEquals((await Deno.stat(join(dir, "f.html"))).isFile, true);
    await assertRejects(() => ex.render(FIG, "png"), Error, "cannot render png");
    const only = await saveFigure(FIG, join(dir, "g"), { formats: ["html"] });
    assertEquals([only.html, only.note], [join(dir, "g.html"), undefined]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "FigureExporter: PNG of the requested size, SVG that parses, HTML that renders offline (Chromium)",
  ignore: NO_CHROMIUM,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    let closed: FigureExporter | undefined;
    try {
      {
        await using ex = await FigureExporter.open();
        assert(ex.staticImages);
        const a = await ex.save(FIG, join(dir, "a"), { scale: 2, provenance: provenance({ seed: 2 }) });
        assertEquals(pngSize(await Deno.readFile(a.png!)), { width: 1040, height: 600 });
        const b = await ex.save(FIG, join(dir, "b"), { width: 321, height: 123, formats: ["png"] });
        assertEquals([b.html, b.svg], [undefined, undefined]);
        assertEquals(pngSize(await Deno.readFile(b.png!)), { width: 321, height: 123 });
        closed = ex;
      }
      // after `await using`, the browser is closed
      await assertRejects(() => closed!.render(FIG, "svg"), Error, "closed");

      // check the SVG and the HTML in an independent browser
      const { chromium } = await import("playwright-core");
      const browser = await chromium.launch({
        executablePath: chromiumPath(),
        args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
      });
      try {
        const page = await browser.newPage();
        const svg = await Deno.readTextFile(join(dir, "a.svg"));
        // the DOM code runs in the browser; passed as a string so this file needs no DOM types
        const parsed = await page.evaluate(`(() => {
          const doc = new DOMParser().parseFromString(${JSON.stringify(svg)}, "image/svg+xml");
          const root = doc.documentElement;
          return {
            error: doc.getElementsByTagName("parsererror").length,
            root: root.nodeName,
            width: root.getAttribute("width"),
            height: root.getAttribute("height"),
            text: root.textContent ?? "",
            provenance: doc.getElementById("provenance")?.textContent ?? "",
          };
        })()`) as { error: number; root: string; width: string; height: string; text: string; provenance: string };
        assertEquals([parsed.error, parsed.root, parsed.width, parsed.height], [0, "svg", "520", "300"]);
        assert(parsed.text.includes("Curves & bars"), "title rendered in the SVG");
        assertEquals(JSON.parse(parsed.provenance).seed, 2);
        await page.goto(`file://${join(dir, "a.html")}`);
        await page.waitForSelector("#figure .main-svg", { timeout: 20000 });
        const traces = await page.evaluate(`document.getElementById("figure").data.map((t) => t.y)`);
        assertEquals(traces, [[0.3125, 0.5625, 0.71875], [4, 7]]);
      } finally {
        await browser.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("displayFigure: outside the Jupyter kernel it does nothing and returns the figure", async () => {
  assertEquals(inJupyter(), false);
  assertEquals(await displayFigure(FIG), FIG);
});

Deno.test("figureMimeBundle: Plotly JSON plus text/html and, with Chromium, image/png, so every front end shows it", async () => {
  try {
    const b = await figureMimeBundle(FIG);
    assertEquals(b["application/vnd.plotly.v1+json"], FIG);
    assertEquals(b["text/plain"], "<Plotly figure: Curves & bars>");
    const html = b["text/html"] as string;
    if (chromiumPath()) {
      const b64 = b["image/png"] as string;
      assertEquals(pngSize(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))), { width: 520, height: 300 });
      assertEquals(html, `<img src="data:image/png;base64,${b64}" alt="Curves &amp; bars" style="max-width: 100%">`);
    } else {
      assert(html.includes("install Chromium"), html);
    }
    const noPng = await figureMimeBundle(FIG, { png: false });
    assertEquals(noPng["image/png"], undefined);
    assert((noPng["text/html"] as string).includes("<b>Curves &amp; bars</b>: an interactive Plotly figure"));
  } finally {
    await closeFigureRenderer();
  }
});
