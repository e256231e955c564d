/**
 * MXNet's datasets over RecordIO files: `gluon.data.RecordFileDataset`
 * (each record's bytes, by the `.idx` next to the `.rec`) and
 * `gluon.data.vision.ImageRecordDataset` (`[image, label]` from records
 * that `im2rec.py` or `recordio.packImg` wrote).
 *
 * Invariants: the index is `filename` with its extension replaced by
 * `.idx`, as MXNet's; sample `i` is the record of the index's `i`-th key;
 * images decode as `image.imdecode(bytes, flag)` (RGB), labels are the
 * header's (a number, or a Float32Array for list labels).
 */
import path from 'node:path';
import type { NDArray } from '../../engine/ndarray.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { Dataset } from './dataset.js';
import { decodeImage } from './image-decode.js';
import { MXIndexedRecordIO, unpack } from './recordio.js';

/**
 * The records of a `.rec` file, by its `.idx` index (MXNet's `RecordFileDataset`).
 *
 * ```ts
 * const ds = new gluon.data.RecordFileDataset('train.rec'); // reads train.idx too
 * const bytes = ds.get(0);
 * ```
 */
export class RecordFileDataset extends Dataset<unknown> {
  readonly filename: string;
  readonly idxFile: string;
  protected readonly record: MXIndexedRecordIO;

  constructor(...args: KwArgs<['filename'], [filename: string], {}>) {
    super();
    const [[filename]] = bindArgs<[string], {}>(new.target.name, ['filename'], args, []);
    if (typeof filename !== 'string') throw new Error(`${new.target.name}: filename must be the .rec file's path, got ${showValue(filename)}`);
    this.filename = filename;
    const ext = path.extname(filename);
    this.idxFile = (ext ? filename.slice(0, -ext.length) : filename) + '.idx';
    this.record = new MXIndexedRecordIO(this.idxFile, filename, 'r');
  }

  get length(): number {
    return this.record.keys.length;
  }

  get(i: number): unknown {
    this.checkIndex(i);
    return this.record.readIdx(this.record.keys[i]!);
  }
}

/**
 * `[image, label]` from an image record file (MXNet's `ImageRecordDataset`):
 * the image decoded with `flag` (1 RGB, 0 gray), then `transform(image,
 * label)` if given.
 *
 * ```ts
 * const ds = new gluon.data.vision.ImageRecordDataset('train.rec').transformFirst(augs);
 * ```
 */
export class ImageRecordDataset extends RecordFileDataset {
  readonly flag: number;
  private readonly fn: ((img: NDArray, label: number | Float32Array) => unknown) | null;

  constructor(
    ...args: KwArgs<['filename', 'flag?', 'transform?'], [filename: string, flag?: number, transform?: ((img: NDArray, label: number | Float32Array) => unknown) | null], {}>
  ) {
    const [[filename, flag = 1, transform = null]] = bindArgs<[string, number?, (((img: NDArray, label: number | Float32Array) => unknown) | null)?], {}>(
      'ImageRecordDataset',
      ['filename', 'flag?', 'transform?'],
      args,
      [],
    );
    super(filename);
    if (flag !== 0 && flag !== 1) throw new Error(`ImageRecordDataset: flag must be 1 (colour) or 0 (grayscale), got ${showValue(flag)}`);
    if (transform !== null && typeof transform !== 'function') throw new Error(`ImageRecordDataset: transform must be a function (image, label) => sample, got ${showValue(transform)}`);
    this.flag = flag;
    this.fn = transform;
  }

  override get(i: number): unknown {
    const [header, bytes] = unpack(super.get(i) as Uint8Array);
    const img = decodeImage(bytes, this.flag, true, `ImageRecordDataset '${this.filename}' record ${i}`);
    return this.fn ? this.fn(img, header.label) : [img, header.label];
  }
}
