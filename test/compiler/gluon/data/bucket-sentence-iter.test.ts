/**
 * rnn.encodeSentences and rnn.BucketSentenceIter (compiler/gluon/data/bucket-sentence-iter.ts)
 * against a python transcription of MXNet 1.x's python/mxnet/rnn/io.py
 * (numpy; its shuffles taken out, so batches compare in order with
 * `shuffle: false`, and as sets with the shuffle on): vocabulary ids
 * skipping invalid_label, bucket assignment with a sentence exactly at a
 * bucket's edge and one longer than the largest (discarded and counted),
 * padding with invalid_label, the label shifted by one, batches per bucket,
 * automatic buckets, the time-major layout; and the Errors.
 */
import assert from 'node:assert/strict';
import { random, rnn } from 'gluonc';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';
import { runPython } from '../../../helpers/python-server.js';

/** MXNet's rnn/io.py, transcribed (encode_sentences verbatim; BucketSentenceIter without its shuffles). */
const IO_PY = String.raw`
import json, sys, bisect
import numpy as np
a = json.load(sys.stdin)
def encode_sentences(sentences, vocab=None, invalid_label=-1, invalid_key='\n', start_label=0, unknown_token=None):
    idx = start_label
    if vocab is None:
        vocab = {invalid_key: invalid_label}
        new_vocab = True
    else:
        new_vocab = False
    res = []
    for sent in sentences:
        coded = []
        for word in sent:
            if word not in vocab:
                assert (new_vocab or unknown_token), "Unknown token %s"%word
                if idx == invalid_label:
                    idx += 1
                if unknown_token:
                    word = unknown_token
                vocab[word] = idx
                idx += 1
            coded.append(vocab[word])
        res.append(coded)
    return res, vocab
def bucket_iter(sentences, batch_size, buckets=None, invalid_label=-1, dtype='float32', layout='NT'):
    if not buckets:
        buckets = [i for i, j in enumerate(np.bincount([len(s) for s in sentences])) if j >= batch_size]
    buckets.sort()
    ndiscard = 0
    data = [[] for _ in buckets]
    for i, sent in enumerate(sentences):
        buck = bisect.bisect_left(buckets, len(sent))
        if buck == len(buckets):
            ndiscard += 1
            continue
        buff = np.full((buckets[buck],), invalid_label, dtype=dtype)
        buff[:len(sent)] = sent
        data[buck].append(buff)
    data = [np.asarray(i, dtype=dtype) for i in data]
    idx = []
    for i, buck in enumerate(data):
        idx.extend([(i, j) for j in range(0, len(buck) - batch_size + 1, batch_size)])
    batches = []
    for i, j in idx:
        buck = data[i]
        label = np.empty_like(buck)
        label[:, :-1] = buck[:, 1:]
        label[:, -1] = invalid_label
        d, l = buck[j:j+batch_size], label[j:j+batch_size]
        if layout.find('N') == 1:
            d, l = d.T, l.T
        batches.append({'key': buckets[i], 'data': d.tolist(), 'label': l.tolist()})
    return {'buckets': buckets, 'ndiscard': ndiscard, 'default': max(buckets), 'batches': batches,
            'rows': [b.tolist() for b in data]}
out = {}
for name, job in a.items():
    if job['kind'] == 'encode':
        res, vocab = encode_sentences(job['sentences'], **job['kw'])
        out[name] = {'res': res, 'vocab': vocab}
    else:
        out[name] = bucket_iter(job['sentences'], job['batch'], **job['kw'])
print(json.dumps(out))
`;

type Ref = Record<string, any>;
function python(jobs: Record<string, unknown>): Ref {
  const r = runPython(IO_PY, { input: JSON.stringify(jobs) });
  assert.equal(r.status, 0, `python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Ref;
}

const WORDS = [['the', 'cat', 'sat'], ['on', 'the', 'mat'], ['a', 'cat', 'and', 'a', 'dog'], ['the'], ['dog', 'sat', 'on', 'a', 'mat', 'and', 'the', 'cat', 'ran']];
// Lengths: 1..9 and repeats; 5 sits exactly at bucket 5's edge, 9 is longer than the largest bucket (7).
const SENTS = [[1, 2, 3], [4, 5, 6, 7, 8], [9, 10], [11, 12, 13, 14, 15, 16, 17, 18, 19], [3, 4, 5, 6, 7], [8], [2, 3, 4, 5, 6, 7], [9, 9, 9, 9, 9, 9, 9], [1, 1], [5, 4, 3, 2, 1], [7, 7, 7, 7], [6, 5, 4, 3, 2, 1, 1], [2, 2, 2]];
const rows2 = (x: NDArray) => x.toArray() as number[][];
const quiet = () => {};

describe('rnn.encodeSentences / rnn.BucketSentenceIter (MXNet 1.x rnn/io.py)', () => {
  it('encodeSentences: ids as rnn/io.py hands them out (skipping invalidLabel), a given vocab, the unknown-word Error', () => {
    const ref = python({
      a: { kind: 'encode', sentences: WORDS, kw: {} },
      b: { kind: 'encode', sentences: WORDS, kw: { invalid_label: 0, start_label: 1 } },
      c: { kind: 'encode', sentences: WORDS, kw: { invalid_label: 2, start_label: 0, invalid_key: '<eos>' } },
      d: { kind: 'encode', sentences: [['cat', 'the'], ['mat']], kw: { vocab: { the: 5, cat: 7, mat: 1 } } },
    });
    const [a, va] = rnn.encodeSentences(WORDS);
    assert.deepEqual(a, ref.a.res);
    assert.deepEqual(Object.fromEntries(va), ref.a.vocab);
    const [b, vb] = rnn.encodeSentences(WORDS, { invalidLabel: 0, startLabel: 1 });
    assert.deepEqual(b, ref.b.res);
    assert.deepEqual(Object.fromEntries(vb), ref.b.vocab);
    assert.equal(vb.get('\n'), 0);
    const [c, vc] = rnn.encodeSentences(WORDS, { invalidLabel: 2, startLabel: 0, invalidKey: '<eos>' });
    assert.deepEqual(c, ref.c.res);
    assert.deepEqual(Object.fromEntries(vc), ref.c.vocab);
    assert.ok(![...vc.entries()].some(([k, v]) => v === 2 && k !== '<eos>'), 'no word gets the invalid label');
    const [d] = rnn.encodeSentences([['cat', 'the'], ['mat']], { vocab: { the: 5, cat: 7, mat: 1 } });
    assert.deepEqual(d, ref.d.res);
    assert.throws(() => rnn.encodeSentences([['cat', 'dog']], { vocab: new Map([['cat', 1]]) }), /Unknown token 'dog'.*unknownToken/);
  });

  it('encodeSentences with unknownToken and a given vocab: every unknown word takes the token\'s one id (the departure from MXNet\'s loop)', () => {
    const [ids, vocab] = rnn.encodeSentences([['a', 'x', 'b', 'y']], { vocab: { a: 1, b: 2, '<unk>': 3 }, unknownToken: '<unk>' });
    assert.deepEqual(ids, [[1, 3, 2, 3]]);
    const [ids2, vocab2] = rnn.encodeSentences([['a', 'x', 'y']], { vocab: { a: 1, b: 4 }, unknownToken: '<unk>', invalidLabel: 5 });
    // Not in the vocab: added once after the largest id (4), skipping invalidLabel 5.
    assert.deepEqual(ids2, [[1, 6, 6]]);
    assert.equal(vocab2.get('<unk>'), 6);
    assert.equal(vocab.size, 3);
  });

  it('BucketSentenceIter, shuffle off: buckets (edge and overlong sentence), padding, label shift and batch order equal rnn/io.py', () => {
    const logs: string[] = [];
    const ref = python({ r: { kind: 'iter', sentences: SENTS, batch: 2, kw: { buckets: [5, 3, 7], invalid_label: -1 } } }).r;
    const it = new rnn.BucketSentenceIter(SENTS, 2, { buckets: [5, 3, 7], shuffle: false, log: (m) => logs.push(m) });
    assert.deepEqual(it.buckets, ref.buckets);
    assert.deepEqual(it.buckets, [3, 5, 7]);
    assert.equal(it.ndiscard, ref.ndiscard);
    assert.equal(it.ndiscard, 1, 'the 9-word sentence');
    assert.deepEqual(logs, ['WARNING: discarded 1 sentences longer than the largest bucket.']);
    assert.equal(it.defaultBucketKey, 7);
    assert.deepEqual(it.data, ref.rows);
    // [4, 5, 6, 7, 8] has exactly 5 words: bucket 5, not 7.
    assert.deepEqual(it.data[1]![0], [4, 5, 6, 7, 8]);
    assert.deepEqual(it.provideData, [{ name: 'data', shape: [2, 7], dtype: 'float32', layout: 'NT' }]);
    assert.deepEqual(it.provideLabel.map((d) => [d.name, d.shape]), [['softmax_label', [2, 7]]]);
    const got = [...it];
    assert.equal(got.length, ref.batches.length);
    got.forEach((b, k) => {
      const r = ref.batches[k];
      assert.equal(b.bucketKey, r.key, `batch ${k}'s bucket`);
      assert.deepEqual(rows2(b.data[0]!), r.data, `batch ${k}'s data`);
      assert.deepEqual(rows2(b.label[0]!), r.label, `batch ${k}'s label`);
      assert.deepEqual(b.provideData[0]!.shape, [2, r.key]);
      assert.equal(b.pad, 0);
    });
    // Batches per bucket: 3 -> 5 sentences (2 batches, one left over), 5 -> 4 (2), 7 -> 3 (1).
    assert.deepEqual(got.map((b) => b.bucketKey), [3, 3, 5, 5, 7]);
    assert.equal([...it].length, 0, 'an epoch ends; reset starts the next');
    it.reset();
    assert.equal([...it].length, 5);
  });

  it('automatic buckets (lengths at least batchSize sentences have), invalidLabel padding and the time-major layout', () => {
    const sents = [[1, 2], [3, 4], [5, 6, 7], [8, 9, 10], [1], [2, 3, 4, 5]];
    const ref = python({ r: { kind: 'iter', sentences: sents, batch: 2, kw: { invalid_label: 0, layout: 'TN' } } }).r;
    const it = new rnn.BucketSentenceIter(sents, 2, { invalidLabel: 0, layout: 'TN', shuffle: false, log: quiet });
    assert.deepEqual(it.buckets, ref.buckets);
    assert.deepEqual(it.buckets, [2, 3]);
    assert.equal(it.ndiscard, ref.ndiscard);
    assert.deepEqual(it.provideData[0]!.shape, [3, 2]);
    const got = [...it];
    assert.equal(got.length, ref.batches.length);
    got.forEach((b, k) => {
      assert.equal(b.bucketKey, ref.batches[k].key);
      assert.deepEqual(rows2(b.data[0]!), ref.batches[k].data);
      assert.deepEqual(rows2(b.label[0]!), ref.batches[k].label);
      assert.equal(b.provideData[0]!.layout, 'TN');
    });
  });

  it('shuffled (the default): the same batches per bucket, each of its bucket\'s rows; the seeded stream repeats the order', () => {
    const ref = python({ r: { kind: 'iter', sentences: SENTS, batch: 2, kw: { buckets: [3, 5, 7] } } }).r;
    const draw = () => {
      random.seed(5);
      const it = new rnn.BucketSentenceIter(SENTS, 2, { buckets: [3, 5, 7], log: quiet });
      const first = [...it].map((b) => [b.bucketKey, rows2(b.data[0]!)]);
      it.reset();
      return [first, [...it].map((b) => [b.bucketKey, rows2(b.data[0]!)])];
    };
    const [e1, e2] = draw();
    const count = (bs: unknown[][]) => bs.map((b) => b[0]).sort().join();
    assert.equal(count(e1!), ref.batches.map((b: Ref) => b.key).sort().join());
    for (const [key, rows] of e1!) {
      const bucket = ref.rows[ref.buckets.indexOf(key)].map((r: number[]) => r.join());
      for (const r of rows as number[][]) assert.ok(bucket.includes(r.join()), `row ${r} is one of bucket ${key}'s`);
    }
    assert.equal(count(e2!), count(e1!));
    assert.deepEqual(draw(), [e1, e2], 'random.seed repeats the shuffles');
  });

  it('Errors name what was wrong', () => {
    assert.throws(() => new rnn.BucketSentenceIter([[1, 2], [3]], 4, { log: quiet }), /no sentence length is shared by batchSize \(4\)/);
    assert.throws(() => new rnn.BucketSentenceIter([[1, 2]], 1, { layout: 'NTC' as never, log: quiet }), /Invalid layout "NTC"/);
    assert.throws(() => new rnn.BucketSentenceIter([[1, 2]], 0, { log: quiet }), /batchSize must be a positive integer/);
    assert.throws(() => new rnn.BucketSentenceIter([[1, 'a' as never]], 1, { log: quiet }), /sentence 0 must be a list of numeric ids/);
    assert.throws(() => new rnn.BucketSentenceIter([[1, 2]], 1, { buckets: [2, 0], log: quiet }), /buckets must be positive integers/);
    assert.throws(() => new rnn.BucketSentenceIter([[1, 2]], 1, { bukets: [2] } as never), /bukets/);
    assert.throws(() => rnn.encodeSentences([['a', 3 as never]]), /sentence 0 holds 3, not a word/);
  });
});
