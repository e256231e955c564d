/**
 * MXNet 1.x's `image.ImageDetIter` (python/mxnet/image/detection.py): an
 * `ImageIter` whose labels are object detection's, read from the same
 * sources with the same batching, passed with their images through the
 * detection augmenters, and batched as float32 `[batch, maxObjects, width]`
 * rows `[cls, xmin, ymin, xmax, ymax, ...]` padded with -1.
 *
 * Invariants: a raw label is detection.py's `[A, B, header..., objects...]`
 * (A >= 2 numbers of header, the first two A and B, then objects of B >= 5
 * numbers each); `_parse_label` keeps the objects with xmax > xmin and ymax
 * > ymin; the construction reads every label once (`_estimate_label_shape`,
 * which is where a bad label is an Error naming its record or file) for
 * the largest object count, and all samples must share one object width;
 * a sample whose augmented label holds no object with cls >= 0 and a box
 * is skipped, as MXNet's `_batchify` skips it; `reshape` may grow the
 * object count and keeps the object width; the batching is ImageIter's
 * (every lastBatchHandle).
 */
import { NDArray } from '../../engine/ndarray.js';
import { bindArgs, type OptionArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { CreateDetAugmenter, DET_AUG_KEYS, DetAugmenter, runDetAug, type CreateDetAugmenterOptions, type DetAugmenterLike } from './image-det-aug.js';
import { decodeImage } from './image-decode.js';
import { dataShapeArg, ImageIter, type ImageIterSharedOptions, type ImgListEntry, type LastBatchHandle, type RawSample } from './image-iter.js';

/** `ImageDetIter`'s options: its own (MXNet's names, camelCase) and, without `augList`, `CreateDetAugmenter`'s. */
export interface ImageDetIterOptions extends Omit<CreateDetAugmenterOptions, 'dataShape'>, ImageIterSharedOptions {
  augList?: DetAugmenterLike[] | null;
  /** The label's name, `'label'` by default (MXNet's). */
  labelName?: string;
}

const DET_ITER_ARGS = [
  'batchSize', 'dataShape', 'pathImgrec?', 'pathImglist?', 'pathRoot?', 'pathImgidx?', 'shuffle?', 'partIndex?', 'numParts?', 'augList?', 'imglist?', 'dataName?', 'labelName?', 'lastBatchHandle?',
] as const;

/**
 * `_parse_label`: a raw label `[A, B, header..., objects...]` as its valid
 * object rows (`[objects, B]` float32), or an Error naming the sample.
 * Example: `parseDetLabel('ImageDetIter', 'record 3', [2, 5, 0, 0.1, 0.1, 0.5, 0.5])`.
 */
export function parseDetLabel(what: string, where: string, label: ArrayLike<number>): NDArray {
  const raw = Float32Array.from(label, Number);
  const say = (msg: string): Error => new Error(`${what}: ${where}: ${msg} (a detection label is [headerWidth >= 2, objectWidth >= 5, extra header..., objects of [cls, xmin, ymin, xmax, ymax, ...]], got ${raw.length} numbers${raw.length <= 12 ? ` [${Array.from(raw).join(', ')}]` : ''})`);
  if (raw.length < 7) throw say(`Label shape is invalid: (${raw.length},)`);
  const [a, b] = [raw[0]!, raw[1]!];
  if (!Number.isInteger(a) || a < 2 || a > raw.length) throw say(`the header width ${a} must be an integer from 2 to the label's length`);
  if (!Number.isInteger(b) || b < 5) throw say(`the object width ${b} must be an integer >= 5`);
  if ((raw.length - a) % b !== 0) throw say(`Label shape (${raw.length},) inconsistent with annotation width ${b}.`);
  const keep: number[] = [];
  for (let at = a; at < raw.length; at += b) if (raw[at + 3]! > raw[at + 1]! && raw[at + 4]! > raw[at + 2]!) keep.push(at);
  if (!keep.length) throw say('Encounter sample with no valid label (no object with xmax > xmin and ymax > ymin)');
  const out = new Float32Array(keep.length * b);
  keep.forEach((at, r) => out.set(raw.subarray(at, at + b), r * b));
  return new NDArray({ dtype: 'float32', shape: [keep.length, b], data: out });
}

/**
 * Batches of augmented images and their boxes (MXNet's `mx.image.ImageDetIter`).
 *
 * ```ts
 * const it = new image.ImageDetIter(32, [3, 300, 300], { pathImgrec: 'train.rec', pathImgidx: 'train.idx', shuffle: true,
 *   randCrop: 0.5, randPad: 0.5, randMirror: true, mean: true, std: true });
 * it.provideLabel[0].shape; // [32, maxObjects, 6]
 * for (const batch of it) step(batch.data[0]!, batch.label[0]!);
 * ```
 */
export class ImageDetIter extends ImageIter<DetAugmenterLike> {
  /** `[maxObjects, objectWidth]`: one sample's label rows. */
  labelShape: [number, number];
  protected override labelFill = -1;
  protected override sizeHint = 'CreateDetAugmenter ends with a ForceResizeAug to it';
  /** The raw labels' lengths seen by the construction's pass, each with the first sample of it (io.ImageDetRecordIter's estimate). */
  protected rawLabelWidths = new Map<number, string>();

  constructor(...args: OptionArgs<ImageDetIterOptions, typeof DET_ITER_ARGS>) {
    const what = 'ImageDetIter';
    const [vals, augOpts] = bindArgs<unknown[], Record<string, unknown>>(what, DET_ITER_ARGS, args, DET_AUG_KEYS);
    const [batchSize, dataShape, pathImgrec, pathImglist, pathRoot, pathImgidx, shuffle, partIndex, numParts, augList = null, imglist, dataName, labelName = 'label', lastBatchHandle] = vals as [
      number, number[], string?, string?, string?, string?, boolean?, number?, number?, DetAugmenterLike[]?, ImgListEntry[]?, string?, string?, LastBatchHandle?,
    ];
    super({ batchSize, dataShape, pathImgrec, pathImglist, pathRoot, pathImgidx, shuffle, partIndex, numParts, augList: [], imglist, dataName, labelName, lastBatchHandle });
    if (augList === null) this.auglist = CreateDetAugmenter(this.dataShape, augOpts as Omit<CreateDetAugmenterOptions, 'dataShape'>);
    else {
      if (Object.keys(augOpts).length) throw new Error(`${what}: ${Object.keys(augOpts).join(', ')} ${Object.keys(augOpts).length > 1 ? 'are' : 'is'} CreateDetAugmenter's, unused when augList is given (put it in the list)`);
      if (!Array.isArray(augList) || !augList.every((a) => a instanceof DetAugmenter || typeof a === 'function')) throw new Error(`${what}: augList must be a list of detection augmenters (image.DetAugmenter, or functions (src, label) => [src, label]; wrap a classification augmenter in DetBorrowAug), got ${showValue(augList)}`);
      this.auglist = augList;
    }
    this.labelShape = this.estimateLabelShape();
    this.provideLabel = [{ name: labelName, shape: [this.batchSize, ...this.labelShape], dtype: 'float32', layout: 'NCHW' }];
  }

  /** `_estimate_label_shape`: reads every label once for the largest object count (and checks them all). */
  private estimateLabelShape(): [number, number] {
    let count = 0;
    let width = 0;
    let first = '';
    this.reset();
    for (let s = this.nextSample(true); s !== null; s = this.nextSample(true)) {
      const label = parseDetLabel('ImageDetIter', s.where, s.label);
      if (!this.rawLabelWidths.has(s.label.length)) this.rawLabelWidths.set(s.label.length, s.where);
      const [n, k] = label.shape as [number, number];
      if (width && k !== width) throw new Error(`ImageDetIter: ${s.where} has objects of ${k} numbers, but ${first} has objects of ${width} (one batch holds one object width)`);
      if (!width) [width, first] = [k, s.where];
      count = Math.max(count, n);
    }
    this.reset();
    if (!width) throw new Error('ImageDetIter: the data holds no sample, so no label shape');
    return [count, width];
  }

  protected override augment(s: RawSample): [NDArray, ArrayLike<number>] | null {
    let img = decodeImage(s.bytes, 1, true, `ImageDetIter: ${s.where}`);
    let label = parseDetLabel('ImageDetIter', s.where, s.label);
    for (const aug of this.auglist) [img, label] = runDetAug(aug, img, label);
    if (!(label instanceof NDArray) || label.ndim !== 2 || label.shape[1] !== this.labelShape[1] || label.shape[0]! > this.labelShape[0]) {
      const got = label instanceof NDArray ? `shape [${label.shape.join(', ')}]` : showValue(label);
      throw new Error(`ImageDetIter: ${s.where} came out of the augmenters with a label of ${got}, which does not fit the label shape [${this.labelShape.join(', ')}] (at most ${this.labelShape[0]} objects of ${this.labelShape[1]} numbers)`);
    }
    // _check_valid_label: MXNet skips a sample left without an object of class >= 0 and positive extent.
    const l = label.data() as Float32Array;
    const k = this.labelShape[1];
    let valid = false;
    for (let at = 0; at < l.length && !valid; at += k) valid = l[at]! >= 0 && l[at + 3]! > l[at + 1]! && l[at + 4]! > l[at + 2]!;
    return valid ? [img, l] : null;
  }

  /**
   * Changes the data shape (`[c, h, w]`) and/or the label shape
   * (`[maxObjects, objectWidth]`: more objects, the same width) that the
   * next batches have (MXNet's `reshape`; as there, the augmenters stay as
   * they are, so they must reach a new `dataShape` themselves).
   * Example: `it.reshape(null, [50, 6])`.
   */
  reshape(dataShape: number[] | null = null, labelShape: number[] | null = null): void {
    if ((dataShape || labelShape) && this.cache !== null) throw new Error('ImageDetIter.reshape: a rolled-over partial batch of the old shape is held (call hardReset() first)');
    if (dataShape) {
      this.dataShape = dataShapeArg('ImageDetIter.reshape', dataShape);
      this.provideData = [{ ...this.provideData[0]!, shape: [this.batchSize, ...this.dataShape] }];
    }
    if (labelShape) {
      this.checkLabelShape(labelShape);
      this.labelShape = [labelShape[0]!, labelShape[1]!];
      this.provideLabel = [{ ...this.provideLabel[0]!, shape: [this.batchSize, ...this.labelShape] }];
    }
  }

  /** MXNet's `check_label_shape`: `[maxObjects, objectWidth]` with no fewer objects and the same width, or an Error. */
  checkLabelShape(labelShape: number[]): void {
    const what = 'ImageDetIter.checkLabelShape';
    if (!Array.isArray(labelShape) || labelShape.length !== 2 || !labelShape.every((v) => Number.isInteger(v) && v > 0)) throw new Error(`${what}: labelShape should be 2 positive integers [maxObjects, objectWidth], got ${showValue(labelShape)}`);
    if (labelShape[0]! < this.labelShape[0]) throw new Error(`${what}: Attempts to reduce label count from ${this.labelShape[0]} to ${labelShape[0]}, not allowed.`);
    if (labelShape[1] !== this.labelShape[1]) throw new Error(`${what}: labelShape object width inconsistent: ${this.labelShape[1]} vs ${labelShape[1]}.`);
  }

  /**
   * Pads both iterators' labels to the larger object count (train and
   * validation sets padded differently) and returns `it` (MXNet's
   * `sync_label_shape`). Example: `val = train.syncLabelShape(val)`.
   */
  syncLabelShape(it: ImageDetIter, verbose = false): ImageDetIter {
    const what = 'ImageDetIter.syncLabelShape';
    if (!(it instanceof ImageDetIter)) throw new Error(`${what}: Synchronize with invalid iterator: expected an ImageDetIter, got ${showValue(it)}`);
    const [a, b] = [this.labelShape, it.labelShape];
    if (a[1] !== b[1]) throw new Error(`${what}: object width mismatch (${a[1]} vs ${b[1]})`);
    const count = Math.max(a[0], b[0]);
    if (count > a[0]) this.reshape(null, [count, a[1]]);
    if (count > b[0]) it.reshape(null, [count, b[1]]);
    if (verbose && count > Math.min(a[0], b[0])) console.info(`Resized label_shape to (${count}, ${a[1]}).`);
    return it;
  }
}
