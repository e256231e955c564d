/**
 * Datasets: indexable collections of samples (MXNet's `gluon.data.Dataset`).
 * `length` is the number of samples and `get(i)` returns sample `i`; a
 * dataset of several arrays returns a tuple (an array) per sample, a dataset
 * of one array the element itself, as in MXNet.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { readElement, sizeOf } from '../../../runtime/tensor.js';
import { array, NDArray, type NestedNumbers } from '../../engine/ndarray.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { typedDType } from './batchify.js';

/**
 * The dtypes of a sample's plain numbers that come from a 1-D column (its
 * dtype, as MXNet's numpy scalars carry it): one per tuple field (undefined
 * where none), or one for a sample that is a single number.
 */
export type FieldDTypes = (DType | undefined)[] | DType | undefined;

/**
 * The base of datasets: `length` and `get(i)`, plus lazy `transform`.
 *
 * ```ts
 * class Squares extends gluon.data.Dataset<number> {
 *   get length() { return 10; }
 *   get(i: number) { return i * i; }
 * }
 * ```
 */
export abstract class Dataset<T = unknown> {
  /** The number of samples. */
  abstract get length(): number;

  /** Sample `i` (0 <= i < length). */
  abstract get(i: number): T;

  /**
   * A dataset whose samples are `fn(sample)` (computed when read). A tuple
   * sample is spread into `fn`'s arguments, as in MXNet; `fn` may be a
   * block (its `call` is used).
   *
   * ```ts
   * ds.transform((x, y) => [x.mul(2), y]);
   * ```
   */
  transform<U>(fn: ((...sample: any[]) => U) | Callable): Dataset<U> {
    const f = asFunction(fn, 'transform') as (...sample: any[]) => U;
    return new LazyTransformDataset(this, (s) => (Array.isArray(s) ? f(...s) : f(s)));
  }

  /**
   * A dataset whose tuples have `fn` (a function or a block, such as a
   * `vision.transforms.Compose`) applied to their first element only.
   *
   * ```ts
   * ds.transformFirst((x) => x.div(255));
   * ```
   */
  transformFirst(fn: ((first: any) => unknown) | Callable): Dataset<unknown> {
    const f = asFunction(fn, 'transformFirst');
    return new LazyTransformDataset(this, (s) => (Array.isArray(s) ? [f(s[0]), ...s.slice(1)] : f(s)));
  }

  /** Sample `i` with the dtypes of its 1-D columns' numbers (the DataLoader's default batchify keeps them). */
  _typedGet(i: number): { sample: T; dtypes: FieldDTypes } {
    return { sample: this.get(i), dtypes: undefined };
  }

  /** Checks `i` is a valid sample index; throws naming the dataset and its length. */
  protected checkIndex(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) {
      throw new Error(`${this.constructor.name}: index ${i} is out of range for a dataset of length ${this.length}`);
    }
  }
}

/** A block (anything with a `call` method), which transforms take like a function (MXNet passes blocks as callables). */
interface Callable {
  call(...args: any[]): unknown;
}

function asFunction(fn: unknown, what: string): (...args: any[]) => unknown {
  if (typeof fn === 'function') return fn as (...args: any[]) => unknown;
  if (fn !== null && typeof fn === 'object' && typeof (fn as Callable).call === 'function') return (...args) => (fn as Callable).call(...args);
  throw new Error(`Dataset.${what}: expected a function or a block, got ${fn === null ? 'null' : typeof fn}`);
}

class LazyTransformDataset<T, U> extends Dataset<U> {
  constructor(private readonly base: Dataset<T>, private readonly fn: (s: T) => U) {
    super();
  }

  get length(): number {
    return this.base.length;
  }

  get(i: number): U {
    return this.fn(this.base.get(i));
  }

  // A number returned unchanged at its position keeps its column's dtype; a computed one has none.
  override _typedGet(i: number): { sample: U; dtypes: FieldDTypes } {
    const { sample, dtypes } = this.base._typedGet(i);
    const out = this.fn(sample);
    if (dtypes === undefined) return { sample: out, dtypes };
    const kept = (v: unknown, was: unknown, d: DType | undefined) => (typeof v === 'number' && Object.is(v, was) ? d : undefined);
    if (!Array.isArray(sample)) return { sample: out, dtypes: Array.isArray(dtypes) ? undefined : kept(out, sample, dtypes) };
    return { sample: out, dtypes: Array.isArray(out) && Array.isArray(dtypes) ? out.map((v, k) => kept(v, sample[k], dtypes[k])) : undefined };
  }
}

/**
 * A dataset over one list of samples.
 *
 * ```ts
 * const ds = new gluon.data.SimpleDataset([1, 2, 3]);
 * ds.get(1); // 2
 * ```
 */
export class SimpleDataset<T> extends Dataset<T> {
  private readonly items: ArrayLike<T>;
  constructor(...args: KwArgs<['data'], [data: ArrayLike<T>], {}>) {
    super();
    [[this.items]] = bindArgs<[ArrayLike<T>], {}>('SimpleDataset', ['data'], args, []);
  }

  get length(): number {
    return this.items.length;
  }

  get(i: number): T {
    this.checkIndex(i);
    return this.items[i]!;
  }
}

/** What ArrayDataset takes: NDArrays (samples along axis 0), Datasets (anything with `length` and `get(i)`) or plain lists of samples. */
export type DatasetArray = NDArray | ArrayLike<unknown> | { readonly length: number; get(i: number): unknown };

function isDatasetLike(a: unknown): a is { readonly length: number; get(i: number): unknown } {
  return a !== null && typeof a === 'object' && !Array.isArray(a) && typeof (a as { get?: unknown }).get === 'function';
}

/**
 * A dataset of several arrays (or datasets, read with `get`) of equal
 * length: sample `i` is the tuple (a JS array) of their `i`-th elements, or the element itself when there is one
 * array (as in MXNet). The element of an NDArray is its row `i` as an
 * NDArray, or a number when the array is 1-D (MXNet turns 1-D arrays into
 * numpy, giving scalars). A plain list of nested number lists (a matrix
 * written as arrays) is made a float32 NDArray, so its rows are NDArrays.
 *
 * ```ts
 * const ds = new gluon.data.ArrayDataset(nd.random.uniform(0, 1, [100, 3]), nd.arange(100));
 * ds.length;  // 100
 * ds.get(0);  // [NDArray of shape [3], 0]
 * ```
 */
export class ArrayDataset extends Dataset<unknown> {
  /** The arrays, in the order given. */
  readonly arrays: readonly DatasetArray[];
  private readonly _length: number;

  constructor(...arrays: DatasetArray[]) {
    super();
    if (arrays.length === 0) throw new Error('ArrayDataset: needs at least one array');
    const lengths = arrays.map((a, k) => arrayLength(a, k));
    const bad = lengths.findIndex((n) => n !== lengths[0]);
    if (bad >= 0) {
      throw new Error(`ArrayDataset: all arrays must have the same length; array 0 has length ${lengths[0]} while array ${bad} has length ${lengths[bad]}`);
    }
    this.arrays = arrays.map(asRows);
    this._length = lengths[0]!;
  }

  get length(): number {
    return this._length;
  }

  get(i: number): unknown {
    this.checkIndex(i);
    if (this.arrays.length === 1) return elementOf(this.arrays[0]!, i);
    return this.arrays.map((a) => elementOf(a, i));
  }

  override _typedGet(i: number): { sample: unknown; dtypes: FieldDTypes } {
    const dtypes = this.arrays.map(columnDType);
    return { sample: this.get(i), dtypes: this.arrays.length === 1 ? dtypes[0] : dtypes };
  }
}

/** The dtype of a column whose samples are plain numbers (a 1-D NDArray or a typed array), else undefined. */
function columnDType(a: DatasetArray): DType | undefined {
  return a instanceof NDArray ? (a.ndim === 1 ? a.dtype : undefined) : typedDType(a);
}

/** Nested number lists become a float32 NDArray (rows are samples); anything else is kept. */
function asRows(a: DatasetArray): DatasetArray {
  if (a instanceof NDArray || !Array.isArray(a) || a.length === 0 || !Array.isArray(a[0])) return a;
  try {
    return array(a as NestedNumbers[]);
  } catch {
    return a; // not a rectangular array of numbers: keep the items as they are
  }
}

function arrayLength(a: DatasetArray, k: number): number {
  if (a instanceof NDArray) {
    if (a.ndim === 0) throw new Error(`ArrayDataset: array ${k} is a 0-d NDArray; samples are taken along axis 0`);
    return a.shape[0]!;
  }
  if (a !== null && typeof a === 'object' && typeof (a as ArrayLike<unknown>).length === 'number') return (a as ArrayLike<unknown>).length;
  throw new Error(`ArrayDataset: array ${k} must be an NDArray or an array, got ${a === null ? 'null' : typeof a}`);
}

/** Element `i` of an array: an NDArray's row (a number for 1-D), a Dataset's sample, or the list's item. */
function elementOf(a: DatasetArray, i: number): unknown {
  if (!(a instanceof NDArray)) return isDatasetLike(a) ? a.get(i) : (a as ArrayLike<unknown>)[i];
  const t = a._host;
  if (t.shape.length === 1) {
    // An int64 past ±(2^53 − 1) stays exact as a bigint (the default batchify makes bigints int64).
    const v = t.data[i];
    return typeof v === 'bigint' && (v > 9007199254740991n || v < -9007199254740991n) ? v : readElement(t, i);
  }
  const rowShape = t.shape.slice(1);
  const n = sizeOf(rowShape);
  return new NDArray({ dtype: t.dtype, shape: rowShape, data: t.data.slice(i * n, (i + 1) * n) });
}
