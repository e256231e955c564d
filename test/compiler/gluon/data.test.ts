import assert from 'node:assert/strict';
import { nd, gluon, random } from 'gluonc';

const { ArrayDataset, DataLoader, SimpleDataset, Dataset } = gluon.data;

/** X row i is [i, 10 i, 100 i] (so every row names its sample); y[i] = i. */
function makeData(n: number): { X: nd.NDArray; y: nd.NDArray } {
  const xs = Array.from({ length: n }, (_v, i) => [i, 10 * i, 100 * i]);
  return { X: nd.array(xs), y: nd.arange(n) };
}

const rows = (a: nd.NDArray): number[][] => a.toArray() as number[][];
const flat = (a: nd.NDArray): number[] => a.toArray() as number[];

/** Runs one epoch; returns the batches as [x rows, y values]. */
function epoch(loader: Iterable<[nd.NDArray, nd.NDArray]>): [number[][], number[]][] {
  const out: [number[][], number[]][] = [];
  for (const [xb, yb] of loader) out.push([rows(xb), flat(yb)]);
  return out;
}

describe('gluon.data', () => {
  describe('ArrayDataset', () => {
    it('has the common length and returns a tuple per sample (rows as NDArrays, 1-d elements as numbers)', () => {
      const { X, y } = makeData(5);
      const ds = new ArrayDataset(X, y, ['a', 'b', 'c', 'd', 'e']);
      assert.equal(ds.length, 5);
      const [x2, y2, s2] = ds.get(2) as [nd.NDArray, number, string];
      assert.deepEqual(x2.shape, [3]);
      assert.deepEqual(x2.toArray(), [2, 20, 200]);
      assert.equal(y2, 2);
      assert.equal(s2, 'c');
    });

    it('with one array returns the element itself (as MXNet)', () => {
      const ds = new ArrayDataset([7, 8, 9]);
      assert.equal(ds.get(1), 8);
      const nested = new ArrayDataset([[1, 2], [3, 4]]);
      assert.deepEqual((nested.get(1) as nd.NDArray).toArray(), [3, 4]);
    });

    it('rejects arrays of different lengths, naming the lengths, and bad indices', () => {
      const { X } = makeData(5);
      assert.throws(() => new ArrayDataset(X, nd.arange(4)), /ArrayDataset: .*array 0 has length 5 while array 1 has length 4/);
      assert.throws(() => new ArrayDataset(), /ArrayDataset: needs at least one array/);
      assert.throws(() => new ArrayDataset(X).get(5), /ArrayDataset: index 5 is out of range for a dataset of length 5/);
      assert.throws(() => new ArrayDataset(nd.array(3)), /ArrayDataset: array 0 is a 0-d NDArray/);
    });

    it('takes Datasets as columns (MXNet: any dataset-like object), reading their samples with get', () => {
      const words = new SimpleDataset([10, 20, 30]).transform((v: number) => v + 1);
      const ds = new ArrayDataset(words, nd.arange(3));
      assert.deepEqual(ds.get(1), [21, 1]);
      const [[a, b]] = [...new DataLoader(ds, { batchSize: 3 })] as nd.NDArray[][];
      assert.deepEqual([a!.toArray(), b!.toArray()], [[11, 21, 31], [0, 1, 2]]);
    });

    it("refuses a dataset whose length is not a count, naming the DataLoader", () => {
      for (const length of [2.5, -1, NaN]) {
        assert.throws(() => new DataLoader({ length, get: (i: number) => i }, { batchSize: 2 }), new RegExp(`DataLoader: the dataset's length must be an integer >= 0, got ${length}`));
      }
    });

    it('transform and transformFirst apply lazily', () => {
      const { X, y } = makeData(3);
      const ds = new ArrayDataset(X, y);
      const t = ds.transformFirst((x: nd.NDArray) => x.mul(2));
      const [x1, y1] = t.get(1) as [nd.NDArray, number];
      assert.deepEqual(x1.toArray(), [2, 20, 200]);
      assert.equal(y1, 1);
      const s = ds.transform((x: nd.NDArray, label: number) => label + x.sum().item());
      assert.equal(s.get(2), 2 + 222);
      assert.equal(s.length, 3);
    });
  });

  describe('DataLoader', () => {
    const { X, y } = makeData(10);
    const ds = new ArrayDataset(X, y);

    it("lastBatch 'keep' yields the short last batch", () => {
      const loader = new DataLoader(ds, { batchSize: 4 });
      assert.equal(loader.length, 3);
      const shapes = [...loader].map(([xb, yb]: [nd.NDArray, nd.NDArray]) => [xb.shape, yb.shape]);
      assert.deepEqual(shapes, [[[4, 3], [4]], [[4, 3], [4]], [[2, 3], [2]]]);
      const b = epoch(loader);
      assert.deepEqual(b[2]![0], [[8, 80, 800], [9, 90, 900]]);
      assert.deepEqual(b[0]![1], [0, 1, 2, 3]);
    });

    it("lastBatch 'discard' drops it", () => {
      const loader = new DataLoader(ds, { batchSize: 4, lastBatch: 'discard' });
      assert.equal(loader.length, 2);
      const b = epoch(loader);
      assert.deepEqual(b.map(([xs]) => xs.length), [4, 4]);
      assert.deepEqual(b.flatMap(([, ys]) => ys), [0, 1, 2, 3, 4, 5, 6, 7]);
    });

    it("lastBatch 'rollover' carries the rest into the next epoch", () => {
      const loader = new DataLoader(ds, { batchSize: 4, lastBatch: 'rollover' });
      assert.equal(loader.length, 2);
      const e1 = epoch(loader);
      assert.deepEqual(e1.map(([, ys]) => ys), [[0, 1, 2, 3], [4, 5, 6, 7]]);
      assert.equal(loader.length, 3); // (2 carried + 10) / 4
      const e2 = epoch(loader);
      assert.deepEqual(e2.map(([, ys]) => ys), [[8, 9, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]);
      assert.deepEqual(e2[0]![0][0], [8, 80, 800]);
      assert.equal(loader.length, 2);
    });

    it('shuffles with the seeded stream: random.seed repeats the order, and every sample appears once per epoch', () => {
      const loader = new DataLoader(ds, { batchSize: 3, shuffle: true });
      random.seed(42);
      const a1 = epoch(loader);
      const a2 = epoch(loader);
      random.seed(42);
      const b1 = epoch(loader);
      const b2 = epoch(loader);
      assert.deepEqual(b1, a1);
      assert.deepEqual(b2, a2);
      for (const e of [a1, a2]) {
        const ys = e.flatMap(([, v]) => v);
        assert.deepEqual([...ys].sort((p, q) => p - q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        // x and y stay paired after shuffling.
        for (const [xs, v] of e) xs.forEach((r, k) => assert.deepEqual(r, [v[k]!, 10 * v[k]!, 100 * v[k]!]));
      }
      assert.notDeepEqual(a1.flatMap(([, v]) => v), a2.flatMap(([, v]) => v), 'two epochs draw different orders');
      assert.notDeepEqual(a1.flatMap(([, v]) => v), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('keeps the dtype of NDArray columns and batches plain number lists as float32', () => {
      const ints = nd.array([[1, 2], [3, 4], [5, 6]], { dtype: 'int32' });
      const loader = new DataLoader(new ArrayDataset(ints, [0.5, 1.5, 2.5]), { batchSize: 2 });
      const [[xb, yb]] = [...loader] as [nd.NDArray, nd.NDArray][];
      assert.equal(xb!.dtype, 'int32');
      assert.deepEqual(xb!.toArray(), [[1, 2], [3, 4]]);
      assert.equal(yb!.dtype, 'float32');
      assert.deepEqual(yb!.toArray(), [0.5, 1.5]);
    });

    it('keeps the dtype of typed-array columns (as MXNet keeps a numpy column\'s) and batches bigints as int64, exactly', () => {
      const ids = new Int32Array([7, -8, 9]);
      const w = new Float64Array([0.1, 0.2, 0.3]);
      const big = BigInt64Array.from([2n ** 53n + 1n, -(2n ** 60n), 3n]);
      const [[a, b, c]] = [...new DataLoader(new ArrayDataset(ids, w, big), { batchSize: 3 })] as nd.NDArray[][];
      assert.deepEqual([a!.dtype, b!.dtype, c!.dtype], ['int32', 'float64', 'int64']);
      assert.deepEqual(Array.from(a!.data() as Int32Array), [7, -8, 9]);
      assert.deepEqual(Array.from(b!.data() as Float64Array), [0.1, 0.2, 0.3]);
      assert.deepEqual(Array.from(c!.data() as BigInt64Array), [2n ** 53n + 1n, -(2n ** 60n), 3n]);
      // The generic path (a transform) batches bigint samples as int64 too.
      const viaFn = [...new DataLoader(new ArrayDataset(big).transform((v) => v), { batchSize: 3 })] as nd.NDArray[];
      assert.equal(viaFn[0]!.dtype, 'int64');
      assert.deepEqual(Array.from(viaFn[0]!.data() as BigInt64Array), [2n ** 53n + 1n, -(2n ** 60n), 3n]);
      // A 1-D NDArray column's numbers keep an integer dtype through a transform by the batchify (README).
      const labels = nd.array([3, 4, 5], { dtype: 'int32' });
      const tf = new ArrayDataset(nd.ones([3, 2]), labels).transform((x, y) => [x, y]);
      const { batchify } = gluon.data;
      const [[, yb]] = [...new DataLoader(tf, { batchSize: 3, batchify: batchify.Tuple(batchify.Stack(), batchify.Stack({ dtype: 'int32' })) })] as nd.NDArray[][];
      assert.equal(yb!.dtype, 'int32');
      assert.deepEqual(Array.from(yb!.data() as Int32Array), [3, 4, 5]);
      // A 1-D int64 NDArray column's element past 2^53 is an exact bigint, not a rounded number.
      assert.equal(new ArrayDataset(nd.array([2n ** 53n + 1n, 1n] as never, { dtype: 'int64' })).get(0), 2n ** 53n + 1n);
      assert.equal(new ArrayDataset(nd.array([2n ** 53n + 1n, 1n] as never, { dtype: 'int64' })).get(1), 1);
      assert.throws(() => gluon.data.defaultBatchify([1n, 2]), /batchify: sample 1 is a number, but sample 0 is a bigint/);
      assert.throws(() => gluon.data.defaultBatchify([1n, 2n ** 63n]), /batchify: sample 1 \(9223372036854775808\) is out of the int64 range/);
    });

    it('a single-array dataset yields plain batches', () => {
      const loader = new DataLoader(new ArrayDataset(X), { batchSize: 5 });
      const batches = [...loader] as nd.NDArray[];
      assert.equal(batches.length, 2);
      assert.deepEqual(batches[1]!.shape, [5, 3]);
    });

    it('batches any dataset with the default batchify (NDArrays stacked, tuples field by field)', () => {
      class Pairs extends Dataset<[nd.NDArray, number]> {
        get length() { return 5; }
        get(i: number): [nd.NDArray, number] { return [nd.array([[i, -i]]), i * i]; }
      }
      const batches = [...new DataLoader(new Pairs(), { batchSize: 2 })] as [nd.NDArray, nd.NDArray][];
      assert.equal(batches.length, 3);
      assert.deepEqual(batches[0]![0].shape, [2, 1, 2]);
      assert.deepEqual(batches[1]![0].toArray(), [[[2, -2]], [[3, -3]]]);
      assert.deepEqual(batches[1]![1].toArray(), [4, 9]);
      assert.deepEqual(batches[2]![1].shape, [1]);
      const plain = [...new DataLoader([1, 2, 3], { batchSize: 2 })] as nd.NDArray[];
      assert.deepEqual(plain.map((b) => b.toArray()), [[1, 2], [3]]);
      const simple = [...new DataLoader(new SimpleDataset([nd.ones([2]), nd.zeros([2])]), { batchSize: 2 })] as nd.NDArray[];
      assert.deepEqual(simple[0]!.toArray(), [[1, 1], [0, 0]]);
    });

    it('uses a custom batchify function', () => {
      const loader = new DataLoader(ds, { batchSize: 4, batchify: (samples: [nd.NDArray, number][]) => samples.map(([, label]) => label) });
      assert.deepEqual([...loader], [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    });

    it("an NDArray is a dataset of its rows (MXNet's DataLoader indexes any dataset[i]: d2l's AutoRec loads np.array(inter_mat))", () => {
      const m = nd.array([[1, 2], [3, 4], [5, 6]]);
      const batches = [...new DataLoader(m, { batchSize: 2, lastBatch: 'keep' })] as nd.NDArray[];
      assert.deepEqual(batches.map((b) => b.toArray()), [[[1, 2], [3, 4]], [[5, 6]]]);
      const col = [...new DataLoader(nd.array([7, 8, 9], { dtype: "int32" }), { batchSize: 3 })] as nd.NDArray[];
      assert.deepEqual([col[0]!.dtype, col[0]!.toArray()], ['int32', [7, 8, 9]]);
      assert.throws(() => new DataLoader(nd.array(3) as never, { batchSize: 2 }), /DataLoader: dataset must be .*got a 0-d NDArray/);
    });

    it('explains samples the default batchify cannot stack', () => {
      const mixed = new SimpleDataset([nd.ones([2]), nd.ones([3])]);
      assert.throws(() => [...new DataLoader(mixed, { batchSize: 2 })], /batchify: sample 1 has shape \[3\] \(float32\) but sample 0 has \[2\] \(float32\); samples must match to be stacked \(pad samples of different lengths with gluon\.data\.batchify\.Pad\(\)\)/);
      assert.throws(() => [...new DataLoader(new SimpleDataset([{}, {}]), { batchSize: 2 })], /batchify: cannot batch samples of type an object; give the DataLoader a batchify function/);
    });

    it('rejects bad options, naming the option', () => {
      assert.throws(() => new DataLoader(ds, { batchSize: 0 }), /DataLoader: option 'batchSize' must be a positive integer, got 0/);
      assert.throws(() => new DataLoader(ds, { batchSize: -2 }), /option 'batchSize' must be a positive integer, got -2/);
      assert.throws(() => new DataLoader(ds, { batchSize: 2.5 }), /option 'batchSize' must be a positive integer, got 2.5/);
      assert.throws(() => new DataLoader(ds, {} as never), /option 'batchSize' must be a positive integer, got undefined/);
      assert.throws(() => new DataLoader(ds, { batchSize: NaN }), /option 'batchSize' must be a positive integer, got NaN/);
      assert.throws(() => new DataLoader(ds, { batchSize: 2, numWorkers: Infinity }), /option 'numWorkers' must be a non-negative integer, got Infinity/);
      assert.throws(() => new DataLoader(ds, { batchSize: 2, lastBatch: 'pad' as never }), /DataLoader: option 'lastBatch' must be one of 'keep', 'discard', 'rollover', got "pad"/);
      assert.throws(() => new DataLoader(ds, { batchSize: 2, shuffle: 'yes' as never }), /DataLoader: option 'shuffle' must be a boolean/);
      assert.throws(() => new DataLoader(ds, { batch_size: 2 } as never), /DataLoader: unknown option 'batch_size' \(valid: batchSize/);
      assert.throws(() => new DataLoader(42 as never, { batchSize: 2 }), /DataLoader: dataset must be a gluon.data.Dataset/);
    });
  });
});
