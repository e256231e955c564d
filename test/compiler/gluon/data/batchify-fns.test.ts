import assert from 'node:assert/strict';
import { nd, gluon } from 'gluonc';

const { batchify, DataLoader, SimpleDataset } = gluon.data;

// Expected values are written out by hand from MXNet's Pad (gluon/data/batchify.py, _pad_arrs_to_max_length):
// a batch of shape [N, ...sample shape with the pad axis at the longest length (rounded up to round_to)], filled
// with val, each sample copied to the start of its row along the pad axis.
describe('gluon.data.batchify', () => {
  it('Pad: ragged 1-d samples to the longest, with val, keeping the dtype', () => {
    const b = batchify.Pad({ val: -1 })([nd.array([1, 2, 3]), nd.array([4]), nd.array([5, 6])]) as nd.NDArray;
    assert.deepEqual(b.shape, [3, 3]);
    assert.equal(b.dtype, 'float32');
    assert.deepEqual(b.toArray(), [[1, 2, 3], [4, -1, -1], [5, 6, -1]]);
    const ints = batchify.Pad()([nd.array([7], { dtype: 'int32' }), nd.array([8, 9], { dtype: 'int32' })]) as nd.NDArray;
    assert.equal(ints.dtype, 'int32');
    assert.deepEqual(ints.toArray(), [[7, 0], [8, 9]]);
    const big = batchify.Pad()([nd.array([2 ** 53 - 1], { dtype: 'int64' }), nd.array([1, 2], { dtype: 'int64' })]) as nd.NDArray;
    assert.deepEqual(Array.from(big.data() as BigInt64Array), [2n ** 53n - 1n, 0n, 1n, 2n]);
    // Number lists, like token ids.
    assert.deepEqual((batchify.Pad()([[1, 2], [3]]) as nd.NDArray).toArray(), [[1, 2], [3, 0]]);
  });

  it('Pad: another axis, roundTo, dtype, a sample already at full length', () => {
    // Samples [2, L] padded along axis 1 (L = 1, 3) to 4 (round_to 2: ceil(3/2)·2).
    const a = nd.array([[1], [2]]);
    const c = nd.array([[3, 4, 5], [6, 7, 8]]);
    const b = batchify.Pad({ axis: -1, roundTo: 2, dtype: 'float64', val: 9 })([a, c]) as nd.NDArray;
    assert.equal(b.dtype, 'float64');
    assert.deepEqual(b.toArray(), [
      [[1, 9, 9, 9], [2, 9, 9, 9]],
      [[3, 4, 5, 9], [6, 7, 8, 9]],
    ]);
    // Padding axis 0 of [L, 2] samples.
    const rows = batchify.Pad({ axis: 0 })([nd.array([[1, 2]]), nd.array([[3, 4], [5, 6]])]) as nd.NDArray;
    assert.deepEqual(rows.toArray(), [[[1, 2], [0, 0]], [[3, 4], [5, 6]]]);
    // Empty samples pad to all val.
    assert.deepEqual((batchify.Pad({ val: 1 })([nd.zeros([0]), nd.array([5, 5])]) as nd.NDArray).toArray(), [[1, 1], [5, 5]]);
  });

  it('Pad: mismatched other dimensions, a bad axis and bad options are Errors naming them', () => {
    assert.throws(() => batchify.Pad({ axis: 1 })([nd.zeros([2, 3]), nd.zeros([3, 3])]), /batchify\.Pad: sample 1 has shape \[3, 3\] but sample 0 has \[2, 3\]; only axis 1 may differ/);
    assert.throws(() => batchify.Pad({ axis: 2 })([nd.zeros([2, 3])]), /batchify\.Pad: axis 2 is out of range for samples of rank 2/);
    assert.throws(() => batchify.Pad()([]), /batchify\.Pad: no samples to batch/);
    assert.throws(() => batchify.Pad()([nd.zeros([2]), 'x']), /batchify\.Pad: sample 1 must be an NDArray or a list of numbers, got string/);
    assert.throws(() => batchify.Pad({ roundTo: 0 }), /roundTo must be a positive integer, got 0/);
    assert.throws(() => batchify.Pad({ dtype: 'float128' as never }), /^Error: batchify\.Pad: unsupported dtype "float128" \(supported: /);
  });

  it('Pad: val is stored in the batch dtype (float16 as half bits), and a val the integer dtype cannot hold is an Error', () => {
    // numpy.full(shape, val, dtype): float16 keeps 1 and -0.5; integer dtypes refuse NaN and out-of-range values.
    const h = batchify.Pad({ val: -0.5, dtype: 'float16' })([nd.array([1, 2]), nd.array([3])]) as nd.NDArray;
    assert.equal(h.dtype, 'float16');
    assert.deepEqual(h.toArray(), [[1, 2], [3, -0.5]]);
    const big = batchify.Pad({ val: -(2 ** 62), dtype: 'int64' })([nd.array([1, 2]), nd.array([3])]) as nd.NDArray;
    assert.deepEqual(Array.from(big.data() as BigInt64Array), [1n, 2n, 3n, -(2n ** 62n)]);
    assert.throws(() => batchify.Pad({ val: NaN, dtype: 'int64' }), /batchify\.Pad: val NaN cannot be stored in int64/);
    assert.throws(() => batchify.Pad({ val: NaN, dtype: 'int32' }), /batchify\.Pad: val NaN cannot be stored in int32/);
    assert.throws(() => batchify.Pad({ val: 1e30, dtype: 'int64' }), /batchify\.Pad: val 1e\+30 cannot be stored in int64/);
    assert.throws(() => batchify.Pad({ val: 300, dtype: 'uint8' }), /batchify\.Pad: val 300 cannot be stored in uint8/);
    // The 16- to 64-bit integers: the edges are kept (uint64's top value as a bigint), one past them is an Error.
    const u64 = batchify.Pad({ val: 2 ** 63, dtype: 'uint64' })([nd.array([1, 2]), nd.array([3])]) as nd.NDArray;
    assert.deepEqual(Array.from(u64.data() as BigUint64Array), [1n, 2n, 3n, 2n ** 63n]);
    assert.deepEqual((batchify.Pad({ val: 65535, dtype: 'uint16' })([nd.array([1, 2]), nd.array([3])]) as nd.NDArray).toArray(), [[1, 2], [3, 65535]]);
    assert.throws(() => batchify.Pad({ val: 2 ** 64, dtype: 'uint64' }), /batchify\.Pad: val 18446744073709552000 cannot be stored in uint64 \(range \[0, 2\^64 - 1\]\)/);
    assert.throws(() => batchify.Pad({ val: -1, dtype: 'uint32' }), /batchify\.Pad: val -1 cannot be stored in uint32 \(range \[0, 4294967295\]\)/);
    assert.throws(() => batchify.Pad({ val: 32768, dtype: 'int16' }), /batchify\.Pad: val 32768 cannot be stored in int16/);
    // The dtype known only from the samples is checked when batching.
    const ints = [nd.array([1, 2], { dtype: 'int32' }), nd.array([3], { dtype: 'int32' })];
    assert.throws(() => batchify.Pad({ val: Infinity })(ints), /batchify\.Pad: val Infinity cannot be stored in int32/);
    assert.deepEqual((batchify.Pad({ val: -1 })(ints) as nd.NDArray).toArray(), [[1, 2], [3, -1]]);
  });

  it('Tuple(Pad, Stack) in a DataLoader: variable-length sequences with labels', () => {
    const ds = new SimpleDataset([
      [nd.array([1, 2, 3]), 0],
      [nd.array([4]), 1],
      [nd.array([5, 6]), 2],
    ]);
    const loader = new DataLoader(ds, { batchSize: 2, batchify: batchify.Tuple(batchify.Pad(), batchify.Stack()) });
    const batches = [...loader].map(([x, y]: [nd.NDArray, nd.NDArray]) => [x.toArray(), y.toArray()]);
    assert.deepEqual(batches, [
      [[[1, 2, 3], [4, 0, 0]], [0, 1]],
      [[[5, 6]], [2]],
    ]);
    // The functions may come as one array; a sample of the wrong width is an Error.
    const fn = batchify.Tuple([batchify.Stack(), batchify.List()]);
    assert.deepEqual((fn([[nd.array([1]), 'a'], [nd.array([2]), 'b']]) as unknown[])[1], ['a', 'b']);
    assert.throws(() => fn([[nd.array([1])]]), /batchify\.Tuple: sample 0 must be a tuple of 2 fields \(one per function\), got a tuple of 1/);
    assert.throws(() => batchify.Tuple(), /needs one batchify function per field/);
  });

  it('Stack: equal samples only (the ragged ones are an Error naming the shapes), with a dtype', () => {
    assert.deepEqual((batchify.Stack({ dtype: 'int32' })([nd.array([1.5, 2]), nd.array([3, 4])]) as nd.NDArray).dtype, 'int32');
    assert.throws(() => batchify.Stack()([nd.zeros([2]), nd.zeros([3])]), /sample 1 has shape \[3\] \(float32\) but sample 0 has \[2\] \(float32\)/);
    // Typed-array samples keep their dtype, the 16- to 64-bit integers too (values exact).
    for (const [samples, dtype] of [[[Int16Array.of(-32768, 2), Int16Array.of(3, 32767)], 'int16'], [[Uint16Array.of(1, 2), Uint16Array.of(3, 65535)], 'uint16'],
      [[Uint32Array.of(1, 2), Uint32Array.of(3, 4294967295)], 'uint32'], [[BigUint64Array.of(1n, 2n), BigUint64Array.of(3n, 2n ** 64n - 1n)], 'uint64']] as const) {
      const y = batchify.Stack()(samples as never) as nd.NDArray;
      assert.equal(y.dtype, dtype);
      assert.deepEqual(Array.from(y.data() as ArrayLike<number | bigint>, String), [...samples[0], ...samples[1]].map(String));
    }
  });
});
