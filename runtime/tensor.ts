/**
 * Host tensors: a dtype, a concrete shape and a typed array in row-major
 * order. This is the one in-memory tensor form shared by the runtime, the
 * compiler's constant folding and the eager `nd` front end.
 * Invariant: `data.length === sizeOf(shape)` and the array type matches dtype.
 */
import { allocate, isFloat, type DType, type TypedArray } from './dtypes.js';
import { fromHalf, toHalf } from './half.js';

/** A tensor in host memory. Example: `{ dtype: 'float32', shape: [2], data: new Float32Array([1, 2]) }`. */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** The number of elements of a concrete shape. Example: `sizeOf([2, 3]) === 6`. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape, in elements. Example: `stridesOf([2, 3])` is `[3, 1]`. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Element `i` of a tensor as a JS number (int64/uint64 converted, exact up to 2^53; float16 decoded). */
export function readElement(t: HostTensor, i: number): number {
  const v = t.data[i]!;
  if (typeof v === 'bigint') return Number(v);
  return t.dtype === 'float16' ? fromHalf(v) : v;
}

/** Stores the number `x` as element `i`, converting to the tensor's dtype. */
export function writeElement(t: HostTensor, i: number, x: number): void {
  switch (t.dtype) {
    case 'int64':
    case 'uint64':
      // The typed array wraps the integer modulo 2^64 (numpy's astype; -1 into uint64 is 2^64 − 1).
      (t.data as BigInt64Array)[i] = BigInt(Math.trunc(Number.isFinite(x) ? x : 0));
      return;
    case 'float16':
      (t.data as Uint16Array)[i] = toHalf(x);
      return;
    case 'bool':
      (t.data as Uint8Array)[i] = x !== 0 ? 1 : 0; // NaN is true (numpy, ONNX Cast)
      return;
    default:
      (t.data as Float32Array)[i] = x;
  }
}

/**
 * True for dtypes whose typed array stores a JS number as the dtype's own
 * conversion does (floats round; integers truncate toward zero and wrap
 * modulo 2^bits, as C and numpy's astype): all but float16 (half bits),
 * bool (0/1) and the bigint arrays of int64 and uint64.
 */
export function directDType(d: DType): boolean {
  return d !== 'float16' && d !== 'bool' && d !== 'int64' && d !== 'uint64';
}

/** A tensor of dtype `dtype` and shape `shape` filled with the numbers `values` (length must match). */
export function tensorFromNumbers(dtype: DType, shape: number[], values: ArrayLike<number>): HostTensor {
  const n = sizeOf(shape);
  if (values.length !== n) {
    throw new Error(`tensor of shape [${shape.join(', ')}] needs ${n} values, got ${values.length}`);
  }
  const t: HostTensor = { dtype, shape: [...shape], data: allocate(dtype, n) };
  if (directDType(dtype)) {
    (t.data as Float64Array).set(values);
    return t;
  }
  for (let i = 0; i < n; i++) writeElement(t, i, values[i]!);
  return t;
}

/**
 * One JS value as a tensor element: a number, a boolean (1/0) or a bigint;
 * anything else (a string, null, undefined, an object) throws an Error that
 * names the element, never a silent NaN or 0.
 *
 * ```ts
 * [true, 2].map((v, i) => elementNumber(v, i, 'nd.array')); // [1, 2]
 * ```
 */
export function elementNumber(v: unknown, i: number, where: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean' || typeof v === 'bigint') return Number(v);
  const what = v === null ? 'null' : typeof v === 'string' ? `the string ${JSON.stringify(v)}` : Array.isArray(v) ? 'an array' : typeof v;
  throw new Error(`${where}: element ${i} is ${what}, not a number`);
}

/** All elements as JS numbers, in row-major order. */
export function tensorToNumbers(t: HostTensor): number[] {
  const n = t.data.length;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) out[i] = readElement(t, i);
  return out;
}

/** A zero tensor. Example: `zerosTensor('float32', [2, 2])`. */
export function zerosTensor(dtype: DType, shape: number[]): HostTensor {
  return { dtype, shape: [...shape], data: allocate(dtype, sizeOf(shape)) };
}

/** True when two shapes are equal, dimension by dimension (no strings: per-step checks). Example: `sameShape([2, 3], [2, 3])`. */
export function sameShape(a: readonly (number | string)[], b: readonly (number | string)[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Formats a shape like `[2, 3]`, symbolic dimensions by name. */
export function formatShape(shape: readonly (number | string)[]): string {
  return `[${shape.join(', ')}]`;
}

/** A 0-d tensor of a dtype holding `value` (integer dtypes, int64 too, truncate; NaN/±Infinity give 0). Example: `scalarTensor(0.5, 'float32')`. */
export function scalarTensor(value: number, dtype: DType): HostTensor {
  const t: HostTensor = { dtype, shape: [], data: allocate(dtype, 1) };
  if (dtype === 'bool') t.data[0] = value ? 1 : 0;   // NaN is false here (JS truthiness), as it always was
  else if (isFloat(dtype) || Number.isFinite(value)) writeElement(t, 0, value);
  return t;
}
