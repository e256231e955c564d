/**
 * MXNet 1.x's `mx.rnn.encode_sentences` and `mx.rnn.BucketSentenceIter`
 * (python/mxnet/rnn/io.py): words to ids, and batches of sentences padded
 * to the smallest bucket that holds them, each batch carrying its
 * `bucketKey` (the bucket's length) for BucketingModule.
 * Departures: the shuffles (`random.shuffle` of the batch order, numpy's of
 * each bucket's rows, on every `reset()`) draw from gluonc's seeded stream
 * (`random.seed`), not Python's and numpy's, and `shuffle: false` turns them
 * off; a bucket no sentence falls in gives no batch (MXNet's reset fails on
 * it); an unknown word under `unknownToken` with a given vocabulary takes
 * the token's id (added after the largest id when the vocabulary lacks it),
 * where MXNet's loop re-assigns the token a fresh id from `startLabel` at
 * each unknown word; the vocabulary is a Map.
 * Invariants: label = data shifted left by one, its last step
 * `invalidLabel`; padding is `invalidLabel`; errors name the argument.
 */
import type { DType } from '../../../runtime/dtypes.js';
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import { checkOptions } from '../../../runtime/check-options.js';
import { NDArray } from '../../engine/ndarray.js';
import { nextInt } from '../../ops/rng.js';
import { showValue } from '../show-value.js';
import type { DataBatch, DataDesc } from './io.js';

/** `encodeSentences`' options (MXNet's keyword arguments). */
export interface EncodeOptions {
  /** An existing vocabulary (word -> id); absent: a new one is built. */
  vocab?: Map<string, number> | Record<string, number> | null;
  /** The id no word gets (default -1). */
  invalidLabel?: number;
  /** The key the new vocabulary maps to `invalidLabel` (default '\n'). */
  invalidKey?: string;
  /** The first id handed out (default 0). */
  startLabel?: number;
  /** With a given vocabulary, unknown words become this token (else an unknown word is an Error). */
  unknownToken?: string | null;
}

/**
 * Encodes sentences (lists of words) as ids (MXNet's `encode_sentences`):
 * `[encoded, vocab]`; a new vocabulary maps `invalidKey` to `invalidLabel`
 * and hands out ids from `startLabel`, skipping `invalidLabel`.
 *
 * ```ts
 * const [ids, vocab] = rnn.encodeSentences([['a', 'b'], ['b', 'c']], { invalidLabel: 0, startLabel: 1 });
 * // ids [[1, 2], [2, 3]]; vocab Map { '\n' => 0, 'a' => 1, 'b' => 2, 'c' => 3 }
 * ```
 */
export function encodeSentences(sentences: readonly (readonly string[])[], options: EncodeOptions = {}): [number[][], Map<string, number>] {
  const what = 'rnn.encodeSentences';
  checkOptions(what, options, ['vocab', 'invalidLabel', 'invalidKey', 'startLabel', 'unknownToken']);
  const { invalidLabel = -1, invalidKey = '\n', startLabel = 0, unknownToken = null } = options;
  for (const [k, v] of [['invalidLabel', invalidLabel], ['startLabel', startLabel]] as const) if (!Number.isInteger(v)) throw new Error(`${what}: ${k} must be an integer, got ${showValue(v)}`);
  if (!Array.isArray(sentences)) throw new Error(`${what}: sentences must be a list of lists of words, got ${showValue(sentences)}`);
  const given = options.vocab ?? null;
  const newVocab = given === null;
  const vocab = given === null ? new Map([[invalidKey, invalidLabel]]) : given instanceof Map ? new Map(given) : new Map(Object.entries(given));
  for (const [k, v] of vocab) if (!Number.isInteger(v)) throw new Error(`${what}: vocab['${k}'] must be an integer id, got ${showValue(v)}`);
  let idx = startLabel;
  const next = () => {
    if (idx === invalidLabel) idx += 1;
    return idx++;
  };
  if (!newVocab && unknownToken !== null && !vocab.has(unknownToken)) {
    // Departure (see the header): the token gets one id, after the largest.
    idx = Math.max(startLabel, ...[...vocab.values()].map((v) => v + 1));
    vocab.set(unknownToken, next());
  }
  const encoded = sentences.map((sent, i) => {
    if (!Array.isArray(sent)) throw new Error(`${what}: sentence ${i} must be a list of words, got ${showValue(sent)}`);
    return sent.map((word: unknown) => {
      if (typeof word !== 'string') throw new Error(`${what}: sentence ${i} holds ${showValue(word)}, not a word (string)`);
      const id = vocab.get(word);
      if (id !== undefined) return id;
      if (!newVocab) {
        if (unknownToken === null) throw new Error(`${what}: Unknown token '${word}' (sentence ${i}) is not in the given vocab; pass unknownToken to map unknown words`);
        return vocab.get(unknownToken)!;
      }
      const v = next();
      vocab.set(word, v);
      return v;
    });
  });
  return [encoded, vocab];
}

/** `BucketSentenceIter`'s options (MXNet's keyword arguments, plus `shuffle`). */
export interface BucketSentenceIterOptions {
  /** The bucket lengths; absent or empty: every length at least `batchSize` sentences have. */
  buckets?: number[] | null;
  invalidLabel?: number;
  dataName?: string;
  labelName?: string;
  dtype?: DType;
  /** 'NT' (batch major, default) or 'TN' (time major). */
  layout?: 'NT' | 'TN';
  /** Shuffle the batch order and each bucket's sentences on every reset (default true, as MXNet always does). */
  shuffle?: boolean;
  /** Where the discarded-sentences warning goes (default console.log, as MXNet's print). */
  log?: (message: string) => void;
}

/**
 * Sentences bucketed by length (MXNet's `mx.rnn.BucketSentenceIter`): each
 * sentence goes to the smallest bucket at least as long (one longer than the
 * largest is discarded, and counted in a warning), padded with
 * `invalidLabel`; batches are whole (a bucket's leftover sentences are not
 * used) and come in a shuffled order, each with `bucketKey`.
 *
 * ```ts
 * const it = new rnn.BucketSentenceIter(trainSent, 32, { buckets: [10, 20, 30], invalidLabel: 0 });
 * it.defaultBucketKey;  // 30
 * for (const batch of it) batch.bucketKey;   // 10, 20 or 30; batch.data[0] is [32, bucketKey]
 * ```
 */
export class BucketSentenceIter implements Iterable<DataBatch> {
  readonly batchSize: number;
  readonly buckets: number[];
  readonly invalidLabel: number;
  readonly dataName: string;
  readonly labelName: string;
  readonly dtype: DType;
  readonly layout: 'NT' | 'TN';
  readonly shuffle: boolean;
  /** The largest bucket (MXNet's `default_bucket_key`). */
  readonly defaultBucketKey: number;
  /** Sentences discarded as longer than the largest bucket. */
  readonly ndiscard: number;
  /** Each bucket's padded sentences (rows of its length). */
  readonly data: number[][][];
  /** The batches: [bucket, first row]. */
  readonly idx: [number, number][] = [];
  private _curr = 0;

  constructor(sentences: readonly (readonly number[])[], batchSize: number, options: BucketSentenceIterOptions = {}) {
    const what = 'rnn.BucketSentenceIter';
    checkOptions(what, options, ['buckets', 'invalidLabel', 'dataName', 'labelName', 'dtype', 'layout', 'shuffle', 'log']);
    if (!Array.isArray(sentences)) throw new Error(`${what}: sentences must be a list of lists of ids (rnn.encodeSentences gives them), got ${showValue(sentences)}`);
    sentences.forEach((s, i) => {
      if (!Array.isArray(s) || !s.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new Error(`${what}: sentence ${i} must be a list of numeric ids, got ${showValue(s)}`);
    });
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`${what}: batchSize must be a positive integer, got ${showValue(batchSize)}`);
    const { invalidLabel = -1, dataName = 'data', labelName = 'softmax_label', dtype = 'float32', layout = 'NT', shuffle = true, log = (m: string) => console.log(m) } = options;
    if (layout !== 'NT' && layout !== 'TN') throw new Error(`${what}: Invalid layout ${showValue(layout)}: Must by NT (batch major) or TN (time major)`);
    if (!Number.isFinite(invalidLabel)) throw new Error(`${what}: invalidLabel must be a number, got ${showValue(invalidLabel)}`);
    let buckets = options.buckets ? [...options.buckets] : [];
    if (!buckets.length) {
      // MXNet: every length that at least batchSize sentences have (np.bincount).
      const counts: number[] = [];
      for (const s of sentences) counts[s.length] = (counts[s.length] ?? 0) + 1;
      buckets = [...counts.keys()].filter((len) => (counts[len] ?? 0) >= batchSize);
      if (!buckets.length) throw new Error(`${what}: no sentence length is shared by batchSize (${batchSize}) sentences, so no bucket can be made; pass buckets`);
    }
    buckets.forEach((b) => {
      if (!Number.isInteger(b) || b < 1) throw new Error(`${what}: buckets must be positive integers, got ${showValue(options.buckets)}`);
    });
    buckets.sort((a, b) => a - b);
    this.data = buckets.map(() => []);
    let ndiscard = 0;
    for (const sent of sentences) {
      // bisect_left: the first bucket >= the sentence's length.
      const buck = buckets.findIndex((b) => b >= sent.length);
      if (buck < 0) {
        ndiscard++;
        continue;
      }
      const row = new Array<number>(buckets[buck]!).fill(invalidLabel);
      sent.forEach((v: number, k: number) => (row[k] = v));
      this.data[buck]!.push(row);
    }
    log(`WARNING: discarded ${ndiscard} sentences longer than the largest bucket.`);
    this.ndiscard = ndiscard;
    this.batchSize = batchSize;
    this.buckets = buckets;
    this.invalidLabel = invalidLabel;
    this.dataName = dataName;
    this.labelName = labelName;
    this.dtype = dtype;
    this.layout = layout;
    this.shuffle = shuffle;
    this.defaultBucketKey = Math.max(...buckets);
    this.data.forEach((rows, i) => {
      for (let j = 0; j + batchSize <= rows.length; j += batchSize) this.idx.push([i, j]);
    });
    this.reset();
  }

  private _desc(name: string, key: number): DataDesc[] {
    return [{ name, shape: this.layout === 'NT' ? [this.batchSize, key] : [key, this.batchSize], dtype: this.dtype, layout: this.layout }];
  }

  /** The data's name and shape at the default bucket (MXNet's `provide_data`). */
  get provideData(): DataDesc[] {
    return this._desc(this.dataName, this.defaultBucketKey);
  }

  /** The label's (MXNet's `provide_label`). */
  get provideLabel(): DataDesc[] {
    return this._desc(this.labelName, this.defaultBucketKey);
  }

  /** Back to the first batch; with `shuffle`, a new batch order and new row orders (Fisher-Yates, as Python's and numpy's shuffles). */
  reset(): void {
    this._curr = 0;
    if (!this.shuffle) return;
    const shuffle = <T>(xs: T[]) => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = nextInt(i + 1);
        [xs[i], xs[j]] = [xs[j]!, xs[i]!];
      }
    };
    shuffle(this.idx);
    for (const rows of this.data) shuffle(rows);
  }

  /** The next batch, or null at the end of the epoch. */
  next(): DataBatch | null {
    if (this._curr === this.idx.length) return null;
    const [i, j] = this.idx[this._curr++]!;
    const key = this.buckets[i]!;
    const rows = this.data[i]!.slice(j, j + this.batchSize);
    const labels = rows.map((r) => [...r.slice(1), this.invalidLabel]);
    const arr = (m: number[][]) => {
      const flat = this.layout === 'NT' ? m.flat() : Array.from({ length: key * this.batchSize }, (_v, k) => m[k % this.batchSize]![Math.floor(k / this.batchSize)]!);
      const shape = this.layout === 'NT' ? [this.batchSize, key] : [key, this.batchSize];
      return new NDArray(tensorFromNumbers(this.dtype, shape, flat));
    };
    return { data: [arr(rows)], label: [arr(labels)], pad: 0, index: null, bucketKey: key, provideData: this._desc(this.dataName, key), provideLabel: this._desc(this.labelName, key) };
  }

  /** Iterates the rest of this epoch (call `reset()` between epochs, as `fit` does). */
  *[Symbol.iterator](): Iterator<DataBatch> {
    for (let b = this.next(); b !== null; b = this.next()) yield b;
  }
}
