/**
 * MXNet 1.x's detection augmenters (python/mxnet/image/detection.py:
 * `DetAugmenter`, `DetBorrowAug`, `DetRandomSelectAug`,
 * `DetHorizontalFlipAug`, `DetRandomCropAug`, `DetRandomPadAug`,
 * `CreateMultiRandCropAugmenter`, `CreateDetAugmenter`): callables on one
 * HWC image and its `[objects, 5+]` label rows `[cls, xmin, ymin, xmax,
 * ymax, ...]` (normalized 0..1) that `image.ImageDetIter` applies in order.
 *
 * Invariants: `call(src, label)` returns `[image, label]` and modifies
 * neither (MXNet's flip changes the label in place); labels are float32
 * and their arithmetic is detection.py's numpy arithmetic, operation by
 * operation in float32 (a Python number cast to float32 first, as numpy
 * does for an array), except `np.amin(coverages) > min_object_covered`,
 * which numpy 1.x (MXNet's) compares in float64; the proposals' integer
 * arithmetic is Python's (`round` to even). Random choices draw from the
 * seeded stream (`random.seed`) in detection.py's order: `random.random()`
 * is one draw u in [0, 1), `random.uniform(a, b)` is `a + (b - a) * u`,
 * `random.randint(a, b)` is `a + floor(u * (b - a + 1))` (one draw even
 * when a = b), `random.shuffle` is Fisher-Yates from the end.
 */
import { nextFloat, nextInt } from '../../ops/rng.js';
import { NDArray } from '../../engine/ndarray.js';
import { bindArgs, type KwArgs, type OptionArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import {
  Augmenter, CastAug, ColorJitterAug, ColorNormalizeAug, dumpsJson, ForceResizeAug, HueJitterAug, LightingAug, plainKwargs, RandomGrayAug, ResizeAug,
} from './image-aug.js';
import { fixedCrop } from './image.js';
import { dataShapeArg, type CreateAugmenterOptions } from './image-iter.js';
import { flipImage, imageDims, padImage } from './vision-image.js';

/** A detection augmenter or any function from `(image, label)` to `[image, label]` (MXNet calls `aug(src, label)`). */
export type DetAugmenterLike = DetAugmenter | ((src: NDArray, label: NDArray) => [NDArray, NDArray]);

/** Runs one detection augmenter of a list. Example: `[img, label] = runDetAug(aug, img, label)`. */
export function runDetAug(aug: DetAugmenterLike, src: NDArray, label: NDArray): [NDArray, NDArray] {
  const out = typeof aug === 'function' ? aug(src, label) : aug.call(src, label);
  if (!Array.isArray(out) || out.length !== 2) throw new Error(`detection augmenter ${aug instanceof DetAugmenter ? aug.constructor.name : `function ${aug.name || '(anonymous)'}`} must return [image, label], got ${showValue(out)}`);
  return out;
}

const f = Math.fround;
/** Python 3's `round(x)` of a float: to the nearest integer, halves to even. */
function pyRound(x: number): number {
  const fl = Math.floor(x);
  const d = x - fl;
  return d > 0.5 ? fl + 1 : d < 0.5 ? fl : fl % 2 === 0 ? fl : fl + 1;
}
/** `random.randint(a, b)`: an integer in [a, b]. */
const randint = (a: number, b: number): number => a + nextInt(b - a + 1);
/** `random.uniform(a, b)`. */
const uniform = (a: number, b: number): number => a + (b - a) * nextFloat();

/** A label as `n` float32 rows of `k` >= 5 numbers, or an Error naming the augmenter. */
function labelRows(what: string, label: unknown): { d: Float32Array; n: number; k: number } {
  if (!(label instanceof NDArray) || label.ndim !== 2 || label.shape[1]! < 5) {
    const got = label instanceof NDArray ? `shape [${label.shape.join(', ')}]` : showValue(label);
    throw new Error(`${what}: label must be an NDArray of shape [objects, 5+] (rows [cls, xmin, ymin, xmax, ymax, ...]), got ${got}`);
  }
  return { d: Float32Array.from(label.data() as Float32Array, Number), n: label.shape[0]!, k: label.shape[1]! };
}
const rows = (d: Float32Array, n: number, k: number): NDArray => new NDArray({ dtype: 'float32', shape: [n, k], data: d });

/** A `[min, max]` range from a pair or one number (detection.py's fixed range), or an Error. */
function rangeArg(what: string, name: string, v: unknown): [number, number] {
  const r = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(r) || r.length !== 2 || !r.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new Error(`${what}: ${name} must be a number or [min, max], got ${showValue(v)}`);
  return r as [number, number];
}
function numberArg(what: string, name: string, v: unknown, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (integer && !(Number.isInteger(v) && v >= 0))) throw new Error(`${what}: ${name} must be ${integer ? 'an integer >= 0' : 'a number'}, got ${showValue(v)}`);
  return v;
}

/**
 * The base class (MXNet's `DetAugmenter`): `call(src, label)` transforms one
 * HWC image and its `[objects, 5+]` float32 label; `dumps()` describes it
 * as detection.py's JSON `[name, kwargs]`.
 *
 * ```ts
 * class Identity extends image.DetAugmenter { call(src: nd.NDArray, label: nd.NDArray): [nd.NDArray, nd.NDArray] { return [src, label]; } }
 * ```
 */
export abstract class DetAugmenter {
  /** The constructor's arguments under MXNet's names, as `dumps` writes them. */
  protected readonly kwargs: Record<string, unknown>;

  constructor(kwargs: Record<string, unknown> = {}) {
    this.kwargs = plainKwargs(kwargs);
  }

  /** `json.dumps([class name lowercased, kwargs])`, as MXNet's (DetBorrowAug, DetRandomSelectAug: a list holding their members' dumps). */
  dumps(): string | unknown[] {
    return dumpsJson(this, this.kwargs);
  }

  /** Transforms one HWC image and its label rows. */
  abstract call(src: NDArray, label: NDArray): [NDArray, NDArray];
}

/**
 * A classification augmenter that leaves the boxes as they are, applied to
 * the image (MXNet's `DetBorrowAug`).
 *
 * ```ts
 * new image.DetBorrowAug(new image.CastAug()).call(img, label);
 * ```
 */
export class DetBorrowAug extends DetAugmenter {
  readonly augmenter: Augmenter;

  constructor(...args: KwArgs<['augmenter'], [augmenter: Augmenter], {}>) {
    const [[augmenter]] = bindArgs<[Augmenter], {}>('DetBorrowAug', ['augmenter'], args, []);
    if (!(augmenter instanceof Augmenter)) throw new Error(`DetBorrowAug: borrowing from an invalid Augmenter: expected an image.Augmenter, got ${typeof augmenter === 'function' ? 'a function' : showValue(augmenter)}`);
    super({ augmenter: augmenter.dumps() });
    this.augmenter = augmenter;
  }

  override dumps(): unknown[] {
    return [this.constructor.name.toLowerCase(), this.augmenter.dumps()];
  }

  call(src: NDArray, label: NDArray): [NDArray, NDArray] {
    return [this.augmenter.call(src), label];
  }
}

/**
 * With probability `skipProb` nothing, else one of `augList` chosen by
 * shuffling the list in place, as detection.py's `random.shuffle(self.aug_list)`
 * (MXNet's `DetRandomSelectAug`; an empty list always skips).
 *
 * ```ts
 * new image.DetRandomSelectAug([new image.DetRandomCropAug(0.5), new image.DetRandomCropAug(0.9)], 0.2).call(img, label);
 * ```
 */
export class DetRandomSelectAug extends DetAugmenter {
  readonly augList: DetAugmenter[];
  readonly skipProb: number;

  constructor(...args: KwArgs<['augList', 'skipProb?'], [augList: DetAugmenter | DetAugmenter[], skipProb?: number], {}>) {
    const [[augList, skipProb = 0]] = bindArgs<[DetAugmenter | DetAugmenter[], number?], {}>('DetRandomSelectAug', ['augList', 'skipProb?'], args, []);
    super({ skip_prob: skipProb });
    const list = Array.isArray(augList) ? [...augList] : [augList];
    if (!list.every((a) => a instanceof DetAugmenter)) throw new Error(`DetRandomSelectAug: augList allows DetAugmenters only, got ${showValue(list.map((a) => (a instanceof DetAugmenter ? a.constructor.name : typeof a === 'function' ? 'a function' : a)))}`);
    if (typeof skipProb !== 'number' || !(skipProb >= 0 && skipProb <= 1)) throw new Error(`DetRandomSelectAug: skipProb must be a probability in [0, 1], got ${showValue(skipProb)}`);
    this.augList = list;
    this.skipProb = list.length ? skipProb : 1;
  }

  override dumps(): unknown[] {
    return [this.constructor.name.toLowerCase(), this.augList.map((a) => a.dumps())];
  }

  call(src: NDArray, label: NDArray): [NDArray, NDArray] {
    if (nextFloat() < this.skipProb) return [src, label];
    for (let i = this.augList.length - 1; i > 0; i--) {
      const j = nextInt(i + 1);
      [this.augList[i], this.augList[j]] = [this.augList[j]!, this.augList[i]!];
    }
    return this.augList[0]!.call(src, label);
  }
}

/**
 * With probability `p`, the image mirrored left to right and each box's
 * xmin, xmax replaced by 1 - xmax, 1 - xmin (MXNet's `DetHorizontalFlipAug`).
 *
 * ```ts
 * new image.DetHorizontalFlipAug(0.5).call(img, label);
 * ```
 */
export class DetHorizontalFlipAug extends DetAugmenter {
  readonly p: number;

  constructor(...args: KwArgs<['p'], [p: number], {}>) {
    const [[p]] = bindArgs<[number], {}>('DetHorizontalFlipAug', ['p'], args, []);
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`DetHorizontalFlipAug: p must be a probability in [0, 1], got ${showValue(p)}`);
    super({ p });
    this.p = p;
  }

  call(src: NDArray, label: NDArray): [NDArray, NDArray] {
    const what = 'DetHorizontalFlipAug';
    const d = imageDims(what, src, false);
    const { d: l, n, k } = labelRows(what, label);
    if (!(nextFloat() < this.p)) return [src, label];
    for (let r = 0; r < n; r++) {
      const tmp = f(1 - l[r * k + 1]!);
      l[r * k + 1] = f(1 - l[r * k + 3]!);
      l[r * k + 3] = tmp;
    }
    return [flipImage(src, d, 1), rows(l, n, k)];
  }
}

/** `_calculate_areas` of a row's box at columns `at`..`at + 3` (xmin, ymin, xmax, ymax), in float32. */
const boxArea = (l: ArrayLike<number>, at: number): number => f(Math.max(0, f(l[at + 3]! - l[at + 1]!)) * Math.max(0, f(l[at + 2]! - l[at]!)));

/**
 * A random crop keeping at least `minObjectCovered` of each box it
 * touches, of area `areaRange` (fractions of the image) and aspect ratio
 * `aspectRatioRange` (width / height); boxes left with `minEjectCoverage`
 * or less of their area are dropped; after `maxAttempts` failed proposals
 * the image and label stay as they are (MXNet's `DetRandomCropAug`; an
 * invalid range disables it with a warning, as MXNet's).
 *
 * ```ts
 * new image.DetRandomCropAug({ minObjectCovered: 0.5, areaRange: [0.3, 1] }).call(img, label);
 * ```
 */
export class DetRandomCropAug extends DetAugmenter {
  readonly minObjectCovered: number;
  readonly aspectRatioRange: [number, number];
  readonly areaRange: [number, number];
  readonly minEjectCoverage: number;
  readonly maxAttempts: number;
  readonly enabled: boolean;

  constructor(
    ...args: KwArgs<
      ['minObjectCovered?', 'aspectRatioRange?', 'areaRange?', 'minEjectCoverage?', 'maxAttempts?'],
      [minObjectCovered?: number, aspectRatioRange?: number | [number, number], areaRange?: number | [number, number], minEjectCoverage?: number, maxAttempts?: number],
      {}
    >
  ) {
    const what = 'DetRandomCropAug';
    const [[moc = 0.1, arr = [0.75, 1.33], ar = [0.05, 1.0], mec = 0.3, ma = 50]] = bindArgs<[number?, (number | [number, number])?, (number | [number, number])?, number?, number?], {}>(
      what, ['minObjectCovered?', 'aspectRatioRange?', 'areaRange?', 'minEjectCoverage?', 'maxAttempts?'], args, [],
    );
    const aspectRatioRange = rangeArg(what, 'aspectRatioRange', arr);
    const areaRange = rangeArg(what, 'areaRange', ar);
    super({ min_object_covered: moc, aspect_ratio_range: aspectRatioRange, area_range: areaRange, min_eject_coverage: mec, max_attempts: ma });
    this.minObjectCovered = numberArg(what, 'minObjectCovered', moc);
    this.minEjectCoverage = numberArg(what, 'minEjectCoverage', mec);
    this.maxAttempts = numberArg(what, 'maxAttempts', ma, true);
    this.aspectRatioRange = aspectRatioRange;
    this.areaRange = areaRange;
    let why = '';
    if (areaRange[1] <= 0 || areaRange[0] > areaRange[1]) why = `invalid areaRange [${areaRange.join(', ')}]`;
    else if (aspectRatioRange[0] > aspectRatioRange[1] || aspectRatioRange[0] <= 0) why = `invalid aspectRatioRange [${aspectRatioRange.join(', ')}]`;
    if (why) process.emitWarning(`${what}: skipped (it crops nothing) due to ${why}`, 'GluoncWarning');
    this.enabled = !why;
  }

  call(src: NDArray, label: NDArray): [NDArray, NDArray] {
    const what = 'DetRandomCropAug';
    const d = imageDims(what, src, false);
    const l = labelRows(what, label);
    const crop = this.proposal(l.d, l.n, l.k, d.h, d.w);
    if (!crop) return [src, label];
    const [x, y, w, h, out] = crop;
    return [fixedCrop(src, x, y, w, h), out];
  }

  /** `_check_satisfy_constraints`: the crop keeps more than `minObjectCovered` of every box it touches (boxes over 2 pixels), and touches one. */
  private satisfies(l: Float32Array, n: number, k: number, xmin: number, ymin: number, xmax: number, ymax: number, width: number, height: number): boolean {
    if ((xmax - xmin) * (ymax - ymin) < 2) return false;
    const [x1, y1, x2, y2] = [f(xmin / width), f(ymin / height), f(xmax / width), f(ymax / height)];
    let any = false;
    let least = Infinity;
    for (let r = 0; r < n; r++) {
      const at = r * k + 1;
      const area = boxArea(l, at);
      if (!(f(f(area * width) * height) > 2)) continue;
      any = true;
      const [left, top, right, bot] = [Math.max(l[at]!, x1), Math.max(l[at + 1]!, y1), Math.min(l[at + 2]!, x2), Math.min(l[at + 3]!, y2)];
      const inter = left >= right || top >= bot ? 0 : boxArea([left, top, right, bot], 0);
      const coverage = f(inter / area);
      if (coverage > 0) least = Math.min(least, coverage);
    }
    return any && least !== Infinity && least > this.minObjectCovered;
  }

  /** `_update_labels`: the boxes in the crop's coordinates, clipped to it; null when none keeps more than `minEjectCoverage` of its area. */
  private cropLabels(l: Float32Array, n: number, k: number, [x, y, w, h]: number[], height: number, width: number): NDArray | null {
    const [xmin, ymin, ws, hs] = [f(x! / width), f(y! / height), f(w! / width), f(h! / height)];
    const keep: number[] = [];
    for (let r = 0; r < n; r++) {
      const at = r * k;
      const row = l.slice(at, at + k);
      for (const c of [1, 3]) row[c] = f(f(row[c]! - xmin) / ws);
      for (const c of [2, 4]) row[c] = f(f(row[c]! - ymin) / hs);
      for (let c = 1; c < 5; c++) row[c] = Math.min(1, Math.max(0, row[c]!));
      const coverage = f(f(f(boxArea(row, 1) * ws) * hs) / boxArea(l, at + 1));
      if (row[3]! > row[1]! && row[4]! > row[2]! && coverage > f(this.minEjectCoverage)) keep.push(...row);
    }
    return keep.length ? rows(Float32Array.from(keep), keep.length / k, k) : null;
  }

  /** `_random_crop_proposal`: `[x, y, w, h, label]` of an accepted crop, or null. */
  private proposal(l: Float32Array, n: number, k: number, height: number, width: number): [number, number, number, number, NDArray] | null {
    if (!this.enabled || height <= 0 || width <= 0) return null;
    const minArea = this.areaRange[0] * height * width;
    const maxArea = this.areaRange[1] * height * width;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const ratio = uniform(...this.aspectRatioRange);
      if (ratio <= 0) continue;
      let h = pyRound(Math.sqrt(minArea / ratio));
      let maxH = pyRound(Math.sqrt(maxArea / ratio));
      // The smallest max_h with round(max_h * ratio) <= width.
      if (pyRound(maxH * ratio) > width) maxH = Math.trunc((width + 0.4999999) / ratio);
      if (maxH > height) maxH = height;
      if (h > maxH) h = maxH;
      if (h < maxH) h = randint(h, maxH);
      let w = pyRound(h * ratio);
      // detection.py's fixes of rounding problems.
      let area = w * h;
      if (area < minArea) {
        h += 1;
        w = pyRound(h * ratio);
        area = w * h;
      }
      if (area > maxArea) {
        h -= 1;
        w = pyRound(h * ratio);
        area = w * h;
      }
      if (!(minArea <= area && area <= maxArea && w >= 0 && w <= width && h >= 0 && h <= height)) continue;
      const y = randint(0, Math.max(0, height - h));
      const x = randint(0, Math.max(0, width - w));
      if (this.satisfies(l, n, k, x, y, x + w, y + h, width, height)) {
        const out = this.cropLabels(l, n, k, [x, y, w, h], height, width);
        if (out !== null) return [x, y, w, h, out];
      }
    }
    return null;
  }
}

/**
 * A random larger canvas of area `areaRange` (multiples of the image's,
 * above 1) and aspect ratio `aspectRatioRange`, filled with `padVal` (one
 * per channel, or one for all), the image at a random place on it and the
 * boxes moved with it (MXNet's `DetRandomPadAug`; an invalid range
 * disables it with a warning, as MXNet's).
 *
 * ```ts
 * new image.DetRandomPadAug([0.75, 1.33], [1, 3], 50, [127, 127, 127]).call(img, label);
 * ```
 */
export class DetRandomPadAug extends DetAugmenter {
  readonly aspectRatioRange: [number, number];
  readonly areaRange: [number, number];
  readonly maxAttempts: number;
  readonly padVal: number[];
  readonly enabled: boolean;

  constructor(
    ...args: KwArgs<
      ['aspectRatioRange?', 'areaRange?', 'maxAttempts?', 'padVal?'],
      [aspectRatioRange?: number | [number, number], areaRange?: number | [number, number], maxAttempts?: number, padVal?: number | number[]],
      {}
    >
  ) {
    const what = 'DetRandomPadAug';
    const [[arr = [0.75, 1.33], ar = [1.0, 3.0], ma = 50, pv = [128, 128, 128]]] = bindArgs<[(number | [number, number])?, (number | [number, number])?, number?, (number | number[])?], {}>(
      what, ['aspectRatioRange?', 'areaRange?', 'maxAttempts?', 'padVal?'], args, [],
    );
    const aspectRatioRange = rangeArg(what, 'aspectRatioRange', arr);
    const areaRange = rangeArg(what, 'areaRange', ar);
    super({ aspect_ratio_range: aspectRatioRange, area_range: areaRange, max_attempts: ma, pad_val: pv });
    const padVal = typeof pv === 'number' ? [pv] : pv;
    if (!Array.isArray(padVal) || padVal.length === 0 || !padVal.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new Error(`${what}: padVal must be a number or one number per channel, got ${showValue(pv)}`);
    this.padVal = padVal;
    this.maxAttempts = numberArg(what, 'maxAttempts', ma, true);
    this.aspectRatioRange = aspectRatioRange;
    this.areaRange = areaRange;
    let why = '';
    if (areaRange[1] <= 1.0 || areaRange[0] > areaRange[1]) why = `invalid areaRange [${areaRange.join(', ')}] (the canvas must be larger than the image)`;
    else if (aspectRatioRange[0] <= 0 || aspectRatioRange[0] > aspectRatioRange[1]) why = `invalid aspectRatioRange [${aspectRatioRange.join(', ')}]`;
    if (why) process.emitWarning(`${what}: skipped (it pads nothing) due to ${why}`, 'GluoncWarning');
    this.enabled = !why;
  }

  call(src: NDArray, label: NDArray): [NDArray, NDArray] {
    const what = 'DetRandomPadAug';
    const d = imageDims(what, src, false);
    const { d: l, n, k } = labelRows(what, label);
    const pad = this.proposal(d.h, d.w);
    if (!pad) return [src, label];
    const [x, y, w, h] = pad;
    for (let r = 0; r < n; r++) {
      for (const c of [1, 3]) l[r * k + c] = f(f(f(l[r * k + c]! * d.w) + x) / w);
      for (const c of [2, 4]) l[r * k + c] = f(f(f(l[r * k + c]! * d.h) + y) / h);
    }
    return [padImage(what, 'padVal', src, d, [y, h - y - d.h, x, w - x - d.w], this.padVal), rows(l, n, k)];
  }

  /** `_random_pad_proposal`: `[x, y, w, h]` of the canvas, or null. */
  private proposal(height: number, width: number): [number, number, number, number] | null {
    if (!this.enabled || height <= 0 || width <= 0) return null;
    const minArea = this.areaRange[0] * height * width;
    const maxArea = this.areaRange[1] * height * width;
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      const ratio = uniform(...this.aspectRatioRange);
      if (ratio <= 0) continue;
      let h = pyRound(Math.sqrt(minArea / ratio));
      const maxH = pyRound(Math.sqrt(maxArea / ratio));
      if (pyRound(h * ratio) < width) h = Math.trunc((width + 0.499999) / ratio);
      if (h < height) h = height;
      if (h > maxH) h = maxH;
      if (h < maxH) h = randint(h, maxH);
      const w = pyRound(h * ratio);
      // Marginal padding is not helpful.
      if (h - height < 2 || w - width < 2) continue;
      const y = randint(0, Math.max(0, h - height));
      const x = randint(0, Math.max(0, w - width));
      return [x, y, w, h];
    }
    return null;
  }
}

/** One parameter of `CreateMultiRandCropAugmenter` as a list: `isOne` tells a single value from a list of them. */
function listOf(v: unknown, isOne: (x: unknown) => boolean): unknown[] {
  return isOne(v) ? [v] : Array.isArray(v) ? v : [v];
}
const isPair = (x: unknown): boolean => typeof x === 'number' || (Array.isArray(x) && x.every((e) => typeof e === 'number'));

/**
 * DetRandomCropAugs, one per value where a parameter is a list (a list of
 * numbers for `minObjectCovered`, `minEjectCoverage`, `maxAttempts`; a list
 * of `[min, max]` pairs for the ranges), the others repeated, in one
 * DetRandomSelectAug (MXNet's `CreateMultiRandCropAugmenter`).
 *
 * ```ts
 * image.CreateMultiRandCropAugmenter({ minObjectCovered: [0.1, 0.3, 0.5, 0.7, 0.9], areaRange: [[0.1, 1], [0.2, 1], [0.2, 1], [0.3, 0.9], [0.5, 1]] });
 * ```
 */
export function CreateMultiRandCropAugmenter(
  ...args: KwArgs<
    ['minObjectCovered?', 'aspectRatioRange?', 'areaRange?', 'minEjectCoverage?', 'maxAttempts?', 'skipProb?'],
    [minObjectCovered?: number | number[], aspectRatioRange?: number | [number, number] | [number, number][], areaRange?: number | [number, number] | [number, number][], minEjectCoverage?: number | number[], maxAttempts?: number | number[], skipProb?: number],
    {}
  >
): DetRandomSelectAug {
  const what = 'CreateMultiRandCropAugmenter';
  const [[moc = 0.1, arr = [0.75, 1.33], ar = [0.05, 1.0], mec = 0.3, ma = 50, skipProb = 0]] = bindArgs<unknown[], {}>(
    what, ['minObjectCovered?', 'aspectRatioRange?', 'areaRange?', 'minEjectCoverage?', 'maxAttempts?', 'skipProb?'], args, [],
  );
  const isNum = (x: unknown): boolean => typeof x === 'number';
  const params = [listOf(moc, isNum), listOf(arr, isPair), listOf(ar, isPair), listOf(mec, isNum), listOf(ma, isNum)];
  const num = Math.max(1, ...params.map((p) => p.length));
  const names = ['minObjectCovered', 'aspectRatioRange', 'areaRange', 'minEjectCoverage', 'maxAttempts'];
  params.forEach((p, i) => {
    if (p.length !== num && p.length !== 1) throw new Error(`${what}: ${names[i]} has ${p.length} values but another parameter has ${num} (each is one value or one per augmenter)`);
  });
  const augs = Array.from({ length: num }, (_v, j) => new DetRandomCropAug(...(params.map((p) => p[p.length === 1 ? 0 : j]) as [number, [number, number], [number, number], number, number])));
  return new DetRandomSelectAug(augs, skipProb as number);
}

type Channels = number | number[] | NDArray | null;

/** `CreateDetAugmenter`'s options (MXNet's keyword arguments, camelCase). */
export interface CreateDetAugmenterOptions extends Omit<CreateAugmenterOptions, 'randCrop' | 'randResize'> {
  /** The probability of a random crop (true: 1). */
  randCrop?: number | boolean;
  /** The probability of a random pad (true: 1). */
  randPad?: number | boolean;
  minObjectCovered?: number | number[];
  aspectRatioRange?: number | [number, number] | [number, number][];
  areaRange?: number | [number, number] | [number, number][];
  minEjectCoverage?: number | number[];
  maxAttempts?: number | number[];
  padVal?: number | number[];
}

const DET_AUG_ARGS = [
  'dataShape', 'resize?', 'randCrop?', 'randPad?', 'randGray?', 'randMirror?', 'mean?', 'std?', 'brightness?', 'contrast?', 'saturation?', 'pcaNoise?', 'hue?',
  'interMethod?', 'minObjectCovered?', 'aspectRatioRange?', 'areaRange?', 'minEjectCoverage?', 'maxAttempts?', 'padVal?',
] as const;
/** CreateDetAugmenter's option names other than dataShape (ImageDetIter passes them on). */
export const DET_AUG_KEYS = DET_AUG_ARGS.slice(1).map((k) => k.slice(0, -1));

/**
 * The detection augmenters detection.py's `CreateDetAugmenter` lists, in
 * its order: DetBorrowAug(ResizeAug) (`resize` > 0), the random crops
 * (`randCrop` > 0: CreateMultiRandCropAugmenter skipping with 1 - randCrop),
 * DetHorizontalFlipAug(0.5) (`randMirror`), DetRandomPadAug (`randPad` > 0,
 * area `[1, areaRange[1]]`, skipping with 1 - randPad), then borrowed
 * ForceResizeAug to `dataShape`, CastAug, ColorJitterAug, HueJitterAug,
 * LightingAug (`pcaNoise`), RandomGrayAug, ColorNormalizeAug.
 *
 * ```ts
 * const augs = image.CreateDetAugmenter([3, 300, 300], { randCrop: 0.5, randPad: 0.5, randMirror: true, mean: true, std: true });
 * ```
 */
export function CreateDetAugmenter(...args: OptionArgs<CreateDetAugmenterOptions, typeof DET_AUG_ARGS>): DetAugmenter[] {
  const what = 'CreateDetAugmenter';
  const [[dataShape, resize = 0, randCrop0 = 0, randPad0 = 0, randGray = 0, randMirror = false, mean0 = null, std0 = null, brightness = 0, contrast = 0, saturation = 0, pcaNoise = 0, hue = 0, interMethod = 2,
    minObjectCovered = 0.1, aspectRatioRange = [0.75, 1.33], areaRange = [0.05, 3.0], minEjectCoverage = 0.3, maxAttempts = 50, padVal = [127, 127, 127]]] = bindArgs<
    [number[], number?, (number | boolean)?, (number | boolean)?, number?, boolean?, (boolean | Channels)?, (boolean | Channels)?, number?, number?, number?, number?, number?, number?,
      (number | number[])?, (number | [number, number] | [number, number][])?, (number | [number, number] | [number, number][])?, (number | number[])?, (number | number[])?, (number | number[])?],
    {}
  >(what, DET_AUG_ARGS, args, []);
  const shape = dataShapeArg(what, dataShape);
  const randCrop = Number(randCrop0);
  const randPad = Number(randPad0);
  for (const [k, v] of Object.entries({ resize, randCrop, randPad, randGray, brightness, contrast, saturation, pcaNoise, hue })) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: ${k} must be a number, got ${showValue(v)}`);
  }
  for (const [k, v] of Object.entries({ randCrop, randPad })) if (!(v >= 0 && v <= 1)) throw new Error(`${what}: ${k} must be a probability in [0, 1], got ${showValue(v)}`);
  const list: DetAugmenter[] = [];
  if (resize > 0) list.push(new DetBorrowAug(new ResizeAug(resize, interMethod)));
  if (randCrop > 0) list.push(CreateMultiRandCropAugmenter(minObjectCovered, aspectRatioRange as [number, number], areaRange as [number, number], minEjectCoverage, maxAttempts, 1 - randCrop));
  if (randMirror) list.push(new DetHorizontalFlipAug(0.5));
  // Padding as late as possible, to save computation.
  if (randPad > 0) {
    for (const [k, v] of Object.entries({ aspectRatioRange, areaRange, maxAttempts })) {
      if (!isPair(v) || (k === 'maxAttempts' && typeof v !== 'number')) throw new Error(`${what}: randPad takes one ${k} (a list of them is for the random crops only), got ${showValue(v)}`);
    }
    const area = typeof areaRange === 'number' ? areaRange : (areaRange as [number, number])[1];
    list.push(new DetRandomSelectAug([new DetRandomPadAug(aspectRatioRange as [number, number], [1.0, area], maxAttempts as number, padVal)], 1 - randPad));
  }
  list.push(new DetBorrowAug(new ForceResizeAug([shape[2], shape[1]], interMethod)));
  list.push(new DetBorrowAug(new CastAug()));
  if (brightness || contrast || saturation) list.push(new DetBorrowAug(new ColorJitterAug(brightness, contrast, saturation)));
  if (hue) list.push(new DetBorrowAug(new HueJitterAug(hue)));
  if (pcaNoise > 0) {
    const eigvec = [[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.814], [-0.5836, -0.6948, 0.4203]];
    list.push(new DetBorrowAug(new LightingAug(pcaNoise, [55.46, 4.794, 1.148], eigvec)));
  }
  if (randGray > 0) list.push(new DetBorrowAug(new RandomGrayAug(randGray)));
  const mean = mean0 === true ? [123.68, 116.28, 103.53] : mean0 === false ? null : mean0;
  const std = std0 === true ? [58.395, 57.12, 57.375] : std0 === false ? null : std0;
  if (mean !== null || std !== null) list.push(new DetBorrowAug(new ColorNormalizeAug(mean, std)));
  return list;
}
