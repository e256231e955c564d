import assert from 'node:assert/strict';
import { nd, gluon, random } from 'gluonc';

const { SequentialSampler, RandomSampler, BatchSampler, DataLoader, ArrayDataset } = gluon.data;

// Expected batches follow MXNet's gluon/data/sampler.py BatchSampler.__iter__/__len__:
// indices accumulate into `batch`; a full batch is yielded; the rest is kept ('keep'),
// dropped ('discard') or becomes the next epoch's first indices ('rollover'), and
// len = ceil(n / b), floor(n / b), floor((len(prev) + n) / b) respectively.
describe('gluon.data samplers', () => {
  it('SequentialSampler counts from start; RandomSampler draws a permutation from the seeded stream', () => {
    assert.deepEqual([...new SequentialSampler(4)], [0, 1, 2, 3]);
    assert.deepEqual([...new SequentialSampler(3, 5)], [5, 6, 7]);
    assert.deepEqual([...new SequentialSampler(0)], []);
    random.seed(7);
    const a = [...new RandomSampler(10)];
    const b = [...new RandomSampler(10)];
    random.seed(7);
    assert.deepEqual([...new RandomSampler(10)], a, 'random.seed repeats the order');
    assert.deepEqual([...a].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.notDeepEqual(a, b, 'each epoch draws a new order');
  });

  it("BatchSampler: 'keep', 'discard' and 'rollover' with their lengths, at n < b, n = b and n % b != 0", () => {
    const seq = (n: number) => new SequentialSampler(n);
    const keep = new BatchSampler(seq(5), 2);
    assert.equal(keep.length, 3);
    assert.deepEqual([...keep], [[0, 1], [2, 3], [4]]);
    const discard = new BatchSampler(seq(5), 2, 'discard');
    assert.equal(discard.length, 2);
    assert.deepEqual([...discard], [[0, 1], [2, 3]]);
    const roll = new BatchSampler(seq(5), 2, 'rollover');
    const epochs: [number, number[][]][] = [];
    for (let e = 0; e < 3; e++) epochs.push([roll.length, [...roll]]);
    assert.deepEqual(epochs, [[2, [[0, 1], [2, 3]]], [3, [[4, 0], [1, 2], [3, 4]]], [2, [[0, 1], [2, 3]]]]);
    // A batch larger than the dataset.
    assert.deepEqual([...new BatchSampler(seq(3), 4)], [[0, 1, 2]]);
    assert.deepEqual([...new BatchSampler(seq(3), 4, 'discard')], []);
    const big = new BatchSampler(seq(3), 4, 'rollover');
    assert.deepEqual([big.length, [...big], big.length, [...big]], [0, [], 1, [[0, 1, 2, 0]]]);
    assert.deepEqual([...new BatchSampler(seq(4), 4)], [[0, 1, 2, 3]]);
    assert.deepEqual([...new BatchSampler(seq(0), 4)], []);
  });

  it('BatchSampler refuses bad arguments by name', () => {
    const s = new SequentialSampler(3);
    assert.throws(() => new BatchSampler(s, 0), /BatchSampler: batchSize must be an integer >= 1, got 0/);
    assert.throws(() => new BatchSampler(s, 1.5), /BatchSampler: batchSize must be an integer >= 1, got 1.5/);
    assert.throws(() => new BatchSampler(s, NaN), /got NaN/);
    assert.throws(() => new BatchSampler(s, 2, 'pad' as never), /BatchSampler: lastBatch must be one of 'keep', 'discard', 'rollover', got "pad"/);
    assert.throws(() => new BatchSampler({ length: 2 } as never, 2), /BatchSampler: sampler must be iterable indices with a length/);
    // Any iterable of indices with a length is a sampler (an array too).
    assert.deepEqual([...new BatchSampler([4, 2, 0], 2)], [[4, 2], [0]]);
    assert.throws(() => new SequentialSampler(-1), /SequentialSampler: length must be an integer >= 0, got -1/);
    assert.throws(() => new RandomSampler(2.5), /RandomSampler: length must be an integer >= 0, got 2.5/);
  });

  it("DataLoader takes MXNet's sampler and batchSampler options, and refuses their conflicts as MXNet does", () => {
    const ds = new ArrayDataset(nd.arange(6));
    const flat = (l: Iterable<nd.NDArray>) => [...l].map((b) => b.toArray());
    assert.deepEqual(flat(new DataLoader(ds, { batchSize: 2, sampler: new SequentialSampler(3, 3) })), [[3, 4], [5]]);
    const bs = new BatchSampler(new SequentialSampler(6), 4, 'discard');
    const loader = new DataLoader(ds, { batchSampler: bs });
    assert.equal(loader.length, 1);
    assert.deepEqual(flat(loader), [[0, 1, 2, 3]]);
    assert.equal(loader.batchSize, undefined);
    // A plain iterable of index lists works as a batch sampler.
    assert.deepEqual(flat(new DataLoader(ds, { batchSampler: Object.assign([[5, 0], [2]], {}) })), [[5, 0], [2]]);
    assert.throws(() => new DataLoader(ds, { batchSampler: bs, batchSize: 2 }), /DataLoader: option 'batchSampler' sets the batches; do not give 'batchSize' with it/);
    assert.throws(() => new DataLoader(ds, { batchSampler: bs, shuffle: true }), /do not give 'shuffle' with it/);
    assert.throws(() => new DataLoader(ds, { batchSampler: bs, lastBatch: 'keep' }), /do not give 'lastBatch' with it/);
    assert.throws(() => new DataLoader(ds, { batchSize: 2, sampler: new SequentialSampler(6), shuffle: true }), /DataLoader: give either option 'sampler' or 'shuffle', not both/);
    assert.throws(() => new DataLoader(ds, { batchSize: 2, sampler: 3 as never }), /DataLoader: option 'sampler' must be iterable indices with a length/);
    assert.throws(() => new DataLoader(ds, { batchSampler: 3 as never }), /DataLoader: option 'batchSampler' must be iterable batches of indices with a length/);
    assert.throws(() => [...new DataLoader(ds, { batchSize: 2, sampler: new SequentialSampler(4, 4) })], /DataLoader: the sampler gave index 6, out of range for a dataset of length 6/);
  });
});
