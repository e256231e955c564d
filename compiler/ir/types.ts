/**
 * Types of IR values: a dtype and a shape whose dimensions are numbers or
 * symbolic names (`'N'`, or a product such as `'N*T'`). A dimension of 0 in a
 * parameter's shape means "not known yet" and is solved by shape inference.
 */
import type { DType } from '../../runtime/dtypes.js';

export type { DType } from '../../runtime/dtypes.js';

/** One dimension: a size, or a symbolic name. */
export type Dim = number | string;

/** A shape; symbolic dimensions are strings. Example: `['N', 784]`. */
export type Shape = Dim[];

/** The type of an IR value. Example: `{ dtype: 'float32', shape: ['N', 10] }`. */
export interface TensorType {
  dtype: DType;
  shape: Shape;
}

/** Formats a type like `float32[N, 10]`. */
export function formatType(t: TensorType): string {
  return `${t.dtype}[${t.shape.join(', ')}]`;
}

/** True when every dimension is a number. */
export function isConcrete(shape: readonly Dim[]): shape is number[] {
  return shape.every((d) => typeof d === 'number');
}
