/**
 * MXNet 1.x's iterator wrappers from python/mxnet/io/io.py: `ResizeIter`
 * (an epoch of a fixed number of batches) and `PrefetchingIter` (several
 * iterators' batches joined, their inputs renamed).
 *
 * Invariants (io.py): ResizeIter serves `size` batches per epoch, resetting
 * the inner iterator and going on whenever it runs out, and its `reset()`
 * resets the inner one only with `resetInternal`; PrefetchingIter's data
 * and labels are the iterators' lists concatenated in order, renamed by
 * one `{ old: new }` map per iterator (a name missing from its map is an
 * Error, io.py's KeyError), its epoch ends when the first iterator's does
 * (the others must end with it) and every batch's `pad` must agree.
 * Departure: PrefetchingIter runs no threads; it reads the iterators when
 * a batch is asked for, so batches are the same, in the same order.
 */
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import type { DataBatch, DataDesc } from './io.js';

/** What the wrappers need of an iterator: MXNet's DataIter interface. */
export interface DataIterLike extends Iterable<DataBatch> {
  provideData: DataDesc[];
  provideLabel: DataDesc[];
  batchSize?: number;
  reset(): void;
  next(): DataBatch | null;
}

function checkIter(what: string, it: unknown, name: string): DataIterLike {
  const i = it as DataIterLike;
  if (!i || typeof i !== 'object' || typeof i.next !== 'function' || typeof i.reset !== 'function' || !Array.isArray(i.provideData)) {
    throw new Error(`${what}: ${name} must be a data iterator (next(), reset(), provideData), got ${showValue(it)}`);
  }
  return i;
}

/**
 * Serves `size` batches of `dataIter` per epoch (MXNet's `mx.io.ResizeIter`).
 *
 * ```ts
 * const it = new io.ResizeIter(new io.NDArrayIter(x, y, { batchSize: 10 }), 50); // 50 batches an epoch
 * ```
 */
export class ResizeIter implements Iterable<DataBatch> {
  readonly dataIter: DataIterLike;
  readonly size: number;
  readonly resetInternal: boolean;
  readonly provideData: DataDesc[];
  readonly provideLabel: DataDesc[];
  readonly batchSize: number | undefined;
  private cur = 0;

  constructor(...args: KwArgs<['dataIter', 'size', 'resetInternal?'], [dataIter: DataIterLike, size: number, resetInternal?: boolean], {}>) {
    const what = 'ResizeIter';
    const [[dataIter, size, resetInternal = true]] = bindArgs<[DataIterLike, number, boolean?], {}>(what, ['dataIter', 'size', 'resetInternal?'], args, []);
    this.dataIter = checkIter(what, dataIter, 'dataIter');
    if (!Number.isInteger(size) || size < 0) throw new Error(`${what}: size must be a non-negative integer (batches per epoch), got ${showValue(size)}`);
    if (typeof resetInternal !== 'boolean') throw new Error(`${what}: resetInternal must be true or false, got ${showValue(resetInternal)}`);
    this.size = size;
    this.resetInternal = resetInternal;
    this.provideData = this.dataIter.provideData;
    this.provideLabel = this.dataIter.provideLabel;
    this.batchSize = this.dataIter.batchSize;
  }

  /** A new epoch of `size` batches; the inner iterator is reset only with `resetInternal`. */
  reset(): void {
    this.cur = 0;
    if (this.resetInternal) this.dataIter.reset();
  }

  /** The next batch, or null after `size` of them; the inner iterator is reset when it runs out. */
  next(): DataBatch | null {
    if (this.cur === this.size) return null;
    let b = this.dataIter.next();
    if (b === null) {
      this.dataIter.reset();
      b = this.dataIter.next();
      if (b === null) throw new Error('ResizeIter: the inner iterator gives no batch even after reset()');
    }
    this.cur += 1;
    return b;
  }

  *[Symbol.iterator](): Iterator<DataBatch> {
    for (let b = this.next(); b !== null; b = this.next()) yield b;
  }
}

type Renames = Record<string, string>[] | null;

/**
 * Joins several iterators' batches (MXNet's `mx.io.PrefetchingIter`, read
 * synchronously): data and labels concatenated, renamed per iterator.
 *
 * ```ts
 * const it = new io.PrefetchingIter([a, b], [{ data: 'data_a' }, { data: 'data_b' }], [{ softmax_label: 'label_a' }, { softmax_label: 'label_b' }]);
 * ```
 */
export class PrefetchingIter implements Iterable<DataBatch> {
  readonly iters: DataIterLike[];
  readonly renameData: Renames;
  readonly renameLabel: Renames;
  readonly provideData: DataDesc[];
  readonly provideLabel: DataDesc[];
  readonly batchSize: number;

  constructor(...args: KwArgs<['iters', 'renameData?', 'renameLabel?'], [iters: DataIterLike | DataIterLike[], renameData?: Renames, renameLabel?: Renames], {}>) {
    const what = 'PrefetchingIter';
    const [[iters0, renameData = null, renameLabel = null]] = bindArgs<[DataIterLike | DataIterLike[], Renames?, Renames?], {}>(what, ['iters', 'renameData?', 'renameLabel?'], args, []);
    const iters = Array.isArray(iters0) ? iters0 : [iters0];
    if (iters.length === 0) throw new Error(`${what}: iters must hold at least one iterator`);
    this.iters = iters.map((it, k) => checkIter(what, it, `iters[${k}]`));
    this.renameData = renameData;
    this.renameLabel = renameLabel;
    this.provideData = this.renamed(what, 'renameData', renameData, (i) => i.provideData);
    this.provideLabel = this.renamed(what, 'renameLabel', renameLabel, (i) => i.provideLabel ?? []);
    if (this.provideData.length === 0) throw new Error(`${what}: the iterators provide no data`);
    this.batchSize = this.provideData[0]!.shape[0]!;
  }

  /** io.py's provide_data / provide_label: the iterators' descriptions in order, renamed by `r[name]`. */
  private renamed(what: string, key: string, renames: Renames, get: (i: DataIterLike) => DataDesc[]): DataDesc[] {
    if (renames === null) return this.iters.flatMap(get);
    if (!Array.isArray(renames) || renames.length !== this.iters.length || !renames.every((r) => r !== null && typeof r === 'object')) {
      throw new Error(`${what}: ${key} must be one { old: new } map per iterator (${this.iters.length}), got ${showValue(renames)}`);
    }
    return this.iters.flatMap((it, k) =>
      get(it).map((d) => {
        const to = renames[k]![d.name];
        if (typeof to !== 'string') throw new Error(`${what}: ${key}[${k}] has no new name for '${d.name}' (io.py indexes the map by every name the iterator provides; it maps ${Object.keys(renames[k]!).join(', ') || 'nothing'})`);
        return { ...d, name: to };
      }),
    );
  }

  /** Resets every iterator. */
  reset(): void {
    for (const it of this.iters) it.reset();
  }

  /** The iterators' next batches joined, or null when the first iterator's epoch ends. */
  next(): DataBatch | null {
    const what = 'PrefetchingIter';
    const batches = this.iters.map((it) => it.next());
    const first = batches[0]!;
    if (first === null) {
      if (batches.some((b) => b !== null)) throw new Error(`${what}: Number of entry mismatches between iterators (iterator 0 ended, iterator ${batches.findIndex((b) => b !== null)} did not)`);
      return null;
    }
    batches.forEach((b, k) => {
      if (b === null) throw new Error(`${what}: Number of entry mismatches between iterators (iterator ${k} ended before iterator 0)`);
      if (b.pad !== first.pad) throw new Error(`${what}: Number of entry mismatches between iterators (pad ${first.pad} of iterator 0, ${b.pad} of iterator ${k})`);
    });
    const bs = batches as DataBatch[];
    return {
      data: bs.flatMap((b) => b.data),
      label: bs.flatMap((b) => b.label ?? []),
      pad: first.pad,
      index: first.index,
      provideData: this.provideData,
      provideLabel: this.provideLabel,
    };
  }

  *[Symbol.iterator](): Iterator<DataBatch> {
    for (let b = this.next(); b !== null; b = this.next()) yield b;
  }
}
