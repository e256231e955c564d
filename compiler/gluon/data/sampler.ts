/**
 * Samplers (MXNet's `gluon.data.sampler`): the sample indices of an epoch,
 * and the batches of indices a DataLoader loads. `RandomSampler` draws from
 * the seeded stream, so `random.seed(n)` repeats its order. Invariant: a
 * `BatchSampler` yields each index of its sampler once per epoch, in the
 * sampler's order; `'rollover'` carries the last incomplete batch's indices
 * into the first batch of the next epoch (MXNet's semantics, `length`
 * included).
 */
import { nextInt } from '../../ops/rng.js';
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';

/** Indices of samples, one epoch per iteration, with the number of them. */
export interface Sampler extends Iterable<number> {
  readonly length: number;
}

/** Batches of indices, one epoch per iteration, with the number of batches. */
export interface BatchSamplerLike extends Iterable<number[]> {
  readonly length: number;
}

/** What happens to the last, incomplete batch of an epoch. */
export type LastBatch = 'keep' | 'discard' | 'rollover';

const LAST_BATCH: readonly LastBatch[] = ['keep', 'discard', 'rollover'];

function checkCount(what: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${what} must be an integer >= ${min}, got ${showValue(v)}`);
  return v;
}

/**
 * The indices `start, start + 1, ..., start + length - 1` in order (MXNet's `SequentialSampler`).
 *
 * ```ts
 * [...new gluon.data.SequentialSampler(3)]; // [0, 1, 2]
 * [...new gluon.data.SequentialSampler({ length: 2, start: 5 })]; // [5, 6]
 * ```
 */
export class SequentialSampler implements Sampler {
  readonly length: number;
  readonly start: number;

  constructor(...args: KwArgs<['length', 'start?'], [length: number, start?: number], {}>) {
    const [[length, start = 0]] = bindArgs<[number, number?], {}>('SequentialSampler', ['length', 'start?'], args, []);
    this.length = checkCount('SequentialSampler: length', length, 0);
    this.start = checkCount('SequentialSampler: start', start, 0);
  }

  *[Symbol.iterator](): Iterator<number> {
    for (let i = 0; i < this.length; i++) yield this.start + i;
  }
}

/**
 * A new random order of `0 .. length - 1` every epoch, from the seeded stream
 * (MXNet's `RandomSampler`; a Fisher-Yates shuffle).
 *
 * ```ts
 * random.seed(1);
 * [...new gluon.data.RandomSampler(4)]; // a permutation of [0, 1, 2, 3]
 * ```
 */
export class RandomSampler implements Sampler {
  readonly length: number;

  constructor(...args: KwArgs<['length'], [length: number], {}>) {
    const [[length]] = bindArgs<[number], {}>('RandomSampler', ['length'], args, []);
    this.length = checkCount('RandomSampler: length', length, 0);
  }

  *[Symbol.iterator](): Iterator<number> {
    const order = Array.from({ length: this.length }, (_v, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = nextInt(i + 1);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    yield* order;
  }
}

/**
 * Groups a sampler's indices into batches of `batchSize` (MXNet's
 * `BatchSampler`); `lastBatch` is `'keep'` (default), `'discard'` or `'rollover'`.
 *
 * ```ts
 * const b = new gluon.data.BatchSampler(new gluon.data.SequentialSampler(5), 2, 'rollover'); // or (sampler, { batchSize: 2, lastBatch: 'rollover' })
 * [...b]; // [[0, 1], [2, 3]] (4 rolls over)
 * [...b]; // [[4, 0], [1, 2], [3, 4]]
 * ```
 */
export class BatchSampler implements BatchSamplerLike {
  readonly sampler: Sampler;
  readonly batchSize: number;
  readonly lastBatch: LastBatch;
  /** Indices carried over by 'rollover'. */
  private _prev: number[] = [];

  constructor(...args: KwArgs<['sampler', 'batchSize', 'lastBatch?'], [sampler: Sampler, batchSize: number, lastBatch?: LastBatch], {}>) {
    const [[sampler, batchSize, lastBatch = 'keep']] = bindArgs<[Sampler, number, LastBatch?], {}>('BatchSampler', ['sampler', 'batchSize', 'lastBatch?'], args, []);
    if (sampler === null || typeof sampler !== 'object' || typeof (sampler as Sampler)[Symbol.iterator] !== 'function' || typeof sampler.length !== 'number') {
      throw new Error(`BatchSampler: sampler must be iterable indices with a length (e.g. gluon.data.SequentialSampler), got ${sampler === null ? 'null' : typeof sampler}`);
    }
    this.sampler = sampler;
    this.batchSize = checkCount('BatchSampler: batchSize', batchSize, 1);
    if (!LAST_BATCH.includes(lastBatch)) {
      throw new Error(`BatchSampler: lastBatch must be one of ${LAST_BATCH.map((v) => `'${v}'`).join(', ')}, got ${showValue(lastBatch)}`);
    }
    this.lastBatch = lastBatch;
  }

  /** The number of batches the next epoch yields. */
  get length(): number {
    const n = this.sampler.length;
    const b = this.batchSize;
    if (this.lastBatch === 'keep') return Math.ceil(n / b);
    if (this.lastBatch === 'discard') return Math.floor(n / b);
    return Math.floor((this._prev.length + n) / b);
  }

  *[Symbol.iterator](): Iterator<number[]> {
    let batch = this._prev;
    this._prev = [];
    for (const i of this.sampler) {
      batch.push(i);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) {
      if (this.lastBatch === 'keep') yield batch;
      else if (this.lastBatch === 'rollover') this._prev = batch;
    }
  }
}
