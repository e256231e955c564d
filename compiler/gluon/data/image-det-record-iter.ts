/**
 * MXNet 1.x's C++ `mx.io.ImageDetRecordIter`
 * (src/io/iter_image_det_recordio.cc, under iter_normalize.h's
 * ImageDetNormalizeIter and iter_batchloader.h) mapped onto
 * `image.ImageDetIter`: each sample through the C++ default detection
 * augmenter (det-aug-default.ts: `resize`, colour jitter, mirror, random
 * pad, random crop samplers, `resizeMode`, with every parameter of
 * image_det_aug_default.cc's DefaultImageDetAugmentParam), then
 * `(x - mean) / std * scale` per channel.
 *
 * Invariants: the label rows are the C++ parser's: `[channels, height,
 * width, n, raw label (n numbers: [A, B, header..., objects...], the
 * objects after augmentation), labelPadValue...]`, `labelPadWidth + 4`
 * numbers, where height and width are the augmented image's (smaller than
 * `dataShape` with `resizeMode` 'shrink' or 'fit': the image then sits at
 * the top left of zeros, normalized with it, as the C++ batch holds it)
 * and `labelPadWidth` (0 or -1: the largest raw label of the data, the C++
 * "auto estimate") must hold every raw label (else an Error, the C++
 * LOG(FATAL)); `labelWidth` > 0 requires every record's label to have
 * that many numbers; `roundBatch` (default true) pads the last batch from
 * the start and reports `pad`; every other C++ parameter is refused by
 * name, except the thread, prefetch, logging and `seed` ones (ignored).
 * Departures: the augmenter's random numbers come from the seeded stream
 * (`random.seed`), not from per-thread mt19937 engines, so a seed does not
 * give MXNet's crops; a record with no object of positive extent is an
 * Error and a sample left with no object of class >= 0 is skipped, as
 * image.ImageDetIter does (the C++ iterator emits both); `shuffle` is by sample from the seeded stream,
 * not by chunk with `seed`; with `roundBatch` the next epoch starts from
 * the first sample.
 */
import { NDArray } from '../../engine/ndarray.js';
import { DefaultDetAugmenter } from './det-aug-default.js';
import { DET_AUG_DEFAULT_KEYS, detAugDefaultParams, type DetAugDefaultOptions } from './det-aug-params.js';
import { CastAug, type Augmenter } from './image-aug.js';
import { DetBorrowAug } from './image-det-aug.js';
import { ImageDetIter } from './image-det-iter.js';
import type { RawSample } from './image-iter.js';
import { checkRecordIter, normalizeAugs, recordSource, type RecordIterCommonOptions } from './record-iter-common.js';

/** The C++ iterator's parameters gluonc maps (MXNet's names, camelCase). */
export interface ImageDetRecordIterOptions extends Omit<RecordIterCommonOptions, 'interMethod'>, DetAugDefaultOptions {
  labelPadWidth?: number;
  labelPadValue?: number;
  /** Accepted and ignored: the C++ shuffle seed (gluonc shuffles and augments from `random.seed`'s stream). */
  seed?: number;
}

/**
 * Batches of augmented images and their raw detection labels from a `.rec`
 * file, configured as MXNet's C++ `mx.io.ImageDetRecordIter`.
 *
 * ```ts
 * const it = new io.ImageDetRecordIter({ pathImgrec: 'train.rec', dataShape: [3, 300, 300], batchSize: 32, randMirrorProb: 0.5,
 *   randCropProb: 0.8, numCropSampler: 2, minCropScales: 0.3, minCropOverlaps: [0.1, 0.5], randPadProb: 0.5, maxPadScale: 4, meanR: 123.68, meanG: 116.28, meanB: 103.53 });
 * it.provideLabel[0].shape; // [32, labelPadWidth + 4]
 * ```
 */
export class ImageDetRecordIter extends ImageDetIter {
  /** The raw label's padded width (the C++ `label_pad_width` after its estimate). */
  readonly labelPadWidth: number;
  /** The C++ normalizer's `(x - mean) / std * scale`, applied after the augmented image is placed on its `dataShape` canvas. */
  private readonly normalize: Augmenter[];
  protected override sizeHint = "the C++ augmenter's resizeMode reaches the dataShape the iterator was built with";

  constructor(options: ImageDetRecordIterOptions) {
    const what = 'ImageDetRecordIter';
    const extra = ['labelPadWidth', 'labelPadValue', 'seed', ...DET_AUG_DEFAULT_KEYS.filter((k) => k !== 'interMethod')];
    const { opt, o, shape } = checkRecordIter(what, options as RecordIterCommonOptions, extra, [], 'meanImg, augSeq and the chunk shuffle are not mapped', '1 and 4');
    opt.num('seed', 0);
    const params = detAugDefaultParams(what, opt, o as unknown as Record<string, unknown>, [shape[1]!, shape[2]!]);
    const normalize = normalizeAugs(opt);
    const labelWidth = opt.int('labelWidth', -1, -1);
    const padWidth = opt.int('labelPadWidth', 0, -1);
    const padValue = opt.num('labelPadValue', -1);
    const source = recordSource(what, o, opt);
    try {
      super(o.batchSize, shape, { ...source.options, augList: [new DefaultDetAugmenter(params), new DetBorrowAug(new CastAug())] });
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
    this.normalize = normalize;
    this.provideLabel = [{ ...this.provideLabel[0]!, shape: [this.batchSize, this.labelPadWidth + 4] }];
  }

  /** Only the data shape can change: the label rows are the C++ parser's flat rows, whose width `labelPadWidth` sets (ImageDetIter's `[objects, width]` reshape would not fit them). */
  override reshape(dataShape: number[] | null = null, labelShape: number[] | null = null): void {
    if (labelShape) throw new Error(`ImageDetRecordIter.reshape: the label rows are the C++ parser's [c, h, w, n, raw label, padding] of labelPadWidth + 4 = ${this.labelPadWidth + 4} numbers; give labelPadWidth when building the iterator instead of a labelShape`);
    super.reshape(dataShape, null);
  }

  /** ImageDetIter's sample on its `dataShape` canvas (zeros right and below a smaller image), normalized, its label row rewritten as the C++ parser's `[c, h, w, n, header..., objects...]`. */
  protected override augment(s: RawSample): [NDArray, ArrayLike<number>] | null {
    const out = super.augment(s);
    if (out === null) return null;
    let [img] = out;
    const objects = out[1];
    const header = Array.from(s.label).slice(0, s.label[0]!);
    const raw = [...header, ...Array.from(objects)];
    const [h, w, c] = img.shape as [number, number, number];
    const [, H, W] = this.dataShape;
    if ((h < H && w <= W) || (h <= H && w < W)) {
      const canvas = new Float32Array(H * W * c);
      const src = img.data() as Float32Array;
      for (let y = 0; y < h; y++) canvas.set(src.subarray(y * w * c, (y + 1) * w * c), y * W * c);
      img = new NDArray({ dtype: 'float32', shape: [H, W, c], data: canvas });
    }
    for (const a of this.normalize) img = a.call(img);
    return [img, [c, h, w, raw.length, ...raw]];
  }
}
