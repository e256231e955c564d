/**
 * How index operators (take, pick, Embedding, indexAdd, scatterAdd) read
 * their indices, one rule for the TypeScript kernels and the ONNX lowerings:
 * integer indices as they are; float indices truncated toward zero, NaN
 * selecting 0 and ±Infinity the far ends (clamped to ±2^62 first — a cast of
 * NaN or Infinity to int64 is undefined, and onnxruntime's differs from a
 * kernel's). The operators then clip or wrap the result into the axis.
 * Sequence lengths (SequenceMask/Last/Reverse, the recurrent operators) are
 * read by the same rule and clipped in int64 (`lengthsInt64`).
 */
import { isFloat, onnxDType, type DType } from '../../runtime/dtypes.js';
import type { LowerCtx } from './define.js';

/** The far bound a float index is clamped to (exact in float16's float32 path, float32, float64 and int64). */
const FAR = 2 ** 62;

/**
 * The integer a float index selects (before clipping or wrapping).
 *
 * ```ts
 * indexValue(2.7);        // 2
 * indexValue(NaN);        // 0
 * indexValue(Infinity);   // 2^62 (clips to the last row)
 * ```
 */
export function indexValue(v: number): number {
  return Number.isNaN(v) ? 0 : Math.trunc(Math.min(Math.max(v, -FAR), FAR));
}

/**
 * Indices of `dtype` as int64 in a lowering, by `indexValue`'s rule (float
 * ones get IsNaN/Where/Clip before the Cast; int64 ones pass unchanged).
 *
 * ```ts
 * const idx = indicesInt64(c, c.inputs[1]!, c.inTypes[1]!.dtype);
 * ```
 */
export function indicesInt64(c: LowerCtx, x: string, dtype: DType): string {
  if (dtype === 'int64') return x;
  if (!isFloat(dtype)) return c.emit('Cast', [x], { to: onnxDType('int64') })[0]!;
  // onnxruntime's Where has no float16 kernel: float16 indices go through float32 (exact for them).
  const fd: DType = dtype === 'float16' ? 'float32' : dtype;
  const f = fd === dtype ? x : c.emit('Cast', [x], { to: onnxDType(fd) })[0]!;
  const noNaN = c.emit('Where', [c.emit('IsNaN', [f])[0]!, c.scalar(0, fd), f])[0]!;
  const clamped = c.emit('Clip', [noNaN, c.scalar(-FAR, fd), c.scalar(FAR, fd)])[0]!;
  return c.emit('Cast', [clamped], { to: onnxDType('int64') })[0]!;
}

/**
 * Indices of `dtype` as int64 by `indexValue`'s rule, clipped to [0, n - 1]
 * (n: the axis length, a number or the name of an int64 scalar). A float
 * index into an axis of known length is clamped before its Cast, to the
 * float bounds 0 and n - 1 (exact below 2^24 in float32 and float16's
 * float32 path, 2^53 in float64): truncation toward zero and clamping to
 * integer bounds commute, so this equals truncating first, and spares the
 * int64 clamp (4 operators instead of 9 for a softmax cross-entropy's
 * labels, read twice per training step).
 *
 * ```ts
 * const idx = clippedIndicesInt64(c, c.inputs[1]!, c.inTypes[1]!.dtype, 10); // in [0, 9]
 * ```
 */
export function clippedIndicesInt64(c: LowerCtx, x: string, dtype: DType, n: number | string): string {
  if (typeof n === 'number' && n >= 1 && isFloat(dtype) && n - 1 <= (dtype === 'float64' ? 2 ** 53 : 2 ** 24)) {
    const fd: DType = dtype === 'float16' ? 'float32' : dtype;
    const f = fd === dtype ? x : c.emit('Cast', [x], { to: onnxDType(fd) })[0]!;
    const noNaN = c.emit('Where', [c.emit('IsNaN', [f])[0]!, c.scalar(0, fd), f])[0]!;
    const clamped = c.emit('Clip', [noNaN, c.scalar(0, fd), c.scalar(n - 1, fd)])[0]!;
    return c.emit('Cast', [clamped], { to: onnxDType('int64') })[0]!;
  }
  const idx = indicesInt64(c, x, dtype);
  const hi = typeof n === 'number' ? c.scalar(n - 1, 'int64') : c.emit('Sub', [n, c.scalar(1, 'int64')])[0]!;
  return c.emit('Clip', [idx, c.scalar(0, 'int64'), hi])[0]!;
}

/**
 * Sequence lengths of `dtype` as int64 by `indexValue`'s rule, clipped to
 * [lo, hi] when `clip` = [lo, hi] is given (hi: the name of an int64
 * scalar, usually T). The clip is
 * int64 Min/Max (exact past the int32 range through the emitter's int64
 * rewrite) before any narrowing: a length of 2^32 + 1 cast to int32 first
 * would read as 1, and 2^31 as -2^31.
 *
 * ```ts
 * const lens = lengthsInt64(c, c.inputs[6]!, c.inTypes[6]!.dtype, [0, t]); // in [0, T]
 * ```
 */
export function lengthsInt64(c: LowerCtx, x: string, dtype: DType, clip?: [number, string]): string {
  const l = indicesInt64(c, x, dtype);
  if (!clip) return l;
  return c.emit('Max', [c.emit('Min', [l, clip[1]])[0]!, c.scalar(clip[0], 'int64')])[0]!;
}

/**
 * The row-major position of `count` index columns among axes of sizes
 * `size(k)` (a number, or a value read when the graph runs):
 * `sum_k col(k) * (size(k+1) * ... * size(count-1))` — the one linearization
 * behind MXNet's gather_nd (`npx.gatherNd`) and ONNX's GatherND (its
 * importer), written against the caller's values through `mul` and `add`.
 * `size(0)` is never asked for.
 *
 * ```ts
 * // i0 * 4 + i1 for axes [3, 4]
 * rowMajorPosition(2, (k) => cols[k], (k) => [3, 4][k], { mul: (a, s) => F.mul(a, s), add: (a, b) => F.add(a, b) });
 * ```
 */
export function rowMajorPosition<V>(count: number, col: (k: number) => V, size: (k: number) => number | V, b: { mul(a: V, s: number | V): V; add(a: V, c: V): V }): V {
  let pos: V | null = null;
  let stride: number | V = 1;
  for (let k = count - 1; k >= 0; k--) {
    const ik = col(k);
    const term = stride === 1 ? ik : b.mul(ik, stride);
    pos = pos === null ? term : b.add(pos, term);
    if (k === 0) break;
    const d = size(k);
    stride = typeof stride === 'number' && typeof d === 'number' ? stride * d : typeof stride === 'number' ? b.mul(d as V, stride) : b.mul(stride, d);
  }
  return pos!;
}
