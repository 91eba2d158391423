/**
 * `deno task fetch-data` logic: put a dataset into the data-root layout, either
 * by downloading its official sources (data/manifest.json) or, offline, from a
 * local folder (`--from DIR`) that is a mirror laid out like the data root
 * (e.g. ../shared/data) and/or holds the downloaded archives by their file names.
 *
 * Every file is written atomically. Downloads are checked against the recorded
 * size and SHA-256 (when the manifest has them; a mismatch leaves nothing
 * behind); mirror files against the mirror's `MANIFEST.sha256` when it has one.
 * Afterwards the result is verified: file counts, the tree digest of known-good
 * files (reported; a mismatch is a warning, because an archive with an unknown
 * checksum may legitimately have been re-packed), opening the dataset (every
 * listed id has its files) and, where a fixation CSV exists, every image's
 * header size against the CSV's IMAGE_WIDTH/IMAGE_HEIGHT. A provenance record
 * goes to `<root>/fetch-<dataset>.json`.
 *
 * @module
 */
import { parseCsv } from "./csv.ts";
import { join, relative, resolve } from "node:path";
import { atomicWrite, exists } from "../core/atomic_write.ts";
import { progressBar } from "../core/progress.ts";
import { provenance } from "../core/provenance.ts";
import { hashTree, parseSha256Manifest, sha256File, sha256Hex, treeDigest } from "./checksum.ts";
import { downloadFile } from "./download.ts";
import { readImageSizeFile } from "./image_size.ts";
import { DATASET_LAYOUTS } from "./layout.ts";
import { type Manifest, type ManifestDataset, type ManifestSource, readManifest } from "./manifest.ts";
import { openDataset } from "./open_dataset.ts";
import type { DatasetName, Split } from "./types.ts";
import { unzipFile } from "./unzip.ts";

/** Options for {@link fetchDataset}. */
export interface FetchOptions {
  /** Data root to fill (created when absent). */
  dataDir: string;
  /** Local mirror / archive folder to copy from instead of downloading. */
  from?: string;
  /** Manifest to use (default: data/manifest.json). */
  manifest?: Manifest;
  /** Keep downloaded archives in `<root>/downloads/` after unpacking (default false). */
  keepArchives?: boolean;
  /** Unpack archives again even when their target folders are filled (default false). */
  force?: boolean;
  /** No progress output. */
  quiet?: boolean;
  /** fetch implementation for downloads (tests); default globalThis.fetch. */
  fetch?: typeof fetch;
}

/** What {@link fetchDataset} did. */
export interface FetchReport {
  /** Dataset name. */
  dataset: string;
  /** `download` or `mirror`. */
  mode: "download" | "mirror";
  /** Data root written. */
  root: string;
  /** Files written (relative to the root). */
  written: number;
  /** Files already present and identical (not rewritten). */
  unchanged: number;
  /**
   * Files that were present in the data root but damaged, and were replaced by the mirror's copy:
   * `<path relative to the root>: <why>` (e.g. "0-byte file", "1234 bytes, the mirror's copy has 5678",
   * "same size, different content"). Counted in `written`.
   */
  repaired: string[];
  /** Lines saying what was verified and how. */
  checks: string[];
  /** Warnings (e.g. checksums that could not be checked). */
  warnings: string[];
  /** Manual steps still to do (printed by the task), empty when none. */
  manual: string[];
}

/** How the file at `path` differs from `bytes`: null when identical, "missing", or what is wrong with it. */
async function howDifferent(path: string, bytes: Uint8Array): Promise<string | null> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.stat(path);
  } catch {
    return "missing";
  }
  if (!st.isFile) return `not a regular file`;
  if (st.size === 0 && bytes.length > 0) return "0-byte file";
  if (st.size !== bytes.length) return `${st.size} bytes, the mirror's copy has ${bytes.length}`;
  const got = sha256Hex(await Deno.readFile(path));
  return got === sha256Hex(bytes) ? null : `same size, different content (sha256 ${got.slice(0, 12)}...)`;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p);
      else if (e.isFile) out.push(p);
    }
  };
  await walk(dir);
  return out.sort();
}

/** Copy the mirror paths of `spec` from `from` into `root`, verified against `from/MANIFEST.sha256` when present. */
async function copyMirror(
  spec: ManifestDataset,
  from: string,
  root: string,
  report: FetchReport,
  options: { quiet?: boolean; copied: Set<string> },
) {
  const { quiet } = options;
  const manifestPath = join(from, "MANIFEST.sha256");
  const sums = (await exists(manifestPath))
    ? parseSha256Manifest(await Deno.readTextFile(manifestPath), manifestPath)
    : undefined;
  if (!sums) report.warnings.push(`${manifestPath} not found: mirror files copied without checksum verification`);
  const files: string[] = [];
  for (const { path } of spec.mirror) {
    const src = join(from, path);
    let st: Deno.FileInfo;
    try {
      st = await Deno.stat(src);
    } catch {
      continue; // required paths are checked after everything was copied
    }
    if (st.isDirectory) files.push(...await listFiles(src));
    else files.push(src);
  }
  const bar = progressBar(Math.max(1, files.length), { label: `copy ${report.dataset}`, quiet });
  let verified = 0;
  for (const src of files) {
    const rel = relative(from, src).split("\\").join("/");
    const bytes = await Deno.readFile(src);
    const want = sums?.get(rel);
    if (want) {
      const got = sha256Hex(bytes);
      if (got !== want) {
        throw new Error(`${src}: checksum mismatch against ${manifestPath} (sha256 ${got}, expected ${want})`);
      }
      verified++;
    } else if (sums) {
      report.warnings.push(`${src}: not listed in ${manifestPath}; copied unverified`);
    }
    const dest = join(root, rel);
    const why = await howDifferent(dest, bytes);
    if (why === null) report.unchanged++;
    else {
      await atomicWrite(dest, bytes);
      report.written++;
      options.copied.add(dest);
      if (why !== "missing") report.repaired.push(`${rel}: ${why}`);
    }
    bar.tick();
  }
  bar.stop();
  if (files.length) {
    report.checks.push(
      sums
        ? `${verified}/${files.length} mirror files matched ${manifestPath}`
        : `${files.length} mirror files copied (no MANIFEST.sha256 in the mirror)`,
    );
  }
}

/** Make a source's archive (or plain file) available: reuse a verified copy, take it from `from`, or download it. */
async function obtain(
  source: ManifestSource,
  target: string,
  options: FetchOptions,
  report: FetchReport,
  copied: ReadonlySet<string> = new Set(),
): Promise<"present" | "obtained" | "absent"> {
  const check = async (path: string): Promise<string | undefined> => {
    const st = await Deno.stat(path);
    if (source.size !== null && st.size !== source.size) return `${st.size} bytes, expected ${source.size}`;
    if (source.sha256) {
      const got = await sha256File(path);
      if (got !== source.sha256) return `sha256 ${got}, expected ${source.sha256}`;
    }
    return undefined;
  };
  const verifiedLine = (what: string) =>
    source.sha256
      ? `${what}: sha256 verified`
      : source.size !== null
      ? `${what}: size verified (no sha256 recorded: ${source.note})`
      : `${what}: no checksum or size recorded (${source.note})`;
  if (await exists(target)) {
    const bad = await check(target);
    if (!bad) {
      report.checks.push(
        verifiedLine(`${target} (${copied.has(target) ? "copied from the mirror above" : "already present"})`),
      );
      return "present";
    }
    if (options.from !== undefined && !(await exists(join(options.from, source.name)))) {
      throw new Error(`${target}: does not match the manifest entry for ${source.url} (${bad})`);
    }
    report.repaired.push(`${relative(report.root, target)}: ${bad} (did not match the manifest; replaced)`);
  }
  if (options.from !== undefined) {
    const local = join(options.from, source.name);
    if (!(await exists(local))) return "absent";
    const bad = await check(local);
    if (bad) throw new Error(`${local}: does not match the manifest entry for ${source.url} (${bad})`);
    await atomicWrite(target, await Deno.readFile(local));
    report.written++;
    report.checks.push(verifiedLine(local));
    if (!source.sha256) report.warnings.push(`${source.name}: ${source.note}`);
    return "obtained";
  }
  await downloadFile(source.url, target, {
    sha256: source.sha256,
    size: source.size,
    label: source.name,
    quiet: options.quiet,
    fetch: options.fetch,
  });
  report.written++;
  report.checks.push(verifiedLine(source.url));
  if (!source.sha256) report.warnings.push(`${source.name}: ${source.note}`);
  return "obtained";
}

/** Marker written after an archive was unpacked: `<root>/downloads/<name>.unpacked.json`. */
interface UnpackMarker {
  /** Ids per split recorded by the archive's rules. */
  ids: Record<Split, string[]>;
  /** Files written. */
  files: number;
}

const markerPath = (root: string, source: ManifestSource) => join(root, "downloads", `${source.name}.unpacked.json`);

/**
 * Whether an archive's contents are already in place: its unpack marker exists,
 * or every folder it fills already holds the count the manifest expects.
 * Returns the marker when there is one (for its split ids).
 */
async function archiveDone(
  source: ManifestSource,
  spec: ManifestDataset,
  root: string,
): Promise<{ done: boolean; marker?: UnpackMarker }> {
  try {
    return { done: true, marker: JSON.parse(await Deno.readTextFile(markerPath(root, source))) };
  } catch { /* no marker */ }
  for (const rule of source.unpack ?? []) {
    if (!rule.from.endsWith("/")) continue;
    const e = spec.expect?.find((x) => x.dir === rule.to && (!rule.suffix || x.suffix === rule.suffix));
    if (!e) return { done: false };
    let n = 0;
    try {
      for await (const f of Deno.readDir(join(root, e.dir))) if (f.isFile && f.name.endsWith(e.suffix)) n++;
    } catch {
      return { done: false };
    }
    if (n !== e.count) return { done: false };
  }
  return { done: true };
}

/** Header size of every CSV-listed image against IMAGE_WIDTH/IMAGE_HEIGHT (JPEG/PNG datasets only). */
async function checkSizesAgainstCsv(name: DatasetName, root: string, report: FetchReport): Promise<void> {
  if (name === "synthetic") return;
  const layout = DATASET_LAYOUTS[name];
  if (!layout.fixations || layout.imageSuffix === ".dcm") return;
  const csvPath = join(root, layout.fixations);
  if (!(await exists(csvPath)) || !(await exists(join(root, layout.images)))) return;
  const rows = parseCsv<Record<string, string>>(await Deno.readTextFile(csvPath), {
    columns: true,
    skip_empty_lines: true,
  });
  const sizes = new Map<string, [number, number]>();
  for (const r of rows) sizes.set(r.IMAGE.replace(/\.[^.]+$/, ""), [Number(r.IMAGE_WIDTH), Number(r.IMAGE_HEIGHT)]);
  let n = 0;
  for (const [id, [w, h]] of sizes) {
    const file = join(root, layout.images, id + layout.imageSuffix);
    const s = await readImageSizeFile(file);
    if (s.width !== w || s.height !== h) {
      throw new Error(`${file}: image is ${s.width}x${s.height} but ${csvPath} says ${w}x${h}`);
    }
    n++;
  }
  report.checks.push(`${n} image header sizes equal IMAGE_WIDTH/IMAGE_HEIGHT of ${csvPath}`);
}

/**
 * Fetch dataset `name` (`kvasir`, `nci-isbi` or `isic`) into `options.dataDir`.
 * Throws naming the file/URL and what was wrong; see the module doc for checks.
 */
export async function fetchDataset(name: string, options: FetchOptions): Promise<FetchReport> {
  const manifest = options.manifest ?? await readManifest();
  const spec = manifest.datasets[name];
  if (!spec) {
    throw new Error(`unknown dataset '${name}' (the manifest has ${Object.keys(manifest.datasets).join(", ")})`);
  }
  const root = resolve(options.dataDir);
  const from = options.from === undefined ? undefined : resolve(options.from);
  if (from !== undefined && !(await exists(from))) throw new Error(`${from}: --from folder not found`);
  await Deno.mkdir(root, { recursive: true });
  const report: FetchReport = {
    dataset: name,
    mode: from === undefined ? "download" : "mirror",
    root,
    written: 0,
    unchanged: 0,
    repaired: [],
    checks: [],
    warnings: [],
    manual: [],
  };
  const splitIds: Record<Split, string[]> = { train: [], test: [] };
  let splitsKnown = true;
  const downloads = join(root, "downloads");

  const copied = new Set<string>();
  if (from !== undefined && from !== root) await copyMirror(spec, from, root, report, { quiet: options.quiet, copied });
  for (const source of spec.sources) {
    if (source.dest) {
      // a plain file the mirror may already have supplied
      const target = join(root, source.dest);
      const got = await obtain(source, target, { ...options, from }, report, copied);
      if (got === "absent" && !(await exists(target))) {
        throw new Error(`${join(from!, source.dest)}: not in the mirror (nor ${source.name}); expected ${source.url}`);
      }
      continue;
    }
    // an archive: skip it when its contents are already in place (mirror or an earlier run)
    const needsIds = source.unpack!.some((r) => r.split);
    const prior = options.force ? { done: false } : await archiveDone(source, spec, root);
    if (prior.done) {
      report.checks.push(`${source.name}: contents already in place, not unpacked again (force to redo)`);
      if (needsIds && prior.marker) {
        for (const s of ["train", "test"] as Split[]) splitIds[s].push(...prior.marker.ids[s]);
      } else if (needsIds) splitsKnown = false;
      continue;
    }
    const archive = join(downloads, source.name);
    const got = await obtain(source, archive, { ...options, from }, report);
    if (got === "absent") {
      if (needsIds) splitsKnown = false;
      continue; // the required-path check below reports what is missing
    }
    const res = await unzipFile(archive, root, { rules: source.unpack!, quiet: options.quiet });
    report.written += res.files.length;
    source.unpack!.forEach((rule, i) => {
      if (res.perRule[i] === 0) {
        throw new Error(`${archive}: no entry matched '${rule.from}' (unexpected archive layout)`);
      }
    });
    for (const s of ["train", "test"] as Split[]) splitIds[s].push(...res.ids[s]);
    const marker: UnpackMarker = { ids: res.ids, files: res.files.length };
    await atomicWrite(markerPath(root, source), JSON.stringify(marker) + "\n");
    report.checks.push(`${archive}: unpacked ${res.files.length} files`);
    if (!options.keepArchives) await Deno.remove(archive);
  }
  const splitSources = spec.sources.filter((x) => x.unpack?.some((r) => r.split));
  if (spec.splits && splitSources.length && !splitsKnown) {
    if (!(await exists(join(root, spec.splits, "train.txt")))) {
      report.warnings.push(`split lists not written: ids of some archives are unknown (rerun with force)`);
    }
  } else if (spec.splits && splitSources.length) {
    for (const s of ["train", "test"] as Split[]) {
      const file = join(root, spec.splits, `${s}.txt`);
      await atomicWrite(file, splitIds[s].sort().join("\n") + "\n");
      report.checks.push(`${file}: wrote ${splitIds[s].length} ids (from the archives' ${s} set)`);
    }
  }
  for (const m of spec.mirror) {
    if (m.required && !(await exists(join(root, m.path)))) {
      throw new Error(
        `${join(root, m.path)} is missing after fetching '${name}'` +
          (from !== undefined
            ? `: ${join(from, m.path)} is not in the mirror and no archive supplied it` +
              (spec.sources.some((x) => x.unpack)
                ? ` (put ${spec.sources.filter((x) => x.unpack).map((x) => x.name).join(", ")} into ${from}, ` +
                  `downloaded from ${spec.homepage})`
                : "")
            : ""),
      );
    }
  }
  for (const e of spec.expect ?? []) {
    const dir = join(root, e.dir);
    let n = 0;
    if (await exists(dir)) { for await (const f of Deno.readDir(dir)) if (f.isFile && f.name.endsWith(e.suffix)) n++; }
    if (n !== e.count) throw new Error(`${dir}: holds ${n} *${e.suffix} files, expected ${e.count}`);
    report.checks.push(`${dir}: ${n} *${e.suffix} files as expected`);
  }
  if (spec.tree && await Promise.all(spec.tree.dirs.map((d) => exists(join(root, d)))).then((a) => a.every(Boolean))) {
    const digest = treeDigest(await hashTree(root, spec.tree.dirs));
    if (digest === spec.tree.sha256) {
      report.checks.push(`tree digest of ${spec.tree.dirs.join(", ")} matches the manifest`);
    } else {report.warnings.push(
        `tree digest of ${spec.tree.dirs.join(", ")} is ${digest}, manifest has ${spec.tree.sha256} (${
          spec.tree.note ?? ""
        })`,
      );}
  }
  const dsName = name as DatasetName;
  const layout = dsName !== "synthetic" ? DATASET_LAYOUTS[dsName] : undefined;
  if (layout && await exists(join(root, layout.images))) {
    const ds = await openDataset(dsName, { root, quiet: true });
    report.checks.push(
      `opened ${name}: ${ds.ids("train").length} train / ${ds.ids("test").length} test ids, each with its files`,
    );
    await checkSizesAgainstCsv(dsName, root, report);
  } else if (spec.manual?.length) {
    report.manual.push(...spec.manual);
  }
  await atomicWrite(
    join(root, `fetch-${name}.json`),
    JSON.stringify(
      provenance({
        dataset: name,
        mode: report.mode,
        from: from ?? spec.sources.map((s) => s.url),
        checks: report.checks,
        warnings: report.warnings,
        licence: spec.licence,
        citation: spec.citation,
      }),
      null,
      2,
    ) + "\n",
  );
  return report;
}
