/**
 * MXNet 1.x's C++ `mx.io.ImageDetRecordIter`
 * (src/io/iter_image_det_recordio.cc, under iter_normalize.h's
 * ImageDetNormalizeIter and iter_batchloader.h) for its common parameters,
 * mapped onto `image.ImageDetIter` as `io.ImageRecordIter` maps onto
 * `image.ImageIter`: the image forced to `dataShape` (the C++ default
 * `resize_mode` 'force', `interMethod` default 1), `randMirrorProb` 0.5 ->
 * DetHorizontalFlipAug(0.5), then `(x - mean) / std * scale` per channel.
 *
 * Invariants: the label rows are the C++ parser's: `[channels, height,
 * width, n, raw label (n numbers: [A, B, header..., objects...], the
 * objects after augmentation), labelPadValue...]`, `labelPadWidth + 4`
 * numbers, where `labelPadWidth` (0: the largest raw label of the data,
 * the C++ "auto estimate") must hold every raw label (else an Error, the
 * C++ LOG(FATAL)); `labelWidth` > 0 requires every record's label to have
 * that many numbers; `roundBatch` (default true) pads the last batch from
 * the start and reports `pad`; every other C++ parameter is refused by
 * name, except the thread, prefetch and logging ones (ignored).
 * Departures: the random crop and pad samplers of the C++ augmenter
 * (`randCropProb`, `randPadProb`, `minCropScales`, ...) are not mapped
 * (use image.ImageDetIter with CreateDetAugmenter's); objects without
 * extent are dropped and a sample left without an object is skipped, as
 * image.ImageDetIter does (the C++ parser keeps them); `shuffle` is by
 * sample from the seeded stream (`random.seed`), not by chunk with `seed`;
 * with `roundBatch` the next epoch starts from the first sample.
 */
import { NDArray } from '../../engine/ndarray.js';
import { CreateDetAugmenter, DetBorrowAug, type DetAugmenterLike } from './image-det-aug.js';
import { ImageDetIter } from './image-det-iter.js';
import type { RawSample } from './image-iter.js';
import { checkRecordIter, normalizeAugs, recordSource, type RecordIterCommonOptions } from './record-iter-common.js';

/** The C++ iterator's parameters gluonc maps (MXNet's names, camelCase). */
export interface ImageDetRecordIterOptions extends RecordIterCommonOptions {
  labelPadWidth?: number;
  labelPadValue?: number;
  randMirrorProb?: number;
}

/**
 * Batches of augmented images and their raw detection labels from a `.rec`
 * file, configured as MXNet's C++ `mx.io.ImageDetRecordIter`.
 *
 * ```ts
 * const it = new io.ImageDetRecordIter({ pathImgrec: 'train.rec', dataShape: [3, 300, 300], batchSize: 32, randMirrorProb: 0.5, meanR: 123.68, meanG: 116.28, meanB: 103.53 });
 * it.provideLabel[0].shape; // [32, labelPadWidth + 4]
 * ```
 */
export class ImageDetRecordIter extends ImageDetIter {
  /** The raw label's padded width (the C++ `label_pad_width` after its estimate). */
  readonly labelPadWidth: number;

  constructor(options: ImageDetRecordIterOptions) {
    const what = 'ImageDetRecordIter';
    const { opt, o, shape } = checkRecordIter(what, options, ['labelPadWidth', 'labelPadValue', 'randMirrorProb'], [], "use image.ImageDetIter with CreateDetAugmenter's options for the random crops and pads", '1 and 4');
    const mirror = opt.num('randMirrorProb', 0);
    if (mirror !== 0 && mirror !== 0.5) throw new Error(`${what}: randMirrorProb ${mirror} is not supported (0 or 0.5, image.ImageDetIter's randMirror)`);
    const augs: DetAugmenterLike[] = [
      ...CreateDetAugmenter(shape, { randMirror: mirror === 0.5, interMethod: opt.int('interMethod', 1, 0) }),
      ...normalizeAugs(opt).map((a) => new DetBorrowAug(a)),
    ];
    const labelWidth = opt.int('labelWidth', -1, -1);
    const padWidth = opt.int('labelPadWidth', 0, -1);
    const padValue = opt.num('labelPadValue', -1);
    const source = recordSource(what, o, opt);
    try {
      super(o.batchSize, shape, { ...source.options, augList: augs });
    } finally {
      source.done();
    }
    // The C++ parser's estimate: the widest raw label (from ImageDetIter's pass over the labels), checked against labelWidth and labelPadWidth.
    for (const [n, where] of this.rawLabelWidths) {
      if (labelWidth > 0 && n !== labelWidth) throw new Error(`${what}: ${where}: rec file provide ${n}-dimensional label but labelWidth is set to ${labelWidth}`);
    }
    const widest = Math.max(...this.rawLabelWidths.keys());
    if (padWidth > 0 && widest > padWidth) throw new Error(`${what}: labelPadWidth: ${padWidth} smaller than estimated width: ${widest}`);
    this.labelPadWidth = Math.max(padWidth, widest);
    this.labelFill = padValue;
    this.provideLabel = [{ ...this.provideLabel[0]!, shape: [this.batchSize, this.labelPadWidth + 4] }];
  }

  /** Only the data shape can change: the label rows are the C++ parser's flat rows, whose width `labelPadWidth` sets (ImageDetIter's `[objects, width]` reshape would not fit them). */
  override reshape(dataShape: number[] | null = null, labelShape: number[] | null = null): void {
    if (labelShape) throw new Error(`ImageDetRecordIter.reshape: the label rows are the C++ parser's [c, h, w, n, raw label, padding] of labelPadWidth + 4 = ${this.labelPadWidth + 4} numbers; give labelPadWidth when building the iterator instead of a labelShape`);
    super.reshape(dataShape, null);
  }

  /** ImageDetIter's sample, its label row rewritten as the C++ parser's `[c, h, w, n, header..., objects...]`. */
  protected override augment(s: RawSample): [NDArray, ArrayLike<number>] | null {
    const out = super.augment(s);
    if (out === null) return null;
    const [img, objects] = out;
    const header = Array.from(s.label).slice(0, s.label[0]!);
    const raw = [...header, ...Array.from(objects)];
    const [h, w, c] = img.shape as [number, number, number];
    return [img, [c, h, w, raw.length, ...raw]];
  }
}
