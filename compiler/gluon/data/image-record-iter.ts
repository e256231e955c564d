/**
 * MXNet 1.x's C++ `mx.io.ImageRecordIter` (src/io/iter_image_recordio_2.cc
 * with image_aug_default.cc, iter_normalize.h and iter_batchloader.h) for
 * its common parameters, mapped onto `image.ImageIter` and its augmenters:
 * `resize` -> ResizeAug (shorter edge, `interMethod` default 1 as the C++
 * one), a `dataShape` window at a random place (`randCrop`) or the centre
 * -> RandomCropAug / CenterCropAug, `randMirror` -> HorizontalFlipAug(0.5)
 * and `mirror` -> HorizontalFlipAug(1), then `(x - mean) / std * scale` per
 * channel (`meanR/G/B`, `stdR/G/B`, `scale`), the C++ normalizer's formula.
 *
 * Invariants: every other C++ parameter is refused by name (an Error, not
 * ignored), except the thread, prefetch and logging ones, which change
 * nothing here (`preprocessThreads`, `prefetchBuffer`, `verbose`);
 * `roundBatch` (default true) completes the last batch from the start as
 * ImageIter's 'pad' and reports `pad`; `shuffle`, `numParts` and
 * `pathImglist` read the records by their `.idx` (`pathImgidx`, else the
 * `.rec`'s offsets found by reading it once); a `.lst` labels the record
 * whose header `id` is its index, as the C++ iterator matches them (by
 * the `.idx` keys when `pathImgidx` is given: im2rec writes them equal). Departures: an image smaller than `dataShape` is scaled
 * up by the crop (image.py's) where the C++ iterator stops ("input image
 * size smaller than input shape"); with `roundBatch` the next epoch starts
 * from the first sample (the C++ one continues after the samples used as
 * padding); `roundBatch: false` pads the same way (the C++ rows are stale;
 * `pad` counts them in both); shuffling is by sample, from the seeded
 * stream, not by chunks with `seed`; `numParts` splits the samples into
 * equal slices, not the file's bytes.
 */
import { showValue } from '../show-value.js';
import { Augmenter, CastAug, CenterCropAug, HorizontalFlipAug, RandomCropAug, ResizeAug } from './image-aug.js';
import { ImageIter } from './image-iter.js';
import { iterOptions } from './iter-options.js';
import { NORMALIZE_KEYS, normalizeAugs, recordIndex } from './record-iter-common.js';

/** The C++ iterator's parameters gluonc maps (MXNet's names, camelCase). */
export interface ImageRecordIterOptions {
  pathImgrec: string;
  dataShape: number[];
  batchSize: number;
  pathImglist?: string;
  pathImgidx?: string;
  labelWidth?: number;
  shuffle?: boolean;
  numParts?: number;
  partIndex?: number;
  randCrop?: boolean;
  randMirror?: boolean;
  mirror?: boolean;
  resize?: number;
  interMethod?: number;
  meanR?: number;
  meanG?: number;
  meanB?: number;
  stdR?: number;
  stdG?: number;
  stdB?: number;
  scale?: number;
  roundBatch?: boolean;
  dataName?: string;
  labelName?: string;
  /** Accepted and ignored: decoding runs on the calling thread. */
  preprocessThreads?: number;
  /** Accepted and ignored. */
  prefetchBuffer?: number;
  /** Accepted and ignored. */
  verbose?: boolean;
}

const KNOWN = [
  'pathImgrec', 'dataShape', 'batchSize', 'pathImglist', 'pathImgidx', 'labelWidth', 'shuffle', 'numParts', 'partIndex', 'randCrop', 'randMirror', 'mirror',
  'resize', 'interMethod', ...NORMALIZE_KEYS, 'roundBatch', 'dataName', 'labelName', 'preprocessThreads', 'prefetchBuffer', 'verbose',
];

/**
 * Batches of augmented images from a `.rec` file, configured as MXNet's C++
 * `mx.io.ImageRecordIter` (one options object, MXNet's names in camelCase).
 *
 * ```ts
 * const it = new io.ImageRecordIter({ pathImgrec: 'train.rec', dataShape: [3, 224, 224], batchSize: 32,
 *   resize: 256, randCrop: true, randMirror: true, meanR: 123.68, meanG: 116.28, meanB: 103.53 });
 * for (const batch of it) step(batch.data[0]!, batch.label[0]!);
 * ```
 */
export class ImageRecordIter extends ImageIter {
  constructor(options: ImageRecordIterOptions) {
    const what = 'ImageRecordIter';
    const opt = iterOptions(what, options, KNOWN, '{ pathImgrec, dataShape, batchSize, ... }', 'use image.ImageIter with an augList for other augmentation');
    const o = options as ImageRecordIterOptions;
    if (typeof o.pathImgrec !== 'string') throw new Error(`${what}: pathImgrec (the .rec file) is required, got ${showValue(o.pathImgrec)}`);
    const num = opt.num;
    for (const k of ['shuffle', 'randCrop', 'randMirror', 'mirror', 'roundBatch', 'verbose'] as const) opt.flag(k, false);
    const shape = o.dataShape;
    if (!Array.isArray(shape) || shape.length !== 3) throw new Error(`${what}: dataShape must be 3 positive integers [channels, height, width], got ${showValue(shape)}`);
    if (shape[0] !== 3) throw new Error(`${what}: dataShape [${shape.join(', ')}]: gluonc's ImageRecordIter reads colour images (3 channels; MXNet's C++ one also takes 1)`);
    const augs: Augmenter[] = [];
    const resize = num('resize', -1);
    const interp = num('interMethod', 1);
    if (resize > 0) augs.push(new ResizeAug(resize, interp));
    const crop: [number, number] = [shape[2]!, shape[1]!];
    augs.push(o.randCrop ? new RandomCropAug(crop, interp) : new CenterCropAug(crop, interp));
    if (o.mirror) augs.push(new HorizontalFlipAug(1));
    else if (o.randMirror) augs.push(new HorizontalFlipAug(0.5));
    augs.push(new CastAug());
    augs.push(...normalizeAugs(opt));

    // The C++ iterator needs no index to shuffle or to label from a .lst: find the records' offsets once.
    const needIndex = Boolean(o.shuffle || num('numParts', 1) > 1 || o.pathImglist);
    const index = recordIndex(what, o.pathImgrec, o.pathImgidx, needIndex, Boolean(o.pathImglist));
    try {
      super({
        batchSize: o.batchSize,
        dataShape: shape,
        labelWidth: o.labelWidth ?? 1,
        pathImgrec: o.pathImgrec,
        pathImglist: o.pathImglist ?? null,
        pathImgidx: index.pathImgidx,
        shuffle: o.shuffle ?? false,
        partIndex: o.partIndex ?? 0,
        numParts: o.numParts ?? 1,
        augList: augs,
        dataName: o.dataName ?? 'data',
        labelName: o.labelName ?? 'softmax_label',
        lastBatchHandle: 'pad',
      });
    } finally {
      index.done();
    }
  }
}
