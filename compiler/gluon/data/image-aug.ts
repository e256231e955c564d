/**
 * MXNet 1.x's image augmenters (python/mxnet/image/image.py: `Augmenter`,
 * `SequentialAug`, `RandomOrderAug`, the resizes and crops, the colour
 * jitters, `LightingAug`, `ColorNormalizeAug`, `RandomGrayAug`,
 * `HorizontalFlipAug`, `CastAug`): callables on one HWC image that
 * `image.ImageIter` applies in order, as `CreateAugmenter` lists them.
 *
 * Invariants: `call(src)` returns a new array (MXNet's jitters work in
 * place; `src` is left as it is here); the geometric ones are image.ts's
 * functions with image.py's defaults (`interp` 2); brightness, contrast and
 * saturation are vision-color.ts's adjustments, whose formulas are
 * image.py's (`x * a`; `x * a + (1 - a) * mean gray`; `x * a + (1 - a) *
 * gray`, gray weights 0.299, 0.587, 0.114), float32 operation by operation,
 * a uint8 image clamped to 0..255; hue (image.py's YIQ rotation), gray and
 * lighting take float32 or float64 images (a uint8 one is an Error: MXNet
 * would cast the added noise to uint8) with 3 channels. Random choices
 * draw from the seeded stream (`random.seed`), not Python's or numpy's, in
 * image.py's order. Each random augmenter's fixed-factor form is public
 * (`adjust(src, alpha)`) for tests and fixed augmentation.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { nextFloat, nextInt, nextNormal } from '../../ops/rng.js';
import { NDArray } from '../../engine/ndarray.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { centerCrop, colorNormalize, imresize, randomCrop, randomSizeCrop, resizeShort } from './image.js';
import { adjust } from './vision-color.js';
import { flipImage, imageDims, wrap } from './vision-image.js';

/** An augmenter or any function from an HWC image to an HWC image (MXNet calls `aug(src)`). */
export type AugmenterLike = Augmenter | ((src: NDArray) => NDArray);

/** Runs one augmenter of a list. Example: `runAug(aug, img)`. */
export function runAug(aug: AugmenterLike, src: NDArray): NDArray {
  return typeof aug === 'function' ? aug(src) : aug.call(src);
}

/** An augmenter's MXNet parameters, positional or by name in one options object (`new ResizeAug({ size: 256 })`). */
function bindAug<P extends readonly unknown[]>(cls: string, names: readonly string[], args: readonly unknown[]): P {
  return bindArgs<P, {}>(cls, names, args, [])[0];
}

/** Python's `json.dumps` layout (`", "` and `": "` separators) for the kwargs `dumps` writes. */
export function pyJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (v instanceof NDArray) return pyJson(v.toArray());
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`).join(', ')}}`;
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return v === undefined ? 'null' : JSON.stringify(v);
}

/** An augmenter's kwargs as `dumps` writes them: NDArrays and typed arrays as plain lists (Augmenter and DetAugmenter). */
export function plainKwargs(kwargs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, v instanceof NDArray ? v.toArray() : ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v]));
}

/** `json.dumps([class name lowercased, kwargs])` (Augmenter and DetAugmenter). */
export const dumpsJson = (aug: object, kwargs: Record<string, unknown>): string => pyJson([aug.constructor.name.toLowerCase(), kwargs]);

/**
 * The base class (MXNet's `Augmenter`): `call(src)` transforms one HWC
 * image; `dumps()` describes it as image.py's JSON `[name, kwargs]`.
 *
 * ```ts
 * class Invert extends image.Augmenter { call(src: nd.NDArray) { return src.mul(-1).add(255); } }
 * ```
 */
export abstract class Augmenter {
  /** The constructor's arguments under MXNet's names, as `dumps` writes them. */
  protected readonly kwargs: Record<string, unknown>;

  constructor(kwargs: Record<string, unknown> = {}) {
    this.kwargs = plainKwargs(kwargs);
  }

  /** `json.dumps([class name lowercased, kwargs])`, as MXNet's (SequentialAug/RandomOrderAug: a list of their members' dumps). */
  dumps(): string | unknown[] {
    return dumpsJson(this, this.kwargs);
  }

  /** Transforms one HWC image. */
  abstract call(src: NDArray): NDArray;
}

function augList(what: string, ts: unknown): AugmenterLike[] {
  if (!Array.isArray(ts) || !ts.every((t) => t instanceof Augmenter || typeof t === 'function')) throw new Error(`${what}: ts must be a list of augmenters, got ${showValue(ts)}`);
  return ts as AugmenterLike[];
}

const dumpsOf = (t: AugmenterLike): unknown => (t instanceof Augmenter ? t.dumps() : `function ${t.name || '(anonymous)'}`);

/**
 * Applies `ts` in order (MXNet's `SequentialAug`).
 *
 * ```ts
 * new image.SequentialAug([new image.ResizeAug(256), new image.CenterCropAug([224, 224])]).call(img);
 * ```
 */
export class SequentialAug extends Augmenter {
  readonly ts: AugmenterLike[];

  constructor(...args: KwArgs<['ts'], [ts: AugmenterLike[]], {}>) {
    const [ts] = bindAug<[AugmenterLike[]]>(new.target.name, ['ts'], args);
    super();
    this.ts = augList(new.target.name, ts);
  }

  override dumps(): unknown[] {
    return [this.constructor.name.toLowerCase(), this.ts.map(dumpsOf)];
  }

  call(src: NDArray): NDArray {
    return this.ts.reduce((x, t) => runAug(t, x), src);
  }
}

/**
 * Applies `ts` in a random order, shuffling its own list on each call as
 * image.py's `random.shuffle(self.ts)` does (MXNet's `RandomOrderAug`).
 *
 * ```ts
 * new image.RandomOrderAug([new image.BrightnessJitterAug(0.1), new image.ContrastJitterAug(0.1)]).call(img);
 * ```
 */
export class RandomOrderAug extends SequentialAug {
  override call(src: NDArray): NDArray {
    for (let i = this.ts.length - 1; i > 0; i--) {
      const j = nextInt(i + 1);
      [this.ts[i], this.ts[j]] = [this.ts[j]!, this.ts[i]!];
    }
    return super.call(src);
  }
}

/**
 * Resizes the shorter edge to `size` (MXNet's `ResizeAug`, `image.resizeShort`).
 *
 * ```ts
 * new image.ResizeAug(256).call(img480x640).shape; // [256, 341, 3]
 * ```
 */
export class ResizeAug extends Augmenter {
  readonly size: number;
  readonly interp: number;

  constructor(...args: KwArgs<['size', 'interp?'], [size: number, interp?: number], {}>) {
    const [size, interp = 2] = bindAug<[number, number?]>('ResizeAug', ['size', 'interp?'], args);
    super({ size, interp });
    this.size = size;
    this.interp = interp;
  }

  call(src: NDArray): NDArray {
    return resizeShort(src, this.size, this.interp);
  }
}

/**
 * Resizes to `size` = `[width, height]` whatever the aspect ratio (MXNet's `ForceResizeAug`).
 *
 * ```ts
 * new image.ForceResizeAug([224, 224]).call(img).shape; // [224, 224, 3]
 * ```
 */
export class ForceResizeAug extends Augmenter {
  readonly size: [number, number];
  readonly interp: number;

  constructor(...args: KwArgs<['size', 'interp?'], [size: [number, number], interp?: number], {}>) {
    const [size, interp = 2] = bindAug<[[number, number], number?]>('ForceResizeAug', ['size', 'interp?'], args);
    super({ size, interp });
    this.size = size;
    this.interp = interp;
  }

  call(src: NDArray): NDArray {
    if (!Array.isArray(this.size) || this.size.length !== 2) throw new Error(`ForceResizeAug: size must be [width, height], got ${showValue(this.size)}`);
    return imresize(src, this.size[0], this.size[1], this.interp);
  }
}

/**
 * A `size` (`[width, height]`) window at a random place, scaled up first
 * when the image is smaller (MXNet's `RandomCropAug`, `image.randomCrop`).
 *
 * ```ts
 * new image.RandomCropAug([224, 224]).call(img).shape; // [224, 224, 3]
 * ```
 */
export class RandomCropAug extends Augmenter {
  readonly size: [number, number];
  readonly interp: number;

  constructor(...args: KwArgs<['size', 'interp?'], [size: [number, number], interp?: number], {}>) {
    const [size, interp = 2] = bindAug<[[number, number], number?]>('RandomCropAug', ['size', 'interp?'], args);
    super({ size, interp });
    this.size = size;
    this.interp = interp;
  }

  call(src: NDArray): NDArray {
    return randomCrop(src, this.size, this.interp)[0];
  }
}

/**
 * A window of random area (`area`: a minimum fraction, or `[min, max]`)
 * and aspect ratio in `ratio`, resized to `size` (MXNet's `RandomSizedCropAug`).
 *
 * ```ts
 * new image.RandomSizedCropAug([224, 224], 0.08, [3 / 4, 4 / 3]).call(img).shape; // [224, 224, 3]
 * ```
 */
export class RandomSizedCropAug extends Augmenter {
  readonly size: [number, number];
  readonly area: number | [number, number];
  readonly ratio: [number, number];
  readonly interp: number;

  constructor(
    ...args: KwArgs<['size', 'area', 'ratio', 'interp?'], [size: [number, number], area: number | [number, number], ratio: [number, number], interp?: number], {}>
  ) {
    const [size, area, ratio, interp = 2] = bindAug<[[number, number], number | [number, number], [number, number], number?]>('RandomSizedCropAug', ['size', 'area', 'ratio', 'interp?'], args);
    super({ size, area, ratio, interp });
    [this.size, this.area, this.ratio, this.interp] = [size, area, ratio, interp];
  }

  call(src: NDArray): NDArray {
    return randomSizeCrop(src, this.size, this.area, this.ratio, this.interp)[0];
  }
}

/**
 * The centred window of `size`'s aspect ratio, resized to `size` (MXNet's `CenterCropAug`).
 *
 * ```ts
 * new image.CenterCropAug([224, 224]).call(img).shape; // [224, 224, 3]
 * ```
 */
export class CenterCropAug extends Augmenter {
  readonly size: [number, number];
  readonly interp: number;

  constructor(...args: KwArgs<['size', 'interp?'], [size: [number, number], interp?: number], {}>) {
    const [size, interp = 2] = bindAug<[[number, number], number?]>('CenterCropAug', ['size', 'interp?'], args);
    super({ size, interp });
    this.size = size;
    this.interp = interp;
  }

  call(src: NDArray): NDArray {
    return centerCrop(src, this.size, this.interp)[0];
  }
}

function jitterAmount(what: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${what}: ${name} must be a number >= 0, got ${showValue(v)}`);
  return v;
}

/** `random.uniform(-a, a)`. */
const symmetric = (a: number): number => -a + 2 * a * nextFloat();

/**
 * The colour jitters' shared shape (image.py's Brightness/Contrast/Saturation/HueJitterAug):
 * one amount >= 0 under its MXNet name, and `call(src)` = `adjust(src, 1 + U(-amount, amount))`.
 */
export abstract class JitterAug extends Augmenter {
  /** The amount the subclass names (`brightness`, `contrast`, ...). */
  protected readonly amount: number;

  protected constructor(cls: string, name: string, args: readonly unknown[]) {
    const [amount] = bindAug<[number]>(cls, [name], args);
    super({ [name]: amount });
    this.amount = jitterAmount(cls, name, amount);
  }

  /** The colour change by `alpha`. */
  abstract adjust(src: NDArray, alpha: number): NDArray;

  call(src: NDArray): NDArray {
    return this.adjust(src, 1 + symmetric(this.amount));
  }
}

/**
 * Multiplies by `1 + U(-brightness, brightness)` (MXNet's `BrightnessJitterAug`).
 *
 * ```ts
 * new image.BrightnessJitterAug(0.3).call(img.astype('float32'));
 * ```
 */
export class BrightnessJitterAug extends JitterAug {
  readonly brightness: number;

  constructor(...args: KwArgs<['brightness'], [brightness: number], {}>) {
    super('BrightnessJitterAug', 'brightness', args);
    this.brightness = this.amount;
  }

  /** `src * alpha`. */
  adjust(src: NDArray, alpha: number): NDArray {
    return adjust.brightness(src, alpha);
  }
}

/**
 * Blends with the mean gray by `alpha = 1 + U(-contrast, contrast)`: `src * alpha + (1 - alpha) * mean(gray)` (MXNet's `ContrastJitterAug`).
 *
 * ```ts
 * new image.ContrastJitterAug(0.3).call(img.astype('float32'));
 * ```
 */
export class ContrastJitterAug extends JitterAug {
  readonly contrast: number;

  constructor(...args: KwArgs<['contrast'], [contrast: number], {}>) {
    super('ContrastJitterAug', 'contrast', args);
    this.contrast = this.amount;
  }

  /** `src * alpha + (1 - alpha) * mean(0.299 R + 0.587 G + 0.114 B)`. */
  adjust(src: NDArray, alpha: number): NDArray {
    return adjust.contrast(src, alpha);
  }
}

/**
 * Blends each pixel with its gray by `alpha = 1 + U(-saturation, saturation)` (MXNet's `SaturationJitterAug`).
 *
 * ```ts
 * new image.SaturationJitterAug(0.3).call(img.astype('float32'));
 * ```
 */
export class SaturationJitterAug extends JitterAug {
  readonly saturation: number;

  constructor(...args: KwArgs<['saturation'], [saturation: number], {}>) {
    super('SaturationJitterAug', 'saturation', args);
    this.saturation = this.amount;
  }

  /** `src * alpha + (1 - alpha) * (0.299 R + 0.587 G + 0.114 B)` per pixel. */
  adjust(src: NDArray, alpha: number): NDArray {
    return adjust.saturation(src, alpha);
  }
}

/** A float HWC image with 3 channels, for the linear colour maps. */
function floatRgb(what: string, src: unknown): { data: Float32Array | Float64Array; dtype: DType } {
  imageDims(what, src, false, [3]);
  const x = src as NDArray;
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw new Error(`${what}: expects a float32 or float64 image (put CastAug before it, as CreateAugmenter does), got ${x.dtype}`);
  return { data: x.data() as Float32Array | Float64Array, dtype: x.dtype };
}

/** `src @ m` over the channel axis (m 3x3, row = input channel), rounded to the image's dtype. */
function mapChannels(what: string, src: NDArray, m: readonly (readonly number[])[]): NDArray {
  const { data, dtype } = floatRgb(what, src);
  const f = dtype === 'float64' ? (v: number) => v : Math.fround;
  const w = m.map((row) => row.map(f));
  const out = dtype === 'float64' ? new Float64Array(data.length) : new Float32Array(data.length);
  for (let i = 0; i < data.length; i += 3) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
    for (let k = 0; k < 3; k++) out[i + k] = r * w[0]![k]! + g * w[1]![k]! + b * w[2]![k]!;
  }
  return wrap(dtype, [...src.shape], out);
}

const TYIQ = [[0.299, 0.587, 0.114], [0.596, -0.274, -0.321], [0.211, -0.523, 0.311]];
const ITYIQ = [[1.0, 0.956, 0.621], [1.0, -0.272, -0.647], [1.0, -1.107, 1.705]];
const matmul = (a: number[][], b: number[][]): number[][] => a.map((row) => b[0]!.map((_v, j) => row.reduce((s, x, k) => s + x * b[k]![j]!, 0)));

/**
 * Rotates the hue by `U(-hue, hue)` half-turns in YIQ space, image.py's
 * linear approximation (MXNet's `HueJitterAug`; 3-channel float images).
 *
 * ```ts
 * new image.HueJitterAug(0.1).call(img.astype('float32'));
 * ```
 */
export class HueJitterAug extends JitterAug {
  readonly hue: number;

  constructor(...args: KwArgs<['hue'], [hue: number], {}>) {
    super('HueJitterAug', 'hue', args);
    this.hue = this.amount;
  }

  /** `src @ (ITYIQ · rot(alpha π) · TYIQ)ᵀ`, image.py's matrix (computed in float64, applied in the image's dtype). */
  adjust(src: NDArray, alpha: number): NDArray {
    const [u, w] = [Math.cos(alpha * Math.PI), Math.sin(alpha * Math.PI)];
    const bt = [[1, 0, 0], [0, u, -w], [0, w, u]];
    const t = matmul(matmul(ITYIQ, bt), TYIQ);
    return mapChannels('HueJitterAug', src, t[0]!.map((_v, i) => t.map((row) => row[i]!)));
  }

  /** `adjust(src, U(-hue, hue))`: the angle, not 1 + it. */
  override call(src: NDArray): NDArray {
    return this.adjust(src, symmetric(this.hue));
  }
}

/**
 * Brightness, contrast and saturation jitter (those > 0) in a random order
 * (MXNet's `ColorJitterAug`, a RandomOrderAug).
 *
 * ```ts
 * new image.ColorJitterAug(0.4, 0.4, 0.4).call(img.astype('float32'));
 * ```
 */
export class ColorJitterAug extends RandomOrderAug {
  constructor(...args: KwArgs<['brightness', 'contrast', 'saturation'], [brightness: number, contrast: number, saturation: number], {}>) {
    const [brightness, contrast, saturation] = bindAug<[number, number, number]>('ColorJitterAug', ['brightness', 'contrast', 'saturation'], args);
    const ts: Augmenter[] = [];
    if (brightness > 0) ts.push(new BrightnessJitterAug(brightness));
    if (contrast > 0) ts.push(new ContrastJitterAug(contrast));
    if (saturation > 0) ts.push(new SaturationJitterAug(saturation));
    super(ts);
  }
}

/**
 * Adds AlexNet's PCA noise: `eigvec · (alpha ⊙ eigval)` with `alpha ~
 * N(0, alphastd)` per component (MXNet's `LightingAug`; 3-channel float images).
 *
 * ```ts
 * new image.LightingAug(0.1, [55.46, 4.794, 1.148], eigvec).call(img.astype('float32'));
 * ```
 */
export class LightingAug extends Augmenter {
  readonly eigval: number[];
  readonly eigvec: number[][];

  readonly alphastd: number;

  constructor(...args: KwArgs<['alphastd', 'eigval', 'eigvec'], [alphastd: number, eigval: number[] | NDArray, eigvec: number[][] | NDArray], {}>) {
    const [alphastd, eigval, eigvec] = bindAug<[number, number[] | NDArray, number[][] | NDArray]>('LightingAug', ['alphastd', 'eigval', 'eigvec'], args);
    super({ alphastd, eigval, eigvec });
    this.alphastd = jitterAmount('LightingAug', 'alphastd', alphastd);
    const val = (eigval instanceof NDArray ? eigval.toArray() : eigval) as number[];
    const vec = (eigvec instanceof NDArray ? eigvec.toArray() : eigvec) as number[][];
    if (!Array.isArray(val) || val.length !== 3 || !val.every(Number.isFinite)) throw new Error(`LightingAug: eigval must be 3 numbers, got ${showValue(eigval)}`);
    if (!Array.isArray(vec) || vec.length !== 3 || !vec.every((r) => Array.isArray(r) && r.length === 3 && r.every(Number.isFinite))) throw new Error(`LightingAug: eigvec must be a 3x3 matrix, got ${showValue(eigvec)}`);
    this.eigval = val;
    this.eigvec = vec;
  }

  /** `src + eigvec · (alpha ⊙ eigval)` (one value per channel, computed in float64). */
  adjust(src: NDArray, alpha: readonly [number, number, number]): NDArray {
    const rgb = this.eigvec.map((row) => row.reduce((s, v, j) => s + v * alpha[j]! * this.eigval[j]!, 0));
    const { data, dtype } = floatRgb('LightingAug', src);
    const add = dtype === 'float64' ? rgb : rgb.map(Math.fround);
    const out = dtype === 'float64' ? new Float64Array(data.length) : new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! + add[i % 3]!;
    return wrap(dtype, [...src.shape], out);
  }

  call(src: NDArray): NDArray {
    const s = this.alphastd;
    return this.adjust(src, [nextNormal() * s, nextNormal() * s, nextNormal() * s]);
  }
}

/** A per-channel constant: null, a number, or 1 or 3 numbers (a list, typed array or NDArray), as float32. */
function channelConst(what: string, name: string, v: unknown): NDArray | null {
  if (v === null || v === undefined) return null;
  const vals = typeof v === 'number' ? [v] : v instanceof NDArray ? Array.from(v.data() as Float32Array, Number) : Array.isArray(v) || ArrayBuffer.isView(v) ? Array.from(v as ArrayLike<number>) : null;
  if (!vals || (vals.length !== 1 && vals.length !== 3) || !vals.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`${what}: ${name} must be null, a number or 1 or 3 numbers (one per channel), got ${showValue(v)}`);
  }
  return new NDArray({ dtype: 'float32', shape: [vals.length], data: Float32Array.from(vals) });
}

/**
 * `(src - mean) / std` per channel (MXNet's `ColorNormalizeAug`; either may be null).
 *
 * ```ts
 * new image.ColorNormalizeAug([123.68, 116.28, 103.53], [58.395, 57.12, 57.375]).call(img.astype('float32'));
 * ```
 */
export class ColorNormalizeAug extends Augmenter {
  readonly mean: NDArray | null;
  readonly std: NDArray | null;

  constructor(...args: KwArgs<['mean', 'std'], [mean: number | number[] | NDArray | null, std: number | number[] | NDArray | null], {}>) {
    const [mean, std] = bindAug<[number | number[] | NDArray | null, number | number[] | NDArray | null]>('ColorNormalizeAug', ['mean', 'std'], args);
    super({ mean, std });
    this.mean = channelConst('ColorNormalizeAug', 'mean', mean);
    this.std = channelConst('ColorNormalizeAug', 'std', std);
  }

  call(src: NDArray): NDArray {
    const d = imageDims('ColorNormalizeAug', src, false);
    if (src.dtype !== 'float32') throw new Error(`ColorNormalizeAug: expects a float32 image (put CastAug before it, as CreateAugmenter does), got ${src.dtype}`);
    for (const c of [this.mean, this.std]) if (c && c.size !== 1 && c.size !== d.c) throw new Error(`ColorNormalizeAug: ${c.size} values per channel for an image of shape [${src.shape.join(', ')}]`);
    return colorNormalize(src, this.mean, this.std);
  }
}

/**
 * With probability `p`, the gray `0.21 R + 0.72 G + 0.07 B` in all three
 * channels (MXNet's `RandomGrayAug`; 3-channel float images).
 *
 * ```ts
 * new image.RandomGrayAug(0.2).call(img.astype('float32'));
 * ```
 */
export class RandomGrayAug extends Augmenter {
  readonly p: number;

  constructor(...args: KwArgs<['p'], [p: number], {}>) {
    const [p] = bindAug<[number]>('RandomGrayAug', ['p'], args);
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`RandomGrayAug: p must be a probability in [0, 1], got ${showValue(p)}`);
    super({ p });
    this.p = p;
  }

  /** The gray image (`src @ mat`, image.py's matrix). */
  adjust(src: NDArray): NDArray {
    return mapChannels('RandomGrayAug', src, [[0.21, 0.21, 0.21], [0.72, 0.72, 0.72], [0.07, 0.07, 0.07]]);
  }

  call(src: NDArray): NDArray {
    return nextFloat() < this.p ? this.adjust(src) : src.copy();
  }
}

/**
 * With probability `p`, the image mirrored left to right (MXNet's `HorizontalFlipAug`).
 *
 * ```ts
 * new image.HorizontalFlipAug(0.5).call(img);
 * ```
 */
export class HorizontalFlipAug extends Augmenter {
  readonly p: number;

  constructor(...args: KwArgs<['p'], [p: number], {}>) {
    const [p] = bindAug<[number]>('HorizontalFlipAug', ['p'], args);
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`HorizontalFlipAug: p must be a probability in [0, 1], got ${showValue(p)}`);
    super({ p });
    this.p = p;
  }

  call(src: NDArray): NDArray {
    const d = imageDims('HorizontalFlipAug', src, false);
    return nextFloat() < this.p ? flipImage(src, d, 1) : src.copy();
  }
}

/**
 * The image cast to `typ`, float32 by default (MXNet's `CastAug`).
 *
 * ```ts
 * new image.CastAug().call(img).dtype; // 'float32'
 * ```
 */
export class CastAug extends Augmenter {
  readonly typ: DType;

  constructor(...args: KwArgs<['typ?'], [typ?: DType], {}>) {
    const [typ = 'float32'] = bindAug<[DType?]>('CastAug', ['typ?'], args);
    super({ type: typ });
    this.typ = typ;
  }

  call(src: NDArray): NDArray {
    if (!(src instanceof NDArray)) throw new Error(`CastAug: expected an NDArray image, got ${showValue(src)}`);
    return src.astype(this.typ);
  }
}
