import assert from 'node:assert/strict';
import { nd, gluon, random } from 'gluonc';

const { data } = gluon;
const { transforms } = gluon.data.vision;

/** Every batch of a loader as nested arrays, after seeding (shuffling draws from the seeded stream). */
function batches(make: () => gluon.data.DataLoader): unknown[] {
  random.seed(4);
  const loader = make();
  return [...loader].map((b) => (Array.isArray(b) ? b.map((t) => (t as nd.NDArray).toArray()) : (b as nd.NDArray).toArray()));
}

describe("gluon.data: Gluon's keyword arguments in the trailing options object", () => {
  const X = nd.arange(0, 14).reshape([7, 2]);
  const y = nd.arange(0, 7);
  const ds = new data.ArrayDataset(X, y);

  it("DataLoader(dataset, batch_size, shuffle=True): positional, by name, or mixed, the same batches", () => {
    const ref = batches(() => new data.DataLoader(ds, { batchSize: 3, shuffle: true, lastBatch: 'discard' }));
    assert.equal(ref.length, 2);
    for (const make of [
      () => new data.DataLoader(ds, 3, { shuffle: true, lastBatch: 'discard' }),
      () => new data.DataLoader({ dataset: ds, batchSize: 3, shuffle: true, lastBatch: 'discard' }),
      // A dataset written { length, get } is the dataset, not the options object.
      () => new data.DataLoader({ length: ds.length, get: (i: number) => ds.get(i) }, 3, { shuffle: true, lastBatch: 'discard' }),
    ]) assert.deepEqual(batches(make), ref);
    // The control: batch size 2 gives other batches, so a dropped keyword would show.
    assert.notDeepEqual(batches(() => new data.DataLoader(ds, 2, { shuffle: true, lastBatch: 'discard' })), ref);
  });

  it('SimpleDataset, samplers and transforms by name build what the positional forms build', () => {
    assert.deepEqual(new data.SimpleDataset({ data: [4, 5] }).get(1), 5);
    assert.deepEqual([...new data.SequentialSampler({ length: 3, start: 2 })], [2, 3, 4]);
    assert.deepEqual([...new data.SequentialSampler(3, { start: 2 })], [...new data.SequentialSampler(3, 2)]);
    random.seed(2);
    const a = [...new data.RandomSampler(6)];
    random.seed(2);
    assert.deepEqual([...new data.RandomSampler({ length: 6 })], a);
    const seq = () => new data.SequentialSampler(5);
    const bs = (b: gluon.data.BatchSampler) => [[...b], [...b]];
    const ref = bs(new data.BatchSampler(seq(), 2, 'rollover'));
    assert.deepEqual(ref, [[[0, 1], [2, 3]], [[4, 0], [1, 2], [3, 4]]]);
    assert.deepEqual(bs(new data.BatchSampler(seq(), { batchSize: 2, lastBatch: 'rollover' })), ref);
    assert.deepEqual(bs(new data.BatchSampler({ sampler: seq(), batchSize: 2, lastBatch: 'rollover' })), ref);
    const img = nd.array([[[1, 2]], [[3, 4]]]); // CHW [2, 1, 2]
    const norm = (t: gluon.Block) => (t.call(img) as nd.NDArray).toArray();
    // Reference by hand: (x - mean) / std per channel.
    assert.deepEqual(norm(new transforms.Normalize({ mean: [1, 3], std: [2, 1] })), [[[0, 0.5]], [[0, 1]]]);
    assert.deepEqual(norm(new transforms.Normalize([1, 3], { std: [2, 1] })), [[[0, 0.5]], [[0, 1]]]);
    assert.equal((new transforms.Cast({ dtype: 'float64' }).call(img) as nd.NDArray).dtype, 'float64');
    assert.deepEqual(norm(new transforms.Compose({ transforms: [new transforms.Normalize(1, 2)] })), norm(new transforms.Compose([new transforms.Normalize(1, 2)])));
  });

  it('given twice, missing or unknown: an Error naming the class and the argument', () => {
    assert.throws(() => new data.DataLoader(ds, 3, { batchSize: 3 } as never), /^Error: DataLoader: got multiple values for argument 'batchSize'/);
    assert.throws(() => new data.DataLoader({ batchSize: 3 } as never), /^Error: DataLoader: missing required argument 'dataset'/);
    assert.throws(() => new data.DataLoader(ds, { batch_size: 3 } as never), /^Error: DataLoader: unknown option 'batch_size'/);
    assert.throws(() => new data.DataLoader(ds), /^Error: DataLoader: option 'batchSize' must be a positive integer, got undefined/);
    assert.throws(() => new data.SequentialSampler(3, { length: 3 } as never), /^Error: SequentialSampler: got multiple values for argument 'length'/);
    assert.throws(() => new data.BatchSampler(seqOf(3), { lastBatch: 'keep' } as never), /^Error: BatchSampler: missing required argument 'batchSize'/);
    assert.throws(() => new data.RandomSampler({ size: 3 } as never), /^Error: RandomSampler: unknown option 'size' \(valid: length\)/);
    assert.throws(() => new transforms.Normalize(0, { mean: 0 } as never), /^Error: Normalize: got multiple values for argument 'mean'/);
    assert.throws(() => new transforms.Compose({} as never), /^Error: Compose: missing required argument 'transforms'/);
    assert.throws(() => new data.SimpleDataset({} as never), /^Error: SimpleDataset: missing required argument 'data'/);
  });
});

function seqOf(n: number): gluon.data.SequentialSampler {
  return new data.SequentialSampler(n);
}
