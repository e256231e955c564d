/**
 * Turning a list of samples into one batch (MXNet's `default_batchify_fn`):
 * NDArrays are stacked along a new axis 0 (rows copied with typed-array
 * `set`), numbers become a float32 array (those a 1-D column gave, unchanged
 * by a transform, its dtype: `batchifyTyped`), bigints an int64 array, typed
 * arrays are stacked in their own dtype, and tuples (JS arrays) are batched
 * field by field.
 */
import { allocate, type DType, type TypedArray } from '../../../runtime/dtypes.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { NDArray, array } from '../../engine/ndarray.js';

/**
 * The default batchify function.
 *
 * ```ts
 * defaultBatchify([nd.array([1, 2]), nd.array([3, 4])]); // NDArray [[1, 2], [3, 4]]
 * defaultBatchify([[x0, 0], [x1, 1]]);                   // [stack(x0, x1), [0, 1]]
 * ```
 */
export function defaultBatchify(samples: unknown[]): unknown {
  return batchifyTyped(samples);
}

/**
 * `defaultBatchify` given the dtypes the samples' numbers came with (one
 * entry per sample, see `Dataset._typedGet`): numbers whose samples all name
 * one dtype are batched in it, other numbers as float32.
 *
 * ```ts
 * batchifyTyped([[x0, 3], [x1, 4]], [[undefined, 'int32'], [undefined, 'int32']]); // [stack, int32 [3, 4]]
 * ```
 */
export function batchifyTyped(samples: unknown[], dtypes?: unknown[]): unknown {
  if (samples.length === 0) throw new Error('batchify: no samples to batch');
  const first = samples[0];
  if (first instanceof NDArray) return stackArrays(samples, 'sample');
  if (typeof first === 'number' || typeof first === 'boolean') {
    const d = dtypes?.[0];
    return numbersBatch(samples, typeof d === 'string' && dtypes!.every((x) => x === d) ? (d as DType) : 'float32');
  }
  if (typeof first === 'bigint') return bigintsBatch(samples);
  if (ArrayBuffer.isView(first)) return stackTyped(samples);
  if (Array.isArray(first)) {
    const width = first.length;
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== width) {
        throw new Error(`batchify: sample ${i} is ${describe(s)} but sample 0 is a tuple of ${width}; every sample must have the same structure`);
      }
    });
    const field = (k: number) => dtypes?.map((d) => (Array.isArray(d) ? d[k] : undefined));
    return first.map((_v, k) => batchifyTyped(samples.map((s) => (s as unknown[])[k]), field(k)));
  }
  throw new Error(`batchify: cannot batch samples of type ${describe(first)}; give the DataLoader a batchify function`);
}

/**
 * Stacks NDArrays of one shape and dtype into a new axis 0 (`what` names
 * the items in errors).
 *
 * ```ts
 * stackArrays([nd.ones([2]), nd.zeros([2])], 'sample'); // shape [2, 2]
 * ```
 */
export function stackArrays(items: unknown[], what: string): NDArray {
  const first = items[0] as NDArray;
  const { dtype, shape } = first;
  const n = first.size;
  const out = allocate(dtype, n * items.length);
  items.forEach((x, i) => {
    if (!(x instanceof NDArray)) throw new Error(`batchify: ${what} ${i} is ${describe(x)}, but ${what} 0 is an NDArray`);
    if (x.dtype !== dtype || x.shape.length !== shape.length || x.shape.some((d, k) => d !== shape[k])) {
      throw new Error(`batchify: ${what} ${i} has shape [${x.shape.join(', ')}] (${x.dtype}) but ${what} 0 has [${shape.join(', ')}] (${dtype}); samples must match to be stacked${x.dtype === dtype && shape.length === x.shape.length ? ' (pad samples of different lengths with gluon.data.batchify.Pad())' : ''}`);
    }
    (out as Float32Array).set(x._host.data as Float32Array, i * n);
  });
  return new NDArray({ dtype, shape: [items.length, ...shape], data: out });
}

function numbersBatch(samples: unknown[], dtype: DType): NDArray {
  const out = new Float64Array(samples.length);
  samples.forEach((v, i) => {
    if (typeof v !== 'number' && typeof v !== 'boolean') throw new Error(`batchify: sample ${i} is ${describe(v)}, but sample 0 is a number`);
    out[i] = Number(v);
  });
  // float32 by default; a column's own dtype (float16's bits, int64's bigints) through tensorFromNumbers.
  return new NDArray(dtype === 'float32' ? { dtype, shape: [samples.length], data: Float32Array.from(out) } : tensorFromNumbers(dtype, [samples.length], out));
}

function bigintsBatch(samples: unknown[]): NDArray {
  const out = new BigInt64Array(samples.length);
  samples.forEach((v, i) => {
    if (typeof v !== 'bigint') throw new Error(`batchify: sample ${i} is ${describe(v)}, but sample 0 is a bigint`);
    if (BigInt.asIntN(64, v) !== v) throw new Error(`batchify: sample ${i} (${v}) is out of the int64 range`);
    out[i] = v;
  });
  return new NDArray({ dtype: 'int64', shape: [samples.length], data: out });
}

const TYPED: [new (...a: any[]) => TypedArray, DType][] = [
  [Float32Array, 'float32'], [Float64Array, 'float64'], [Int32Array, 'int32'], [BigInt64Array, 'int64'], [Int8Array, 'int8'], [Uint8Array, 'uint8'],
  [Int16Array, 'int16'], [Uint16Array, 'uint16'], [Uint32Array, 'uint32'], [BigUint64Array, 'uint64'],
];

/**
 * The dtype of a typed array gluonc has a dtype for (`Int32Array` → int32), else undefined.
 *
 * ```ts
 * typedDType(new Float64Array(2)); // 'float64'
 * ```
 */
export function typedDType(x: unknown): DType | undefined {
  return TYPED.find(([C]) => x instanceof C)?.[1];
}

function stackTyped(samples: unknown[]): NDArray {
  const dtypeOf = typedDType;
  if (!dtypeOf(samples[0])) return array(samples.map((s) => Array.from(s as ArrayLike<number>)));
  return stackArrays(samples.map((s, i) => {
    const dtype = dtypeOf(s);
    if (!dtype) throw new Error(`batchify: sample ${i} is ${describe(s)}, but sample 0 is a ${(samples[0] as object).constructor.name}`);
    return new NDArray({ dtype, shape: [(s as TypedArray).length], data: s as TypedArray });
  }), 'sample');
}

function describe(x: unknown): string {
  if (x === null || x === undefined) return String(x);
  if (Array.isArray(x)) return `a tuple of ${x.length}`;
  if (typeof x === 'object') {
    const name = (x as object).constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return `a ${typeof x}`;
}
