/**
 * DataLoader: iterates a dataset in mini-batches (MXNet's
 * `gluon.data.DataLoader`, loading in-process). The sample order of each
 * epoch comes from the seeded random stream when `shuffle` is on, so
 * `random.seed(n)` makes it repeatable. `lastBatch` decides what happens to
 * a final incomplete batch: 'keep' yields it, 'discard' drops it,
 * 'rollover' carries its samples into the first batch of the next epoch.
 * Fast path: an ArrayDataset of NDArrays (or number lists) with the default
 * batchify builds each batch by copying whole rows with typed-array `set`.
 */
import { allocate, type TypedArray } from '../../../runtime/dtypes.js';
import { sizeOf } from '../../../runtime/tensor.js';
import { bindOptions, isPlainObject, type OptionArgs } from '../bind-args.js';
import { NDArray } from '../../engine/ndarray.js';
import { showValue } from '../show-value.js';
import { batchifyTyped, defaultBatchify, typedDType } from './batchify.js';
import { ArrayDataset, Dataset, SimpleDataset } from './dataset.js';
import { BatchSampler, RandomSampler, SequentialSampler, type BatchSamplerLike, type LastBatch, type Sampler } from './sampler.js';
import { checkOptions } from '../../../runtime/check-options.js';

export type { LastBatch } from './sampler.js';

/** Options of DataLoader (MXNet's, camelCase). */
export interface DataLoaderOptions {
  /** Samples per batch (a positive integer); required unless `batchSampler` is given. */
  batchSize?: number;
  /** Draw a new random order every epoch (default false). */
  shuffle?: boolean;
  /** 'keep' (default), 'discard' or 'rollover'. */
  lastBatch?: LastBatch;
  /** The sample order (e.g. a `SequentialSampler`); not with `shuffle`. */
  sampler?: Sampler;
  /** The batches of indices; not with `batchSize`, `shuffle`, `sampler` or `lastBatch`. */
  batchSampler?: BatchSamplerLike;
  /** Turns a list of samples into a batch (default: `defaultBatchify`). */
  batchify?: (samples: any[]) => unknown;
  /** MXNet's name for `batchify`. */
  batchifyFn?: (samples: any[]) => unknown;
  /** Accepted for ported code; loading always runs in this process. */
  numWorkers?: number;
}

const KNOWN = new Set(['batchSize', 'shuffle', 'lastBatch', 'sampler', 'batchSampler', 'batchify', 'batchifyFn', 'numWorkers']);

/** Something with a length and indexed samples: a Dataset, or a plain array of samples. */
export type DatasetLike = Dataset<unknown> | { readonly length: number; get(i: number): unknown } | readonly unknown[] | NDArray;

/** A dataset written as an object literal (`{ length, get }`) is the `dataset` argument, not the options object. */
/** MXNet's positional parameters of DataLoader, in its order (`DataLoader(dataset, batch_size, shuffle, sampler, last_batch, batch_sampler, batchify_fn, num_workers)`). */
const DATALOADER_ARGS = ['dataset', 'batchSize?', 'shuffle?', 'sampler?', 'lastBatch?', 'batchSampler?', 'batchifyFn?', 'numWorkers?'] as const;
const DATASET_SPEC = { name: 'dataset', claims: (x: unknown) => isPlainObject(x) && typeof x['length'] === 'number' && typeof x['get'] === 'function' };

/**
 * Mini-batches of a dataset, iterable with `for...of`. As in MXNet, the
 * batches come from a `BatchSampler` over a `RandomSampler` (`shuffle`) or
 * a `SequentialSampler`, or from the `sampler` or `batchSampler` given.
 *
 * ```ts
 * const ds = new gluon.data.ArrayDataset(X, y);          // X [100, 2], y [100]
 * const loader = new gluon.data.DataLoader(ds, { batchSize: 32, shuffle: true });
 * new gluon.data.DataLoader(ds, 32, { shuffle: true });  // the same: MXNet's DataLoader(dataset, batch_size, shuffle=True)
 * loader.length;                                        // 4
 * for (const [xb, yb] of loader) { ... }                // xb [32, 2], yb [32]; the last batch has 4
 * ```
 */
export class DataLoader<B = any> implements Iterable<B> {
  readonly dataset: { readonly length: number; get(i: number): unknown };
  /** The batches of indices each epoch loads. */
  readonly batchSampler: BatchSamplerLike;
  /** The batch size (undefined when a `batchSampler` was given). */
  readonly batchSize: number | undefined;
  readonly shuffle: boolean;
  /** The last-batch rule (undefined when a `batchSampler` was given). */
  readonly lastBatch: LastBatch | undefined;
  private readonly _batchify: ((samples: any[]) => unknown) | null;

  constructor(...args: OptionArgs<DataLoaderOptions & { dataset: DatasetLike }, typeof DATALOADER_ARGS>) {
    const { dataset, ...options } = bindOptions<DataLoaderOptions & { dataset: DatasetLike }>('DataLoader', [DATASET_SPEC, ...DATALOADER_ARGS.slice(1)], args);
    checkOptions('DataLoader', options, [...KNOWN]);
    this.dataset = asDataset(dataset);
    const n = this.dataset.length;
    if (!Number.isInteger(n) || n < 0) throw new Error(`DataLoader: the dataset's length must be an integer >= 0, got ${showValue(n)}`);
    const { batchSize, shuffle = false, lastBatch, sampler, batchSampler } = options;
    if (typeof shuffle !== 'boolean') throw new Error(`DataLoader: option 'shuffle' must be a boolean, got ${showValue(shuffle)}`);
    if (batchSampler !== undefined) {
      const given = (['batchSize', 'sampler', 'lastBatch'] as const).filter((k) => options[k] !== undefined);
      if (shuffle) given.push('shuffle' as never);
      if (given.length) throw new Error(`DataLoader: option 'batchSampler' sets the batches; do not give ${given.map((k) => `'${k}'`).join(', ')} with it (MXNet's rule)`);
      if (batchSampler === null || typeof batchSampler !== 'object' || typeof batchSampler[Symbol.iterator] !== 'function' || typeof batchSampler.length !== 'number') {
        throw new Error("DataLoader: option 'batchSampler' must be iterable batches of indices with a length (e.g. gluon.data.BatchSampler)");
      }
      this.batchSampler = batchSampler;
    } else {
      if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize <= 0) {
        throw new Error(`DataLoader: option 'batchSize' must be a positive integer, got ${showValue(batchSize)}`);
      }
      if (sampler !== undefined && shuffle) throw new Error("DataLoader: give either option 'sampler' or 'shuffle', not both (the sampler sets the order)");
      const order = sampler ?? (shuffle ? new RandomSampler(this.dataset.length) : new SequentialSampler(this.dataset.length));
      try {
        this.batchSampler = new BatchSampler(order, batchSize, lastBatch ?? 'keep');
      } catch (e) {
        throw new Error(`DataLoader: option ${(e as Error).message.replace(/^BatchSampler: (\w+)/, "'$1'")}`);
      }
    }
    if (options.batchify !== undefined && options.batchifyFn !== undefined) {
      throw new Error("DataLoader: give either option 'batchify' or 'batchifyFn', not both");
    }
    const fn = options.batchify ?? options.batchifyFn ?? null;
    if (fn !== null && typeof fn !== 'function') throw new Error(`DataLoader: option '${options.batchify ? 'batchify' : 'batchifyFn'}' must be a function`);
    if (options.numWorkers !== undefined && !(Number.isInteger(options.numWorkers) && options.numWorkers >= 0)) {
      throw new Error(`DataLoader: option 'numWorkers' must be a non-negative integer, got ${showValue(options.numWorkers)}`);
    }
    this.batchSize = batchSampler === undefined ? batchSize : undefined;
    this.shuffle = shuffle;
    this.lastBatch = batchSampler === undefined ? (lastBatch ?? 'keep') : undefined;
    this._batchify = fn;
  }

  /** The number of batches the next epoch yields. */
  get length(): number {
    return this.batchSampler.length;
  }

  /** One epoch of batches. */
  *[Symbol.iterator](): Iterator<B> {
    const n = this.dataset.length;
    for (const batch of this.batchSampler) {
      const bad = batch.find((i) => !Number.isInteger(i) || i < 0 || i >= n);
      if (bad !== undefined) throw new Error(`DataLoader: the sampler gave index ${showValue(bad)}, out of range for a dataset of length ${n}`);
      yield this._make(batch);
    }
  }

  private _make(indices: number[]): B {
    const ds = this.dataset;
    if (!this._batchify && ds instanceof ArrayDataset) {
      const cols = ds.arrays.map((a) => gatherRows(a, indices));
      if (cols.every((c) => c !== null)) return (cols.length === 1 ? cols[0] : cols) as B;
    }
    if (!this._batchify && ds instanceof Dataset) {
      // The default batchify keeps the dtype of the numbers 1-D columns gave (MXNet's numpy scalars keep theirs).
      const typed = indices.map((i) => ds._typedGet(i));
      return batchifyTyped(typed.map((t) => t.sample), typed.map((t) => t.dtypes)) as B;
    }
    const samples = indices.map((i) => ds.get(i));
    return (this._batchify ?? defaultBatchify)(samples) as B;
  }
}

/** Rows `indices` of an NDArray, a typed array (its dtype kept) or a list of numbers (float32) as one NDArray; null when the column needs the generic path. */
function gatherRows(a: unknown, indices: number[]): NDArray | null {
  if (a instanceof NDArray) {
    const t = a._host;
    const rowShape = t.shape.slice(1);
    const n = sizeOf(rowShape);
    const src = t.data;
    const out = allocate(t.dtype, n * indices.length);
    if (n === 1) {
      for (let k = 0; k < indices.length; k++) (out as Float32Array)[k] = (src as Float32Array)[indices[k]!]!;
    } else {
      for (let k = 0; k < indices.length; k++) {
        const i = indices[k]!;
        (out as TypedArray as Float32Array).set((src as Float32Array).subarray(i * n, i * n + n), k * n);
      }
    }
    return new NDArray({ dtype: t.dtype, shape: [indices.length, ...rowShape], data: out });
  }
  const dtype = typedDType(a);
  if (dtype) {
    const src = a as TypedArray;
    const out = allocate(dtype, indices.length);
    for (let k = 0; k < indices.length; k++) (out as Float32Array)[k] = (src as Float32Array)[indices[k]!]!;
    return new NDArray({ dtype, shape: [indices.length], data: out });
  }
  if (Array.isArray(a)) {
    const out = new Float32Array(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const v = a[indices[k]!];
      if (typeof v !== 'number') return null;
      out[k] = v;
    }
    return new NDArray({ dtype: 'float32', shape: [indices.length], data: out });
  }
  return null;
}

function asDataset(d: DatasetLike): { readonly length: number; get(i: number): unknown } {
  if (Array.isArray(d)) return new SimpleDataset(d);
  // MXNet's DataLoader reads any dataset[i]: an NDArray gives its rows (d2l's AutoRec loads np.array(inter_mat)).
  if (d instanceof NDArray) {
    if (d.ndim === 0) throw new Error('DataLoader: dataset must be a gluon.data.Dataset, an array of samples or an NDArray of rows, got a 0-d NDArray');
    return new ArrayDataset(d);
  }
  if (d !== null && typeof d === 'object' && typeof (d as { length?: unknown }).length === 'number' && typeof (d as { get?: unknown }).get === 'function') {
    return d as { readonly length: number; get(i: number): unknown };
  }
  throw new Error(`DataLoader: dataset must be a gluon.data.Dataset (length and get(i)) or an array of samples, got ${d === null ? 'null' : typeof d}`);
}
