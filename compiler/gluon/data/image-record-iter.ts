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
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NDArray } from '../../engine/ndarray.js';
import { isPlainObject } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { Augmenter, CastAug, CenterCropAug, ColorNormalizeAug, HorizontalFlipAug, RandomCropAug, ResizeAug } from './image-aug.js';
import { ImageIter } from './image-iter.js';
import { MXRecordIO, unpack } from './recordio.js';

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
  'resize', 'interMethod', 'meanR', 'meanG', 'meanB', 'stdR', 'stdG', 'stdB', 'scale', 'roundBatch', 'dataName', 'labelName', 'preprocessThreads', 'prefetchBuffer', 'verbose',
];

/** Multiplies by the C++ normalizer's `scale` after the mean and std. */
class ScaleAug extends Augmenter {
  constructor(readonly scale: number) {
    super({ scale });
  }

  call(src: NDArray): NDArray {
    return src.mul(this.scale);
  }
}

/** The `.rec`'s records as `[key, offset]`: keyed by their order, or by their headers' `id` (which the C++ iterator matches a `.lst`'s index against). */
class OffsetScan extends MXRecordIO {
  entries(byId: boolean): [number, number][] {
    const out: [number, number][] = [];
    const seen = new Set<number>();
    for (;;) {
      const at = this.pos;
      const r = this.read();
      if (r === null) break;
      const key = byId ? unpack(r)[0].id : out.length;
      if (seen.has(key)) throw new Error(`ImageRecordIter: two records of '${this.uri}' have the id ${key}, so pathImglist cannot label them (give pathImgidx)`);
      seen.add(key);
      out.push([key, at]);
    }
    this.close();
    return out;
  }
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
    if (!isPlainObject(options)) throw new Error(`${what}: takes one options object ({ pathImgrec, dataShape, batchSize, ... }), got ${showValue(options)}`);
    const unknown = Object.keys(options).filter((k) => !KNOWN.includes(k));
    if (unknown.length) {
      throw new Error(`${what}: ${unknown.map((k) => `'${k}'`).join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not supported by gluonc's ImageRecordIter (it maps ${KNOWN.join(', ')}; use image.ImageIter with an augList for other augmentation)`);
    }
    const o = options as ImageRecordIterOptions;
    if (typeof o.pathImgrec !== 'string') throw new Error(`${what}: pathImgrec (the .rec file) is required, got ${showValue(o.pathImgrec)}`);
    const num = (k: keyof ImageRecordIterOptions, dflt: number): number => {
      const v = o[k] ?? dflt;
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: ${k} must be a number, got ${showValue(v)}`);
      return v;
    };
    for (const k of ['shuffle', 'randCrop', 'randMirror', 'mirror', 'roundBatch', 'verbose'] as const) {
      if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new Error(`${what}: ${k} must be true or false, got ${showValue(o[k])}`);
    }
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
    const mean = [num('meanR', 0), num('meanG', 0), num('meanB', 0)];
    const std = [num('stdR', 1), num('stdG', 1), num('stdB', 1)];
    if (mean.some((v) => v !== 0) || std.some((v) => v !== 1)) augs.push(new ColorNormalizeAug(mean, std));
    const scale = num('scale', 1);
    if (scale !== 1) augs.push(new ScaleAug(scale));

    let pathImgidx = o.pathImgidx;
    let scratch: string | null = null;
    if (!pathImgidx && (o.shuffle || num('numParts', 1) > 1 || o.pathImglist)) {
      // The C++ iterator needs no index to shuffle or to label from a .lst: find the records' offsets once.
      const entries = new OffsetScan(o.pathImgrec, 'r').entries(Boolean(o.pathImglist));
      scratch = mkdtempSync(path.join(tmpdir(), 'gluonc-rec-'));
      pathImgidx = path.join(scratch, 'scan.idx');
      writeFileSync(pathImgidx, entries.map(([k, off]) => `${k}\t${off}\n`).join(''));
    }
    try {
      super({
        batchSize: o.batchSize,
        dataShape: shape,
        labelWidth: o.labelWidth ?? 1,
        pathImgrec: o.pathImgrec,
        pathImglist: o.pathImglist ?? null,
        pathImgidx: pathImgidx ?? null,
        shuffle: o.shuffle ?? false,
        partIndex: o.partIndex ?? 0,
        numParts: o.numParts ?? 1,
        augList: augs,
        dataName: o.dataName ?? 'data',
        labelName: o.labelName ?? 'softmax_label',
        lastBatchHandle: 'pad',
      });
    } finally {
      if (scratch) rmSync(scratch, { recursive: true, force: true });
    }
  }
}
