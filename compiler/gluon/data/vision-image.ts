/**
 * Host-side image kernels behind `gluon.data.vision.transforms`' geometry:
 * checking an HWC image (or NHWC batch), cropping, flipping, and OpenCV's
 * `cv::resize` (which MXNet's `image.resize` / `imresize` call) for
 * INTER_NEAREST (0) and INTER_LINEAR (1) here, INTER_CUBIC (2), INTER_AREA
 * (3) and INTER_LANCZOS4 (4) in vision-interp.ts. They run in data loading,
 * on typed arrays, never in a compiled graph.
 *
 * Invariants: the input is not modified; the output keeps the input's dtype;
 * OpenCV's pixel-center convention `src = (dst + 0.5) * scale - 0.5` with
 * its edge clamping, its float32 taps, and for uint8 its fixed-point
 * arithmetic (coefficients scaled by 2^11, rounded as `cvRound`, result
 * `(v + 2^21) >> 22` saturated to 0..255: the generic `VResizeLinear` with
 * `FixedPtCast`; OpenCV's SIMD paths round some products differently, so
 * cv2 itself agrees to ±1).
 */
import { allocate, type DType, type TypedArray } from '../../../runtime/dtypes.js';
import { NDArray } from '../../engine/ndarray.js';
import { showValue } from '../show-value.js';
import { resizeOther, roundEven } from './vision-interp.js';

/** An image's layout: a batch dimension or not, and its sizes. */
export interface ImageDims {
  batch: number | null;
  h: number;
  w: number;
  c: number;
}

/**
 * Checks `x` is an HWC image (or, with `batches`, an NHWC batch too), with
 * `channels` channels when given, and returns its sizes.
 * Example: `imageDims('Resize', x, true)`.
 */
export function imageDims(what: string, x: unknown, batches: boolean, channels?: readonly number[]): ImageDims {
  if (!(x instanceof NDArray)) throw new Error(`${what}: expected an NDArray image, got ${x === null ? 'null' : typeof x}`);
  const ok = x.ndim === 3 || (batches && x.ndim === 4);
  if (!ok) throw new Error(`${what}: expected an HWC image${batches ? ' or an NHWC batch of them (3 or 4 dims)' : ' (3 dims)'}, got shape [${x.shape.join(', ')}]`);
  const [h, w, c] = x.shape.slice(-3) as [number, number, number];
  if (channels && !channels.includes(c)) {
    throw new Error(`${what}: expected ${channels.join(' or ')} channels (the last dimension of HWC), got shape [${x.shape.join(', ')}]`);
  }
  if (h === 0 || w === 0 || c === 0) throw new Error(`${what}: the image of shape [${x.shape.join(', ')}] is empty`);
  return { batch: x.ndim === 4 ? x.shape[0]! : null, h, w, c };
}

/** Refuses a dtype outside `dtypes`, naming the transform. Example: `checkPixelDType('Resize', x, ['uint8', 'float32'])`. */
export function checkPixelDType(what: string, x: NDArray, dtypes: readonly DType[]): void {
  if (!dtypes.includes(x.dtype)) throw new Error(`${what}: images of dtype ${x.dtype} are not supported (${dtypes.join(', ')})`);
}

/** A new array of `shape` holding `data`, without copying. */
export function wrap(dtype: DType, shape: number[], data: TypedArray): NDArray {
  return new NDArray({ dtype, shape, data });
}

/** A positive integer, or an Error naming the transform and the argument. Example: `positiveInt('Resize', 'size', 224)`. */
export function positiveInt(what: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new Error(`${what}: ${name} must be a positive integer, got ${showValue(v)}`);
  return v;
}

/** MXNet's `size`: one number (a square, or the shorter edge) or `[width, height]` (MXNet's order). Returns `[w, h]` or `[n]`. */
export function sizeArg(what: string, size: unknown): [number] | [number, number] {
  if (typeof size === 'number') return [positiveInt(what, 'size', size)];
  if (Array.isArray(size) && (size.length === 1 || size.length === 2)) {
    return size.map((v, i) => positiveInt(what, `size[${i}] (${size.length === 1 ? 'the size' : i === 0 ? 'width' : 'height'})`, v)) as [number] | [number, number];
  }
  throw new Error(`${what}: size must be a positive integer or [width, height], got ${showValue(size)}`);
}

/** OpenCV's interpolation codes (cv2.INTER_*). */
const INTERPOLATIONS: Record<number, string> = { 0: 'nearest', 1: 'bilinear', 2: 'bicubic', 3: 'area', 4: 'Lanczos' };

/** Checks an interpolation code (OpenCV's: 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos). Example: `interpolationArg('Resize', 1)`. */
export function interpolationArg(what: string, v: unknown): number {
  if (typeof v === 'number' && INTERPOLATIONS[v] !== undefined) return v;
  throw new Error(`${what}: interpolation must be OpenCV's 0 (nearest), 1 (bilinear), 2 (bicubic), 3 (area) or 4 (Lanczos), got ${showValue(v)}`);
}

/** Copies the window `[y0, y0 + h) x [x0, x0 + w)` of each image (MXNet's `image.crop`). */
export function cropImage(x: NDArray, d: ImageDims, x0: number, y0: number, w: number, h: number): NDArray {
  const src = x.data();
  const n = d.batch ?? 1;
  const out = allocate(x.dtype, n * h * w * d.c);
  const row = w * d.c;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const from = ((b * d.h + y0 + y) * d.w + x0) * d.c;
      out.set(src.subarray(from, from + row) as never, (b * h + y) * row);
    }
  }
  return wrap(x.dtype, d.batch === null ? [h, w, d.c] : [n, h, w, d.c], out);
}

/**
 * The HWC image inside a border of `top`, `bottom`, `left` and `right`
 * pixels of `values` (one per channel, or one for all), OpenCV's
 * `copyMakeBorder` with BORDER_CONSTANT; a uint8 image takes integer
 * values 0..255 only (`name` names them in the Error).
 * Example: `padImage('RandomCrop', 'padValue', x, d, [4, 4, 4, 4], [0])`.
 */
export function padImage(what: string, name: string, x: NDArray, d: ImageDims, [top, bottom, left, right]: readonly number[], values: readonly number[]): NDArray {
  checkPixelDType(what, x, RESIZE_DTYPES);
  if (values.length !== 1 && values.length !== d.c) throw new Error(`${what}: ${name} must be one value or one per channel (${d.c}), got ${showValue(values)}`);
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what}: ${name} must be numbers, got ${showValue(values)}`);
    if (x.dtype === 'uint8' && !(Number.isInteger(v) && v >= 0 && v <= 255)) throw new Error(`${what}: ${name} ${v} does not fit a uint8 image (an integer 0..255)`);
  }
  const [h, w] = [d.h + top! + bottom!, d.w + left! + right!];
  const src = x.data();
  const out = allocate(x.dtype, h * w * d.c);
  for (let i = 0; i < out.length; i++) out[i] = values[values.length === 1 ? 0 : i % d.c]!;
  for (let y = 0; y < d.h; y++) out.set(src.subarray(y * d.w * d.c, (y + 1) * d.w * d.c) as never, ((y + top!) * w + left!) * d.c);
  return wrap(x.dtype, [h, w, d.c], out);
}

/** Flips an HWC image along `axis` (0: top to bottom, 1: left to right). */
export function flipImage(x: NDArray, d: ImageDims, axis: 0 | 1): NDArray {
  const src = x.data();
  const out = allocate(x.dtype, src.length);
  const { h, w, c } = d;
  for (let y = 0; y < h; y++) {
    for (let xx = 0; xx < w; xx++) {
      const sy = axis === 0 ? h - 1 - y : y;
      const sx = axis === 1 ? w - 1 - xx : xx;
      const to = (y * w + xx) * c;
      const from = (sy * w + sx) * c;
      for (let k = 0; k < c; k++) out[to + k] = src[from + k]!;
    }
  }
  return wrap(x.dtype, [...x.shape], out);
}

/** One axis' taps: for each output index the two source indices and OpenCV's float32 weights. */
interface Taps {
  i0: Int32Array;
  i1: Int32Array;
  w0: Float32Array;
  w1: Float32Array;
}

/** OpenCV's INTER_LINEAR taps (`resize`'s `fx = (float)((dx + 0.5) * scale - 0.5)`, clamped at the edges). */
function linearTaps(src: number, dst: number): Taps {
  const scale = 1 / (dst / src);
  const t: Taps = { i0: new Int32Array(dst), i1: new Int32Array(dst), w0: new Float32Array(dst), w1: new Float32Array(dst) };
  for (let d = 0; d < dst; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (s < 0) {
      f = 0;
      s = 0;
    }
    if (s >= src - 1) {
      f = 0;
      s = src - 1;
    }
    t.i0[d] = s;
    t.i1[d] = Math.min(s + 1, src - 1);
    t.w0[d] = Math.fround(1 - f);
    t.w1[d] = f;
  }
  return t;
}

/** OpenCV's INTER_NEAREST source index: `min(floor(dst * scale), src - 1)`. */
function nearestIndex(src: number, dst: number): Int32Array {
  const scale = 1 / (dst / src);
  return Int32Array.from({ length: dst }, (_v, d) => Math.min(Math.floor(d * scale), src - 1));
}

/** Resizes one HWC image stored at `src[off..]` into `out[outOff..]` (see the module's invariants). */
function resizeOne(src: Float64Array, off: number, d: ImageDims, out: TypedArray, outOff: number, w: number, h: number, interp: number, dtype: DType): void {
  const c = d.c;
  const [u8, f32] = [dtype === 'uint8', dtype === 'float32'];
  if (interp >= 2) return resizeOther(src, off, d, out, outOff, w, h, interp as 2 | 3 | 4, dtype as 'uint8' | 'float32' | 'float64');
  // OpenCV computes INTER_LINEAR at exactly half size as INTER_AREA (the same average of 2x2 blocks).
  if (interp === 1 && d.w === 2 * w && d.h === 2 * h) return resizeOther(src, off, d, out, outOff, w, h, 3, dtype as 'uint8' | 'float32' | 'float64');
  if (interp === 0) {
    const xs = nearestIndex(d.w, w);
    const ys = nearestIndex(d.h, h);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const from = off + (ys[y]! * d.w + xs[x]!) * c;
        const to = outOff + (y * w + x) * c;
        for (let k = 0; k < c; k++) out[to + k] = src[from + k]!;
      }
    }
    return;
  }
  const tx = linearTaps(d.w, w);
  const ty = linearTaps(d.h, h);
  // The horizontal pass over every source row a vertical tap reads (HResizeLinear), then the vertical blend (VResizeLinear).
  const rows = new Map<number, Float64Array>();
  const rowAt = (sy: number): Float64Array => {
    let r = rows.get(sy);
    if (r) return r;
    r = new Float64Array(w * c);
    const base = off + sy * d.w * c;
    for (let x = 0; x < w; x++) {
      const a = base + tx.i0[x]! * c;
      const b = base + tx.i1[x]! * c;
      if (u8) {
        const a0 = roundEven(tx.w0[x]! * 2048);
        const a1 = roundEven(tx.w1[x]! * 2048);
        for (let k = 0; k < c; k++) r[x * c + k] = src[a + k]! * a0 + src[b + k]! * a1;
      } else if (f32) {
        for (let k = 0; k < c; k++) r[x * c + k] = Math.fround(Math.fround(src[a + k]! * tx.w0[x]!) + Math.fround(src[b + k]! * tx.w1[x]!));
      } else {
        for (let k = 0; k < c; k++) r[x * c + k] = src[a + k]! * tx.w0[x]! + src[b + k]! * tx.w1[x]!;
      }
    }
    rows.set(sy, r);
    return r;
  };
  for (let y = 0; y < h; y++) {
    const r0 = rowAt(ty.i0[y]!);
    const r1 = rowAt(ty.i1[y]!);
    const to = outOff + y * w * c;
    if (u8) {
      const b0 = roundEven(ty.w0[y]! * 2048);
      const b1 = roundEven(ty.w1[y]! * 2048);
      for (let i = 0; i < w * c; i++) out[to + i] = Math.min(255, Math.max(0, Math.floor((r0[i]! * b0 + r1[i]! * b1 + 2097152) / 4194304)));
    } else if (f32) {
      for (let i = 0; i < w * c; i++) out[to + i] = Math.fround(Math.fround(r0[i]! * ty.w0[y]!) + Math.fround(r1[i]! * ty.w1[y]!));
    } else {
      for (let i = 0; i < w * c; i++) out[to + i] = r0[i]! * ty.w0[y]! + r1[i]! * ty.w1[y]!;
    }
    if (rows.size > 4) for (const k of rows.keys()) if (k < ty.i0[y]!) rows.delete(k);
  }
}

/** The dtypes `cv::resize` takes among ours (MXNet refuses float16; OpenCV has no linear int32). */
export const RESIZE_DTYPES: readonly DType[] = ['uint8', 'float32', 'float64'];

/**
 * Resizes an HWC image or NHWC batch to `w` x `h` (OpenCV's `cv::resize`,
 * see the module's invariants). Example: `resizeImage('Resize', x, d, 224, 224, 1)`.
 */
export function resizeImage(what: string, x: NDArray, d: ImageDims, w: number, h: number, interp: number): NDArray {
  checkPixelDType(what, x, RESIZE_DTYPES);
  const n = d.batch ?? 1;
  if (n * h * w * d.c > 2 ** 31 - 1) throw new Error(`${what}: resizing to ${w}x${h} (width x height) would make ${n * h * w * d.c} values, more than an array holds`);
  const src = x.data();
  const out = allocate(x.dtype, n * h * w * d.c);
  for (let b = 0; b < n; b++) {
    resizeOne(src as Float64Array, b * d.h * d.w * d.c, d, out, b * h * w * d.c, w, h, interp, x.dtype);
  }
  return wrap(x.dtype, d.batch === null ? [h, w, d.c] : [n, h, w, d.c], out);
}
