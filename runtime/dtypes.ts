/**
 * The dtypes gluonc supports and how each one is stored in memory and in ONNX.
 * Invariant: every dtype has exactly one typed-array representation; `int64`
 * is a BigInt64Array and `uint64` a BigUint64Array (exact; read as JS numbers
 * only up to 2^53, see `integerProblem`), `float16` raw half bits in a
 * Uint16Array (as is `uint16`: the dtype, not the array, tells them apart),
 * `bool` a Uint8Array of 0/1.
 */

/** The element types of tensors. Example: `const t: DType = 'float32'`. */
export type DType =
  | 'float32' | 'float64' | 'float16' | 'int32' | 'int64' | 'int8' | 'uint8' | 'bool'
  | 'int16' | 'uint16' | 'uint32' | 'uint64';

/** Every supported dtype, in a fixed order. */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'float16', 'int32', 'int64', 'int8', 'uint8', 'bool', 'int16', 'uint16', 'uint32', 'uint64'];

/** The typed array holding a tensor's elements. */
export type TypedArray =
  | Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Int8Array | Uint8Array
  | Int16Array | Uint32Array | BigUint64Array;

interface DTypeInfo {
  onnx: number;
  bytes: number;
  float: boolean;
  make: (n: number) => TypedArray;
  from: (buf: ArrayBufferLike, offset: number, n: number) => TypedArray;
}

const INFO: Record<DType, DTypeInfo> = {
  float32: { onnx: 1, bytes: 4, float: true, make: (n) => new Float32Array(n), from: (b, o, n) => new Float32Array(b, o, n) },
  float64: { onnx: 11, bytes: 8, float: true, make: (n) => new Float64Array(n), from: (b, o, n) => new Float64Array(b, o, n) },
  float16: { onnx: 10, bytes: 2, float: true, make: (n) => new Uint16Array(n), from: (b, o, n) => new Uint16Array(b, o, n) },
  int32: { onnx: 6, bytes: 4, float: false, make: (n) => new Int32Array(n), from: (b, o, n) => new Int32Array(b, o, n) },
  int64: { onnx: 7, bytes: 8, float: false, make: (n) => new BigInt64Array(n), from: (b, o, n) => new BigInt64Array(b, o, n) },
  int8: { onnx: 3, bytes: 1, float: false, make: (n) => new Int8Array(n), from: (b, o, n) => new Int8Array(b, o, n) },
  uint8: { onnx: 2, bytes: 1, float: false, make: (n) => new Uint8Array(n), from: (b, o, n) => new Uint8Array(b, o, n) },
  bool: { onnx: 9, bytes: 1, float: false, make: (n) => new Uint8Array(n), from: (b, o, n) => new Uint8Array(b, o, n) },
  int16: { onnx: 5, bytes: 2, float: false, make: (n) => new Int16Array(n), from: (b, o, n) => new Int16Array(b, o, n) },
  uint16: { onnx: 4, bytes: 2, float: false, make: (n) => new Uint16Array(n), from: (b, o, n) => new Uint16Array(b, o, n) },
  uint32: { onnx: 12, bytes: 4, float: false, make: (n) => new Uint32Array(n), from: (b, o, n) => new Uint32Array(b, o, n) },
  uint64: { onnx: 13, bytes: 8, float: false, make: (n) => new BigUint64Array(n), from: (b, o, n) => new BigUint64Array(b, o, n) },
};

const BY_ONNX = new Map<number, DType>(DTYPES.map((d) => [INFO[d].onnx, d]));

/** True for names gluonc accepts as dtypes. Example: `isDType('float32') === true`. */
export function isDType(x: unknown): x is DType {
  return typeof x === 'string' && Object.prototype.hasOwnProperty.call(INFO, x);
}

/** Throws a named error for anything that is not a supported dtype. */
export function checkDType(x: unknown, what = 'dtype'): DType {
  if (!isDType(x)) throw new Error(`${what}: unsupported dtype ${JSON.stringify(x)} (supported: ${DTYPES.join(', ')})`);
  return x;
}

/** The ONNX TensorProto.DataType number of a dtype. Example: `onnxDType('float32') === 1`. */
export function onnxDType(d: DType): number {
  return INFO[d].onnx;
}

/** ONNX's names of the TensorProto.DataType numbers gluonc has no dtype for (onnx.proto). */
const UNSUPPORTED_ONNX: Record<number, string> = {
  0: 'UNDEFINED', 8: 'string', 14: 'complex64', 15: 'complex128', 16: 'bfloat16', 17: 'float8e4m3fn', 18: 'float8e4m3fnuz',
  19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1', 24: 'float8e8m0', 25: 'uint2', 26: 'int2',
};

/** The dtype of an ONNX TensorProto.DataType number, or an error naming it (`ONNX data type 8 (string) ...`). */
export function fromOnnxDType(n: number): DType {
  const d = BY_ONNX.get(n);
  if (d === undefined) throw new Error(`ONNX data type ${n}${UNSUPPORTED_ONNX[n] ? ` (${UNSUPPORTED_ONNX[n]})` : ''} is not supported by gluonc`);
  return d;
}

/** Bytes per element. */
export function dtypeBytes(d: DType): number {
  return INFO[d].bytes;
}

/** True for float32, float64 and float16. */
export function isFloat(d: DType): boolean {
  return INFO[d].float;
}

/** A zero-filled typed array of `n` elements of dtype `d`. */
export function allocate(d: DType, n: number): TypedArray {
  return INFO[d].make(n);
}

/** A typed-array view of dtype `d` over bytes (which must be aligned for `d`). */
export function viewOf(d: DType, buf: ArrayBufferLike, offset: number, n: number): TypedArray {
  return INFO[d].from(buf, offset, n);
}

/** The dtype name onnxruntime-node uses for a gluonc dtype (the same strings). */
export function ortTypeName(d: DType): string {
  return d;
}

/** The gluonc dtype of an onnxruntime tensor type string, or an error naming it. */
export function fromOrtType(t: string): DType {
  if (isDType(t)) return t;
  throw new Error(`onnxruntime tensor type '${t}' is not supported by gluonc`);
}

const INT_RANGE: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  uint16: [0, 2 ** 16 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  // A JS number (and a JSON number) holds integers exactly only up to 2^53.
  int64: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * The least and greatest values of integer dtype `d` that a JS number holds
 * exactly (int64's 2^63 − 1 rounds up, so its greatest is 2^63 − 1024),
 * undefined for float and bool dtypes.
 *
 * ```ts
 * intLimits('uint8'); // [0, 255]
 * ```
 */
export function intLimits(d: DType): [number, number] | undefined {
  if (d === 'int64') return [-(2 ** 63), 2 ** 63 - 1024];
  if (d === 'uint64') return [0, 2 ** 64 - 2048];
  return INT_RANGE[d];
}

/** True for the 64-bit integer dtypes, whose elements are bigints (BigInt64Array, BigUint64Array). */
export function isBig(d: DType): d is 'int64' | 'uint64' {
  return d === 'int64' || d === 'uint64';
}

/**
 * Why the JS number `v` cannot be stored exactly as an element of integer
 * dtype `d` (not an integer, or out of the dtype's range; int64 beyond
 * ±(2^53 − 1), where a number no longer holds every integer), or '' when it
 * can (and for float and bool dtypes, which take any number).
 *
 * ```ts
 * integerProblem(300, 'int8'); // 'is out of the range of int8 [-128, 127]'
 * integerProblem(3, 'int8');   // ''
 * ```
 */
export function integerProblem(v: number, d: DType): string {
  const r = INT_RANGE[d];
  if (!r) return '';
  if (!Number.isInteger(v)) return `is not an integer (${d})`;
  if (d === 'uint64' && v < 0) return `is out of the range of uint64 [0, 2^64 − 1]`;
  if (v < r[0] || v > r[1]) {
    return isBig(d)
      ? `is beyond ${d === 'int64' ? '±' : ''}(2^53 − 1), past which a JS or JSON number does not hold every ${d} exactly (pass a ${d === 'int64' ? 'BigInt64Array' : 'BigUint64Array'}, or binary data)`
      : `is out of the range of ${d} [${r[0]}, ${r[1]}]`;
  }
  return '';
}
