/**
 * MXNet 1.x's C++ default detection augmenter (`DefaultImageDetAugmenter`
 * and `ImageDetLabel` in src/io/image_det_aug_default.cc, apache/mxnet at
 * 05321655d937), the augmentation of `io.ImageDetRecordIter`, as a
 * DetAugmenter on a uint8 HWC RGB image and its `[objects, 5+]` rows
 * `[cls, xmin, ymin, xmax, ymax, extra...]` (normalized 0..1).
 *
 * `Process`'s order: `resize` (shorter edge), the colour jitter (four
 * draws in [-1, 1), then four in [0, 1) against the probabilities), the
 * mirror, the pad (a canvas `s` times the image, `s` in [1, maxPadScale),
 * none below 1.05, filled with `fillValue`), the crop (the samplers in a
 * random order, each up to `maxTrials` boxes from `GenerateCropBox` until
 * one passes `TryCrop`), then `resizeMode`: 'force' to `dataShape`,
 * 'shrink' (only when larger) or 'fit' keeping the aspect ratio.
 *
 * Invariants: the label and box arithmetic is the C++ float32 arithmetic,
 * operation by operation (`cv::Rect_<float>`'s `&`, `area`, `contains`);
 * `TryCrop` checks the overlap and coverage bounds only when all six are
 * set (min > 0 and max < 1), as the C++ does, and otherwise accepts any
 * box; 'center' keeps an object whose centre the box contains (left/top
 * edge in, right/bottom edge out), 'overlap' one whose intersection over
 * its area exceeds `emitOverlapThresh`; kept boxes are projected and
 * clipped to [0, 1]; pixel offsets are `static_cast<int>` (truncation).
 * Every random number is one float32 uniform in [0, 1) from `uniform`
 * (by default the seeded stream, `random.seed`), used as libstdc++'s
 * `uniform_real_distribution<float>(a, b)`: `u * (b - a) + a`; the
 * samplers' order is a Fisher-Yates shuffle from the last index drawing
 * `floor(u * (i + 1))`, and `interMethod` 10 draws `floor(u * 5)`
 * (std::shuffle's and uniform_int_distribution's draws differ, so the
 * same seed does not give MXNet's boxes). Departures: a crop or a resize
 * that truncates to 0 pixels keeps 1 (OpenCV would fail on the empty
 * image).
 */
import { nextUint32 } from '../../ops/rng.js';
import { NDArray } from '../../engine/ndarray.js';
import { showValue } from '../show-value.js';
import type { DetAugDefaultParams } from './det-aug-params.js';
import { jitterColor } from './det-aug-color.js';
import { DetAugmenter } from './image-det-aug.js';
import { cropImage, flipImage, imageDims, padImage, resizeImage } from './vision-image.js';

const f = Math.fround;

/** A source of float32 uniforms in [0, 1) (the augmenter's only randomness). */
export type UniformSource = () => number;

/** 24 random bits of the seeded stream as a float32 in [0, 1). */
export const streamUniform: UniformSource = () => (nextUint32() >>> 8) / 16777216;

/** `cv::Rect_<float>`: x, y, width, height. */
type Rect = [number, number, number, number];

const area = (r: Rect): number => f(r[2] * r[3]);
/** `(a & b).area()`: the intersection's area, 0 when empty. */
function interArea(a: Rect, b: Rect): number {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const w = f(Math.min(f(a[0] + a[2]), f(b[0] + b[2])) - x1);
  const h = f(Math.min(f(a[1] + a[3]), f(b[1] + b[3])) - y1);
  return w <= 0 || h <= 0 ? 0 : f(w * h);
}
/** `ImageDetLabel::RectIOU`. */
function iou(a: Rect, b: Rect): number {
  const inter = interArea(a, b);
  return inter <= 0 ? 0 : f(inter / f(f(area(a) + area(b)) - inter));
}
/** `ImageDetObject::ToRect` of the row at `at`. */
const toRect = (l: Float32Array, at: number): Rect => [l[at + 1]!, l[at + 2]!, f(l[at + 3]! - l[at + 1]!), f(l[at + 4]! - l[at + 2]!)];
/** `ImageDetObject::Project` of the row at `at` into `box`, in place. */
function project(l: Float32Array, at: number, box: Rect): void {
  l[at + 1] = Math.max(0, f(f(l[at + 1]! - box[0]) / box[2]));
  l[at + 2] = Math.max(0, f(f(l[at + 2]! - box[1]) / box[3]));
  l[at + 3] = Math.min(1, f(f(l[at + 3]! - box[0]) / box[2]));
  l[at + 4] = Math.min(1, f(f(l[at + 4]! - box[1]) / box[3]));
}

/**
 * The C++ default detection augmenter with checked parameters (see
 * `detAugDefaultParams`), drawing from `uniform`.
 *
 * ```ts
 * const aug = new DefaultDetAugmenter(detAugDefaultParams('it', opt, o, [300, 300]));
 * const [img2, label2] = aug.call(img, label);
 * ```
 */
export class DefaultDetAugmenter extends DetAugmenter {
  constructor(readonly params: DetAugDefaultParams, readonly uniform: UniformSource = streamUniform) {
    super({ ...params, samplers: params.samplers.map((s) => ({ ...s })) });
  }

  /** `uniform_real_distribution<float>(a, b)`. */
  private between(a: number, b: number): number {
    return f(f(this.uniform() * f(b - a)) + a);
  }

  /** `GetInterMethod`: 9 by the sizes, 10 a random one of 0..4. */
  private interp(oldW: number, oldH: number, newW: number, newH: number): number {
    const m = this.params.interMethod;
    if (m === 9) return newW > oldW && newH > oldH ? 2 : newW < oldW && newH < oldH ? 3 : 1;
    if (m === 10) return Math.floor(this.uniform() * 5);
    return m;
  }

  private resized(img: NDArray, w: number, h: number): NDArray {
    const d = imageDims('DefaultDetAugmenter', img, false);
    const [nw, nh] = [Math.max(1, w), Math.max(1, h)];
    const m = this.interp(d.w, d.h, nw, nh);
    return resizeImage('DefaultDetAugmenter', img, d, nw, nh, m);
  }

  call(src: NDArray, label: NDArray): [NDArray, NDArray] {
    const what = 'DefaultDetAugmenter';
    const p = this.params;
    imageDims(what, src, false, [3]);
    if (src.dtype !== 'uint8') throw new Error(`${what}: expects the decoded uint8 image, got dtype ${src.dtype}`);
    if (!(label instanceof NDArray) || label.ndim !== 2 || label.shape[1]! < 5) throw new Error(`${what}: label must be an NDArray of shape [objects, 5+], got ${label instanceof NDArray ? `shape [${label.shape.join(', ')}]` : showValue(label)}`);
    const k = label.shape[1]!;
    let l: Float32Array = Float32Array.from(label.data() as Float32Array, Number);
    let res = src;
    if (p.resize !== -1) {
      const [rows, cols] = res.shape as [number, number];
      res = rows > cols ? this.resized(res, p.resize, Math.trunc((p.resize * rows) / cols)) : this.resized(res, Math.trunc((p.resize * cols) / rows), p.resize);
    }
    if (p.randomHueProb > 0 || p.randomSaturationProb > 0 || p.randomIlluminationProb > 0 || p.randomContrastProb > 0) {
      let h = Math.trunc(f(this.between(-1, 1) * p.maxRandomHue));
      let s = Math.trunc(f(this.between(-1, 1) * p.maxRandomSaturation));
      let li = Math.trunc(f(this.between(-1, 1) * p.maxRandomIllumination));
      let c = f(this.between(-1, 1) * p.maxRandomContrast);
      h = this.uniform() < p.randomHueProb ? h : 0;
      s = this.uniform() < p.randomSaturationProb ? s : 0;
      li = this.uniform() < p.randomIlluminationProb ? li : 0;
      c = this.uniform() < p.randomContrastProb ? c : 0;
      res = jitterColor(res, h, s, li, c);
    }
    if (p.randMirrorProb > 0 && this.uniform() < p.randMirrorProb) {
      for (let at = 0; at < l.length; at += k) {
        const left = l[at + 1]!;
        l[at + 1] = f(1 - l[at + 3]!);
        l[at + 3] = f(1 - left);
      }
      res = flipImage(res, imageDims(what, res, false), 1);
    }
    if (p.randPadProb > 0 && p.maxPadScale > 1 && this.uniform() < p.randPadProb) res = this.pad(res, l, k);
    if (p.randCropProb > 0 && p.samplers.length > 0 && this.uniform() < p.randCropProb) [res, l] = this.crop(res, l, k);
    const [rows, cols] = res.shape as [number, number];
    const [H, W] = p.size;
    if (p.resizeMode === 'force') res = this.resized(res, W, H);
    else if (p.resizeMode === 'fit' || rows > H || cols > W) {
      const ratio = Math.min(f(H / rows), f(W / cols));
      res = this.resized(res, Math.trunc(f(ratio * cols)), Math.trunc(f(ratio * rows)));
    }
    return [res, new NDArray({ dtype: 'float32', shape: [l.length / k, k], data: l })];
  }

  /** `GeneratePadBox` and the pad: the rows projected in place, the image on its canvas. */
  private pad(res: NDArray, l: Float32Array, k: number): NDArray {
    const scale = this.between(1, this.params.maxPadScale);
    if (scale < f(1.05)) return res;
    const x0 = this.between(0, f(scale - 1));
    const y0 = this.between(0, f(scale - 1));
    const box: Rect = [-x0, -y0, scale, scale];
    for (let at = 0; at < l.length; at += k) project(l, at, box);
    const d = imageDims('DefaultDetAugmenter', res, false);
    const left = Math.trunc(f(x0 * d.w));
    const top = Math.trunc(f(y0 * d.h));
    const right = Math.trunc(f(f(f(scale + box[0]) - 1) * d.w));
    const bot = Math.trunc(f(f(f(scale + box[1]) - 1) * d.h));
    return padImage('DefaultDetAugmenter', 'fillValue', res, d, [top, bot, left, right], [Math.min(255, Math.max(0, this.params.fillValue))]);
  }

  /** `GenerateCropBox` for sampler `s` of an image of aspect ratio `imgRatio` (width / height). */
  private cropBox(s: DetAugDefaultParams['samplers'][number], imgRatio: number): Rect {
    const scale = f(this.between(s.minScale, s.maxScale) + f(1e-12));
    const minRatio = Math.max(f(s.minAspectRatio / imgRatio), f(scale * scale));
    // The C++ `1. / new_scale * new_scale` (in double): 1 or a hair off it.
    const maxRatio = Math.min(f(s.maxAspectRatio / imgRatio), f((1 / scale) * scale));
    const ratio = f(Math.sqrt(this.between(minRatio, maxRatio)));
    const w = Math.min(1, f(scale * ratio));
    const h = Math.min(1, f(scale / ratio));
    const x0 = this.between(0, f(1 - w));
    const y0 = this.between(0, f(1 - h));
    return [x0, y0, w, h];
  }

  /** The samplers in a random order, each trying its boxes; the first box `TryCrop` accepts crops the image and rows. */
  private crop(res: NDArray, l: Float32Array, k: number): [NDArray, Float32Array] {
    const p = this.params;
    const order = p.samplers.map((_s, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const d = imageDims('DefaultDetAugmenter', res, false);
    for (const idx of order) {
      const s = p.samplers[idx]!;
      for (let t = 0; t < s.maxTrials; t++) {
        const box = this.cropBox(s, f(d.w / d.h));
        const kept = tryCrop(l, k, box, s, p.cropEmitMode, p.emitOverlapThresh);
        if (kept === null) continue;
        const left = Math.trunc(f(box[0] * d.w));
        const top = Math.trunc(f(box[1] * d.h));
        const width = Math.max(1, Math.min(d.w - left, Math.trunc(f(box[2] * d.w))));
        const height = Math.max(1, Math.min(d.h - top, Math.trunc(f(box[3] * d.h))));
        return [cropImage(res, d, Math.min(left, d.w - 1), Math.min(top, d.h - 1), width, height), kept];
      }
    }
    return [res, l];
  }
}

/**
 * `ImageDetLabel::TryCrop`: the rows (`k` numbers each) kept and projected
 * into `box`, or null when the box fails the sampler's bounds or keeps no
 * object. Example: `tryCrop(rows, 5, [0, 0, 0.5, 0.5], sampler, 'center', 0.3)`.
 */
export function tryCrop(l: Float32Array, k: number, box: Rect, s: DetAugDefaultParams['samplers'][number], mode: 'center' | 'overlap', thresh: number): Float32Array | null {
  const n = l.length / k;
  if (n < 1) return l;
  const bounded = s.minOverlap > 0 && s.maxOverlap < 1 && s.minSampleCoverage > 0 && s.maxSampleCoverage < 1 && s.minObjectCoverage > 0 && s.maxObjectCoverage < 1;
  let valid = !bounded;
  for (let at = 0; bounded && at < l.length && !valid; at += k) {
    const gt = toRect(l, at);
    const ovp = iou(box, gt);
    if (ovp < s.minOverlap || ovp > s.maxOverlap) continue;
    const sample = f(interArea(box, gt) / area(box));
    if (sample < s.minSampleCoverage || sample > s.maxSampleCoverage) continue;
    const object = f(interArea(box, gt) / area(gt));
    if (object < s.minObjectCoverage || object > s.maxObjectCoverage) continue;
    valid = true;
  }
  if (!valid) return null;
  const kept: number[] = [];
  for (let at = 0; at < l.length; at += k) {
    if (mode === 'center') {
      const cx = f(f(l[at + 1]! + l[at + 3]!) * 0.5);
      const cy = f(f(l[at + 2]! + l[at + 4]!) * 0.5);
      if (!(box[0] <= cx && cx < f(box[0] + box[2]) && box[1] <= cy && cy < f(box[1] + box[3]))) continue;
    } else {
      const gt = toRect(l, at);
      if (!(f(interArea(box, gt) / area(gt)) > thresh)) continue;
    }
    kept.push(at);
  }
  if (!kept.length) return null;
  const out = new Float32Array(kept.length * k);
  kept.forEach((at, r) => {
    out.set(l.subarray(at, at + k), r * k);
    project(out, r * k, box);
  });
  return out;
}
