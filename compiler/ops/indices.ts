/**
 * How index operators (take, pick, Embedding, indexAdd, scatterAdd) read
 * their indices, one rule for the TypeScript kernels and the ONNX lowerings:
 * integer indices as they are; float indices truncated toward zero, NaN
 * selecting 0 and ±Infinity the far ends (clamped to ±2^62 first — a cast of
 * NaN or Infinity to int64 is undefined, and onnxruntime's differs from a
 * kernel's). The operators then clip or wrap the result into the axis.
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
