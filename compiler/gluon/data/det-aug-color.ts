/**
 * The colour jitter of MXNet 1.x's C++ default detection augmenter
 * (`DefaultImageDetAugmenter::Process` in src/io/image_det_aug_default.cc,
 * apache/mxnet at 05321655d937) on a uint8 HWC RGB image: OpenCV's 8-bit
 * `cvtColor` to HLS (H 0..180, L and S 0..255), `{h, l, s}` added and
 * clamped to `[0, {180, 255, 255}]`, back to RGB; then the contrast
 * `convertTo(res, -1, c + 1, 0)`.
 *
 * Invariants: OpenCV's scalar float32 arithmetic of `RGB2HLS_b` /
 * `HLS2RGB_b` (`x * (1 / 255.f)`, results rounded as `saturate_cast`,
 * half to even); the C++ converts BGR with BGR2HLS, which is RGB2HLS of
 * our RGB; cv2's vectorized paths agree with these to ±1 on some pixels.
 */
import { NDArray } from '../../engine/ndarray.js';
import { roundEven } from './vision-interp.js';

const f = Math.fround;
const INV255 = f(1 / 255);
const HSCALE_TO = f(180 / 360);
const HSCALE_FROM = f(6 / 180);
const sat8 = (v: number): number => Math.min(255, Math.max(0, roundEven(v)));

/** OpenCV's `RGB2HLS_b` of one pixel: `[h 0..180, l, s]` as uint8 values. */
export function rgbToHls8(r0: number, g0: number, b0: number): [number, number, number] {
  const [r, g, b] = [f(r0 * INV255), f(g0 * INV255), f(b0 * INV255)];
  const vmax = Math.max(r, g, b);
  const vmin = Math.min(r, g, b);
  let diff = f(vmax - vmin);
  const l = f(f(vmax + vmin) * 0.5);
  let h = 0;
  let s = 0;
  if (diff > 1.1920928955078125e-7) {
    s = l < 0.5 ? f(diff / f(vmax + vmin)) : f(diff / f(f(2 - vmax) - vmin));
    diff = f(60 / diff);
    if (vmax === r) h = f(f(g - b) * diff);
    else if (vmax === g) h = f(f(f(b - r) * diff) + 120);
    else h = f(f(f(r - g) * diff) + 240);
    if (h < 0) h = f(h + 360);
  }
  return [sat8(f(h * HSCALE_TO)), sat8(f(l * 255)), sat8(f(s * 255))];
}

const SECTORS = [[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]];

/** OpenCV's `HLS2RGB_b` of one pixel (h 0..180, l, s 0..255): `[r, g, b]`. */
export function hlsToRgb8(h0: number, l0: number, s0: number): [number, number, number] {
  const l = f(l0 * INV255);
  const s = f(s0 * INV255);
  let r = l;
  let g = l;
  let b = l;
  if (s !== 0) {
    const p2 = l <= 0.5 ? f(l * f(1 + s)) : f(f(l + s) - f(l * s));
    const p1 = f(f(2 * l) - p2);
    let h = f(h0 * HSCALE_FROM);
    while (h < 0) h = f(h + 6);
    while (h >= 6) h = f(h - 6);
    const sector = Math.floor(h);
    h = f(h - sector);
    const tab = [p2, p1, f(p1 + f(f(p2 - p1) * f(1 - h))), f(p1 + f(f(p2 - p1) * h))];
    const sd = SECTORS[sector]!;
    [b, g, r] = [tab[sd[0]!]!, tab[sd[1]!]!, tab[sd[2]!]!];
  }
  return [sat8(f(r * 255)), sat8(f(g * 255)), sat8(f(b * 255))];
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
      const [hh, ll, ss] = rgbToHls8(data[i]!, data[i + 1]!, data[i + 2]!);
      const rgb = hlsToRgb8(Math.min(180, Math.max(0, hh + h)), Math.min(255, Math.max(0, ll + l)), Math.min(255, Math.max(0, ss + s)));
      data.set(rgb, i);
    }
  }
  if (contrast) {
    // convertTo's 8u scale: float32 alpha = c + 1.f, saturate_cast of v * alpha.
    const alpha = f(c + 1);
    for (let i = 0; i < data.length; i++) data[i] = sat8(f(data[i]! * alpha));
  }
  return new NDArray({ dtype: 'uint8', shape: [...img.shape], data });
}
