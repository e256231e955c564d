/**
 * numpy's var, std, all, any and count_nonzero in `np` (a d2l-style sweep of
 * np's reductions found them missing), against numpy: axes, keepdims, ddof,
 * integer input (float32, MXNet 2's default float), NaN (truthy, as numpy),
 * empty axes (all is true, any false, var NaN), eager and hybridized.
 */
import assert from 'node:assert/strict';
import { gluon, nd, np } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

type NDArray = nd.NDArray;
const values = (a: NDArray) => Array.from(a.data() as ArrayLike<number | bigint>, Number);

describe('np reductions: var, std, all, any, countNonzero (numpy)', () => {
  const data = [1, 2, 3, 4, 5, 9, -2, 0.5, 7, 0, 3, 1];
  const cases: [string, (x: NDArray) => NDArray, string][] = [
    ['var', (x) => np.var(x), 'np.var(a)'],
    ['var axis 0 ddof 1', (x) => np.var(x, { axis: 0, ddof: 1 }), 'np.var(a, axis=0, ddof=1)'],
    ['var axis [0, 2] keepdims', (x) => np.var(x, { axis: [0, 2], keepdims: true }), 'np.var(a, axis=(0, 2), keepdims=True)'],
    ['std axis 1, keepdims positional', (x) => np.std(x, 1, true), 'np.std(a, 1, keepdims=True)'],
    ['std ddof 2', (x) => np.std(x, { axis: -1, ddof: 2 }), 'np.std(a, axis=-1, ddof=2)'],
    ['all axis 2', (x) => np.all(x, 2), 'np.all(a, 2)'],
    ['any axis 0', (x) => np.any(np.greater(x, 5), 0), 'np.any(a > 5, 0)'],
    ['countNonzero', (x) => np.countNonzero(x, { axis: 1 }), 'np.count_nonzero(a, axis=1)'],
  ];

  it('match numpy, eagerly and hybridized', () => {
    const x = np.array(data).reshape([2, 3, 2]);
    const refs = numpyRefs(cases.map(([, , code]) => ({ code, inputs: [{ shape: [2, 3, 2], dtype: 'float32', data }] })));
    cases.forEach(([what, f, code], i) => {
      class Net extends gluon.HybridBlock {
        override forward(a: NDArray) {
          return f(a);
        }
      }
      const net = new Net();
      const eager = f(x);
      net.hybridize();
      const hybrid = net.call(x) as NDArray;
      for (const [how, y] of [['eager', eager], ['hybridized', hybrid]] as const) {
        assert.deepEqual(y.shape, refs[i]!.outs[0]!.shape, `${what} ${how} (${code})`);
        assertClose(values(y), refs[i]!.outs[0]!.data, `${what} ${how} (${code})`, 1e-5, 1e-6);
      }
      assert.equal(eager.dtype, what.startsWith('all') || what.startsWith('any') ? 'bool' : what.startsWith('count') ? 'int64' : 'float32', what);
    });
  });

  it('integers compute in float32; NaN is truthy; empty axes: all true, any false, var NaN (numpy)', () => {
    const [v, a, e] = numpyRefs([
      { code: 'np.var(a)', inputs: [{ shape: [4], dtype: 'int32', data: [1, 2, 3, 4] }] },
      { code: 'np.any(a, 1)', inputs: [{ shape: [2, 2], dtype: 'float32', data: [0, 0, 0, 'nan' as never] }] },
      { code: 'np.var(a, 0)', inputs: [{ shape: [0, 2], dtype: 'float32', data: [] }] },
    ]);
    const vi = np.var(np.array([1, 2, 3, 4], { dtype: 'int32' }));
    assert.deepEqual([vi.dtype, values(vi)], ['float32', v!.outs[0]!.data]);
    assert.deepEqual(values(np.any(np.array([[0, 0], [0, NaN]]), 1)), a!.outs[0]!.data);
    assert.deepEqual(values(np.var(np.zeros([0, 2]), 0)).map(Number.isNaN), e!.outs[0]!.data.map((d) => d === null));
    assert.deepEqual([values(np.all(np.zeros([0]))), values(np.any(np.zeros([0])))], [[1], [0]]);
  });

  it('ddof at or past the count divides by max(n - ddof, 0), as numpy: inf, or NaN for 0 / 0, never negative', () => {
    const refs = numpyRefs([
      { code: 'np.var(a, ddof=4)', inputs: [{ shape: [3], dtype: 'float32', data: [1, 2, 3] }] },
      { code: 'np.std(a, ddof=5)', inputs: [{ shape: [3], dtype: 'float32', data: [1, 2, 3] }] },
      { code: 'np.var(a, ddof=4)', inputs: [{ shape: [3], dtype: 'float32', data: [1, 1, 1] }] },
      { code: 'np.var(a, axis=0, ddof=3, keepdims=True)', inputs: [{ shape: [2, 2], dtype: 'float32', data: [1, 2, 3, 5] }] },
    ]);
    const got = [
      np.var(np.array([1, 2, 3]), { ddof: 4 }),
      np.std(np.array([1, 2, 3]), { ddof: 5 }),
      np.var(np.array([1, 1, 1]), { ddof: 4 }),
      np.var(np.array([[1, 2], [3, 5]]), { axis: 0, ddof: 3, keepdims: true }),
    ];
    // numpyRefs writes inf as Infinity and NaN as null
    got.forEach((y, i) => {
      assert.deepEqual(y.shape, refs[i]!.outs[0]!.shape, `case ${i}`);
      assert.deepEqual(values(y).map((v) => (Number.isNaN(v) ? null : v)), refs[i]!.outs[0]!.data, `case ${i}`);
    });
  });

  it("axis=() reduces over no axis, as numpy (each element alone; nd's axis [] is MXNet 1.x's every axis)", () => {
    const data = [1, NaN, 0, 4, -2, 0.5];
    const cases: [string, (x: NDArray) => NDArray, string][] = [
      ['sum', (x) => np.sum(x, { axis: [] }), 'np.sum(a, axis=())'],
      ['prod keepdims', (x) => np.prod(x, [], true), 'np.prod(a, axis=(), keepdims=True)'],
      ['nansum', (x) => np.nansum(x, { axis: [] }), 'np.nansum(a, axis=())'],
      ['nanprod', (x) => np.nanprod(x, { axis: [], keepdims: true }), 'np.nanprod(a, axis=(), keepdims=True)'],
      ['mean', (x) => np.mean(x, []), 'np.mean(a, axis=())'],
      ['var', (x) => np.var(x, { axis: [] }), 'np.var(a, axis=())'],
      ['std ddof 1', (x) => np.std(x, { axis: [], ddof: 1 }), 'np.std(a, axis=(), ddof=1)'],
      ['all', (x) => np.all(x, []), 'np.all(a, axis=())'],
      ['any keepdims', (x) => np.any(x, [], true), 'np.any(a, axis=(), keepdims=True)'],
      ['countNonzero', (x) => np.countNonzero(x, { axis: [] }), 'np.count_nonzero(a, axis=())'],
      ['max', (x) => np.max(x, { axis: [] }), 'np.max(a, axis=())'],
      ['amin keepdims', (x) => np.amin(x, [], true), 'np.amin(a, axis=(), keepdims=True)'],
    ];
    const refs = numpyRefs(cases.map(([, , code]) => ({ code, inputs: [{ shape: [2, 3], dtype: 'float32', data: data.map((v) => (Number.isNaN(v) ? 'nan' : v)) as never }] })));
    const x = np.array(data).reshape([2, 3]);
    cases.forEach(([what, f], i) => {
      const y = f(x);
      assert.deepEqual(y.shape, refs[i]!.outs[0]!.shape, what);
      assert.deepEqual(values(y).map((v) => (Number.isNaN(v) ? null : v)), refs[i]!.outs[0]!.data, what);
    });
    assert.deepEqual(values(nd.sum(nd.array([[1, 2], [3, 5]]), { axis: [] })), [11], "nd keeps MXNet 1.x's axis=(): every axis");
  });

  it('bad options are errors naming them', () => {
    const x = np.ones([2, 3]);
    assert.throws(() => np.var(x, { ddof: -1 }), /^Error: np\.var: option 'ddof' must be a non-negative integer, got -1$/);
    assert.throws(() => np.std(x, { dof: 1 } as never), /np\.std: unknown option 'dof' .*did you mean 'ddof'\?/);
    // named as called, with the array's dtype (not the inner sum of an int64 count or mean)
    assert.throws(() => np.all(x, { axis: 2 }), /^Error: np\.all: axis 2 is out of range for float32\[2, 3\] \(rank 2\)$/);
    assert.throws(() => np.countNonzero(x, -3), /^Error: np\.countNonzero: axis -3 is out of range for float32\[2, 3\] \(rank 2\)$/);
    assert.throws(() => np.var(x, [0, 5]), /^Error: np\.var: axis 5 is out of range for float32\[2, 3\] \(rank 2\)$/);
  });
});
