/**
 * MXNet's `gluon.data.vision.ImageFolderDataset`: the images of a folder
 * laid out as `root/<class>/<file>`, labelled by class (d2l's fine-tuning
 * and Kaggle chapters read their data this way); and `ImageListDataset`:
 * images listed with their labels in an im2rec `.lst` file or a list.
 *
 * Invariants: classes are the sub-folders of `root` in sorted order
 * (`synsets`), labels their indices; each class's files are read in sorted
 * order and only `.jpg`, `.jpeg` and `.png` ones (any case) are kept, the
 * others (and files directly in `root`) skipped with a warning, as MXNet
 * does (`~` in `root` is the home folder); a sample is read from disk when asked for (`imread` with the
 * dataset's `flag`), then given to `transform(image, label)` if set.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { NDArray } from '../../engine/ndarray.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { Dataset } from './dataset.js';
import { imread } from './image.js';
import { expandUser } from './vision-datasets.js';

const EXTENSIONS = ['.jpg', '.jpeg', '.png'];

/**
 * A dataset of `[image, label]` from `root/<class>/<image file>`.
 *
 * ```ts
 * const train = new gluon.data.vision.ImageFolderDataset('data/hotdog/train');
 * train.synsets;                 // ['hotdog', 'not-hotdog']
 * const [img, label] = train.get(0); // uint8 [H, W, 3], 0
 * ```
 */
export class ImageFolderDataset extends Dataset<unknown> {
  /** The class names, sorted: label `i` is `synsets[i]`. */
  readonly synsets: string[] = [];
  /** `[file, label]` of every image, in reading order. */
  readonly items: [string, number][] = [];
  readonly flag: number;
  private readonly fn: ((img: NDArray, label: number) => unknown) | null;

  constructor(
    ...args: KwArgs<['root', 'flag?', 'transform?'], [root: string, flag?: number, transform?: ((img: NDArray, label: number) => unknown) | null], {}>
  ) {
    super();
    const [[root, flag = 1, transform = null]] = bindArgs<[string, number?, (((img: NDArray, label: number) => unknown) | null)?], {}>(
      'ImageFolderDataset',
      ['root', 'flag?', 'transform?'],
      args,
      [],
    );
    if (typeof root !== 'string') throw new Error(`ImageFolderDataset: root must be a folder path, got ${showValue(root)}`);
    if (flag !== 0 && flag !== 1) throw new Error(`ImageFolderDataset: flag must be 1 (colour) or 0 (grayscale), got ${showValue(flag)}`);
    if (transform !== null && typeof transform !== 'function') throw new Error(`ImageFolderDataset: transform must be a function (image, label) => sample, got ${showValue(transform)}`);
    this.flag = flag;
    this.fn = transform;
    let entries: string[];
    const dirRoot = expandUser(root);
    try {
      entries = readdirSync(dirRoot).sort();
    } catch (e) {
      throw new Error(`ImageFolderDataset: cannot list the folder '${root}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    for (const folder of entries) {
      const dir = path.join(dirRoot, folder);
      if (!statSync(dir).isDirectory()) {
        process.emitWarning(`ImageFolderDataset: ignoring ${dir}, which is not a directory.`, 'GluoncWarning');
        continue;
      }
      const label = this.synsets.length;
      this.synsets.push(folder);
      for (const name of readdirSync(dir).sort()) {
        const file = path.join(dir, name);
        const ext = path.extname(name);
        if (!EXTENSIONS.includes(ext.toLowerCase())) {
          process.emitWarning(`ImageFolderDataset: ignoring ${file} of type ${ext || '(none)'}. Only support ${EXTENSIONS.join(', ')}`, 'GluoncWarning');
          continue;
        }
        this.items.push([file, label]);
      }
    }
  }

  get length(): number {
    return this.items.length;
  }

  get(i: number): unknown {
    this.checkIndex(i);
    const [file, label] = this.items[i]!;
    const img = imread(file, this.flag);
    return this.fn ? this.fn(img, label) : [img, label];
  }
}

/** Python's `os.path.join(root, file)`: an absolute `file` stands alone. Example: `joinRoot('data', 'a.jpg')`. */
export function joinRoot(root: string, file: string): string {
  return path.isAbsolute(file) ? file : path.join(root, file);
}

/**
 * The lines `index<TAB>label(s)<TAB>path` of an im2rec `.lst` file as
 * `[index, labels, path]` (`what` names the caller in errors).
 * Example: `readImageList('ImageIter', 'data/train.lst')`.
 */
export function readImageList(what: string, file: string): [number, number[], string][] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${what}: cannot read the list '${file}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const out: [number, number[], string][] = [];
  text.split('\n').forEach((raw, n) => {
    const line = raw.trim();
    if (!line) return;
    const cols = line.split('\t');
    const labels = cols.slice(1, -1).map(Number);
    if (cols.length < 3 || !Number.isInteger(Number(cols[0])) || labels.some((v) => !Number.isFinite(v))) {
      throw new Error(`${what}: '${file}' line ${n + 1} is not 'index<TAB>label(s)<TAB>path': ${JSON.stringify(raw)}`);
    }
    out.push([Number(cols[0]), labels, cols.at(-1)!]);
  });
  return out;
}

/**
 * Images listed with their labels (MXNet's `ImageListDataset(root, imglist,
 * flag)`): `imglist` is an im2rec `.lst` file under `root` (lines `index,
 * label(s)..., path`, tab-separated) or a list of `[label..., path]`
 * entries; samples are `[image, label float32 NDArray]`, images read with
 * `flag` from `root/path`.
 *
 * ```ts
 * const ds = new gluon.data.vision.ImageListDataset('data', 'train.lst');
 * const [img, label] = ds.get(0) as [nd.NDArray, nd.NDArray];
 * ```
 */
export class ImageListDataset extends Dataset<unknown> {
  readonly root: string;
  readonly flag: number;
  /** `[labels, relative path]` of every image, in the list's order. */
  readonly items: [number[], string][] = [];

  constructor(...args: KwArgs<['root?', 'imglist?', 'flag?'], [root?: string, imglist?: string | (number | string | number[])[][] | null, flag?: number], {}>) {
    super();
    const [[root = '.', imglist = null, flag = 1]] = bindArgs<[string?, (string | (number | string | number[])[][] | null)?, number?], {}>('ImageListDataset', ['root?', 'imglist?', 'flag?'], args, []);
    if (typeof root !== 'string') throw new Error(`ImageListDataset: root must be a folder path, got ${showValue(root)}`);
    if (flag !== 0 && flag !== 1) throw new Error(`ImageListDataset: flag must be 1 (colour) or 0 (grayscale), got ${showValue(flag)}`);
    this.root = expandUser(root);
    this.flag = flag;
    if (typeof imglist === 'string') {
      for (const [, labels, file] of readImageList('ImageListDataset', path.join(this.root, imglist))) this.items.push([labels, file]);
    } else if (Array.isArray(imglist)) {
      imglist.forEach((entry, k) => {
        const p = Array.isArray(entry) ? entry.at(-1) : undefined;
        if (typeof p !== 'string') throw new Error(`ImageListDataset: imglist entry ${k} must be [label..., path] ending with the image's path, got ${showValue(entry)}`);
        // MXNet: several leading numbers are the labels; one entry may also be a list of them.
        const labels = (entry.length > 2 ? entry.slice(0, -1) : Array.isArray(entry[0]) ? entry[0] : [entry[0]]) as unknown[];
        if (!labels.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new Error(`ImageListDataset: imglist entry ${k}'s labels must be numbers, got ${showValue(entry)}`);
        this.items.push([labels as number[], p]);
      });
    } else {
      throw new Error(`ImageListDataset: imglist must be a .lst file name (under root) or a list of [label..., path], got ${showValue(imglist)}`);
    }
  }

  get length(): number {
    return this.items.length;
  }

  get(i: number): unknown {
    this.checkIndex(i);
    const [labels, file] = this.items[i]!;
    return [imread(joinRoot(this.root, file), this.flag), new NDArray({ dtype: 'float32', shape: [labels.length], data: Float32Array.from(labels) })];
  }
}
