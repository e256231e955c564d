/**
 * `gluon.data.vision.transforms`' color jitter: `RandomBrightness`,
 * `RandomContrast`, `RandomSaturation`, `RandomHue`, `RandomColorJitter`
 * and `RandomLighting`, with the formulas of MXNet's image operators
 * (src/operator/image/image_random-inl.h: AdjustBrightnessImpl,
 * AdjustContrastImpl, AdjustSaturationImpl, AdjustHueImpl with its
 * RGB <-> HLS conversion, RandomColorJitter, AdjustLightingImpl) and the
 * factor ranges of python/mxnet/gluon/data/vision/transforms.py.
 *
 * Invariants: HWC images with 1 or 3 channels (RGB), values 0-255 (uint8,
 * or float32/float64 kept as they are); the factors draw from the seeded
 * stream (`random.seed`); arithmetic in float32 operation by operation as
 * MXNet's kernels do it (float64 images: in float64), a uint8 result clamped
 * to 0..255 and truncated (MXNet's `saturate_cast<uint8_t>`); hue's HLS
 * round trip in float64 (a uint8 result may differ from MXNet's by 1); the
 * input is not modified. One deliberate difference: MXNet's saturation operator weighs
 * only the blue channel into its gray (`gray = ...` where `+=` was meant);
 * here gray is 0.299 R + 0.587 G + 0.114 B, as its contrast and image.py's
 * SaturationJitterAug compute it.
 */
import { allocate, type DType, type TypedArray } from '../../../runtime/dtypes.js';
import { nextFloat, nextInt, nextNormal } from '../../ops/rng.js';
import { NDArray } from '../../engine/ndarray.js';
import { Block } from '../block.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { checkPixelDType, imageDims, wrap } from './vision-image.js';

const COLOR_DTYPES: readonly DType[] = ['uint8', 'float32', 'float64'];
const GRAY = [0.299, 0.587, 0.114] as const;

/** The pixels of an HWC image with 1 or 3 channels, checked, as float64, with a writer back to its dtype. */
interface Pixels {
  v: Float64Array;
  c: number;
  x: NDArray;
  /** One arithmetic result rounded as MXNet's float32 operators round it (float64 images: exact). */
  f: (v: number) => number;
}

function pixels(what: string, x: unknown): Pixels {
  const d = imageDims(what, x, false, [1, 3]);
  checkPixelDType(what, x as NDArray, COLOR_DTYPES);
  const f = (x as NDArray).dtype === 'float64' ? (v: number) => v : Math.fround;
  return { v: Float64Array.from((x as NDArray).data() as Float32Array), c: d.c, x: x as NDArray, f };
}

/** Stores values in the image's dtype (uint8: clamped to 0..255, truncated; MXNet's saturate_cast). */
function saturate(p: Pixels, v: Float64Array): Float64Array {
  if (p.x.dtype === 'uint8') for (let i = 0; i < v.length; i++) v[i] = Math.trunc(Math.min(255, Math.max(0, v[i]!)));
  else if (p.x.dtype === 'float32') for (let i = 0; i < v.length; i++) v[i] = Math.fround(v[i]!);
  return v;
}

function toArray(p: Pixels): NDArray {
  const out: TypedArray = allocate(p.x.dtype, p.v.length);
  (out as Float64Array).set(p.v);
  return wrap(p.x.dtype, [...p.x.shape], out);
}

/** `x * alpha` (AdjustBrightnessImpl). */
function brightness(p: Pixels, alpha: number): Float64Array {
  const { f } = p;
  const a = f(alpha);
  return saturate(p, p.v.map((v) => f(v * a)));
}

/** `x * alpha + (1 - alpha) * mean gray` (AdjustContrastImpl; gray 0.299 R + 0.587 G + 0.114 B, or the one channel). */
function contrast(p: Pixels, alpha: number): Float64Array {
  const { f } = p;
  const a = f(alpha);
  const n = p.v.length / p.c;
  let sum = 0;
  if (p.c === 3) for (let i = 0; i < p.v.length; i++) sum = f(sum + f(p.v[i]! * f(GRAY[i % 3]!)));
  else for (let i = 0; i < n; i++) sum = f(sum + p.v[i]!);
  const beta = f(f(1 - a) * f(sum / n));
  return saturate(p, p.v.map((v) => f(f(v * a) + beta)));
}

/** `x * alpha + (1 - alpha) * gray` per pixel (AdjustSaturationImpl; one channel is unchanged). */
function saturation(p: Pixels, alpha: number): Float64Array {
  if (p.c === 1) return p.v.slice();
  const { f } = p;
  const a = f(alpha);
  const o = f(1 - a);
  const out = new Float64Array(p.v.length);
  for (let i = 0; i < p.v.length; i += 3) {
    let gray = 0;
    for (let k = 0; k < 3; k++) gray = f(gray + f(p.v[i + k]! * f(GRAY[k]!)));
    gray = f(gray * o);
    for (let k = 0; k < 3; k++) out[i + k] = f(gray + f(p.v[i + k]! * a));
  }
  return saturate(p, out);
}

/** RGB (0-255) -> HLS (h in degrees), MXNet's RGB2HLSConvert. */
function rgbToHls(r0: number, g0: number, b0: number): [number, number, number] {
  const [r, g, b] = [r0 / 255, g0 / 255, b0 / 255];
  const vmax = Math.max(r, g, b);
  const vmin = Math.min(r, g, b);
  let diff = vmax - vmin;
  const l = (vmax + vmin) * 0.5;
  let h = 0;
  let s = 0;
  if (diff > 1.1920928955078125e-7) {
    s = l < 0.5 ? diff / (vmax + vmin) : diff / (2 - vmax - vmin);
    diff = 60 / diff;
    if (vmax === r) h = (g - b) * diff;
    else if (vmax === g) h = (b - r) * diff + 120;
    else h = (r - g) * diff + 240;
    if (h < 0) h += 360;
  }
  return [h, l, s];
}

const SECTORS = [[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]] as const;

/** HLS -> RGB (0-255), MXNet's HLS2RGBConvert. */
function hlsToRgb(h0: number, l: number, s: number): [number, number, number] {
  if (s === 0) return [l * 255, l * 255, l * 255];
  const p2 = l <= 0.5 ? l * (1 + s) : l + s - l * s;
  const p1 = 2 * l - p2;
  let h = h0 / 60;
  h -= 6 * Math.floor(h / 6);
  if (h >= 6) h -= 6;
  const sector = Math.floor(h);
  h -= sector;
  const tab = [p2, p1, p1 + (p2 - p1) * (1 - h), p1 + (p2 - p1) * h];
  const [bi, gi, ri] = SECTORS[sector]!;
  return [tab[ri]! * 255, tab[gi]! * 255, tab[bi]! * 255];
}

/** Rotates the hue by `alpha` turns in HLS space (AdjustHueImpl: `h += alpha * 360`; one channel is unchanged). */
function hue(p: Pixels, alpha: number): Float64Array {
  if (p.c === 1) return p.v.slice();
  const out = new Float64Array(p.v.length);
  for (let i = 0; i < p.v.length; i += 3) {
    const [h, l, s] = rgbToHls(p.v[i]!, p.v[i + 1]!, p.v[i + 2]!);
    const rgb = hlsToRgb(h + alpha * 360, l, s);
    out.set(rgb, i);
  }
  return saturate(p, out);
}

/** AlexNet's PCA lighting: eigenvalues times eigenvectors (columns) of ImageNet's RGB covariance, MXNet's AdjustLightingImpl. */
const EIG = [
  [55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
  [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.814],
  [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203],
] as const;

/** Adds `EIG @ alpha` to each pixel's R, G, B (one channel is unchanged). */
function lighting(p: Pixels, alpha: readonly [number, number, number]): Float64Array {
  if (p.c === 1) return p.v.slice();
  const { f } = p;
  const a = alpha.map(f);
  const pca = EIG.map((row) => f(f(f(f(row[0]) * a[0]!) + f(f(row[1]) * a[1]!)) + f(f(row[2]) * a[2]!)));
  return saturate(p, p.v.map((v, i) => f(v + pca[i % 3]!)));
}

/** The deterministic adjustments behind the random transforms, by MXNet's operator names (`nd.image.adjust_lighting`, ...): for tests and fixed augmentation. */
export const adjust = {
  /** `x * alpha`. Example: `adjust.brightness(img, 1.2)`. */
  brightness: (x: NDArray, alpha: number): NDArray => apply('adjust.brightness', x, (p) => brightness(p, alpha)),
  /** Towards (alpha < 1) or away from the mean gray. Example: `adjust.contrast(img, 0.8)`. */
  contrast: (x: NDArray, alpha: number): NDArray => apply('adjust.contrast', x, (p) => contrast(p, alpha)),
  /** Towards (alpha < 1) or away from each pixel's gray. Example: `adjust.saturation(img, 0.5)`. */
  saturation: (x: NDArray, alpha: number): NDArray => apply('adjust.saturation', x, (p) => saturation(p, alpha)),
  /** Hue rotated by `alpha` turns (HLS). Example: `adjust.hue(img, 0.25)`. */
  hue: (x: NDArray, alpha: number): NDArray => apply('adjust.hue', x, (p) => hue(p, alpha)),
  /** AlexNet's PCA noise with the three given alphas (MXNet's `adjust_lighting`). Example: `adjust.lighting(img, [0.1, 0, 0])`. */
  lighting: (x: NDArray, alpha: [number, number, number]): NDArray => apply('adjust.lighting', x, (p) => lighting(p, alpha)),
};

function apply(what: string, x: unknown, f: (p: Pixels) => Float64Array): NDArray {
  const p = pixels(what, x);
  p.v = f(p);
  return toArray(p);
}

/** A jitter amount: a finite number >= 0. */
function amount(what: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`${what}: ${name} must be a number >= 0, got ${showValue(v)}`);
  return v;
}

/** `uniform(max(0, 1 - a), 1 + a)`: the factor of the single-jitter transforms (transforms.py). */
function factor(a: number): number {
  const lo = Math.max(0, 1 - a);
  return lo + (1 + a - lo) * nextFloat();
}

/** One random jitter transform: its amount and its adjustment. */
abstract class Jitter extends Block {
  protected abstract readonly op: (p: Pixels, alpha: number) => Float64Array;

  constructor(
    private readonly what: string,
    /** The jitter amount (`brightness`, `contrast`, ...). */
    readonly jitter: number,
  ) {
    super();
  }

  override forward(x: NDArray): NDArray {
    return apply(this.what, x, (p) => this.op(p, factor(this.jitter)));
  }

  override toString(): string {
    return `${this.what}(${this.jitter})`;
  }
}

/**
 * Scales the image by a factor drawn from `[max(0, 1 - brightness), 1 + brightness]` (MXNet's `RandomBrightness`).
 *
 * ```ts
 * new transforms.RandomBrightness(0.5).call(img);
 * ```
 */
export class RandomBrightness extends Jitter {
  protected readonly op = brightness;

  constructor(...args: KwArgs<['brightness'], [brightness: number], {}>) {
    const [[b]] = bindArgs<[number], {}>('RandomBrightness', ['brightness'], args, []);
    super('RandomBrightness', amount('RandomBrightness', 'brightness', b));
  }
}

/**
 * Blends with the mean gray by a factor from `[max(0, 1 - contrast), 1 + contrast]` (MXNet's `RandomContrast`).
 *
 * ```ts
 * new transforms.RandomContrast(0.5).call(img);
 * ```
 */
export class RandomContrast extends Jitter {
  protected readonly op = contrast;

  constructor(...args: KwArgs<['contrast'], [contrast: number], {}>) {
    const [[c]] = bindArgs<[number], {}>('RandomContrast', ['contrast'], args, []);
    super('RandomContrast', amount('RandomContrast', 'contrast', c));
  }
}

/**
 * Blends each pixel with its gray by a factor from `[max(0, 1 - saturation), 1 + saturation]` (MXNet's `RandomSaturation`).
 *
 * ```ts
 * new transforms.RandomSaturation(0.5).call(img);
 * ```
 */
export class RandomSaturation extends Jitter {
  protected readonly op = saturation;

  constructor(...args: KwArgs<['saturation'], [saturation: number], {}>) {
    const [[s]] = bindArgs<[number], {}>('RandomSaturation', ['saturation'], args, []);
    super('RandomSaturation', amount('RandomSaturation', 'saturation', s));
  }
}

/**
 * Rotates the hue by a factor from `[max(0, 1 - hue), 1 + hue]` turns
 * (MXNet's `RandomHue`; a whole turn changes nothing, so this is ±`hue`
 * turns for `hue` <= 1).
 *
 * ```ts
 * new transforms.RandomHue(0.1).call(img);
 * ```
 */
export class RandomHue extends Jitter {
  protected readonly op = hue;

  constructor(...args: KwArgs<['hue'], [hue: number], {}>) {
    const [[h]] = bindArgs<[number], {}>('RandomHue', ['hue'], args, []);
    super('RandomHue', amount('RandomHue', 'hue', h));
  }
}

/**
 * Brightness, contrast, saturation and hue jitter in a random order, each
 * whose amount is > 0 (MXNet's `RandomColorJitter`: factors `1 + U(-a, a)`,
 * the hue `U(-hue, hue)` turns).
 *
 * ```ts
 * new transforms.RandomColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 }).call(img);
 * ```
 */
export class RandomColorJitter extends Block {
  readonly brightness: number;
  readonly contrast: number;
  readonly saturation: number;
  readonly hue: number;

  constructor(
    ...args: KwArgs<
      ['brightness?', 'contrast?', 'saturation?', 'hue?'],
      [brightness?: number, contrast?: number, saturation?: number, hue?: number],
      {}
    >
  ) {
    super();
    const [[b = 0, c = 0, s = 0, h = 0]] = bindArgs<[number?, number?, number?, number?], {}>('RandomColorJitter', ['brightness?', 'contrast?', 'saturation?', 'hue?'], args, []);
    this.brightness = amount('RandomColorJitter', 'brightness', b);
    this.contrast = amount('RandomColorJitter', 'contrast', c);
    this.saturation = amount('RandomColorJitter', 'saturation', s);
    this.hue = amount('RandomColorJitter', 'hue', h);
  }

  override toString(): string {
    return `RandomColorJitter(brightness=${this.brightness}, contrast=${this.contrast}, saturation=${this.saturation}, hue=${this.hue})`;
  }

  override forward(x: NDArray): NDArray {
    const p = pixels('RandomColorJitter', x);
    const order = [0, 1, 2, 3];
    for (let i = 3; i > 0; i--) {
      const j = nextInt(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const steps = [
      [this.brightness, brightness],
      [this.contrast, contrast],
      [this.saturation, saturation],
      [this.hue, hue],
    ] as const;
    for (const k of order) {
      const [a, op] = steps[k]!;
      if (a > 0) p.v = op(p, k === 3 ? -a + 2 * a * nextFloat() : 1 - a + 2 * a * nextFloat());
    }
    return toArray(p);
  }
}

/**
 * Adds AlexNet's PCA lighting noise, alphas drawn from N(0, `alpha`)
 * (MXNet's `RandomLighting`, ImageNet's eigenvalues and eigenvectors).
 *
 * ```ts
 * new transforms.RandomLighting(0.1).call(img);
 * ```
 */
export class RandomLighting extends Block {
  readonly alpha: number;

  constructor(...args: KwArgs<['alpha'], [alpha: number], {}>) {
    super();
    const [[alpha]] = bindArgs<[number], {}>('RandomLighting', ['alpha'], args, []);
    this.alpha = amount('RandomLighting', 'alpha', alpha);
  }

  override toString(): string {
    return `RandomLighting(alpha=${this.alpha})`;
  }

  override forward(x: NDArray): NDArray {
    const p = pixels('RandomLighting', x);
    const a = [nextNormal() * this.alpha, nextNormal() * this.alpha, nextNormal() * this.alpha] as const;
    p.v = lighting(p, a);
    return toArray(p);
  }
}
