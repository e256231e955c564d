/**
 * MXNet 1.x's `image.CreateAugmenter` and `image.ImageIter`
 * (python/mxnet/image/image.py): batches of images read from a `.rec` file
 * (with or without its `.idx`), an im2rec `.lst` list under `pathRoot`, or
 * an in-memory list, each decoded as uint8 HWC RGB, passed through the
 * augmenters, transposed to CHW and stacked into a float32 batch; labels
 * from the record headers or the list.
 *
 * Invariants: the batching is image.py's `next` / `_batchify` /
 * `next_sample` / `reset`: 'pad' completes the last batch from the start
 * of the same epoch (`pad` counts those samples; a batch larger than the
 * data repeats it), 'discard' drops it, 'roll_over' keeps it and completes
 * it with the next epoch's first samples after `reset()` (reporting `pad`
 * as MXNet does); iterating does not rewind (`reset()` between epochs);
 * `shuffle` reorders on every `reset()` and at construction, from the
 * seeded stream (`random.seed`), not Python's; `numParts` keeps the
 * `partIndex`-th of `numParts` equal slices (the remainder dropped). An
 * image the augmenters leave in another shape than `dataShape`, a label
 * of another width than `labelWidth`, a missing file or a broken image is
 * an Error naming the sample. A subclass (ImageDetIter) keeps the reading
 * and batching and changes a sample's label row: `augment` (decode,
 * augment, check; null skips the sample), `provideLabel` (a row is its
 * shape after the batch axis) and `labelFill` (the unfilled entries).
 */
import { readFileSync } from 'node:fs';
import { nextInt } from '../../ops/rng.js';
import { NDArray } from '../../engine/ndarray.js';
import { bindArgs, type OptionArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import {
  Augmenter, CastAug, CenterCropAug, ColorJitterAug, ColorNormalizeAug, HorizontalFlipAug, HueJitterAug, LightingAug,
  RandomCropAug, RandomGrayAug, RandomSizedCropAug, ResizeAug, runAug, type AugmenterLike,
} from './image-aug.js';
import { decodeImage } from './image-decode.js';
import { joinRoot, readImageList } from './image-folder.js';
import type { DataBatch, DataDesc } from './io.js';
import { MXIndexedRecordIO, MXRecordIO, unpack } from './recordio.js';

type Channels = number | number[] | NDArray | null;

/** `CreateAugmenter`'s options (MXNet's keyword arguments, camelCase). */
export interface CreateAugmenterOptions {
  dataShape: number[];
  resize?: number;
  randCrop?: boolean;
  randResize?: boolean;
  randMirror?: boolean;
  /** `true`: ImageNet's [123.68, 116.28, 103.53]. */
  mean?: boolean | Channels;
  /** `true`: ImageNet's [58.395, 57.12, 57.375]. */
  std?: boolean | Channels;
  brightness?: number;
  contrast?: number;
  saturation?: number;
  hue?: number;
  pcaNoise?: number;
  randGray?: number;
  interMethod?: number;
}

const AUG_ARGS = ['dataShape', 'resize?', 'randCrop?', 'randResize?', 'randMirror?', 'mean?', 'std?', 'brightness?', 'contrast?', 'saturation?', 'hue?', 'pcaNoise?', 'randGray?', 'interMethod?'] as const;
const AUG_KEYS = AUG_ARGS.slice(1).map((k) => k.slice(0, -1));

/** `[c, h, w]` of positive integers with c = 3 (image.py's `check_data_shape`), or an Error. Example: `dataShapeArg('ImageIter', [3, 224, 224])`. */
export function dataShapeArg(what: string, s: unknown): [number, number, number] {
  if (!Array.isArray(s) || s.length !== 3 || !s.every((v) => Number.isInteger(v) && v > 0)) throw new Error(`${what}: dataShape must be 3 positive integers [channels, height, width], got ${showValue(s)}`);
  if (s[0] !== 3) throw new Error(`${what}: dataShape [${s.join(', ')}]: the iterator expects inputs to have 3 channels`);
  return s as [number, number, number];
}

/**
 * The augmenters image.py's `CreateAugmenter` lists, in its order: ResizeAug
 * (`resize` > 0), RandomSizedCropAug (`randResize`, which needs `randCrop`)
 * or RandomCropAug (`randCrop`) or CenterCropAug to `dataShape`'s size,
 * HorizontalFlipAug(0.5) (`randMirror`), CastAug, ColorJitterAug, HueJitterAug,
 * LightingAug (`pcaNoise`, ImageNet's eigenvalues), RandomGrayAug, ColorNormalizeAug.
 *
 * ```ts
 * const augs = image.CreateAugmenter([3, 224, 224], { resize: 256, randCrop: true, randMirror: true, mean: true, std: true });
 * ```
 */
export function CreateAugmenter(...args: OptionArgs<CreateAugmenterOptions, typeof AUG_ARGS>): Augmenter[] {
  const what = 'CreateAugmenter';
  const [[dataShape, resize = 0, randCrop = false, randResize = false, randMirror = false, mean0 = null, std0 = null, brightness = 0, contrast = 0, saturation = 0, hue = 0, pcaNoise = 0, randGray = 0, interMethod = 2]] =
    bindArgs<[number[], number?, boolean?, boolean?, boolean?, (boolean | Channels)?, (boolean | Channels)?, number?, number?, number?, number?, number?, number?, number?], {}>(what, AUG_ARGS, args, []);
  const shape = dataShapeArg(what, dataShape);
  for (const [k, v] of Object.entries({ resize, brightness, contrast, saturation, hue, pcaNoise, randGray })) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: ${k} must be a number, got ${showValue(v)}`);
  }
  const list: Augmenter[] = [];
  if (resize > 0) list.push(new ResizeAug(resize, interMethod));
  const crop: [number, number] = [shape[2], shape[1]];
  if (randResize) {
    if (!randCrop) throw new Error(`${what}: randResize needs randCrop (image.py asserts rand_crop)`);
    list.push(new RandomSizedCropAug(crop, 0.08, [3 / 4, 4 / 3], interMethod));
  } else if (randCrop) list.push(new RandomCropAug(crop, interMethod));
  else list.push(new CenterCropAug(crop, interMethod));
  if (randMirror) list.push(new HorizontalFlipAug(0.5));
  list.push(new CastAug());
  if (brightness || contrast || saturation) list.push(new ColorJitterAug(brightness, contrast, saturation));
  if (hue) list.push(new HueJitterAug(hue));
  if (pcaNoise > 0) {
    const eigvec = [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.814], [-0.5836, -0.6948, 0.4203]];
    list.push(new LightingAug(pcaNoise, [55.46, 4.794, 1.148], eigvec));
  }
  if (randGray > 0) list.push(new RandomGrayAug(randGray));
  const mean = mean0 === true ? [123.68, 116.28, 103.53] : mean0 === false ? null : mean0;
  const std = std0 === true ? [58.395, 57.12, 57.375] : std0 === false ? null : std0;
  if (mean !== null || std !== null) list.push(new ColorNormalizeAug(mean, std));
  return list;
}

const HANDLES = ['pad', 'discard', 'roll_over'] as const;
/** What the last, incomplete batch of an epoch becomes (MXNet's `last_batch_handle`). */
export type LastBatchHandle = (typeof HANDLES)[number];
/** An in-memory list entry: `[label..., path]` or `[[labels], path]`. */
export type ImgListEntry = (number | number[] | string)[];

/** The options `ImageIter` and `ImageDetIter` share (MXNet's names, camelCase): the batch, the sources, the part and the names. */
export interface ImageIterSharedOptions {
  batchSize: number;
  dataShape: number[];
  pathImgrec?: string | null;
  pathImglist?: string | null;
  pathRoot?: string | null;
  pathImgidx?: string | null;
  shuffle?: boolean;
  partIndex?: number;
  numParts?: number;
  imglist?: ImgListEntry[] | null;
  dataName?: string;
  labelName?: string;
  lastBatchHandle?: LastBatchHandle;
}

/** `ImageIter`'s options: its own (MXNet's names, camelCase) and, without `augList`, `CreateAugmenter`'s. */
export interface ImageIterOptions extends Omit<CreateAugmenterOptions, 'dataShape'>, ImageIterSharedOptions {
  labelWidth?: number;
  augList?: AugmenterLike[] | null;
  /** The dtype list labels are read in (the batch's labels are float32, as MXNet's). */
  dtype?: 'float32' | 'float64' | 'int32' | 'int64';
}

const ITER_ARGS = [
  'batchSize', 'dataShape', 'labelWidth?', 'pathImgrec?', 'pathImglist?', 'pathRoot?', 'pathImgidx?', 'shuffle?', 'partIndex?', 'numParts?',
  'augList?', 'imglist?', 'dataName?', 'labelName?', 'dtype?', 'lastBatchHandle?',
] as const;

/** One sample before decoding: its label values, its encoded bytes (empty when read for its label only) and where it came from (for errors). */
export interface RawSample {
  label: ArrayLike<number>;
  bytes: Uint8Array;
  where: string;
}

/** A partly filled batch (image.py's `_cache_data`, `_cache_label`, `_cache_idx`). */
export interface PartialBatch {
  data: Float32Array;
  label: Float32Array;
  filled: number;
}

/**
 * Batches of augmented images (MXNet's `mx.image.ImageIter`).
 *
 * ```ts
 * const it = new image.ImageIter(32, [3, 224, 224], { pathImgrec: 'train.rec', pathImgidx: 'train.idx', shuffle: true,
 *   augList: image.CreateAugmenter([3, 224, 224], { resize: 256, randCrop: true, randMirror: true, mean: true, std: true }) });
 * for (const batch of it) step(batch.data[0]!, batch.label[0]!);
 * it.reset();
 * ```
 */
export class ImageIter<A = AugmenterLike> implements Iterable<DataBatch> {
  readonly batchSize: number;
  /** `[c, h, w]` (ImageDetIter's `reshape` changes it). */
  dataShape: [number, number, number];
  readonly labelWidth: number;
  readonly shuffle: boolean;
  readonly lastBatchHandle: LastBatchHandle;
  /** The augmenters applied to each decoded image, in order (ImageDetIter: detection augmenters, which move the boxes too). */
  auglist: A[];
  provideData: DataDesc[];
  /** The label batch's description: its shape is `[batchSize, ...one sample's label row]`. */
  provideLabel: DataDesc[];
  /** The value of label entries no sample fills (ImageDetIter's padding rows: -1). */
  protected labelFill = 0;
  /** How the default augmenters reach `dataShape` (for the Error of an image that does not). */
  protected sizeHint = 'CreateAugmenter adds a crop';
  private readonly rec: MXRecordIO | null;
  private readonly imglist: Map<number, [Float64Array, string]> | null;
  private readonly pathRoot: string;
  /** The sample keys in this epoch's order (null: the .rec read front to back). */
  private readonly seq: number[] | null;
  private cur = 0;
  private allowRead = true;
  protected cache: PartialBatch | null = null;

  constructor(...args: OptionArgs<ImageIterOptions, typeof ITER_ARGS>) {
    const what = new.target.name;
    const [vals, augOpts] = bindArgs<unknown[], Record<string, unknown>>(what, ITER_ARGS, args, AUG_KEYS);
    const [batchSize, dataShape, labelWidth = 1, pathImgrec = null, pathImglist = null, pathRoot = null, pathImgidx = null, shuffle = false, partIndex = 0, numParts = 1, augList = null, imglist = null, dataName = 'data', labelName = 'softmax_label', dtype = 'float32', lastBatchHandle = 'pad'] =
      vals as [number, number[], number?, string?, string?, string?, string?, boolean?, number?, number?, AugmenterLike[]?, ImgListEntry[]?, string?, string?, string?, LastBatchHandle?];
    if (!pathImgrec && !pathImglist && !Array.isArray(imglist)) throw new Error(`${what}: give pathImgrec (a .rec file), pathImglist (a .lst file) or imglist (a list of [label..., path])`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${what}: batchSize must be a positive integer, got ${showValue(batchSize)}`);
    if (typeof shuffle !== 'boolean') throw new Error(`${what}: shuffle must be true or false, got ${showValue(shuffle)}`);
    if (!Number.isInteger(labelWidth) || labelWidth < 1) throw new Error(`${what}: labelWidth must be a positive integer, got ${showValue(labelWidth)}`);
    if (!HANDLES.includes(lastBatchHandle)) throw new Error(`${what}: lastBatchHandle must be 'pad', 'discard' or 'roll_over', got ${showValue(lastBatchHandle)}`);
    if (!['int32', 'float32', 'int64', 'float64'].includes(dtype)) throw new Error(`${what}: dtype ${showValue(dtype)} label not supported (int32, float32, int64, float64)`);
    if (!Number.isInteger(numParts) || numParts < 1 || !Number.isInteger(partIndex) || partIndex < 0 || partIndex >= numParts) {
      throw new Error(`${what}: partIndex must be an integer in [0, numParts), got partIndex ${showValue(partIndex)} with numParts ${showValue(numParts)}`);
    }
    this.dataShape = dataShapeArg(what, dataShape);
    this.batchSize = batchSize;
    this.labelWidth = labelWidth;
    this.shuffle = shuffle;
    this.lastBatchHandle = lastBatchHandle;
    this.pathRoot = pathRoot ?? '';
    this.provideData = [{ name: dataName, shape: [batchSize, ...this.dataShape], dtype: 'float32', layout: 'NCHW' }];
    this.provideLabel = [{ name: labelName, shape: labelWidth > 1 ? [batchSize, labelWidth] : [batchSize], dtype: 'float32', layout: 'NCHW' }];

    let idxKeys: number[] | null = null;
    if (pathImgrec) {
      if (pathImgidx) {
        const r = new MXIndexedRecordIO(pathImgidx, pathImgrec, 'r');
        idxKeys = [...r.keys] as number[];
        this.rec = r;
      } else this.rec = new MXRecordIO(pathImgrec, 'r');
    } else this.rec = null;

    const round = (v: number): number => (dtype === 'float32' ? Math.fround(v) : dtype.startsWith('int') ? Math.trunc(v) : v);
    let keys: number[] = [];
    if (pathImglist) {
      this.imglist = new Map(readImageList(what, pathImglist).map(([k, labels, file]) => [k, [Float64Array.from(labels, round), file]]));
      keys = [...this.imglist.keys()];
    } else if (Array.isArray(imglist)) {
      this.imglist = new Map();
      imglist.forEach((entry, i) => {
        const file = Array.isArray(entry) ? entry.at(-1) : undefined;
        const labels = !Array.isArray(entry) ? [] : entry.length > 2 ? entry.slice(0, -1) : Array.isArray(entry[0]) ? entry[0] : [entry[0]];
        if (typeof file !== 'string' || !labels.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new Error(`${what}: imglist entry ${i} must be [label..., path] (numbers, then the image's path), got ${showValue(entry)}`);
        // image.py keys the list 1, 2, ... (as strings).
        this.imglist!.set(i + 1, [Float64Array.from(labels as number[], round), file]);
      });
      keys = [...this.imglist.keys()];
    } else this.imglist = null;

    let seq: number[] | null;
    if (this.rec === null) seq = keys;
    else if (shuffle || numParts > 1 || pathImgidx) {
      if (idxKeys === null) throw new Error(`${what}: ${shuffle ? 'shuffle' : 'numParts > 1'} with pathImgrec needs pathImgidx (the .idx file beside '${pathImgrec}')`);
      seq = idxKeys;
    } else seq = null;
    if (numParts > 1) {
      const c = Math.floor(seq!.length / numParts);
      seq = seq!.slice(partIndex * c, (partIndex + 1) * c);
    }
    this.seq = seq;

    if (augList === null) this.auglist = CreateAugmenter(this.dataShape, augOpts as Omit<CreateAugmenterOptions, 'dataShape'>) as A[];
    else {
      if (Object.keys(augOpts).length) throw new Error(`${what}: ${Object.keys(augOpts).join(', ')} ${Object.keys(augOpts).length > 1 ? 'are' : 'is'} CreateAugmenter's, unused when augList is given (put it in the list)`);
      if (!Array.isArray(augList) || !augList.every((a) => a instanceof Augmenter || typeof a === 'function')) throw new Error(`${what}: augList must be a list of augmenters, got ${showValue(augList)}`);
      this.auglist = augList as A[];
    }
    this.reset();
  }

  /** The number of samples an epoch reads (null for a .rec read front to back). */
  get numImage(): number | null {
    return this.seq === null ? null : this.seq.length;
  }

  /** Starts the next epoch: reshuffles if `shuffle`; with 'roll_over' a kept partial batch stays for the first batch. */
  reset(): void {
    this.reshuffle();
    if (this.lastBatchHandle !== 'roll_over' || this.cache === null) {
      this.rewind();
      this.allowRead = true;
    }
  }

  /** Back to the start, forgetting a rolled-over batch (MXNet's `hard_reset`). */
  hardReset(): void {
    this.reshuffle();
    this.rewind();
    this.allowRead = true;
    this.cache = null;
  }

  private rewind(): void {
    if (this.rec && this.seq === null) this.rec.reset();
    this.cur = 0;
  }

  /** Python's `random.shuffle`: Fisher-Yates from the last position down, drawing from the seeded stream. */
  private reshuffle(): void {
    if (this.seq === null || !this.shuffle) return;
    for (let i = this.seq.length - 1; i > 0; i--) {
      const j = nextInt(i + 1);
      [this.seq[i], this.seq[j]] = [this.seq[j]!, this.seq[i]!];
    }
  }

  /** image.py's `next_sample`: the next sample, or null at the end (which rewinds unless 'discard'); `labelOnly` leaves a listed image's file unread. */
  protected nextSample(labelOnly = false): RawSample | null {
    if (!this.allowRead) return null;
    if (this.seq !== null) {
      if (this.cur >= this.seq.length) {
        if (this.lastBatchHandle !== 'discard') this.cur = 0;
        return null;
      }
      const key = this.seq[this.cur++]!;
      if (this.rec !== null) {
        const [header, bytes] = unpack((this.rec as MXIndexedRecordIO).readIdx(key));
        const label = this.imglist === null ? labelOf(header.label) : this.listed(key)[0];
        return { label, bytes, where: `record ${key} of '${this.rec.uri}'` };
      }
      const [label, file] = this.listed(key);
      const full = joinRoot(this.pathRoot, file);
      if (labelOnly) return { label, bytes: new Uint8Array(0), where: `'${full}'` };
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(full);
      } catch (e) {
        throw new Error(`${this.constructor.name}: cannot read the image '${full}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      return { label, bytes, where: `'${full}'` };
    }
    const rec = this.rec!;
    const s = rec.read();
    if (s === null) {
      if (this.lastBatchHandle !== 'discard') rec.reset();
      return null;
    }
    const [header, bytes] = unpack(s);
    return { label: labelOf(header.label), bytes, where: `a record (id ${header.id}) of '${rec.uri}'` };
  }

  private listed(key: number): [Float64Array, string] {
    const e = this.imglist!.get(key);
    if (!e) throw new Error(`${this.constructor.name}: the image list has no entry with index ${key} (a key of the .idx file)`);
    return e;
  }

  /**
   * One sample decoded and through the augmenters, with its label row, or
   * null to skip it (ImageDetIter's samples left without a valid object).
   */
  protected augment(s: RawSample): [NDArray, ArrayLike<number>] | null {
    let img = decodeImage(s.bytes, 1, true, `${this.constructor.name}: ${s.where}`);
    for (const aug of this.auglist as AugmenterLike[]) img = runAug(aug, img);
    if (s.label.length !== this.labelWidth) throw new Error(`${this.constructor.name}: ${s.where} has ${s.label.length} label${s.label.length === 1 ? '' : 's'} (${Array.from(s.label).join(', ')}) but labelWidth is ${this.labelWidth}`);
    return [img, s.label];
  }

  /** The numbers of one sample's label row. */
  private get labelRow(): number {
    return this.provideLabel[0]!.shape.slice(1).reduce((a, b) => a * b, 1);
  }

  /** image.py's `_batchify`: fills rows from `start` until the batch is full or the data ends; returns the rows filled. */
  private batchify(b: PartialBatch, start: number): number {
    const [c, h, w] = this.dataShape;
    const plane = h * w;
    const row = this.labelRow;
    let i = start;
    while (i < this.batchSize) {
      const s = this.nextSample();
      if (s === null) break;
      const out = this.augment(s);
      if (out === null) continue;
      const [img, label] = out;
      if (!(img instanceof NDArray) || img.ndim !== 3 || img.shape[0] !== h || img.shape[1] !== w || img.shape[2] !== c) {
        const got = img instanceof NDArray ? `shape [${img.shape.join(', ')}]` : showValue(img);
        throw new Error(`${this.constructor.name}: ${s.where} came out of the augmenters with ${got}, but dataShape [${this.dataShape.join(', ')}] needs HWC [${h}, ${w}, ${c}] (crop or resize it to that size: ${this.sizeHint})`);
      }
      if (label.length > row) throw new Error(`${this.constructor.name}: ${s.where} has a label of ${label.length} numbers, more than the ${row} of a label row`);
      const src = img.data();
      const at = i * c * plane;
      for (let p = 0; p < plane; p++) for (let k = 0; k < c; k++) b.data[at + k * plane + p] = Number(src[p * c + k]);
      b.label.set(label, i * row);
      i++;
    }
    return i;
  }

  /** The next batch, or null at the end of the epoch (MXNet raises StopIteration). */
  next(): DataBatch | null {
    let b: PartialBatch;
    if (this.cache !== null) b = this.cache;
    else {
      const [c, h, w] = this.dataShape;
      b = { data: new Float32Array(this.batchSize * c * h * w), label: new Float32Array(this.batchSize * this.labelRow).fill(this.labelFill), filled: 0 };
      b.filled = this.batchify(b, 0);
      if (b.filled === 0) return null;
    }
    const pad = this.batchSize - b.filled;
    if (pad !== 0) {
      if (this.lastBatchHandle === 'discard') return null;
      if (this.lastBatchHandle === 'roll_over' && this.cache === null) {
        this.cache = b;
        return null;
      }
      // Completes the batch from the (next) epoch's start; a batch larger than the data repeats it.
      for (let n = b.filled, prev = -1; n < this.batchSize && n !== prev; ) [prev, n] = [n, this.batchify(b, n)];
      if (this.lastBatchHandle === 'pad') this.allowRead = false;
      else this.cache = null;
    }
    return {
      data: [new NDArray({ dtype: 'float32', shape: [this.batchSize, ...this.dataShape], data: b.data })],
      label: [new NDArray({ dtype: 'float32', shape: [...this.provideLabel[0]!.shape], data: b.label })],
      pad,
      index: null,
      provideData: this.provideData,
      provideLabel: this.provideLabel,
    };
  }

  /** Iterates the rest of this epoch (as MXNet's, iterating does not reset: call `reset()` between epochs). */
  *[Symbol.iterator](): Iterator<DataBatch> {
    for (let b = this.next(); b !== null; b = this.next()) yield b;
  }
}

const labelOf = (label: number | Float32Array): ArrayLike<number> => (typeof label === 'number' ? [label] : label);
