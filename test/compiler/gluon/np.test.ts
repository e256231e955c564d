/**
 * np and npx: numpy's names and semantics as views over the operator list,
 * checked against numpy (float64) on the same inputs; their dispatch on
 * symbols; and Gluon 2 style blocks (a `forward` of np/npx calls) eager,
 * hybridized and differentiated.
 */
import assert from 'node:assert/strict';
import { autograd, context, gluon, init, nd, np, npx, profiler, random, sym } from 'gluonc';
import { cudaProviderInstalled } from '../../../runtime/ort.js';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';
import { plainShape } from 'gluonc/compiler';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const input = (x: NDArray) => ({ shape: x.shape as number[], dtype: x.dtype.startsWith('float') ? 'float64' : x.dtype, data: flat(x) });

/** Compares each case's result with its numpy expression over the same inputs (a, b, ...). */
function againstNumpy(cases: [string, NDArray[], NDArray, string][]): void {
  const refs = numpyRefs(cases.map(([, ins, , code]) => ({ code, inputs: ins.map(input) })));
  cases.forEach(([what, , got, code], i) => {
    const r = refs[i]!;
    assert.ok(!r.error, `${what}: numpy failed: ${r.error}`);
    assert.deepEqual(got.shape, r.outs[0]!.shape, `${what}: shape vs numpy (${code})`);
    assertClose(flat(got), r.outs[0]!.data, `${what} vs numpy (${code})`, 1e-5, 1e-5);
  });
}

describe('np (numpy semantics)', () => {
  before(() => random.seed(7));

  it('dot follows numpy for every rank combination, including N-D right operands and 0-d', () => {
    const u = (...s: number[]) => np.random.uniform(-1, 1, s);
    const pairs: [NDArray, NDArray][] = [[u(3, 4), u(4, 5)], [u(4), u(4)], [u(2, 3), u(3)], [u(3), u(3, 2)], [u(2, 3, 4), u(5, 4, 6)], [u(2, 3, 4), u(4, 2)], [u(2, 2), u()]];
    againstNumpy(pairs.map(([a, b]) => [`dot [${a.shape}]·[${b.shape}]`, [a, b], np.dot(a, b), 'np.dot(a, b)']));
  });

  it('reductions over every axis have shape [] (as MXNet 2 np, numpy); axis and keepdims as numpy', () => {
    const x = np.random.uniform(-2, 2, [3, 4]);
    againstNumpy([
      ['mean', [x], np.mean(x), 'np.mean(a)'],
      ['sum', [x], np.sum(x), 'np.sum(a)'],
      ['method mean', [x], x.mean(), 'a.mean()'],
      ['max axis 0', [x], np.max(x, { axis: 0 }), 'np.max(a, axis=0)'],
      ['min keepdims', [x], np.min(x, { axis: 1, keepdims: true }), 'np.min(a, axis=1, keepdims=True)'],
      ['prod', [x], np.prod(x, { axis: [0, 1] }), 'np.prod(a, axis=(0, 1))'],
      ['norm', [x], np.linalg.norm(x), 'np.linalg.norm(a)'],
    ]);
    assert.deepEqual(np.mean(x).shape, []);
  });

  it('broadcasting arithmetic and element-wise functions', () => {
    const a = np.random.uniform(0.5, 2, [2, 1, 3]);
    const b = np.random.uniform(0.5, 2, [4, 1]);
    againstNumpy([
      ['add', [a, b], np.add(a, b), 'a + b'],
      ['subtract', [a, b], np.subtract(a, b), 'a - b'],
      ['multiply', [a, b], np.multiply(a, b), 'a * b'],
      ['divide', [a, b], np.divide(a, b), 'a / b'],
      ['power', [a, b], np.power(a, b), 'a ** b'],
      ['maximum scalar', [a], np.maximum(np.subtract(a, 1), 0), 'np.maximum(a - 1, 0)'],
      ['exp log sqrt', [a], np.sqrt(np.log(np.exp(a))), 'np.sqrt(a)'],
      ['clip', [a], np.clip(a, 0.8, 1.5), 'np.clip(a, 0.8, 1.5)'],
      ['where', [a, b], np.where(np.greater(a, 1), a, b), 'np.where(a > 1, a, b)'],
    ]);
  });

  it('comparisons return bool, argmax/argmin/argsort int64, as numpy', () => {
    const a = np.array([[1, 3, 3, 0], [2, 2, 5, -1]]);
    const b = np.array([2, 3, 0, 0]);
    const cases: [string, NDArray[], NDArray, string][] = [
      ['greater', [a, b], np.greater(a, b), 'a > b'],
      ['less', [a, b], np.less(a, b), 'a < b'],
      ['equal', [a, b], np.equal(a, b), 'a == b'],
      ['notEqual', [a, b], np.notEqual(a, b), 'a != b'],
      ['greaterEqual', [a, b], np.greaterEqual(a, b), 'a >= b'],
      ['lessEqual', [a, b], np.lessEqual(a, b), 'a <= b'],
      ['argmax (ties: first)', [a], np.argmax(a, { axis: 1 }), 'np.argmax(a, axis=1)'],
      ['argmin flattened', [a], np.argmin(a), 'np.argmin(a)'],
      ['argsort (stable)', [a], np.argsort(a), 'np.argsort(a, kind="stable")'],
      ['sort axis 0', [a], np.sort(a, 0), 'np.sort(a, axis=0)'],
    ];
    againstNumpy(cases);
    for (const [what, , got] of cases.slice(0, 6)) assert.equal(got.dtype, 'bool', what);
    for (const [what, , got] of cases.slice(6, 9)) assert.equal(got.dtype, 'int64', what);
  });

  it('argmax/argmin past 2^24 elements give the exact int64 index (float32 indices would round 2^24 + 1 to 2^24), eager and hybridized', () => {
    const n = 2 ** 24 + 2;
    const d = new Float32Array(n);
    d[n - 1] = 5;
    d[n - 2] = -5;
    const x = np.array(d);
    // The largest is at 2^24 + 1 and the smallest at 2^24 (numpy: np.argmax / np.argmin of this array).
    assert.deepEqual(Array.from(np.argmax(x).data() as BigInt64Array), [BigInt(2 ** 24 + 1)]);
    assert.deepEqual(Array.from(np.argmin(x).data() as BigInt64Array), [BigInt(2 ** 24)]);
    class ArgMax extends gluon.HybridBlock {
      override forward(v: NDArray) {
        return np.argmax(v, { axis: 0, keepdims: true });
      }
    }
    const net = new ArgMax();
    net.hybridize();
    const got = net.call(x) as NDArray;
    assert.equal(got.dtype, 'int64');
    assert.deepEqual(Array.from(got.data() as BigInt64Array), [BigInt(2 ** 24 + 1)]);
  });

  it('divide of integers is true division in float32 (MXNet 2 np.divide); squeeze of all-1 axes gives [] (numpy), eager and traced', () => {
    const i = np.array([7, -7, 7, -7, 0], { dtype: 'int32' });
    const j = np.array([2, 2, -2, -2, 3], { dtype: 'int32' });
    const ones = np.ones([1, 1]);
    const col = np.ones([3, 1]);
    const cases: [string, NDArray[], NDArray, string][] = [
      ['divide int32 arrays', [i, j], np.divide(i, j), 'np.divide(a, b)'],
      ['divide int32 by an integer number', [i], np.divide(i, 4), 'np.divide(a, 4)'],
      ['trueDivide', [i, j], np.trueDivide(i, j), 'np.true_divide(a, b)'],
      ['squeeze [1, 1]', [ones], np.squeeze(ones), 'np.squeeze(a)'],
      ['squeeze [1, 1] axis list', [ones], np.squeeze(ones, [0, -1]), 'np.squeeze(a, axis=(0, -1))'],
      ['squeeze [1, 1] one axis', [ones], np.squeeze(ones, { axis: 1 }), 'np.squeeze(a, axis=1)'],
      ['squeeze [3, 1]', [col], np.squeeze(col), 'np.squeeze(a)'],
    ];
    againstNumpy(cases);
    assert.equal(cases[0]![2].dtype, 'float32');
    const x = sym.var('x', { shape: [5], dtype: 'int32' });
    const y = sym.var('y', { shape: [5], dtype: 'int32' });
    const traced = np.divide(x, y);
    assert.equal(traced.dtype, 'float32');
    assertClose(flat(traced.eval({ x: i, y: j }) as NDArray), flat(cases[0]![2]), 'traced divide vs eager');
    const z = sym.var('z', { shape: [1, 1] });
    assert.deepEqual(np.squeeze(z).shape, []);
    assert.throws(() => np.squeeze(ones, 2), /squeeze: axis 2 is out of range for rank 2/);
  });

  it("a non-integer number with an integer array computes in float64 (MXNet 2's NumpyBinaryScalarType, numpy); a bool array with an integer number in int64", () => {
    const i = np.array([0, 1, 3, -2], { dtype: 'int32' });
    const b = np.array([1, 0, 1, 1], { dtype: 'bool' });
    const cases: [string, NDArray[], NDArray, string][] = [
      ['divide by 0.5', [i], np.divide(i, 0.5), 'np.divide(a, 0.5)'],
      ['divide by 2.5', [i], np.divide(i, 2.5), 'np.divide(a, 2.5)'],
      ['2.5 divided by', [np.array([1, 2, 4], { dtype: 'int32' })], np.divide(2.5, np.array([1, 2, 4], { dtype: 'int32' })), 'np.divide(2.5, a)'],
      ['add 0.5', [i], np.add(i, 0.5), 'np.add(a, 0.5)'],
      ['multiply 0.5', [i], np.multiply(i, 0.5), 'np.multiply(a, 0.5)'],
      ['1.5 minus', [i], np.subtract(1.5, i), 'np.subtract(1.5, a)'],
      ['power 0.5', [np.array([0, 1, 3], { dtype: 'int64' })], np.power(np.array([0, 1, 3], { dtype: 'int64' }), 0.5), 'np.power(a, 0.5)'],
      ['maximum 0.5', [i], np.maximum(i, 0.5), 'np.maximum(a, 0.5)'],
      ['equal 0.5', [i], np.equal(i, 0.5), 'np.equal(a, 0.5)'],
      ['less 0.5', [i], np.less(i, 0.5), 'np.less(a, 0.5)'],
      ['bool plus 1', [b], np.add(b, 1), 'np.add(a, 1)'],
      ['bool times 2', [b], np.multiply(b, 2), 'np.multiply(a, 2)'],
      ['int plus an integer number stays int32', [i], np.add(i, 2), 'np.add(a, 2).astype(np.int32)'],
      ['float32 times 0.5 stays float32', [np.array([1, 2])], np.multiply(np.array([1, 2]), 0.5), 'np.multiply(a, 0.5)'],
    ];
    againstNumpy(cases);
    const dtypes = cases.map(([what, , got]) => [what, got.dtype]);
    assert.deepEqual(dtypes, [
      ['divide by 0.5', 'float64'], ['divide by 2.5', 'float64'], ['2.5 divided by', 'float64'], ['add 0.5', 'float64'],
      ['multiply 0.5', 'float64'], ['1.5 minus', 'float64'], ['power 0.5', 'float64'], ['maximum 0.5', 'float64'],
      ['equal 0.5', 'bool'], ['less 0.5', 'bool'], ['bool plus 1', 'int64'], ['bool times 2', 'int64'],
      ['int plus an integer number stays int32', 'int32'], ['float32 times 0.5 stays float32', 'float32'],
    ]);
    // Traced, the same rule (the symbol knows its dtype).
    const x = sym.var('x', { shape: [4], dtype: 'int32' });
    const y = np.multiply(x, 0.5);
    assert.equal(y.dtype, 'float64');
    assertClose(flat(y.eval({ x: i }) as NDArray), [0, 0.5, 1.5, -1], 'traced multiply by 0.5');
  });

  // An integer number outside the array's dtype took that dtype wrapped: np.equal(int8, 300) compared with 44
  // (true for 44s), np.add(uint8, -1) gave 255 for 0. numpy 2 compares exactly (and refuses the arithmetic).
  it('an integer number outside an integer array\'s range computes in int64 (comparisons exact, as numpy 2), never wrapped', () => {
    const i8 = np.array([44, 1, -128], { dtype: 'int8' });
    const u8 = np.array([0, 5, 255], { dtype: 'uint8' });
    const cases: [string, NDArray[], NDArray, string][] = [
      ['int8 equal 300', [i8], np.equal(i8, 300), 'np.equal(a, 300)'],
      ['int8 less 300', [i8], np.less(i8, 300), 'np.less(a, 300)'],
      ['uint8 greater -1', [u8], np.greater(u8, -1), 'np.greater(a, -1)'],
      ['int8 plus 300', [i8], np.add(i8, 300), 'a.astype(np.int64) + 300'],
      ['uint8 plus -1', [u8], np.add(u8, -1), 'a.astype(np.int64) - 1'],
      ['300 minus int8', [i8], np.subtract(300, i8), '300 - a.astype(np.int64)'],
      ['int8 plus 100 stays int8 (wraps as numpy)', [i8], np.add(i8, 100), 'np.add(a, np.int8(100))'],
    ];
    againstNumpy(cases);
    assert.deepEqual(cases.map(([, , got]) => got.dtype), ['bool', 'bool', 'bool', 'int64', 'int64', 'int64', 'int8']);
  });

  it("sum of a bool array counts in int64 and mean of an integer array is float32 (MXNet 2's NumpySumType, NumpyMeanType); they were refused", () => {
    const a = np.array([[-1, 2, 3], [4, -5, 6]]);
    const i = np.array([[1, 2, 4], [7, 7, 8]], { dtype: 'int32' });
    const count = np.sum(np.greater(a, 0));
    const rows = np.sum(np.less(a, 0), { axis: 1 });
    const m = np.mean(i);
    const mk = np.mean(i, { axis: 0, keepdims: true });
    againstNumpy([
      ['count of positives', [a], count, 'np.sum(a > 0)'],
      ['negatives per row', [a], rows, 'np.sum(a < 0, axis=1)'],
      ['mean of int32', [i], m, 'np.mean(a)'],
      ['mean of int32 axis 0 keepdims', [i], mk, 'np.mean(a, axis=0, keepdims=True)'],
    ]);
    assert.deepEqual([count.dtype, rows.dtype, m.dtype, mk.dtype], ['int64', 'int64', 'float32', 'float32']);
    assert.equal(np.sum(i).dtype, 'int32', 'an int32 sum stays int32 (MXNet 2)');
    assert.equal((np.mean(sym.var('x', { shape: [3], dtype: 'int64' })) as sym.Symbol).dtype, 'float32');
  });

  it("take follows numpy (MXNet 2's np.take): no axis flattens, mode 'raise' by default", () => {
    const a = np.array([[1, 2, 3], [4, 5, 6]]);
    const idx = np.array([0, 4, -1], { dtype: 'int64' });
    againstNumpy([
      ['take flattened', [a, idx], np.take(a, idx), 'np.take(a, b)'],
      ['take axis 1 with a negative index', [a, np.array([2, -1, 0], { dtype: 'int64' })], np.take(a, np.array([2, -1, 0], { dtype: 'int64' }), { axis: 1 }), 'np.take(a, b, axis=1)'],
      ['take axis 1 clip', [a, np.array([0, 7], { dtype: 'int64' })], np.take(a, np.array([0, 7], { dtype: 'int64' }), { axis: 1, mode: 'clip' }), 'np.take(a, b, axis=1, mode="clip")'],
      ['take axis 0 wrap', [a, np.array([3, -3], { dtype: 'int64' })], np.take(a, np.array([3, -3], { dtype: 'int64' }), { axis: 0, mode: 'wrap' }), 'np.take(a, b, axis=0, mode="wrap")'],
    ]);
    assert.throws(() => np.take(a, np.array([6], { dtype: 'int64' })), /take: index 6 is out of range for an axis of size 6 \(mode 'raise' takes \[-6, 5\]\)/);
    assert.throws(() => np.take(a, np.array([3], { dtype: 'int64' }), { axis: 1 }), /take: index 3 is out of range for an axis of size 3/);
  });

  it('shape functions take numpy defaults (axis 0) and refuse MXNet reshape codes', () => {
    const a = np.random.uniform(-1, 1, [2, 3]);
    const b = np.random.uniform(-1, 1, [2, 3]);
    const [s0, s1] = np.split(np.arange(0, 6), 2);
    againstNumpy([
      ['concatenate', [a, b], np.concatenate([a, b]), 'np.concatenate([a, b])'],
      ['concatenate axis 1', [a, b], np.concatenate([a, b], { axis: 1 }), 'np.concatenate([a, b], axis=1)'],
      ['stack', [a, b], np.stack([a, b]), 'np.stack([a, b])'],
      ['reshape -1', [a], np.reshape(a, [3, -1]), 'np.reshape(a, (3, -1))'],
      ['transpose', [a], np.transpose(a), 'np.transpose(a)'],
      ['expandDims', [a], np.expandDims(a, 1), 'np.expand_dims(a, 1)'],
      ['split part 1', [], s1!, 'np.split(np.arange(6.0), 2)[1]'],
      ['split part 0', [], s0!, 'np.split(np.arange(6.0), 2)[0]'],
      // numpy's ravel (what d2l's MF does with `outputs.flatten()` on an mx.np array): 1-D, also from 1-D and 0-d
      ['ravel', [a], np.ravel(a), 'np.ravel(a)'],
      ['ravel 1-D', [s0!], np.ravel(s0!), 'np.ravel(a)'],
      ['ravel 0-d', [], np.ravel(np.array(3)), 'np.ravel(np.array(3.0))'],
    ]);
    // the method flatten() is MXNet's Flatten ([d0, d1·…]): a 1-D array becomes [N, 1], np.ravel stays [N]
    assert.deepEqual(np.arange(0, 3).flatten().shape, [3, 1]);
    assert.deepEqual(np.ravel(np.arange(0, 3)).shape, [3]);
    assert.throws(() => np.reshape(a, [-2, 3]), /np\.reshape: newshape \[-2,3\] must hold non-negative integers and at most one -1 \(MXNet 2's codes -2 to -6 are npx\.reshape's, MXNet 1's nd\.reshape's\)/);
    assert.throws(() => np.reshape(a, [-1, -1]), /np\.reshape: newshape \[-1,-1\]/);
    // numpy's 0 is an empty dimension (MXNet 1's "copy" is nd.reshape's): only an empty array takes it.
    assert.throws(() => np.reshape(a, [0, 6]), /np\.reshape: cannot reshape an array of 6 elements \(shape \[2, 3\]\) into \[0,6\]/);
    assert.deepEqual(a.reshape([0, -1]).shape, [2, 3]);
  });

  it("npx.reshape takes MXNet 2's codes (-2 copy, -3 drop a 1, -4 the rest, -5 merge, -6 split, reverse): the shapes of MXNet 2's docstring, eager and hybridized", () => {
    // python/mxnet/_numpy_op_doc.py (_npx_reshape) and NumpyXReshapeInferShape in src/operator/numpy/np_matrix_op.cc.
    const cases: [number[], number[], boolean, number[]][] = [
      [[2, 3, 8], [-2, -2, 2, -1], false, [2, 3, 2, 4]],
      [[2, 3, 8], [-2, -1], false, [2, 24]],
      [[8, 3, 3, 3, 4, 4], [-6, 2, -1, -4], false, [2, 4, 3, 3, 3, 4, 4]],
      [[8, 3, 3, 3, 4, 4], [-5, -4], false, [24, 3, 3, 4, 4]],
      [[8, 1, 1, 1, 3], [-2, -3, -3, -3, -2], false, [8, 3]],
      [[8, 3, 3, 3, 3, 8], [-4, -5], true, [8, 3, 3, 3, 24]],
      [[8, 3, 2, 4, 8], [-4, -1, 2, -6], true, [8, 3, 2, 4, 4, 2]],
    ];
    for (const [shape, newshape, reverse, want] of cases) {
      const x = np.arange(shape.reduce((p, d) => p * d, 1)).reshape(shape);
      const y = npx.reshape(x, newshape, { reverse });
      assert.deepEqual(y.shape, want, `${JSON.stringify(shape)} by ${JSON.stringify(newshape)}${reverse ? ' reverse' : ''}`);
      assert.deepEqual(Array.from(y.data() as Float32Array), Array.from(x.data() as Float32Array), 'the elements in order');
      class R extends gluon.HybridBlock {
        override forward(v: NDArray) {
          return npx.reshape(v, newshape, { reverse });
        }
      }
      const r = new R();
      r.hybridize();
      assert.deepEqual((r.call(x) as NDArray).shape, want, `hybridized ${JSON.stringify(newshape)}`);
    }
    assert.throws(() => npx.reshape(np.ones([2, 3]), [-3, -1]), /npx\.reshape: -3 drops a dimension of size 1, but axis 0 has size 2/);
    assert.throws(() => npx.reshape(np.ones([2, 3]), [0, -1]), /npx\.reshape: newshape \[0,-1\] holds 0/);
  });

  it("reshape takes numpy's 0 (an empty dimension) for empty arrays, eagerly and hybridized", () => {
    const e = np.zeros([0, 6]);
    againstNumpy([
      ['reshape [0, 3]', [e], np.reshape(e, [0, 3]), 'np.reshape(a, (0, 3))'],
      ['reshape [3, 0]', [e], np.reshape(e, [3, 0]), 'np.reshape(a, (3, 0))'],
      ['reshape [2, 0, 5]', [e], np.reshape(e, [2, 0, 5]), 'np.reshape(a, (2, 0, 5))'],
      ['reshape [-1, 3] of an empty array', [e], np.reshape(e, [-1, 3]), 'np.reshape(a, (-1, 3))'],
    ]);
    // numpy: "cannot reshape array of size 0 into shape (0,newaxis)".
    assert.throws(() => np.reshape(e, [0, -1]), /np\.reshape: newshape \[0,-1\] holds both 0 and -1/);
    class Flat extends gluon.HybridBlock {
      override forward(x: NDArray): NDArray {
        return np.reshape(x, [0, 3]) as NDArray;
      }
    }
    const f = new Flat();
    f.hybridize();
    const y = f.call(np.zeros([0, 6], { dtype: 'int32' })) as NDArray;
    assert.deepEqual([y.shape, y.dtype], [[0, 3], 'int32']);
  });

  it('creation: zeros, ones, full, arange (float32 by default, as MXNet np) and seeded random draws', () => {
    assert.deepEqual(np.zeros([2, 3]).toArray(), [[0, 0, 0], [0, 0, 0]]);
    assert.deepEqual(np.ones([2]).toArray(), [1, 1]);
    assert.deepEqual(np.full([2], 7, { dtype: 'int32' }).toArray(), [7, 7]);
    assert.deepEqual(np.arange(1, 7, 2).toArray(), [1, 3, 5]);
    assert.equal(np.zeros([1]).dtype, 'float32');
    random.seed(3);
    const u = np.random.uniform(-2, 5, [4, 8]);
    assert.deepEqual(u.shape, [4, 8]);
    assert.ok(flat(u).every((v) => v >= -2 && v < 5));
    random.seed(3);
    assert.deepEqual(flat(np.random.uniform(-2, 5, [4, 8])), flat(u));
    assert.deepEqual(np.random.uniform().shape, [], 'size omitted: one value of shape []');
    assert.deepEqual(np.random.normal(0, 1, 3).shape, [3]);
    assert.equal(np.random.randint(0, 5, [2]).dtype, 'int64');
  });
});

describe('npx (MXNet extension operators)', () => {
  it('are the operators of the list (the same functions as nd)', () => {
    assert.equal(npx.relu, nd.relu);
    // npx.logSoftmax, npx.softmax and npx.pooling take MXNet 2's positional order (positional-conv.test.ts), so they wrap nd's.
    assert.notEqual(npx.logSoftmax, nd.logSoftmax);
    assert.equal(npx.fullyConnected, nd.FullyConnected);
    assert.equal(npx.sequenceMask, nd.SequenceMask);
    assert.equal(np.abs, nd.abs);
    // np's float functions cast integers to float32 first (numpy's rule), so they wrap nd's.
    assert.notEqual(np.exp, nd.exp);
  });

  it('match numpy: relu, sigmoid, softmax, logSoftmax, oneHot, pick, topk, sequenceMask', () => {
    const x = np.random.uniform(-3, 3, [3, 4]);
    const lens = np.array([2, 0, 1, 3]);
    againstNumpy([
      ['relu', [x], npx.relu(x), 'np.maximum(a, 0)'],
      ['sigmoid', [x], npx.sigmoid(x), '1 / (1 + np.exp(-a))'],
      ['softmax', [x], npx.softmax(x), 'np.exp(a) / np.exp(a).sum(-1, keepdims=True)'],
      ['logSoftmax axis 0', [x], npx.logSoftmax(x, { axis: 0 }), 'a - np.log(np.exp(a).sum(0, keepdims=True))'],
      ['oneHot', [lens], npx.oneHot(lens, 4), 'np.eye(4)[a.astype(int)]'],
      ['pick', [x, np.array([0, 3, 1])], npx.pick(x, np.array([0, 3, 1])), 'a[np.arange(3), b.astype(int)]'],
      ['topk values', [x], npx.topk(x, { k: 2, retTyp: 'value' }) as NDArray, '-np.sort(-a, axis=-1)[:, :2]'],
      ['sequenceMask', [x, lens], npx.sequenceMask(x, lens, { useSequenceLength: true, value: -1 }), 'np.where(np.arange(3)[:, None] < b[None, :], a, -1)'],
    ]);
  });

  it('setNp and resetNp are accepted for ported code', () => {
    npx.setNp();
    npx.resetNp();
  });
});

describe('np/npx on symbols (hybridized code)', () => {
  it('build graph nodes when given symbols, with the same values as eagerly', () => {
    const x = sym.var('x', { shape: ['N', 3, 4] });
    const w = sym.var('w', { shape: [5, 4, 2] });
    const y = npx.relu(np.dot(x, w)) as sym.Symbol;
    assert.deepEqual(plainShape(y.shape), ['N', 3, 5, 2]);
    const xv = np.random.uniform(-1, 1, [2, 3, 4]);
    const wv = np.random.uniform(-1, 1, [5, 4, 2]);
    assertClose(flat(y.eval({ x: xv, w: wv }) as NDArray), flat(npx.relu(np.dot(xv, wv))), 'symbolic vs eager');
    assert.deepEqual((np.mean(x) as sym.Symbol).shape, []);
    assert.equal((np.greater(x, 0) as sym.Symbol).dtype, 'bool');
  });
});

/** d2l's MyDense in Gluon 2 style: `forward` with np/npx and `.data()`. */
class MyDense extends gluon.HybridBlock {
  weight: gluon.Parameter;
  bias: gluon.Parameter;
  constructor(units: number, inUnits: number) {
    super();
    this.weight = this.params.get('weight', { shape: [inUnits, units] });
    this.bias = this.params.get('bias', { shape: [units] });
  }
  override forward(x: nd.NDArray): nd.NDArray {
    return npx.relu(np.dot(x, this.weight.data()).add(this.bias.data()));
  }
}

describe('Gluon 2 style blocks (forward with np/npx)', () => {
  function net(): gluon.HybridBlock {
    random.seed(11);
    const n = new gluon.nn.HybridSequential();
    n.add(new MyDense(8, 6), new MyDense(2, 8));
    n.initialize(new init.Uniform(0.5));
    return n;
  }

  it('eager output matches numpy; hybridized output and parameter gradients match eager', () => {
    const x = np.random.uniform(0, 1, [3, 6]);
    const eager = net();
    const p = eager.collectParams();
    const ref = numpyRefs([{
      code: 'np.maximum(np.maximum(a @ b + c, 0) @ d + e, 0)',
      inputs: [x, ...['0.weight', '0.bias', '1.weight', '1.bias'].map((k) => p.get(k).data())].map(input),
    }])[0]!;
    const yEager = eager.call(x) as NDArray;
    assertClose(flat(yEager), ref.outs[0]!.data, 'eager MyDense net vs numpy');
    const lossE = autograd.record(() => (eager.call(x) as NDArray).square().sum());
    lossE.backward();

    const hybrid = net();
    hybrid.hybridize();
    const yHybrid = hybrid.call(x) as NDArray;
    assertClose(flat(yHybrid), flat(yEager), 'hybridized vs eager');
    const lossH = autograd.record(() => (hybrid.call(x) as NDArray).square().sum());
    lossH.backward();
    for (const k of p.keys()) {
      assertClose(flat(hybrid.collectParams().get(k).grad()), flat(p.get(k).grad()), `gradient of ${k}, hybridized vs eager`);
      assert.ok(flat(p.get(k).grad()).some((v) => v !== 0), `${k} gets a gradient`);
    }
  });

  it('hybridized, parameters stay parameters: a changed weight changes the output', () => {
    const n = net();
    n.hybridize();
    const x = np.ones([1, 6]);
    const before = flat(n.call(x) as NDArray);
    const w = n.collectParams().get('1.bias');
    w.setData(w.data().add(1));
    const after = flat(n.call(x) as NDArray);
    assertClose(after, before.map((v) => v + 1), 'bias + 1 shifts the (positive) outputs by 1');
  });

  it('a Trainer step through the compiled graph changes the weights', () => {
    const n = net();
    n.hybridize();
    const x = np.random.uniform(0, 1, [4, 6]);
    const trainer = new gluon.Trainer(n.collectParams(), 'sgd', { learningRate: 0.1 });
    const w0 = flat(n.collectParams().get('0.weight').data());
    const loss = autograd.record(() => (n.call(x) as NDArray).sum());
    loss.backward();
    trainer.step(4);
    assert.notDeepEqual(flat(n.collectParams().get('0.weight').data()), w0);
  });

  it('deferred parameter shapes are solved through np.dot, eager and hybridized', () => {
    class LazyDense extends gluon.HybridBlock {
      weight = this.params.get('weight', { shape: [0, 4], allowDeferredInit: true });
      override forward(x: nd.NDArray): nd.NDArray {
        return np.dot(x, this.weight.data());
      }
    }
    const b = new LazyDense();
    b.initialize(new init.One());
    const x = np.ones([2, 3]);
    assert.deepEqual((b.call(x) as NDArray).toArray(), [[3, 3, 3, 3], [3, 3, 3, 3]]);
    assert.deepEqual(b.weight.shape, [3, 4]);
    const h = new LazyDense();
    h.initialize(new init.One());
    h.hybridize();
    assert.deepEqual((h.call(x) as NDArray).toArray(), [[3, 3, 3, 3], [3, 3, 3, 3]]);
  });

  it('a forward that reads values fails when traced, and p.data() is an array again afterwards', () => {
    class Reads extends gluon.HybridBlock {
      w = this.params.get('w', { shape: [2] });
      override forward(x: nd.NDArray): nd.NDArray {
        return x.item() > 0 ? x.mul(this.w.data()) : x;
      }
    }
    const b = new Reads();
    b.initialize(new init.One());
    b.hybridize();
    assert.throws(() => b.call(np.ones([2])), /^.*item: a symbol has no values while a hybridized block is traced/);
    assert.deepEqual(b.w.data().toArray(), [1, 1]);
  });

  it('np/npx also work inside hybridForward, eager and traced', () => {
    class Scaled extends gluon.HybridBlock {
      override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
        return npx.sigmoid(np.multiply(x, np.mean(x)));
      }
    }
    const b = new Scaled();
    const x = np.array([[1, 2], [3, 4]]);
    const e = flat(b.call(x) as NDArray);
    b.hybridize();
    assertClose(flat(b.call(x) as NDArray), e, 'hybridized vs eager');
    assertClose(e, [1, 2, 3, 4].map((v) => 1 / (1 + Math.exp(-v * 2.5))), 'sigmoid(x * mean(x))');
  });
});

describe("d2l's array idioms: x.T and swapaxes", () => {
  it('x.T reverses the axes (numpy), eager and in a hybridized forward; np.swapaxes and x.swapaxes against numpy', () => {
    random.seed(3);
    const x = np.random.uniform(-1, 1, [2, 3, 4]);
    againstNumpy([
      ['x.T', [x], x.T, 'a.T'],
      ['x.T of a matrix', [x.reshape([6, 4])], x.reshape([6, 4]).T, 'a.T'],
      ['np.swapaxes(x, 0, 1)', [x], np.swapaxes(x, 0, 1), 'np.swapaxes(a, 0, 1)'],
      ['x.swapaxes(-1, 0)', [x], x.swapaxes(-1, 0), 'np.swapaxes(a, -1, 0)'],
      ['nd.swapaxes by name', [x], nd.swapaxes(x, { dim1: 2, dim2: 1 }), 'np.swapaxes(a, 2, 1)'],
    ]);
    assert.deepEqual(np.array(5).T.shape, []);
    class B extends gluon.HybridBlock {
      override forward(v: NDArray) {
        return npx.oneHot(v.T, 5).swapaxes(0, 1);   // d2l's one_hot(X.T, 28), then a swap
      }
    }
    const b = new B();
    const idx = np.array([[0, 1, 2], [4, 3, 2]]);
    const e = b.call(idx) as NDArray;
    b.hybridize();
    assert.deepEqual((b.call(idx) as NDArray).toArray(), e.toArray());
    assert.deepEqual(e.shape, [2, 3, 5]);
    assert.deepEqual(flat(e).reduce((s, v) => s + v, 0), 6);
    assert.throws(() => x.swapaxes(0, 3), /swapaxes: .*axis 3/);
  });
});

describe("npx's contexts (d2l's try_gpu)", () => {
  it('npx.cpu, npx.gpu and npx.numGpus are the contexts and the count of CUDA devices this build can use', () => {
    assert.equal(String(npx.cpu()), 'cpu(0)');
    assert.equal(String(npx.gpu()), 'gpu(0)');
    assert.equal(npx.numGpus(), cudaProviderInstalled() ? 1 : 0);
    const tryGpu = (i = 0) => (npx.numGpus() >= i + 1 ? npx.gpu(i) : npx.cpu());
    assert.equal(String(tryGpu(1)), 'cpu(0)');
    assert.equal(String(context.withContext(npx.cpu(), () => context.currentContext())), 'cpu(0)');
  });
});

describe("numpy's axis positionally (d2l's np.concatenate((X, context), 2))", () => {
  it('np.concatenate, np.stack and np.split take the axis as argument 2 or 3, as numpy does', () => {
    const x = np.arange(0, 6).reshape([1, 2, 3]);
    assert.deepEqual(np.concatenate([x, x], 2).toArray(), np.concatenate([x, x], { axis: 2 }).toArray());
    assert.deepEqual(np.concatenate([x, x], 2).shape, [1, 2, 6]);
    assert.deepEqual(np.stack([x, x], 1).shape, [1, 2, 2, 3]);
    assert.deepEqual(np.split(np.arange(0, 6).reshape([2, 3]), 3, 1).map((a) => a.shape), [[2, 1], [2, 1], [2, 1]]);
    assert.throws(() => np.concatenate([x, x], { axes: 2 } as never), /np\.concatenate: unknown option 'axes'/);
  });

  it("npx.topk's type follows retTyp: one array for 'indices'/'value'/'mask', a list for 'both' (d2l's get_similar_tokens calls .toArray() on it)", () => {
    const cos = np.array([0.1, 0.9, 0.5, 0.7]);
    const idx = npx.topk(cos, { k: 3, retTyp: 'indices' });
    assert.deepEqual(idx.toArray(), [1, 3, 2]);
    assert.deepEqual(npx.topk(cos, { k: 1 }).toArray(), [1]);
    const [v, i] = npx.topk(cos, { k: 2, retTyp: 'both' });
    assert.deepEqual([v!.shape, i!.shape], [[2], [2]]);
    assertClose(tensorToNumbers(v!._host), [0.9, 0.7], 'values', 1e-7, 1e-7);
    assert.deepEqual((npx.topk(cos, -1, 2) as NDArray).toArray(), [1, 3]);   // MXNet's positional order: axis, k
  });

  it("npx.waitall() and x.waitToRead() (MXNet's waitall, wait_to_read; d2l's benchmarks) run pending computations; the values and the gradient are those computed later", () => {
    const x = np.array([1, 2, 3]);
    x.attachGrad();
    const y = autograd.record(() => x.mul(x).sum());
    const z = autograd.record(() => x.mul(2));
    assert.ok(y._pending && z._pending, 'recorded operators on x are deferred');
    y.waitToRead();
    assert.ok(!y._pending && z._pending, 'waitToRead runs only what y needs');
    npx.waitall();
    assert.ok(!z._pending, 'waitall runs every pending operator');
    assert.deepEqual([y.item(), z.toArray()], [14, [2, 4, 6]]);
    y.backward();
    assert.deepEqual(x.grad.toArray(), [2, 4, 6]);
    assert.equal(nd.waitall(), undefined);
  });

  it("npx.waitall() also runs a hybridized block's recorded forward and backward that wait for trainer.step (the deferred step program), once", () => {
    const net = new gluon.nn.Dense(2, { inUnits: 3 });
    net.initialize(new init.One());
    net.hybridize();
    const x = nd.array([[1, 2, 3], [-1, 0, 4]]);
    // The call's output is the head (no eager operator reads it), so the call and its backward stay deferred.
    autograd.record(() => net.call(x) as NDArray).backward(nd.ones([2, 2]));
    const before = profiler.counters().sessionRuns;
    npx.waitall();
    const after = profiler.counters().sessionRuns;
    assert.ok(after > before, 'waitall ran the pending step program');
    nd.waitall();
    assert.equal(profiler.counters().sessionRuns, after, 'nothing is left to run');
    // d sum(x·Wᵀ + b) / dW = column sums of x per output row; / db = the batch size.
    assert.deepEqual(net.weight.grad().toArray(), [[0, 2, 7], [0, 2, 7]]);
    assert.deepEqual(net.bias!.grad().toArray(), [2, 2]);
  });

  it("repeat of a 0-d array along axis 0 (or -1) reads it as 1-d, as numpy: np.repeat(np.array(7), 2, axis=0) is [7, 7] (d2l's 0-d valid_len repeated per head); eager, traced and its gradient", () => {
    const v = np.array(7);
    v.attachGrad();
    const y = autograd.record(() => v.repeat(3, { axis: 0 }));
    assert.deepEqual([y.shape, y.toArray()], [[3], [7, 7, 7]]);
    y.backward(np.array([1, 2, 4]));
    assert.equal(v.grad.item(), 7);
    assert.deepEqual(np.repeat(v, 2, -1).toArray(), [7, 7]);
    assert.deepEqual((sym.var('v', { shape: [] }).repeat(2, { axis: 0 }).eval({ v: np.array(5) }) as NDArray).toArray(), [5, 5]);
    assert.throws(() => v.repeat(2, { axis: 1 }), /repeat: axis 1 is out of range for rank 0/);
  });
});
