/**
 * The shared machinery of the file-backed loaders (Kvasir-SEG, NCI-ISBI, ISIC):
 * split lists, checks at open time that every listed id has its files, and
 * per-sample decoding with size checks. Each loader supplies its layout and its
 * two decoders.
 *
 * @module
 */
import { join } from "node:path";
import { assertPlainId } from "./data_root.ts";
import type { DatasetLayout } from "./layout.ts";
import type { Raster } from "./raster.ts";
import { type ListedId, readSplitList } from "./split_list.ts";
import type { Dataset, DatasetName, Sample, SampleInfo, Split } from "./types.ts";

/** What a loader's image decoder returns. */
export interface DecodedImage {
  /** Pixels at original size. */
  image: Raster;
  /** Pixel spacing in mm [row, column], when the file says. */
  spacing?: [number, number];
}

/** Options for {@link openFileDataset}. */
export interface FileDatasetOptions {
  /** Dataset name. */
  name: DatasetName;
  /** Image channels (3 RGB, 1 MRI). */
  channels: 1 | 3;
  /** Data root (absolute). */
  root: string;
  /** Folders and suffixes relative to the root. */
  layout: DatasetLayout;
  /** Decode image bytes; throw naming `file` when they are bad. */
  decodeImage(bytes: Uint8Array, file: string): DecodedImage;
  /** Decode mask bytes to a 0/1 uint8 raster; throw naming `file` when they are bad. */
  decodeMask(bytes: Uint8Array, file: string): Raster<Uint8Array>;
  /** `required` (default): every listed id needs a mask; `optional`: a missing mask gives `mask: null`. */
  masks?: "required" | "optional";
  /**
   * `error` (default): an id in a split list without its image (or required mask) is an error;
   * `skip`: such ids are left out, with one note on stderr (e.g. for the two-slice NCI-ISBI sample folder).
   */
  missing?: "error" | "skip";
  /** Silence the note printed for skipped ids. */
  quiet?: boolean;
}

async function listFolder(path: string, what: string, name: string): Promise<Set<string>> {
  const names = new Set<string>();
  try {
    for await (const e of Deno.readDir(path)) if (e.isFile || e.isSymlink) names.add(e.name);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new Error(
        `${path}: missing ${what} folder for dataset '${name}' (run \`deno task fetch-data ${name}\` or set --data-dir)`,
      );
    }
    throw new Error(`${path}: cannot read ${what} folder (${(err as Error).message})`);
  }
  return names;
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new Error(`${path}: ${what} file not found`);
    throw new Error(`${path}: cannot read ${what} file (${(err as Error).message})`);
  }
}

/**
 * Open a file-backed dataset: read `train.txt` and `test.txt`, check the image
 * (and mask) folders exist and hold a file for every listed id, and return a
 * {@link Dataset} whose `load` decodes one sample at original size.
 *
 * Errors name the file (and `list:line` for ids): missing folder, missing split
 * list, an id with a path separator or `..`, a listed id without its image or
 * mask, a corrupt or truncated file, a mask whose size differs from its image.
 */
export async function openFileDataset(options: FileDatasetOptions): Promise<Dataset> {
  const { name, root, layout, masks = "required", missing = "error" } = options;
  const imageDir = join(root, layout.images), maskDir = join(root, layout.masks);
  const imageNames = await listFolder(imageDir, "image", name);
  let maskNames: Set<string> | undefined;
  try {
    maskNames = await listFolder(maskDir, "mask", name);
  } catch (err) {
    if (masks === "required") throw err;
  }
  const splits: Record<Split, string[]> = { train: [], test: [] };
  const known = new Set<string>();
  const skipped: string[] = [];
  for (const split of ["train", "test"] as Split[]) {
    const listFile = join(root, layout.splits, `${split}.txt`);
    const listed: ListedId[] = await readSplitList(listFile);
    for (const { id, line } of listed) {
      const hasImage = imageNames.has(id + layout.imageSuffix);
      const hasMask = maskNames?.has(id + layout.maskSuffix) ?? false;
      let problem: string | undefined;
      if (!hasImage) problem = `has no image ${join(imageDir, id + layout.imageSuffix)}`;
      else if (!hasMask && masks === "required") problem = `has no mask ${join(maskDir, id + layout.maskSuffix)}`;
      if (problem) {
        if (missing === "error") throw new Error(`${listFile}:${line}: id '${id}' ${problem}`);
        skipped.push(`${split}:${id}`);
        continue;
      }
      splits[split].push(id);
      known.add(id);
    }
  }
  if (skipped.length && !options.quiet) {
    console.error(
      `${name}: ${skipped.length} listed ids have no files under ${imageDir} and were left out ` +
        `(kept ${splits.train.length} train, ${splits.test.length} test)`,
    );
  }

  const imagePath = (id: string) => join(imageDir, id + layout.imageSuffix);
  const maskPath = (id: string) => join(maskDir, id + layout.maskSuffix);
  const hasMask = (id: string) => maskNames?.has(id + layout.maskSuffix) ?? false;

  return {
    name,
    channels: options.channels,
    root,
    ids: (split: Split) => {
      if (split !== "train" && split !== "test") throw new Error(`${name}: unknown split '${split}'`);
      return [...splits[split]];
    },
    sourceFiles: (id: string) => {
      assertPlainId(id, `${name} id`);
      return hasMask(id) ? [imagePath(id), maskPath(id)] : [imagePath(id)];
    },
    async load(id: string): Promise<Sample> {
      assertPlainId(id, `${name}.load`);
      if (!known.has(id) && !imageNames.has(id + layout.imageSuffix)) {
        throw new Error(`${name}: unknown id '${id}' (not in the split lists and no file ${imagePath(id)})`);
      }
      const file = imagePath(id);
      const { image, spacing } = options.decodeImage(await readBytes(file, "image"), file);
      let mask: Raster<Uint8Array> | null = null;
      if (hasMask(id)) {
        const mfile = maskPath(id);
        mask = options.decodeMask(await readBytes(mfile, "mask"), mfile);
        if (mask.width !== image.width || mask.height !== image.height) {
          throw new Error(
            `${mfile}: mask is ${mask.width}x${mask.height} but its image ${file} is ${image.width}x${image.height}`,
          );
        }
      } else if (masks === "required") {
        throw new Error(`${maskPath(id)}: mask file not found`);
      }
      const info: SampleInfo = { dataset: name, width: image.width, height: image.height, source: file };
      if (spacing) info.spacing = spacing;
      return { id, image, mask, info };
    },
  };
}
