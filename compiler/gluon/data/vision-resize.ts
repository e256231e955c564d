/**
 * `gluon.data.vision.transforms`' geometry: `Resize`, `CenterCrop`,
 * `RandomResizedCrop`, `CropResize`, `RandomCrop`, `RandomFlipLeftRight`
 * and `RandomFlipTopBottom`, with MXNet 1.9's semantics
 * (python/mxnet/gluon/data/vision/transforms.py, python/mxnet/image/image.py's
 * `center_crop`, `random_crop`, `random_size_crop`, `scale_down`, and
 * src/operator/image/resize-inl.h, crop-inl.h, image_random-inl.h).
 * Sizes are MXNet's `(width, height)`; images are HWC (`Resize` and
 * `CropResize` take NHWC batches too), any channel count.
 *
 * Invariants: random choices draw from the seeded stream (`random.seed`);
 * the input is not modified and the dtype is kept; a size, box, scale or
 * ratio that cannot be is an Error naming the transform and the argument.
 */
import { nextFloat, nextInt } from '../../ops/rng.js';
import { NDArray } from '../../engine/ndarray.js';
import { Block } from '../block.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { cropImage, flipImage, imageDims, interpolationArg, padImage, positiveInt, resizeImage, sizeArg, type ImageDims } from './vision-image.js';

/** `int` or `(width, height)`, as MXNet's transforms take a size. */
export type ImageSize = number | [number] | [number, number];

/** `random.randint(lo, hi)`: an integer in [lo, hi], both included. */
function randint(lo: number, hi: number): number {
  return lo + nextInt(hi - lo + 1);
}

/** `random.uniform(lo, hi)`. */
function uniform(lo: number, hi: number): number {
  return lo + (hi - lo) * nextFloat();
}

/** Python's `round` (half to even). */
function pyRound(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `(w, h)` of a size given as one number (a square) or `[w, h]`. */
function squareOr(what: string, size: unknown): [number, number] {
  const s = sizeArg(what, size);
  return [s[0], s[1] ?? s[0]];
}

/** image.py's `scale_down`: shrinks `(w, h)` to fit `(sw, sh)`, keeping its aspect ratio. */
export function scaleDown(sw: number, sh: number, w: number, h: number): [number, number] {
  if (sh < h) [w, h] = [(w * sh) / h, sh];
  if (sw < w) [w, h] = [sw, (h * sw) / w];
  return [Math.trunc(w), Math.trunc(h)];
}

/** image.py's `fixed_crop`: the window, resized to `size` unless it already has that size. */
export function fixedCrop(what: string, x: NDArray, d: ImageDims, x0: number, y0: number, w: number, h: number, size: [number, number], interp: number): NDArray {
  const out = cropImage(x, d, x0, y0, w, h);
  if (w === size[0] && h === size[1]) return out;
  return resizeImage(what, out, { batch: null, h, w, c: d.c }, size[0], size[1], interp);
}

/** image.py's `center_crop`: the largest centred window of `size`'s aspect ratio, resized to `size`. */
function centerCrop(what: string, x: NDArray, d: ImageDims, size: [number, number], interp: number): NDArray {
  const [nw, nh] = scaleDown(d.w, d.h, size[0], size[1]);
  if (nw === 0 || nh === 0) throw new Error(`${what}: a ${size[0]}x${size[1]} (width x height) crop of an image of shape [${d.h}, ${d.w}, ${d.c}] keeps no pixel`);
  return fixedCrop(what, x, d, Math.trunc((d.w - nw) / 2), Math.trunc((d.h - nh) / 2), nw, nh, size, interp);
}

/**
 * Resizes to `size` (MXNet's `Resize`): `[width, height]`, or one number
 * for a square, or with `keepRatio` for the shorter edge (the longer one
 * `floor(long * size / short)`, as MXNet's operator computes it).
 * `interpolation` is OpenCV's code: 1 bilinear (default), 0 nearest,
 * 2 bicubic, 3 area, 4 Lanczos.
 *
 * ```ts
 * new transforms.Resize([64, 48]).call(img).shape;             // [48, 64, 3]
 * new transforms.Resize(256, { keepRatio: true }).call(img);    // shorter edge 256
 * ```
 */
export class Resize extends Block {
  readonly size: [number] | [number, number];
  readonly keepRatio: boolean;
  readonly interpolation: number;

  constructor(...args: KwArgs<['size', 'keepRatio?', 'interpolation?'], [size: ImageSize, keepRatio?: boolean, interpolation?: number], {}>) {
    super();
    const [[size, keepRatio = false, interpolation = 1]] = bindArgs<[ImageSize, boolean?, number?], {}>('Resize', ['size', 'keepRatio?', 'interpolation?'], args, []);
    this.size = sizeArg('Resize', size);
    if (typeof keepRatio !== 'boolean') throw new Error(`Resize: keepRatio must be true or false, got ${showValue(keepRatio)}`);
    this.keepRatio = keepRatio;
    this.interpolation = interpolationArg('Resize', interpolation);
  }

  override forward(x: NDArray): NDArray {
    const d = imageDims('Resize', x, true);
    let w: number;
    let h: number;
    if (this.size.length === 2) [w, h] = this.size;
    else if (!this.keepRatio) w = h = this.size[0];
    else if (d.h > d.w) [w, h] = [this.size[0], Math.floor((d.h * this.size[0]) / d.w)];
    else [w, h] = [Math.floor((d.w * this.size[0]) / d.h), this.size[0]];
    if (w === 0 || h === 0) throw new Error(`Resize: keeping the ratio of an image of shape [${x.shape.join(', ')}] makes a side of 0 (size ${this.size[0]})`);
    return resizeImage('Resize', x, d, w, h, this.interpolation);
  }

  override toString(): string {
    return `Resize(size=${JSON.stringify(this.size.length === 1 ? this.size[0] : this.size)}, keepRatio=${this.keepRatio}, interpolation=${this.interpolation})`;
  }
}

/**
 * Crops the centre to `size` (`[width, height]` or a square), upsampling an
 * image smaller than it (MXNet's `CenterCrop`, image.py's `center_crop`).
 *
 * ```ts
 * new transforms.CenterCrop(224).call(nd.ones([256, 341, 3], { dtype: 'uint8' })).shape; // [224, 224, 3]
 * ```
 */
export class CenterCrop extends Block {
  readonly size: [number, number];
  readonly interpolation: number;

  constructor(...args: KwArgs<['size', 'interpolation?'], [size: ImageSize, interpolation?: number], {}>) {
    super();
    const [[size, interpolation = 1]] = bindArgs<[ImageSize, number?], {}>('CenterCrop', ['size', 'interpolation?'], args, []);
    this.size = squareOr('CenterCrop', size);
    this.interpolation = interpolationArg('CenterCrop', interpolation);
  }

  override toString(): string {
    return `CenterCrop(size=${JSON.stringify(this.size)}, interpolation=${this.interpolation})`;
  }

  override forward(x: NDArray): NDArray {
    return centerCrop('CenterCrop', x, imageDims('CenterCrop', x, false), this.size, this.interpolation);
  }
}

/**
 * image.py's `random_size_crop` window: 10 draws of an area fraction in
 * `scale` and a log-uniform aspect ratio in `ratio`, the first that fits
 * placed at random, as `[x0, y0, w, h]`; null when none fits (the caller
 * falls back to the centre crop). Example: `randomSizeWindow(d, [0.08, 1], [3 / 4, 4 / 3])`.
 */
export function randomSizeWindow(d: ImageDims, scale: readonly [number, number], ratio: readonly [number, number]): [number, number, number, number] | null {
  const area = d.h * d.w;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])] as const;
  for (let i = 0; i < 10; i++) {
    const target = uniform(scale[0], scale[1]) * area;
    const r = Math.exp(uniform(logRatio[0], logRatio[1]));
    const w = pyRound(Math.sqrt(target * r));
    const h = pyRound(Math.sqrt(target / r));
    // A window rounded to no pixel counts as a miss (MXNet's resize of it would fail).
    if (w >= 1 && h >= 1 && w <= d.w && h <= d.h) return [randint(0, d.w - w), randint(0, d.h - h), w, h];
  }
  return null;
}

/** `[lo, hi]` with `0 < lo <= hi`, finite, or an Error naming the transform and argument. */
function range(what: string, name: string, v: unknown): [number, number] {
  const ok = Array.isArray(v) && v.length === 2 && v.every((e) => typeof e === 'number' && Number.isFinite(e) && e > 0);
  if (!ok) throw new Error(`${what}: ${name} must be [min, max] of positive numbers, got ${showValue(v)}`);
  const [lo, hi] = v as [number, number];
  if (lo > hi) throw new Error(`${what}: ${name} must be [min, max] with min <= max, got ${showValue(v)}`);
  return [lo, hi];
}

/**
 * A crop of random area (`scale` of the image's, default [0.08, 1]) and
 * aspect ratio (`ratio`, width / height, drawn log-uniformly from
 * [3/4, 4/3]), resized to `size` (MXNet's `RandomResizedCrop`, image.py's
 * `random_size_crop`): 10 tries for a window that fits, then the centre
 * crop. A `scale` of one number is `[scale, 1]`.
 *
 * ```ts
 * new transforms.RandomResizedCrop([200, 200], { scale: [0.1, 1], ratio: [0.5, 2] });
 * ```
 */
export class RandomResizedCrop extends Block {
  readonly size: [number, number];
  readonly scale: [number, number];
  readonly ratio: [number, number];
  readonly interpolation: number;

  constructor(
    ...args: KwArgs<
      ['size', 'scale?', 'ratio?', 'interpolation?'],
      [size: ImageSize, scale?: number | [number, number], ratio?: [number, number], interpolation?: number],
      {}
    >
  ) {
    super();
    const [[size, scale = [0.08, 1.0], ratio = [3 / 4, 4 / 3], interpolation = 1]] = bindArgs<[ImageSize, (number | [number, number])?, [number, number]?, number?], {}>(
      'RandomResizedCrop',
      ['size', 'scale?', 'ratio?', 'interpolation?'],
      args,
      [],
    );
    this.size = squareOr('RandomResizedCrop', size);
    this.scale = range('RandomResizedCrop', 'scale', typeof scale === 'number' ? [scale, 1.0] : scale);
    this.ratio = range('RandomResizedCrop', 'ratio', ratio);
    this.interpolation = interpolationArg('RandomResizedCrop', interpolation);
  }

  /** The window `[x0, y0, w, h]` of one draw, or null where 10 tries found none (then the centre crop). Example: `t.window(x)`. */
  window(d: ImageDims): [number, number, number, number] | null {
    return randomSizeWindow(d, this.scale, this.ratio);
  }

  override toString(): string {
    return `RandomResizedCrop(size=${JSON.stringify(this.size)}, scale=${JSON.stringify(this.scale)}, ratio=${JSON.stringify(this.ratio)}, interpolation=${this.interpolation})`;
  }

  override forward(x: NDArray): NDArray {
    const d = imageDims('RandomResizedCrop', x, false);
    const win = this.window(d);
    if (!win) return centerCrop('RandomResizedCrop', x, d, this.size, this.interpolation);
    return fixedCrop('RandomResizedCrop', x, d, ...win, this.size, this.interpolation);
  }
}

/**
 * Crops the box at `(x, y)` of `width` x `height`, then resizes it to
 * `size` if given (MXNet's `CropResize`; HWC or NHWC). A box outside the
 * image is an Error.
 *
 * ```ts
 * new transforms.CropResize(0, 0, 100, 100, [50, 50]).call(img).shape; // [50, 50, 3]
 * ```
 */
export class CropResize extends Block {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly size: [number] | [number, number] | undefined;
  readonly interpolation: number;

  constructor(
    ...args: KwArgs<
      ['x', 'y', 'width', 'height', 'size?', 'interpolation?'],
      [x: number, y: number, width: number, height: number, size?: ImageSize, interpolation?: number],
      {}
    >
  ) {
    super();
    const [[x, y, width, height, size, interpolation = 1]] = bindArgs<[number, number, number, number, ImageSize?, number?], {}>(
      'CropResize',
      ['x', 'y', 'width', 'height', 'size?', 'interpolation?'],
      args,
      [],
    );
    for (const [name, v] of [['x', x], ['y', y]] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new Error(`CropResize: ${name} must be an integer >= 0, got ${showValue(v)}`);
    }
    this.x = x;
    this.y = y;
    this.width = positiveInt('CropResize', 'width', width);
    this.height = positiveInt('CropResize', 'height', height);
    this.size = size === undefined ? undefined : sizeArg('CropResize', size);
    this.interpolation = interpolationArg('CropResize', interpolation);
  }

  override toString(): string {
    return `CropResize(x=${this.x}, y=${this.y}, width=${this.width}, height=${this.height}, size=${JSON.stringify(this.size ?? null)}, interpolation=${this.interpolation})`;
  }

  override forward(x: NDArray): NDArray {
    const d = imageDims('CropResize', x, true);
    if (this.x + this.width > d.w || this.y + this.height > d.h) {
      throw new Error(`CropResize: the box x=${this.x}, y=${this.y}, width=${this.width}, height=${this.height} is outside the image of shape [${x.shape.join(', ')}] (HWC)`);
    }
    const out = cropImage(x, d, this.x, this.y, this.width, this.height);
    if (!this.size) return out;
    const [w, h] = [this.size[0], this.size[1] ?? this.size[0]];
    return resizeImage('CropResize', out, { ...d, h: this.height, w: this.width }, w, h, this.interpolation);
  }
}

/** `[top, bottom, left, right]` padding from MXNet's `pad` (one number for all four sides). */
function padArg(v: unknown): [number, number, number, number] | null {
  if (v === undefined || v === null) return null;
  const list = typeof v === 'number' ? [v, v, v, v] : v;
  if (!Array.isArray(list) || list.length !== 4 || list.some((p) => typeof p !== 'number' || !Number.isInteger(p) || p < 0)) {
    throw new Error(`RandomCrop: pad must be an integer >= 0 or [top, bottom, left, right] of them, got ${showValue(v)}`);
  }
  return list as [number, number, number, number];
}

/**
 * A window of `size` at a random place, after padding the image by `pad`
 * pixels of `padValue` if given; an image smaller than `size` gives its
 * largest window of that aspect ratio, upsampled (MXNet's `RandomCrop`,
 * image.py's `random_crop`). CIFAR's `RandomCrop(32, { pad: 4 })`.
 *
 * ```ts
 * new transforms.RandomCrop(32, { pad: 4 }).call(cifarImage).shape; // [32, 32, 3]
 * ```
 */
export class RandomCrop extends Block {
  readonly size: [number, number];
  readonly pad: [number, number, number, number] | null;
  readonly padValue: number;
  readonly interpolation: number;

  constructor(
    ...args: KwArgs<
      ['size', 'pad?', 'padValue?', 'interpolation?'],
      [size: ImageSize, pad?: number | [number, number, number, number], padValue?: number, interpolation?: number],
      {}
    >
  ) {
    super();
    const [[size, pad, padValue = 0, interpolation = 1]] = bindArgs<[ImageSize, (number | [number, number, number, number])?, number?, number?], {}>(
      'RandomCrop',
      ['size', 'pad?', 'padValue?', 'interpolation?'],
      args,
      [],
    );
    this.size = squareOr('RandomCrop', size);
    this.pad = padArg(pad);
    if (typeof padValue !== 'number' || !Number.isFinite(padValue)) throw new Error(`RandomCrop: padValue must be a number, got ${showValue(padValue)}`);
    this.padValue = padValue;
    this.interpolation = interpolationArg('RandomCrop', interpolation);
  }

  override toString(): string {
    return `RandomCrop(size=${JSON.stringify(this.size)}, pad=${JSON.stringify(this.pad)}, padValue=${this.padValue}, interpolation=${this.interpolation})`;
  }

  override forward(x: NDArray): NDArray {
    let d = imageDims('RandomCrop', x, false);
    let img = x;
    if (this.pad) {
      img = padImage('RandomCrop', 'padValue', x, d, this.pad, [this.padValue]);
      d = { batch: null, h: img.shape[0]!, w: img.shape[1]!, c: d.c };
    }
    const [nw, nh] = scaleDown(d.w, d.h, this.size[0], this.size[1]);
    if (nw === 0 || nh === 0) throw new Error(`RandomCrop: a ${this.size[0]}x${this.size[1]} (width x height) crop of an image of shape [${d.h}, ${d.w}, ${d.c}] keeps no pixel`);
    return fixedCrop('RandomCrop', img, d, randint(0, d.w - nw), randint(0, d.h - nh), nw, nh, this.size, this.interpolation);
  }
}

/** A flip probability in [0, 1]. */
function probability(what: string, p: unknown): number {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${what}: p must be a probability in [0, 1], got ${showValue(p)}`);
  return p;
}

/** A flip of an HWC image along `axis` (0 rows, 1 columns) with probability `p`; the two flips below name it. */
abstract class RandomFlip extends Block {
  readonly p: number;

  constructor(private readonly what: string, private readonly axis: 0 | 1, args: unknown[]) {
    super();
    const [[p = 0.5]] = bindArgs<[number?], {}>(what, ['p?'], args, []);
    this.p = probability(what, p);
  }

  override toString(): string {
    return `${this.what}(p=${this.p})`;
  }

  override forward(x: NDArray): NDArray {
    const d = imageDims(this.what, x, false);
    return nextFloat() < this.p ? flipImage(x, d, this.axis) : x.copy();
  }
}

/**
 * Flips an HWC image left to right with probability `p` (0.5; MXNet's
 * `RandomFlipLeftRight`, `p` as MXNet 2 has it).
 *
 * ```ts
 * new transforms.RandomFlipLeftRight().call(img);
 * ```
 */
export class RandomFlipLeftRight extends RandomFlip {
  constructor(...args: KwArgs<['p?'], [p?: number], {}>) {
    super('RandomFlipLeftRight', 1, args);
  }
}

/**
 * Flips an HWC image top to bottom with probability `p` (0.5; MXNet's
 * `RandomFlipTopBottom`).
 *
 * ```ts
 * new transforms.RandomFlipTopBottom().call(img);
 * ```
 */
export class RandomFlipTopBottom extends RandomFlip {
  constructor(...args: KwArgs<['p?'], [p?: number], {}>) {
    super('RandomFlipTopBottom', 0, args);
  }
}
