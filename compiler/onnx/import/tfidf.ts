/**
 * TfIdfVectorizer with an integer pool, as comparisons and sums: the pool's
 * n-gram j of size n, with items `d` apart (d = 1 .. max_skip_count + 1;
 * unigrams once), is counted at each start i where all n items fit in the
 * row: Σ_d Σ_i Π_k [x[i + k·d] = pool_j[k]] — the counts ONNX's reference
 * and onnxruntime reach by walking their n-gram trie. Sizes outside
 * [min_gram_length, max_gram_length] are not counted. The counts go to
 * output `ngram_indexes[j]` (a product with a constant 0/1 matrix), then TF
 * keeps them, IDF gives `weights[j]` (or 1) where the count is positive, TFIDF
 * multiplies by `weights[j]`; the weight of pool n-gram j, as the spec says
 * and onnxruntime reads it. A pool n-gram listed twice is counted at its last
 * listing, as the trie keeps it. String pools are refused.
 */
import { tensorFromNumbers } from '../../../runtime/tensor.js';
import type { Value } from '../../ir/value.js';
import { castTo, type Builder, type ImportCtx } from './context.js';

interface Gram {
  items: number[];
  out: number;
  weight: number;
}

/** The pool's n-grams of the counted sizes (the last listing of a repeated one), with their outputs and weights. */
function readPool(c: ImportCtx): { grams: Gram[]; nOut: number; min: number; max: number; skips: number } {
  if (c.attr.has('pool_strings')) throw c.refuse('pool_strings (string tokens): gluonc has no string tensors');
  const pool = c.attr.ints('pool_int64s') ?? [];
  const counts = c.attr.ints('ngram_counts') ?? [];
  const indexes = c.attr.ints('ngram_indexes') ?? [];
  const weights = c.attr.floats('weights');
  const [min, max, skips] = [c.attr.int('min_gram_length', 1), c.attr.int('max_gram_length', 1), c.attr.int('max_skip_count', 0)];
  if (!(min >= 1 && max >= min && skips >= 0)) throw c.refuse(`min_gram_length ${min}, max_gram_length ${max}, max_skip_count ${skips}`);
  const byKey = new Map<string, Gram>();
  let j = 0;
  counts.forEach((start, level) => {
    const n = level + 1;
    const end = level + 1 < counts.length ? counts[level + 1]! : pool.length;
    if (end < start || (end - start) % n) throw c.refuse(`the pool's ${end - start} entries of ${n}-grams do not split into n-grams`);
    for (let p = start; p < end; p += n, j++) {
      if (indexes[j] === undefined) throw c.refuse(`ngram_indexes lists ${indexes.length} outputs for more n-grams in the pool`);
      if (n < min || n > max) continue;
      const items = pool.slice(p, p + n);
      byKey.set(items.join(','), { items, out: indexes[j]!, weight: weights?.[j] ?? 1 });
    }
  });
  if (weights && weights.length !== indexes.length) throw c.refuse(`${weights.length} weights for ${indexes.length} ngram_indexes`);
  return { grams: [...byKey.values()], nOut: Math.max(-1, ...indexes) + 1, min, max, skips };
}

const tfidf: Builder = (c) => {
  const mode = c.attr.str('mode', '');
  if (!['TF', 'IDF', 'TFIDF'].includes(mode)) throw c.refuse(`mode '${mode}' is not one of TF, IDF, TFIDF`);
  const { grams, nOut, skips } = readPool(c);
  const x = c.input(0);
  if (x.type.dtype !== 'int32' && x.type.dtype !== 'int64') throw c.refuse(`input of dtype ${x.type.dtype} (int32 or int64 token ids)`);
  const rank = x.type.shape.length;
  const len = x.type.shape[rank - 1];
  if ((rank !== 1 && rank !== 2) || typeof len !== 'number') throw c.refuse(`input of shape [${x.type.shape}] (a row [C] or rows [N, C] of known length)`);
  const f32 = (vals: number[], shape: number[]) => c.constant(tensorFromNumbers('float32', shape, vals));
  // Zeros of the output's shape: the sum starts there.
  let total: Value = c.op('dot', [c.op('zerosLike', [castTo(c, x, 'float32')]), f32(new Array(len * nOut).fill(0), [len, nOut])]);
  const sizes = [...new Set(grams.map((g) => g.items.length))];
  for (const n of sizes) {
    const group = grams.filter((g) => g.items.length === n);
    const toOut = new Array(group.length * nOut).fill(0);
    group.forEach((g, r) => (toOut[r * nOut + g.out] = 1));
    for (let d = 1; d <= (n === 1 ? 1 : skips + 1); d++) {
      const starts = len - (n - 1) * d;
      if (starts <= 0) continue;
      let hit: Value | null = null;
      for (let k = 0; k < n; k++) {
        const items = c.op('expandDims', [c.op('sliceAxis', [x], { axis: -1, begin: k * d, end: k * d + starts })], { axis: -1 });
        const want = c.constant(tensorFromNumbers(x.type.dtype, [group.length], group.map((g) => g.items[k]!)));
        const eq = c.op('equal', [items, want]);
        hit = hit ? c.op('mul', [hit, eq]) : eq;
      }
      const count = castTo(c, c.op('sum', [hit!], { axis: -2 }), 'float32');
      total = c.op('add', [total, c.op('dot', [count, f32(toOut, [group.length, nOut])])]);
    }
  }
  if (mode === 'TF') return [total];
  const w = new Array(nOut).fill(0);
  for (const g of grams) w[g.out] = g.weight;
  const weights = f32(w, [nOut]);
  if (mode === 'TFIDF') return [c.op('mul', [total, weights])];
  return [c.op('where', [c.op('greater', [total, c.scalar(0, 'float32')]), c.op('mul', [c.op('onesLike', [total]), weights]), c.op('zerosLike', [total])])];
};

/** TfIdfVectorizer's builder. */
export const TFIDF_IMPORTS: Readonly<Record<string, Builder>> = { TfIdfVectorizer: tfidf };
