/**
 * `gluon.data.batchify`: MXNet's batchify functions for `DataLoader({ batchify })`,
 * as functions that return the batchify function (MXNet's are callable objects):
 * `Stack` stacks equal samples, `Pad` pads samples of different lengths along
 * one axis to the longest (MXNet's `Pad`: `val`, `dtype`, `round_to`), `Tuple`
 * applies one function per field of tuple samples, `List` keeps the samples.
 * Invariant: the output is a fresh array; a sample that does not fit is an
 * Error naming its index and shape.
 */
import { allocate, checkDType, type DType, type TypedArray } from '../../../runtime/dtypes.js';
import { toHalf } from '../../../runtime/half.js';
import { NDArray, array, type NestedNumbers } from '../../engine/ndarray.js';
import { showValue } from '../show-value.js';
import { defaultBatchify, stackArrays } from './batchify.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** A batchify function: a list of samples to one batch. */
export type BatchifyFn = (samples: any[]) => unknown;

/** Options of `Stack`. */
export interface StackOptions {
  /** The batch's dtype (default: the samples' own; float32 for numbers). */
  dtype?: DType;
}

/** Options of `Pad` (MXNet's, camelCase). */
export interface PadOptions {
  /** The axis of each sample to pad (default 0; negative counts from the end). */
  axis?: number;
  /** The padding value (default 0). */
  val?: number;
  /** The batch's dtype (default: the first sample's; float32 for number lists). */
  dtype?: DType;
  /** Pads to a multiple of this length (MXNet's `round_to`). */
  roundTo?: number;
}

function asArray(x: unknown, i: number, fn: string): NDArray {
  if (x instanceof NDArray) return x;
  if (Array.isArray(x) || typeof x === 'number') {
    try {
      return array(x as NestedNumbers);
    } catch (e) {
      throw new Error(`batchify.${fn}: sample ${i} is not a rectangular list of numbers: ${(e as Error).message}`);
    }
  }
  throw new Error(`batchify.${fn}: sample ${i} must be an NDArray or a list of numbers, got ${x === null ? 'null' : typeof x}`);
}

const INT_LIMITS: Partial<Record<DType, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int16: [-(2 ** 15), 2 ** 15 - 1],
  uint16: [0, 2 ** 16 - 1],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  // The 64-bit maxima as their exclusive bounds 2^63 and 2^64 (float64 holds those, not 2^63 − 1).
  int64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
};

/** The padding value as stored in `dtype`'s typed array (integers truncate, as numpy.full; float16 as half bits); an Error when the dtype cannot hold it. */
function padFill(val: number, dtype: DType): number | bigint {
  const lim = INT_LIMITS[dtype];
  if (lim) {
    const v = Math.trunc(val);
    const big = dtype === 'int64' || dtype === 'uint64';
    if (!Number.isFinite(val) || v < lim[0] || (big ? v >= lim[1] : v > lim[1])) {
      const range = dtype === 'int64' ? '-2^63, 2^63 - 1' : dtype === 'uint64' ? '0, 2^64 - 1' : `${lim[0]}, ${lim[1]}`;
      throw new Error(`batchify.Pad: val ${showValue(val)} cannot be stored in ${dtype} (range [${range}])`);
    }
    return big ? BigInt(v) : v;
  }
  if (dtype === 'float16') return toHalf(val);
  if (dtype === 'bool') return val !== 0 ? 1 : 0;
  return val;
}

function checkSamples(samples: unknown, fn: string): asserts samples is unknown[] {
  if (!Array.isArray(samples) || samples.length === 0) throw new Error(`batchify.${fn}: no samples to batch`);
}

/**
 * Stacks samples of one shape along a new axis 0 (MXNet's `batchify.Stack`).
 *
 * ```ts
 * batchify.Stack()([nd.ones([2]), nd.zeros([2])]); // shape [2, 2]
 * ```
 */
export function Stack(options: StackOptions = {}): BatchifyFn {
  checkOptions('batchify.Stack', options, ['dtype']);
  const dtype = options.dtype === undefined ? undefined : checkDType(options.dtype, 'batchify.Stack');
  return (samples) => {
    checkSamples(samples, 'Stack');
    const out = samples.every((s) => s instanceof NDArray) ? stackArrays(samples, 'sample') : (defaultBatchify(samples) as NDArray);
    return dtype && out.dtype !== dtype ? out.astype(dtype) : out;
  };
}

/**
 * Pads samples along `axis` to the longest (rounded up to a multiple of
 * `roundTo`) with `val`, then stacks them (MXNet's `batchify.Pad`). The
 * other dimensions must agree.
 *
 * ```ts
 * batchify.Pad({ val: -1 })([nd.array([1, 2, 3]), nd.array([4])]); // [[1, 2, 3], [4, -1, -1]]
 * ```
 */
export function Pad(...args: OptionArgs<PadOptions, ['axis?', 'val?']>): BatchifyFn {
  // MXNet 1.x's Pad(axis=0, pad_val=None, ...): its pad_val is val here.
  const options = bindOptions<PadOptions>('batchify.Pad', ['axis?', 'val?'], args);
  checkOptions('batchify.Pad', options, ['axis', 'val', 'dtype', 'roundTo']);
  const { axis = 0, val = 0, roundTo } = options;
  if (!Number.isInteger(axis)) throw new Error(`batchify.Pad: axis must be an integer, got ${JSON.stringify(axis)}`);
  if (typeof val !== 'number') throw new Error(`batchify.Pad: val must be a number, got ${JSON.stringify(val)}`);
  if (roundTo !== undefined && !(Number.isInteger(roundTo) && roundTo >= 1)) throw new Error(`batchify.Pad: roundTo must be a positive integer, got ${JSON.stringify(roundTo)}`);
  const dtypeOpt = options.dtype === undefined ? undefined : checkDType(options.dtype, 'batchify.Pad');
  if (dtypeOpt) padFill(val, dtypeOpt);
  return (samples) => {
    checkSamples(samples, 'Pad');
    const arrays = samples.map((s, i) => asArray(s, i, 'Pad'));
    const rank = arrays[0]!.ndim;
    const ax = axis < 0 ? axis + rank : axis;
    if (ax < 0 || ax >= rank) throw new Error(`batchify.Pad: axis ${axis} is out of range for samples of rank ${rank} (sample 0 has shape [${arrays[0]!.shape.join(', ')}])`);
    const dtype = dtypeOpt ?? arrays[0]!.dtype;
    let longest = 0;
    arrays.forEach((a, i) => {
      const s0 = arrays[0]!.shape;
      if (a.ndim !== rank || a.shape.some((d, k) => k !== ax && d !== s0[k])) {
        throw new Error(`batchify.Pad: sample ${i} has shape [${a.shape.join(', ')}] but sample 0 has [${s0.join(', ')}]; only axis ${ax} may differ`);
      }
      longest = Math.max(longest, a.shape[ax]!);
    });
    const size = roundTo ? roundTo * Math.ceil(longest / roundTo) : longest;
    const shape = [...arrays[0]!.shape];
    shape[ax] = size;
    const outer = shape.slice(0, ax).reduce((p, d) => p * d, 1);
    const inner = shape.slice(ax + 1).reduce((p, d) => p * d, 1);
    const per = outer * size * inner;
    const out = allocate(dtype, per * arrays.length);
    out.fill(padFill(val, dtype) as never);
    arrays.forEach((a, i) => {
      const src = (a.dtype === dtype ? a : a.astype(dtype))._host.data as TypedArray;
      const len = a.shape[ax]! * inner;
      for (let o = 0; o < outer; o++) (out as Float32Array).set((src as Float32Array).subarray(o * len, o * len + len), i * per + o * size * inner);
    });
    return new NDArray({ dtype, shape: [arrays.length, ...shape], data: out });
  };
}

/**
 * Batches tuple samples field by field, one function per field (MXNet's
 * `batchify.Tuple`); takes the functions as arguments or as one array.
 *
 * ```ts
 * const fn = batchify.Tuple(batchify.Pad(), batchify.Stack());
 * fn([[nd.array([1, 2]), 0], [nd.array([3]), 1]]); // [[[1, 2], [3, 0]], [0, 1]]
 * ```
 */
export function Tuple(...fns: (BatchifyFn | BatchifyFn[])[]): BatchifyFn {
  const list = (fns.length === 1 && Array.isArray(fns[0]) ? fns[0] : fns) as unknown[];
  if (list.length === 0 || list.some((f) => typeof f !== 'function')) throw new Error('batchify.Tuple: needs one batchify function per field');
  const each = list as BatchifyFn[];
  return (samples) => {
    checkSamples(samples, 'Tuple');
    samples.forEach((s, i) => {
      if (!Array.isArray(s) || s.length !== each.length) {
        throw new Error(`batchify.Tuple: sample ${i} must be a tuple of ${each.length} fields (one per function), got ${Array.isArray(s) ? `a tuple of ${s.length}` : typeof s}`);
      }
    });
    return each.map((f, k) => f(samples.map((s) => (s as unknown[])[k])));
  };
}

/**
 * Keeps the samples as a list (MXNet's `batchify.List`).
 *
 * ```ts
 * batchify.List()([a, b]); // [a, b]
 * ```
 */
export function List(...args: []): BatchifyFn {
  for (const a of args as unknown[]) if (a !== undefined) checkOptions('batchify.List', a, []);
  return (samples) => [...samples];
}
