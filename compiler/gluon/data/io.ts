/**
 * MXNet's `mx.io.NDArrayIter` (python/mxnet/io/io.py) and what it yields,
 * `DataBatch` and `DataDesc`: batches of in-memory arrays for code written
 * against MXNet 1.x's iterators (`for batch in it: batch.data[0]`,
 * `it.reset()` between epochs).
 *
 * Invariants: inputs are named as MXNet's `_init_data` names them (one array
 * `data` / `softmax_label`, a list `_0_data`, `_1_data`, ..., a dict by its
 * keys) and served in sorted name order; `lastBatchHandle` is MXNet's:
 * 'pad' completes the last batch from the start and reports the count in
 * `pad`, 'discard' drops it, 'roll_over' keeps it for the first batch of the
 * next epoch (after `reset()`); `shuffle` permutes the samples on every
 * `reset()` (and at construction) with the seeded stream (`random.seed`),
 * not numpy's, so the order differs from MXNet's for the same seed. Rows
 * are copied on the host; the inputs are not modified.
 */
import { allocate } from '../../../runtime/dtypes.js';
import { nextInt } from '../../ops/rng.js';
import { NDArray } from '../../engine/ndarray.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';

/** A named input's description (MXNet's `DataDesc`): the batch's shape and dtype. */
export interface DataDesc {
  name: string;
  shape: number[];
  dtype: string;
  layout: string;
}

/** One batch (MXNet's `DataBatch`): `pad` counts the samples repeated to fill it. */
export interface DataBatch {
  data: NDArray[];
  label: NDArray[];
  pad: number;
  index: null;
  provideData: DataDesc[];
  provideLabel: DataDesc[];
  /** The bucket the batch belongs to (MXNet's `bucket_key`: `rnn.BucketSentenceIter` sets it; BucketingModule switches on it). */
  bucketKey?: number | string | readonly (number | string)[];
}

type Source = NDArray | NDArray[] | Record<string, NDArray> | null;

/** MXNet's `_init_data`: the named arrays, sorted by name. */
function named(what: string, src: Source, defaultName: string, allowEmpty: boolean): [string, NDArray][] {
  if (src === null || src === undefined) {
    if (!allowEmpty) throw new Error(`${what}: data must be given`);
    return [];
  }
  let pairs: [string, NDArray][];
  if (src instanceof NDArray) pairs = [[defaultName, src]];
  else if (Array.isArray(src)) pairs = src.length === 1 ? [[defaultName, src[0]!]] : src.map((d, i) => [`_${i}_${defaultName}`, d]);
  else if (typeof src === 'object') pairs = Object.entries(src);
  else throw new Error(`${what}: Input must be NDArray, a list of them or a dict with them as values, got ${showValue(src)}`);
  if (!allowEmpty && pairs.length === 0) throw new Error(`${what}: data must hold at least one array`);
  for (const [k, v] of pairs) if (!(v instanceof NDArray) || v.ndim < 1) throw new Error(`${what}: '${k}' must be an NDArray with a batch axis, got ${v instanceof NDArray ? `shape [${v.shape.join(', ')}]` : showValue(v)}`);
  return pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Rows `idx` of `x` along axis 0, copied. */
function rows(x: NDArray, idx: readonly number[]): NDArray {
  const row = x.shape.slice(1).reduce((a, b) => a * b, 1);
  const src = x.data();
  const out = allocate(x.dtype, idx.length * row);
  idx.forEach((r, k) => out.set(src.subarray(r * row, (r + 1) * row) as never, k * row));
  return new NDArray({ dtype: x.dtype, shape: [idx.length, ...x.shape.slice(1)], data: out });
}

const HANDLES = ['pad', 'discard', 'roll_over'] as const;
type LastBatchHandle = (typeof HANDLES)[number];

/**
 * Batches of in-memory arrays (MXNet's `mx.io.NDArrayIter`).
 *
 * ```ts
 * const it = new io.NDArrayIter(x, y, { batchSize: 32, shuffle: true, lastBatchHandle: 'discard' });
 * for (const batch of it) step(batch.data[0]!, batch.label[0]!);
 * it.reset();
 * ```
 */
export class NDArrayIter implements Iterable<DataBatch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly lastBatchHandle: LastBatchHandle;
  readonly numData: number;
  private readonly data: [string, NDArray][];
  private readonly label: [string, NDArray][];
  /** The sample order of this epoch. */
  private order: number[];
  private cursor: number;
  /** 'roll_over': the last epoch's incomplete batch, as sample indices. */
  private cache: number[] | null = null;

  constructor(
    ...args: KwArgs<
      ['data', 'label?', 'batchSize?', 'shuffle?', 'lastBatchHandle?', 'dataName?', 'labelName?'],
      [data: Source, label?: Source, batchSize?: number, shuffle?: boolean, lastBatchHandle?: LastBatchHandle, dataName?: string, labelName?: string],
      {}
    >
  ) {
    const what = 'NDArrayIter';
    const [[data, label = null, batchSize = 1, shuffle = false, lastBatchHandle = 'pad', dataName = 'data', labelName = 'softmax_label']] = bindArgs<
      [Source, Source?, number?, boolean?, LastBatchHandle?, string?, string?],
      {}
    >(what, ['data', 'label?', 'batchSize?', 'shuffle?', 'lastBatchHandle?', 'dataName?', 'labelName?'], args, []);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${what}: batchSize must be a positive integer, got ${showValue(batchSize)}`);
    if (!HANDLES.includes(lastBatchHandle)) throw new Error(`${what}: lastBatchHandle must be 'pad', 'discard' or 'roll_over', got ${showValue(lastBatchHandle)}`);
    this.data = named(what, data, dataName, false);
    this.label = named(what, label, labelName, true);
    const n = this.data[0]![1].shape[0]!;
    for (const [k, v] of [...this.data, ...this.label]) {
      if (v.shape[0] !== n) throw new Error(`${what}: every array needs the same number of samples along axis 0: '${this.data[0]![0]}' has ${n}, '${k}' has ${v.shape[0]}`);
    }
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.lastBatchHandle = lastBatchHandle;
    this.numData = n;
    this.order = Array.from({ length: n }, (_v, i) => i);
    this.cursor = -batchSize;
    this.reset();
  }

  /** The data inputs' names, batch shapes and dtypes (MXNet's `provide_data`). */
  get provideData(): DataDesc[] {
    return this.data.map(([name, v]) => ({ name, shape: [this.batchSize, ...v.shape.slice(1)], dtype: v.dtype, layout: 'NCHW' }));
  }

  /** The labels' (MXNet's `provide_label`). */
  get provideLabel(): DataDesc[] {
    return this.label.map(([name, v]) => ({ name, shape: [this.batchSize, ...v.shape.slice(1)], dtype: v.dtype, layout: 'NCHW' }));
  }

  /** Starts the next epoch: reshuffles if `shuffle`; with 'roll_over' the last epoch's leftover opens it. */
  reset(): void {
    this.reshuffle();
    const n = this.numData;
    this.cursor = this.lastBatchHandle === 'roll_over' && n - this.batchSize < this.cursor && this.cursor < n ? this.cursor - n - this.batchSize : -this.batchSize;
  }

  /** Back to the start, forgetting a rolled-over batch (MXNet's `hard_reset`). */
  hardReset(): void {
    this.reshuffle();
    this.cursor = -this.batchSize;
    this.cache = null;
  }

  /** With `shuffle`, a new sample order: Fisher-Yates from the last position down, as numpy's shuffle. */
  private reshuffle(): void {
    if (!this.shuffle) return;
    for (let i = this.order.length - 1; i > 0; i--) {
      const j = nextInt(i + 1);
      [this.order[i], this.order[j]] = [this.order[j]!, this.order[i]!];
    }
  }

  /** The next batch, or null at the end of the epoch (MXNet raises StopIteration). */
  next(): DataBatch | null {
    this.cursor += this.batchSize;
    if (this.cursor >= this.numData) return null;
    const b = this.batchSize;
    let idx: number[];
    let pad = 0;
    if (this.lastBatchHandle === 'roll_over' && this.cursor < 0) {
      idx = [...(this.cache ?? []), ...this.order.slice(0, this.cursor + b)];
      pad = -this.cursor;
      this.cache = null;
    } else if (this.lastBatchHandle === 'pad' && this.cursor + b > this.numData) {
      pad = this.cursor + b - this.numData;
      idx = [...this.order.slice(this.cursor), ...this.order.slice(0, pad)];
    } else {
      idx = this.order.slice(this.cursor, Math.min(this.cursor + b, this.numData));
    }
    if (idx.length !== b) {
      // An incomplete last batch ('discard', 'roll_over') ends the epoch; 'roll_over' keeps it for the next.
      this.cache = idx;
      return null;
    }
    return {
      data: this.data.map(([, v]) => rows(v, idx)),
      label: this.label.map(([, v]) => rows(v, idx)),
      pad,
      index: null,
      provideData: this.provideData,
      provideLabel: this.provideLabel,
    };
  }

  /** Iterates the rest of this epoch (as MXNet's, iterating does not reset: call `reset()` between epochs). */
  *[Symbol.iterator](): Iterator<DataBatch> {
    for (let b = this.next(); b !== null; b = this.next()) yield b;
  }
}
