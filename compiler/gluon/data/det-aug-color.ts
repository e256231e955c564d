/**
 * The colour jitter of MXNet 1.x's C++ default detection augmenter
 * (`DefaultImageDetAugmenter::Process` in src/io/image_det_aug_default.cc,
 * apache/mxnet at 05321655d937) on a uint8 HWC RGB image: OpenCV's 8-bit
 * `cvtColor` to HLS (H 0..180, L and S 0..255), `{h, l, s}` added and
 * clamped to `[0, {180, 255, 255}]`, back to RGB; then the contrast
 * `convertTo(res, -1, c + 1, 0)`.
 *
 * Invariants: OpenCV's float32 arithmetic of `RGB2HLS_b` / `HLS2RGB_b`
 * (`x * (1 / 255.f)`, results rounded as `saturate_cast`, half to even),
 * with its vectorized loop's `2 - (vmax + vmin)` and fused multiply-adds:
 * over all 2^24 colours cv2 5.0's HLS2RGB agrees exactly and its RGB2HLS
 * on all but 3 hues (±1; OpenCV's scalar loop rounds a few more apart); the C++ converts BGR with BGR2HLS,
 * which is RGB2HLS of our RGB.
 */
import { NDArray } from '../../engine/ndarray.js';
import { roundEven } from './vision-interp.js';

const f = Math.fround;
const INV255 = f(1 / 255);
const HSCALE_TO = f(180 / 360);
const HSCALE_FROM = f(6 / 180);
const sat8 = (v: number): number => Math.min(255, Math.max(0, roundEven(v)));

/** OpenCV's `RGB2HLS_b` of the pixel at `i` of `px` (RGB), written over it as `[h 0..180, l, s]`. */
export function rgbToHls8(px: Uint8Array, i: number): void {
  const r = f(px[i]! * INV255);
  const g = f(px[i + 1]! * INV255);
  const b = f(px[i + 2]! * INV255);
  const vmax = r > g ? (r > b ? r : b) : g > b ? g : b;
  const vmin = r < g ? (r < b ? r : b) : g < b ? g : b;
  let diff = f(vmax - vmin);
  const l = f(f(vmax + vmin) * 0.5);
  let h = 0;
  let s = 0;
  if (diff > 1.1920928955078125e-7) {
    s = l < 0.5 ? f(diff / f(vmax + vmin)) : f(diff / f(2 - f(vmax + vmin))); // cv2's 2 - (vmax + vmin)
    diff = f(60 / diff);
    // One rounding per multiply-add, as cv2's vectorized loop (fma) rounds.
    if (vmax === r) h = f(f(g - b) * diff);
    else if (vmax === g) h = f(f(b - r) * diff + 120);
    else h = f(f(r - g) * diff + 240);
    if (h < 0) h = f(h + 360);
  }
  px[i] = sat8(f(h * HSCALE_TO));
  px[i + 1] = sat8(f(l * 255));
  px[i + 2] = sat8(f(s * 255));
}

/** OpenCV's sector_data: which of TAB's values b, g, r take in each hue sector. */
const SECTORS = Uint8Array.of(1, 3, 0, 1, 0, 2, 3, 0, 1, 0, 2, 1, 0, 1, 3, 2, 1, 0);
const TAB = new Float64Array(4);

/** OpenCV's `HLS2RGB_b` of the pixel at `i` of `px` (h 0..180, l, s 0..255), written over it as RGB. */
export function hlsToRgb8(px: Uint8Array, i: number): void {
  const l = f(px[i + 1]! * INV255);
  const s = f(px[i + 2]! * INV255);
  let r = l;
  let g = l;
  let b = l;
  if (s !== 0) {
    const p2 = l <= 0.5 ? f(l * f(1 + s)) : f(f(l + s) - f(l * s));
    const p1 = f(f(2 * l) - p2);
    let h = f(px[i]! * HSCALE_FROM);
    while (h < 0) h = f(h + 6);
    while (h >= 6) h = f(h - 6);
    const sector = Math.floor(h);
    h = f(h - sector);
    TAB[0] = p2;
    TAB[1] = p1;
    TAB[2] = f(p1 + f(f(p2 - p1) * f(1 - h)));
    TAB[3] = f(p1 + f(f(p2 - p1) * h));
    const at = sector * 3;
    b = TAB[SECTORS[at]!]!;
    g = TAB[SECTORS[at + 1]!]!;
    r = TAB[SECTORS[at + 2]!]!;
  }
  px[i] = sat8(f(r * 255));
  px[i + 1] = sat8(f(g * 255));
  px[i + 2] = sat8(f(b * 255));
}

/**
 * The C++ colour step on a uint8 HWC RGB image: `h`, `s`, `l` (integers)
 * added in HLS when any is non-zero, then the contrast factor `c + 1` when
 * `|c| > 1e-3`. Returns a new image (or `img` when nothing applies).
 * Example: `jitterColor(img, 10, 0, -5, 0.2)`.
 */
export function jitterColor(img: NDArray, h: number, s: number, l: number, c: number): NDArray {
  const hls = h !== 0 || s !== 0 || l !== 0;
  const contrast = Math.abs(c) > 1e-3;
  if (!hls && !contrast) return img;
  const data = Uint8Array.from(img.data() as Uint8Array);
  if (hls) {
    for (let i = 0; i < data.length; i += 3) {
      rgbToHls8(data, i);
      data[i] = Math.min(180, Math.max(0, data[i]! + h));
      data[i + 1] = Math.min(255, Math.max(0, data[i + 1]! + l));
      data[i + 2] = Math.min(255, Math.max(0, data[i + 2]! + s));
      hlsToRgb8(data, i);
    }
  }
  if (contrast) {
    // convertTo's 8u scale: float32 alpha = c + 1.f, saturate_cast of v * alpha.
    const alpha = f(c + 1);
    for (let i = 0; i < data.length; i++) data[i] = sat8(f(data[i]! * alpha));
  }
  return new NDArray({ dtype: 'uint8', shape: [...img.shape], data });
}
