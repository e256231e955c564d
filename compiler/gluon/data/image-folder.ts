/**
 * MXNet's `gluon.data.vision.ImageFolderDataset`: the images of a folder
 * laid out as `root/<class>/<file>`, labelled by class (d2l's fine-tuning
 * and Kaggle chapters read their data this way).
 *
 * Invariants: classes are the sub-folders of `root` in sorted order
 * (`synsets`), labels their indices; each class's files are read in sorted
 * order and only `.jpg`, `.jpeg` and `.png` ones (any case) are kept, the
 * others (and files directly in `root`) skipped with a warning, as MXNet
 * does (`~` in `root` is the home folder); a sample is read from disk when asked for (`imread` with the
 * dataset's `flag`), then given to `transform(image, label)` if set.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { NDArray } from '../../engine/ndarray.js';
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
