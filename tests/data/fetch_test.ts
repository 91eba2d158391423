import { zipSync } from "fflate";
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../assert.ts";
import { sha256Hex } from "../../lib/data/checksum.ts";
import { fetchDataset } from "../../lib/data/fetch.ts";
import type { Manifest, ManifestDataset, ManifestSource } from "../../lib/data/manifest.ts";
import { realDataRoot, withoutRealData } from "../real_data.ts";
import { encodeJpegRaster, rectMask, rgbRaster } from "./fixtures.ts";
import { encodePngRaster } from "../../lib/data/png.ts";

const enc = (s: string) => new TextEncoder().encode(s);

/** The files of a two-image Kvasir-like release: a zip plus plain files, by URL path. */
function kvasirRelease(): Record<string, Uint8Array> {
  const img = (w: number, h: number) => encodeJpegRaster(rgbRaster(w, h, (x, y, c) => (x + 2 * y + 50 * c) % 256));
  const zip = zipSync({
    "Kvasir-SEG/images/a.jpg": img(40, 30),
    "Kvasir-SEG/images/b.jpg": img(48, 34),
    "Kvasir-SEG/images/readme.txt": enc("not an image"),
    "Kvasir-SEG/masks/a.jpg": encodeJpegRaster(rectMask(40, 30, [5, 5, 20, 20])),
    "Kvasir-SEG/masks/b.jpg": encodeJpegRaster(rectMask(48, 34, [5, 5, 20, 20])),
    "Kvasir-SEG/kavsir_bboxes.json": enc("{}"),
    "__MACOSX/Kvasir-SEG/images/._a.jpg": enc("junk"),
  });
  return {
    "/kvasir-seg.zip": zip,
    "/kvasir_fixation.csv": enc(
      "IMAGE,CURRENT_FIX_INDEX,CURRENT_FIX_X,CURRENT_FIX_Y,CURRENT_FIX_DURATION,CURRENT_FIX_PUPIL,CURRENT_FIX_START,IMAGE_HEIGHT,IMAGE_WIDTH\n" +
        "a.jpg,1,0.5,0.5,100,1000,0,30.0,40.0\nb.jpg,1,0.2,0.3,200,1000,0,34.0,48.0\n",
    ),
    "/train.txt": enc("a\n"),
    "/test.txt": enc("b\n"),
  };
}

function plain(name: string, url: string, bytes: Uint8Array, dest: string): ManifestSource {
  return { name, url, sha256: sha256Hex(bytes), size: bytes.length, licence: "test", citation: "test", dest };
}

function kvasirManifest(base: string, files: Record<string, Uint8Array>, zipSha: string | null): Manifest {
  const spec: ManifestDataset = {
    title: "test kvasir",
    homepage: "http://example.invalid",
    licence: "test",
    citation: "test",
    sources: [
      {
        name: "kvasir-seg.zip",
        url: `${base}/kvasir-seg.zip`,
        sha256: zipSha,
        size: null,
        note: "test",
        licence: "test",
        citation: "test",
        unpack: [
          { from: "Kvasir-SEG/images/", to: "kvasir-seg/images", suffix: ".jpg" },
          { from: "Kvasir-SEG/masks/", to: "kvasir-seg/masks", suffix: ".jpg" },
          { from: "Kvasir-SEG/kavsir_bboxes.json", to: "kvasir-seg/kavsir_bboxes.json" },
        ],
      },
      plain(
        "kvasir_fixation.csv",
        `${base}/kvasir_fixation.csv`,
        files["/kvasir_fixation.csv"],
        "gazemedseg-fixations/kvasir_fixation.csv",
      ),
      plain("train.txt", `${base}/train.txt`, files["/train.txt"], "gazemedseg-splits/Kvasir-SEG/train.txt"),
      plain("test.txt", `${base}/test.txt`, files["/test.txt"], "gazemedseg-splits/Kvasir-SEG/test.txt"),
    ],
    mirror: [
      { path: "kvasir-seg", required: true },
      { path: "gazemedseg-fixations/kvasir_fixation.csv", required: true },
      { path: "gazemedseg-splits/Kvasir-SEG", required: true },
    ],
    expect: [
      { dir: "kvasir-seg/images", suffix: ".jpg", count: 2 },
      { dir: "kvasir-seg/masks", suffix: ".jpg", count: 2 },
    ],
  };
  return { version: 1, datasets: { kvasir: spec } };
}

/** Serve `files` on 127.0.0.1; returns the base URL, a request log and a stop function. */
function serve(files: Record<string, Uint8Array>) {
  const log: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req) => {
    const path = new URL(req.url).pathname;
    log.push(path);
    const body = files[path];
    return body
      ? new Response(new Uint8Array(body), { headers: { "content-length": String(body.length) } })
      : new Response("no", { status: 404 });
  });
  return { base: `http://127.0.0.1:${server.addr.port}`, log, stop: () => server.shutdown() };
}

async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string) => {
    for await (const e of Deno.readDir(d)) {
      if (e.isDirectory) await walk(join(d, e.name), `${rel}${e.name}/`);
      else out.push(rel + e.name);
    }
  };
  await walk(dir, "");
  return out.sort();
}

Deno.test("fetch: download from a local HTTP server, unpack into the layout, verify, and skip on a rerun", async () => {
  const files = kvasirRelease();
  const srv = serve(files);
  const root = await Deno.makeTempDir();
  try {
    const manifest = kvasirManifest(srv.base, files, sha256Hex(files["/kvasir-seg.zip"]));
    const report = await fetchDataset("kvasir", { dataDir: root, manifest, quiet: true });
    assertEquals(await tree(root), [
      "downloads/kvasir-seg.zip.unpacked.json",
      "fetch-kvasir.json",
      "gazemedseg-fixations/kvasir_fixation.csv",
      "gazemedseg-splits/Kvasir-SEG/test.txt",
      "gazemedseg-splits/Kvasir-SEG/train.txt",
      "kvasir-seg/images/a.jpg",
      "kvasir-seg/images/b.jpg",
      "kvasir-seg/kavsir_bboxes.json",
      "kvasir-seg/masks/a.jpg",
      "kvasir-seg/masks/b.jpg",
    ]);
    assert(report.checks.some((c) => c.includes("opened kvasir: 1 train / 1 test")), report.checks.join("\n"));
    assert(report.checks.some((c) => c.startsWith("2 image header sizes equal")), report.checks.join("\n"));
    assert(report.checks.some((c) => c.endsWith("kvasir-seg.zip: sha256 verified")), report.checks.join("\n"));
    const prov = JSON.parse(await Deno.readTextFile(join(root, "fetch-kvasir.json")));
    assertEquals([prov.dataset, prov.mode], ["kvasir", "download"]);
    assertEquals(srv.log.filter((p) => p === "/kvasir-seg.zip").length, 1);
    const again = await fetchDataset("kvasir", { dataDir: root, manifest, quiet: true });
    assertEquals(srv.log.length, 4, "nothing is downloaded twice");
    assertEquals(again.written, 0);
  } finally {
    await srv.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fetch: a checksum mismatch, a size mismatch or HTTP 404 leaves no file behind", async () => {
  const files = kvasirRelease();
  const srv = serve(files);
  const root = await Deno.makeTempDir();
  try {
    const bad = kvasirManifest(srv.base, files, "0".repeat(64));
    await assertRejects(
      () => fetchDataset("kvasir", { dataDir: root, manifest: bad, quiet: true }),
      Error,
      `${srv.base}/kvasir-seg.zip: checksum mismatch`,
    );
    assertEquals(await tree(root), [], "no archive, no partial file, nothing unpacked");
    const csvBad = kvasirManifest(srv.base, files, null);
    csvBad.datasets.kvasir.sources[1].size = 12;
    await assertRejects(
      () => fetchDataset("kvasir", { dataDir: root, manifest: csvBad, quiet: true }),
      Error,
      "expected 12",
    );
    assert(!(await tree(root)).some((p) => p.includes("kvasir_fixation") || p.includes(".part")));
    const missing = kvasirManifest(srv.base, files, null);
    missing.datasets.kvasir.sources[0].url = `${srv.base}/gone.zip`;
    await Deno.remove(root, { recursive: true });
    await assertRejects(
      () => fetchDataset("kvasir", { dataDir: root, manifest: missing, quiet: true }),
      Error,
      "HTTP 404",
    );
    assertEquals(await tree(root), []);
  } finally {
    await srv.stop();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
});

Deno.test("fetch: an archive entry named '..something' is refused", async () => {
  const files = kvasirRelease();
  files["/kvasir-seg.zip"] = zipSync({
    "Kvasir-SEG/images/..evil.jpg": enc("x"),
    "Kvasir-SEG/images/../../escape.jpg": enc("x"),
  });
  const srv = serve(files);
  const root = await Deno.makeTempDir();
  try {
    const manifest = kvasirManifest(srv.base, files, null);
    await assertRejects(
      () => fetchDataset("kvasir", { dataDir: root, manifest, quiet: true }),
      Error,
      "not a plain name",
    );
    assert(!(await tree(root)).some((p) => p.includes("evil") || p.includes("escape")));
  } finally {
    await srv.stop();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fetch --from: a mirror with MANIFEST.sha256 is copied and verified; a tampered file is refused", async () => {
  const files = kvasirRelease();
  const mirror = await Deno.makeTempDir(), root = await Deno.makeTempDir();
  const noNet = (() => Promise.reject(new Error("network used"))) as typeof fetch;
  try {
    // lay the release out like the data root, and write its MANIFEST.sha256
    const { unzipSync } = await import("fflate");
    const entries: [string, Uint8Array][] = Object.entries(unzipSync(files["/kvasir-seg.zip"]))
      .filter(([p]) => p.endsWith(".jpg") && !p.startsWith("__"))
      .map(([p, b]) => [p.replace("Kvasir-SEG/", "kvasir-seg/"), b]);
    entries.push(["gazemedseg-fixations/kvasir_fixation.csv", files["/kvasir_fixation.csv"]]);
    entries.push(["gazemedseg-splits/Kvasir-SEG/train.txt", files["/train.txt"]]);
    entries.push(["gazemedseg-splits/Kvasir-SEG/test.txt", files["/test.txt"]]);
    for (const [p, b] of entries) {
      await Deno.mkdir(join(mirror, p, ".."), { recursive: true });
      await Deno.writeFile(join(mirror, p), b);
    }
    await Deno.writeTextFile(
      join(mirror, "MANIFEST.sha256"),
      entries.map(([p, b]) => `${sha256Hex(b)}  ./${p}\n`).join(""),
    );
    const manifest = kvasirManifest("http://127.0.0.1:9", files, null);
    const report = await fetchDataset("kvasir", { dataDir: root, from: mirror, manifest, quiet: true, fetch: noNet });
    assertEquals(report.mode, "mirror");
    assert(
      report.checks.includes(`7/7 mirror files matched ${join(mirror, "MANIFEST.sha256")}`),
      report.checks.join("\n"),
    );
    assert(report.checks.some((c) => c.includes("opened kvasir: 1 train / 1 test")));
    // the plain files just copied from the mirror are not called "already present"
    assert(!report.checks.some((c) => c.includes("already present")), report.checks.join("\n"));
    assert(report.checks.some((c) => c.includes("kvasir_fixation.csv (copied from the mirror above)")));
    assertEquals([report.written, report.unchanged, report.repaired], [7, 0, []]);
    // damage two files in the data root: a second fetch repairs exactly those, naming each and why
    await Deno.writeFile(join(root, "kvasir-seg/images/a.jpg"), new Uint8Array(0));
    const b = await Deno.readFile(join(root, "kvasir-seg/masks/b.jpg"));
    await Deno.writeFile(join(root, "kvasir-seg/masks/b.jpg"), b.subarray(0, 100));
    const again = await fetchDataset("kvasir", { dataDir: root, from: mirror, manifest, quiet: true, fetch: noNet });
    assertEquals([again.written, again.unchanged], [2, 5]);
    assertEquals(again.repaired, [
      "kvasir-seg/images/a.jpg: 0-byte file",
      `kvasir-seg/masks/b.jpg: 100 bytes, the mirror's copy has ${b.length}`,
    ]);
    assert(again.checks.some((c) => c.includes("kvasir_fixation.csv (already present)")));
    // tamper with one mirror file: refused, and that file is not written
    const root2 = await Deno.makeTempDir();
    await Deno.writeFile(join(mirror, "kvasir-seg/masks/b.jpg"), enc("tampered"));
    await assertRejects(
      () => fetchDataset("kvasir", { dataDir: root2, from: mirror, manifest, quiet: true, fetch: noNet }),
      Error,
      `${join(mirror, "kvasir-seg/masks/b.jpg")}: checksum mismatch against`,
    );
    assert(!(await tree(root2)).includes("kvasir-seg/masks/b.jpg"));
    await Deno.remove(root2, { recursive: true });
  } finally {
    await Deno.remove(mirror, { recursive: true });
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("fetch --from: a folder of downloaded archives; split lists written from archive membership (ISIC-like)", async () => {
  const img = encodeJpegRaster(rgbRaster(20, 10, (x) => 10 * x));
  const lab = encodePngRaster(rectMask(20, 10, [2, 2, 8, 8]));
  const trainZip = zipSync({
    "T_Data/ISIC_1.jpg": img,
    "T_Data/ISIC_1_superpixels.png": lab,
    "T_Data/ISIC_2.jpg": img,
    "T_GT/ISIC_1_segmentation.png": lab,
    "T_GT/ISIC_2_segmentation.png": lab,
  });
  const testZip = zipSync({ "V_Data/ISIC_3.jpg": img, "V_GT/ISIC_3_segmentation.png": lab });
  const folder = await Deno.makeTempDir(), root = await Deno.makeTempDir();
  try {
    await Deno.writeFile(join(folder, "train.zip"), trainZip);
    await Deno.writeFile(join(folder, "test.zip"), testZip);
    const src = (name: string, bytes: Uint8Array, split: "train" | "test", d: string, g: string): ManifestSource => ({
      name,
      url: `http://127.0.0.1:9/${name}`,
      sha256: sha256Hex(bytes),
      size: bytes.length,
      licence: "t",
      citation: "t",
      unpack: [
        { from: `${d}/`, to: "isic/images", suffix: ".jpg", split },
        { from: `${g}/`, to: "isic/labels", suffix: "_segmentation.png" },
      ],
    });
    const manifest: Manifest = {
      version: 1,
      datasets: {
        isic: {
          title: "t",
          homepage: "http://example.invalid",
          licence: "t",
          citation: "t",
          splits: "gazemedseg-splits/ISIC",
          sources: [
            src("train.zip", trainZip, "train", "T_Data", "T_GT"),
            src("test.zip", testZip, "test", "V_Data", "V_GT"),
          ],
          mirror: [{ path: "isic", required: true }, { path: "gazemedseg-splits/ISIC", required: true }],
          expect: [
            { dir: "isic/images", suffix: ".jpg", count: 3 },
            { dir: "isic/labels", suffix: "_segmentation.png", count: 3 },
          ],
        },
      },
    };
    const report = await fetchDataset("isic", { dataDir: root, from: folder, manifest, quiet: true });
    assertEquals(await Deno.readTextFile(join(root, "gazemedseg-splits/ISIC/train.txt")), "ISIC_1\nISIC_2\n");
    assertEquals(await Deno.readTextFile(join(root, "gazemedseg-splits/ISIC/test.txt")), "ISIC_3\n");
    assert(report.checks.some((c) => c.includes("opened isic: 2 train / 1 test")), report.checks.join("\n"));
    assert(!(await tree(root)).some((p) => p.includes("superpixels")));
  } finally {
    await Deno.remove(folder, { recursive: true });
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "fetch --from the real mirror: Kvasir copied, checksums, tree digest and all 1000 sizes verified",
  ignore: withoutRealData("fetch: real mirror"),
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      const report = await fetchDataset("kvasir", { dataDir: root, from: realDataRoot()!, quiet: true });
      assertEquals(report.warnings, []);
      assert(report.checks.includes("tree digest of kvasir-seg/images, kvasir-seg/masks matches the manifest"));
      assert(report.checks.some((c) => c.startsWith("1000 image header sizes equal")));
      assert(report.checks.some((c) => c.startsWith("opened kvasir: 900 train / 100 test")));
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "fetch-data task: nci-isbi from the mirror copies the samples and prints the TCIA steps",
  ignore: withoutRealData("fetch-data task"),
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      const task = new URL("../../tasks/fetch_data.ts", import.meta.url).pathname;
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", task, "nci-isbi", "--data-dir", root, "--from", realDataRoot()!, "--quiet"],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      assert(text.includes("Manual steps for nci-isbi"), text);
      assert(text.includes("<PatientID>_<InstanceNumber>.dcm"), text);
      assert((await tree(root)).includes("nci-isbi-dicom-samples/Prostate3T-01-0001_13.dcm"));
      const bad = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", task, "nope", "--data-dir", root],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(bad.code, 1);
      assert(new TextDecoder().decode(bad.stderr).includes("expected one dataset name"));
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
