/**
 * OpenCV's `cv::resize` (modules/imgproc/src/resize.cpp) for INTER_CUBIC
 * (2), INTER_AREA (3) and INTER_LANCZOS4 (4) on host arrays, behind
 * `resizeImage` (vision-image.ts keeps nearest and bilinear).
 *
 * Invariants, each as resize.cpp computes it:
 * - cubic and Lanczos: the source position `(float)((d + 0.5) * scale - 0.5)`,
 *   its floor `s` and fraction `f`; taps `s - k/2 + 1 ... s + k/2` clamped to
 *   the edge (BORDER_REPLICATE); `interpolateCubic` (A = -0.75) and
 *   `interpolateLanczos4` in float32 (double sines and cosines).
 * - area, shrinking on both axes (`scale >= 1`): integer factors average each
 *   block (`resizeAreaFast_`: sum times `1.f / area`, rounded half to even;
 *   for 2x2 blocks of 1, 3 or 4 uint8 channels `(sum + 2) >> 2`, its SIMD
 *   `ResizeAreaFastVec`); other factors weigh
 *   each source cell by its overlap (`computeResizeAreaTab`, double table,
 *   float32 weights, float32 sums for uint8 and float32); enlarging on either
 *   axis: INTER_LINEAR's two taps at `floor(d * scale)` with OpenCV's area
 *   fraction `(d + 1) - (s + 1) / scale` (its `area_mode`).
 * - uint8: the two-tap and cubic/Lanczos weights scaled by 2^11 and rounded
 *   as `saturate_cast<short>` (half to even), integer sums, the result
 *   `(v + 2^21) >> 22` saturated (FixedPtCast); area shrinking rounds its
 *   float32 sum half to even (`saturate_cast<uchar>(float)`). OpenCV's SIMD
 *   cubic and two-tap paths round some uint8 values differently (cv2 agrees
 *   to ±1).
 * - float32: every product and sum rounded to float32, summed left to right;
 *   float64: double sums of the float32 weights.
 */
import type { TypedArray } from '../../../runtime/dtypes.js';

/** An image's sizes (vision-image.ts' ImageDims). */
interface ImageDims {
  h: number;
  w: number;
  c: number;
}

const fr = Math.fround;

/** Rounds half to even, as `cvRound` (lrint) does. */
export function roundEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** One axis' taps: for each output index its source indices and float32 weights, in OpenCV's summation order. */
interface AxisTaps {
  idx: number[][];
  w: number[][];
}

/** `interpolateCubic(x)` with A = -0.75, in float32. */
function cubic(x: number): number[] {
  const A = fr(-0.75);
  const x1 = fr(x + 1);
  const t = fr(1 - x);
  const c0 = fr(fr(fr(fr(fr(fr(A * x1) - fr(5 * A)) * x1) + fr(8 * A)) * x1) - fr(4 * A));
  const c1 = fr(fr(fr(fr(fr(fr(A + 2) * x) - fr(A + 3)) * x) * x) + 1);
  const c2 = fr(fr(fr(fr(fr(fr(A + 2) * t) - fr(A + 3)) * t) * t) + 1);
  return [c0, c1, c2, fr(fr(fr(1 - c0) - c1) - c2)];
}

const S45 = 0.7071067811865476;
const CS = [[1, 0], [-S45, -S45], [0, 1], [S45, -S45], [-1, 0], [S45, S45], [0, -1], [-S45, S45]] as const;

/** `interpolateLanczos4(x)`, in float32 (1e30 at a sample point, then normalized, as OpenCV 4). */
function lanczos4(x: number): number[] {
  const x3 = fr(x + 3);
  const y0 = -x3 * Math.PI * 0.25;
  const [s0, c0] = [Math.sin(y0), Math.cos(y0)];
  const c: number[] = [];
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const yi = fr(x3 - i);
    if (Math.abs(yi) >= fr(1e-6)) {
      const y = -yi * Math.PI * 0.25;
      c.push(fr((CS[i]![0] * s0 + CS[i]![1] * c0) / (y * y)));
    } else c.push(fr(1e30));
    sum = fr(sum + c[i]!);
  }
  const inv = fr(1 / sum);
  return c.map((v) => fr(v * inv));
}

/** Cubic (4 taps) or Lanczos (8 taps) around OpenCV's pixel-centre source position, clamped to the edge. */
function kernelTaps(src: number, dst: number, k: 4 | 8): AxisTaps {
  const scale = 1 / (dst / src);
  const t: AxisTaps = { idx: [], w: [] };
  for (let d = 0; d < dst; d++) {
    const f0 = fr((d + 0.5) * scale - 0.5);
    const s = Math.floor(f0);
    const f = fr(f0 - s);
    t.idx.push(Array.from({ length: k }, (_v, j) => Math.min(Math.max(s - k / 2 + 1 + j, 0), src - 1)));
    t.w.push(k === 4 ? cubic(f) : lanczos4(f));
  }
  return t;
}

/** INTER_AREA when enlarging (resize.cpp's `area_mode`): two taps at `floor(d * scale)`, OpenCV's fraction, x clamped as INTER_LINEAR's. */
function areaUpTaps(src: number, dst: number, isX: boolean): AxisTaps {
  const inv = dst / src;
  const scale = 1 / inv;
  const t: AxisTaps = { idx: [], w: [] };
  for (let d = 0; d < dst; d++) {
    let s = Math.floor(d * scale);
    let f = fr(d + 1 - (s + 1) * inv);
    f = f <= 0 ? 0 : fr(f - Math.floor(f));
    if (isX && s >= src - 1) [s, f] = [src - 1, 0];
    t.idx.push([Math.min(s, src - 1), Math.min(s + 1, src - 1)]);
    t.w.push([fr(1 - f), f]);
  }
  return t;
}

/** `computeResizeAreaTab`: each output cell's overlapping source cells and their share (double, stored as float32). */
function areaTaps(src: number, dst: number): AxisTaps {
  const scale = 1 / (dst / src);
  const t: AxisTaps = { idx: [], w: [] };
  for (let d = 0; d < dst; d++) {
    const fs1 = d * scale;
    const fs2 = fs1 + scale;
    const cell = Math.min(scale, src - fs1);
    const s2 = Math.min(Math.floor(fs2), src - 1);
    const s1 = Math.min(Math.ceil(fs1), s2);
    const [idx, w]: [number[], number[]] = [[], []];
    if (s1 - fs1 > 1e-3) idx.push(s1 - 1), w.push(fr((s1 - fs1) / cell));
    for (let s = s1; s < s2; s++) idx.push(s), w.push(fr(1 / cell));
    if (fs2 - s2 > 1e-3) idx.push(s2), w.push(fr(Math.min(Math.min(fs2 - s2, 1), cell) / cell));
    t.idx.push(idx);
    t.w.push(w);
  }
  return t;
}

/** How values are summed: uint8 in OpenCV's fixed point or in float32 rounded at the end, float32, float64. */
type Arith = 'fixed' | 'u8float' | 'f32' | 'f64';

/** The separable resize over precomputed taps: every source row's horizontal pass, then the vertical blend. */
function separable(src: Float64Array, off: number, d: ImageDims, out: TypedArray, outOff: number, tx: AxisTaps, ty: AxisTaps, arith: Arith): void {
  const { c } = d;
  const w = tx.idx.length;
  const fixed = arith === 'fixed';
  const f32 = arith === 'f32' || arith === 'u8float';
  const scaleW = (v: number) => (fixed ? roundEven(v * 2048) : v);
  const ax = tx.w.map((ws) => ws.map(scaleW));
  const by = ty.w.map((ws) => ws.map(scaleW));
  const rows = new Map<number, Float64Array>();
  const rowAt = (sy: number): Float64Array => {
    let r = rows.get(sy);
    if (r) return r;
    r = new Float64Array(w * c);
    const base = off + sy * d.w * c;
    for (let x = 0; x < w; x++) {
      const [is, ws] = [tx.idx[x]!, ax[x]!];
      for (let k = 0; k < c; k++) {
        let v = 0;
        for (let j = 0; j < is.length; j++) v = f32 ? fr(v + fr(src[base + is[j]! * c + k]! * ws[j]!)) : v + src[base + is[j]! * c + k]! * ws[j]!;
        r[x * c + k] = v;
      }
    }
    rows.set(sy, r);
    return r;
  };
  for (let y = 0; y < ty.idx.length; y++) {
    const [is, ws] = [ty.idx[y]!, by[y]!];
    const rs = is.map(rowAt);
    const to = outOff + y * w * c;
    for (let i = 0; i < w * c; i++) {
      let v = 0;
      for (let j = 0; j < rs.length; j++) v = f32 ? fr(v + fr(rs[j]![i]! * ws[j]!)) : v + rs[j]![i]! * ws[j]!;
      if (fixed) v = Math.min(255, Math.max(0, Math.floor((v + 2097152) / 4194304)));
      else if (arith === 'u8float') v = Math.min(255, Math.max(0, roundEven(v)));
      out[to + i] = v;
    }
    if (rows.size > 16) for (const k of rows.keys()) if (k < Math.min(...is)) rows.delete(k);
  }
}

/** `resizeAreaFast_`: the mean of each `sx` x `sy` block (its sum unrolled by four, times `1.f / area`). */
function areaFast(src: Float64Array, off: number, d: ImageDims, out: TypedArray, outOff: number, w: number, h: number, dtype: 'uint8' | 'float32' | 'float64'): void {
  const [sx, sy, c] = [d.w / w, d.h / h, d.c];
  const area = sx * sy;
  const scale = fr(1 / area);
  // 2x2 blocks of 1, 3 or 4 uint8 channels: ResizeAreaFastVec's integer (sum + 2) >> 2, which every SIMD build of OpenCV runs.
  const half = dtype === 'uint8' && sx === 2 && sy === 2 && (c === 1 || c === 3 || c === 4);
  const add = dtype === 'float32' ? (a: number, b: number) => fr(a + b) : (a: number, b: number) => a + b;
  const ofs: number[] = [];
  for (let j = 0; j < sy; j++) for (let i = 0; i < sx; i++) ofs.push((j * d.w + i) * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const base = off + ((y * sy) * d.w + x * sx) * c;
      for (let k = 0; k < c; k++) {
        const S = (m: number) => src[base + ofs[m]! + k]!;
        let sum = 0;
        let m = 0;
        for (; m <= area - 4; m += 4) sum = add(sum, add(add(add(S(m), S(m + 1)), S(m + 2)), S(m + 3)));
        for (; m < area; m++) sum = add(sum, S(m));
        const to = outOff + (y * w + x) * c + k;
        if (dtype !== 'uint8') out[to] = dtype === 'float32' ? fr(sum * scale) : sum * scale;
        else out[to] = half ? (sum + 2) >> 2 : Math.min(255, Math.max(0, roundEven(fr(sum * scale))));
      }
    }
  }
}

/**
 * Resizes one HWC image at `src[off..]` into `out[outOff..]` by OpenCV's
 * INTER_CUBIC (2), INTER_AREA (3) or INTER_LANCZOS4 (4) (see the module's
 * invariants). Example: `resizeOther(src, 0, d, out, 0, 32, 32, 2, 'uint8')`.
 */
export function resizeOther(src: Float64Array, off: number, d: ImageDims, out: TypedArray, outOff: number, w: number, h: number, interp: 2 | 3 | 4, dtype: 'uint8' | 'float32' | 'float64'): void {
  const arith: Arith = dtype === 'uint8' ? 'fixed' : dtype === 'float32' ? 'f32' : 'f64';
  if (interp !== 3) {
    const k = interp === 2 ? 4 : 8;
    separable(src, off, d, out, outOff, kernelTaps(d.w, w, k), kernelTaps(d.h, h, k), arith);
    return;
  }
  const [scaleX, scaleY] = [1 / (w / d.w), 1 / (h / d.h)];
  if (scaleX >= 1 && scaleY >= 1) {
    const fast = Math.abs(scaleX - Math.round(scaleX)) < Number.EPSILON && Math.abs(scaleY - Math.round(scaleY)) < Number.EPSILON;
    if (fast) areaFast(src, off, d, out, outOff, w, h, dtype);
    else separable(src, off, d, out, outOff, areaTaps(d.w, w), areaTaps(d.h, h), dtype === 'uint8' ? 'u8float' : arith);
    return;
  }
  separable(src, off, d, out, outOff, areaUpTaps(d.w, w, true), areaUpTaps(d.h, h, false), arith);
}
