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
import { Augmenter, CastAug, CenterCropAug, HorizontalFlipAug, RandomCropAug, ResizeAug } from './image-aug.js';
import { ImageIter } from './image-iter.js';
import { checkRecordIter, normalizeAugs, recordSource, type RecordIterCommonOptions } from './record-iter-common.js';

/** The C++ iterator's parameters gluonc maps (MXNet's names, camelCase). */
export interface ImageRecordIterOptions extends RecordIterCommonOptions {
  randCrop?: boolean;
  randMirror?: boolean;
  mirror?: boolean;
  resize?: number;
}

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
    const { opt, o, shape } = checkRecordIter(what, options, ['randCrop', 'randMirror', 'mirror', 'resize'], ['randCrop', 'randMirror', 'mirror'], 'use image.ImageIter with an augList for other augmentation', '1');
    const augs: Augmenter[] = [];
    const resize = opt.num('resize', -1);
    const interp = opt.num('interMethod', 1);
    if (resize > 0) augs.push(new ResizeAug(resize, interp));
    const crop: [number, number] = [shape[2]!, shape[1]!];
    augs.push(o.randCrop ? new RandomCropAug(crop, interp) : new CenterCropAug(crop, interp));
    if (o.mirror) augs.push(new HorizontalFlipAug(1));
    else if (o.randMirror) augs.push(new HorizontalFlipAug(0.5));
    augs.push(new CastAug());
    augs.push(...normalizeAugs(opt));
    const source = recordSource(what, o, opt);
    try {
      super({ ...source.options, batchSize: o.batchSize, dataShape: shape, labelWidth: o.labelWidth ?? 1, augList: augs });
    } finally {
      source.done();
    }
  }
}
