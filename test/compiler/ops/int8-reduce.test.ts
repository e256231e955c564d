/**
 * sum, prod and cumsum of int8/uint8 arrays (they were refused). MXNet keeps
 * the input dtype: legacy `sum`/`prod` infer ElemwiseType<1, 1> and switch
 * over int8/uint8 (MSHADOW_TYPE_SWITCH, broadcast_reduce_op.h), MXNet 2's
 * `_npi_sum`/`_npi_prod` (NumpySumType) and `cumsum` (CumsumType) keep it too
 * unless given `dtype` (bool sums to int64). So the result wraps modulo 2^8,
 * which is numpy's `np.sum(a, dtype=np.int8)`: the reference here. Checked
 * eagerly on a small array (TypeScript kernels), a large one (a one-node
 * onnxruntime session) and hybridized; `np.sum(x, { dtype: 'int64' })` gives
 * numpy's own default (the platform int).
 */
import assert from 'node:assert/strict';
import { gluon, nd, np, random } from 'gluonc';
import { numpyRefs, type NumpyJob } from '../../helpers/numpy.js';

type NDArray = nd.NDArray;

class Fn extends gluon.HybridBlock {
  constructor(private readonly f: (F: gluon.F, x: gluon.Tensor) => gluon.Tensor) {
    super();
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    return this.f(F, x);
  }
}

interface Case {
  what: string;
  f: (F: gluon.F, x: gluon.Tensor) => gluon.Tensor;
  /** numpy on `a` (the int8/uint8 input), keeping its dtype `d`. */
  ref: string;
}

const CASES: Case[] = [
  { what: 'sum (all)', f: (F, x) => F.sum(x), ref: 'np.sum(a, dtype=d)' },
  { what: 'sum axis 1', f: (F, x) => F.sum(x, { axis: 1 }), ref: 'np.sum(a, axis=1, dtype=d)' },
  { what: 'sum axis 0 keepdims', f: (F, x) => F.sum(x, { axis: 0, keepdims: true }), ref: 'np.sum(a, axis=0, keepdims=True, dtype=d)' },
  { what: 'prod axis 1', f: (F, x) => F.prod(x, { axis: 1 }), ref: 'np.prod(a, axis=1, dtype=d)' },
  { what: 'prod (all)', f: (F, x) => F.prod(x), ref: 'np.prod(a, dtype=d)' },
  { what: 'cumsum axis 1', f: (F, x) => F.cumsum(x, 1), ref: 'np.cumsum(a, axis=1, dtype=d)' },
  { what: 'cumsum flattened', f: (F, x) => F.cumsum(x), ref: 'np.cumsum(a, dtype=d)' },
];

function data(dtype: 'int8' | 'uint8', shape: number[]): NDArray {
  const [lo, hi] = dtype === 'int8' ? [-128, 128] : [0, 256];
  const x = nd.random.randint(lo, hi, shape, { dtype: 'int32' });
  // Fixed samples at the ends of the range (and 1, -1) so that sums and products wrap.
  const v = Array.from(x.data() as Int32Array);
  const edges = dtype === 'int8' ? [127, -128, 127, 1, -1, 3] : [255, 255, 1, 3, 128, 2];
  edges.forEach((e, i) => (v[i] = e));
  return nd.array(v, { dtype: 'int32' }).reshape(shape).astype(dtype);
}

const asJob = (x: NDArray, ref: string): NumpyJob => ({
  code: `d = np.${x.dtype}\nout = ${ref}`,
  inputs: [{ shape: x.shape, dtype: x.dtype, data: Array.from(x.data() as Int8Array) }],
});

describe('sum, prod and cumsum of int8 and uint8 (MXNet keeps the dtype; wraps as numpy with dtype=int8)', () => {
  it('eager small and large, and hybridized, equal numpy with the input dtype', function () {
    this.timeout(60000);
    random.seed(8);
    const runs: { what: string; out: NDArray; job: number; dtype: string }[] = [];
    const jobs: NumpyJob[] = [];
    for (const dtype of ['int8', 'uint8'] as const) {
      // 15 elements (kernels), 2800 (one-node sessions), and products past 2^53 (3^41: float64 would lose the low bits).
      const threes = nd.array([...Array(41).fill(3), 7], { dtype: 'int32' }).reshape([2, 21]).astype(dtype);
      for (const x of [data(dtype, [3, 5]), data(dtype, [40, 70]), threes]) {
        const shape = x.shape;
        for (const c of CASES) {
          jobs.push(asJob(x, c.ref));
          const job = jobs.length - 1;
          runs.push({ what: `${c.what} ${dtype}${JSON.stringify(shape)} eager`, out: c.f(nd as unknown as gluon.F, x as unknown as gluon.Tensor) as unknown as NDArray, job, dtype });
          if (shape[0] !== 40) {
            const net = new Fn(c.f);
            net.hybridize();
            runs.push({ what: `${c.what} ${dtype} hybridized`, out: net.call(x) as NDArray, job, dtype });
          }
        }
      }
    }
    const refs = numpyRefs(jobs);
    for (const r of runs) {
      const ref = refs[r.job]!;
      assert.equal(ref.error, undefined, ref.error);
      assert.equal(r.out.dtype, r.dtype, `${r.what}: dtype`);
      assert.deepEqual(r.out.shape, ref.outs[0]!.shape, `${r.what}: shape`);
      assert.deepEqual(Array.from(r.out.data() as Int8Array), ref.outs[0]!.data, r.what);
    }
  });

  it("np.sum/np.prod/np.cumsum: MXNet 2's dtype rule (kept; bool counts in int64), numpy's default with { dtype: 'int64' }", () => {
    const x = nd.array([[100, 100, 7], [-3, 2, 1]], { dtype: 'int32' }).astype('int8');
    const b = nd.array([[1, 0, 1], [1, 1, 1]], { dtype: 'int32' }).astype('bool');
    const [ref8, ref64, refProd, refCum, refBool, refBoolProd, refBoolCum] = numpyRefs([
      asJob(x, 'np.sum(a, dtype=d)'),
      asJob(x, 'np.sum(a, axis=1)'),
      asJob(x, 'np.prod(a, axis=0)'),
      asJob(x, 'np.cumsum(a)'),
      { code: 'np.sum(a.astype(bool), axis=0)', inputs: [{ shape: [2, 3], dtype: 'int8', data: [1, 0, 1, 1, 1, 1] }] },
      { code: 'np.prod(a.astype(bool), axis=1)', inputs: [{ shape: [2, 3], dtype: 'int8', data: [1, 0, 1, 1, 1, 1] }] },
      { code: 'np.cumsum(a.astype(bool))', inputs: [{ shape: [2, 3], dtype: 'int8', data: [1, 0, 1, 1, 1, 1] }] },
    ]);
    const check = (y: NDArray, dtype: string, ref: typeof ref8, what: string) => {
      assert.equal(y.dtype, dtype, `${what}: dtype`);
      assert.deepEqual(Array.from(y.data() as Int8Array, Number), ref!.outs[0]!.data, what);
    };
    check(np.sum(x), 'int8', ref8, 'np.sum(int8) keeps int8 (MXNet 2 NumpySumType)');
    check(np.sum(x, { axis: 1, dtype: 'int64' }), 'int64', ref64, "np.sum(int8, { dtype: 'int64' }) is numpy's default");
    check(np.prod(x, { axis: 0, dtype: 'int64' }), 'int64', refProd, "np.prod(int8, { dtype: 'int64' })");
    check(np.cumsum(x, { dtype: 'int64' }), 'int64', refCum, "np.cumsum(int8, { dtype: 'int64' })");
    check(np.sum(b, 0), 'int64', refBool, 'np.sum(bool) counts in int64');
    check(np.prod(b, 1), 'int64', refBoolProd, 'np.prod(bool) is int64 (NumpySumType)');
    check(np.cumsum(b), 'int64', refBoolCum, 'np.cumsum(bool) is int64 (numpy)');
    assert.equal(np.mean(x, { dtype: 'float64' }).dtype, 'float64', "np.mean's dtype option");
    assert.throws(() => np.sum(x, { dtype: 'bfloat16' as never }), /np\.sum: option 'dtype'/);
    assert.equal(np.sum(x, { dtype: 'int16' }).dtype, 'int16');
  });

  // A bool array's method `.sum()` is the operator's: it was refused, so d2l's `np.equal(yHat, y).sum()` failed.
  it('sum, prod and cumsum of bool count in int64 in the operator (F, methods, hybridized), as numpy and MXNet 2', () => {
    const m = np.equal(nd.array([[1, 2, 3], [3, 2, 1]]), nd.array([1, 2, 1]));   // [[T, T, F], [F, T, T]]
    const [s0, p1, c] = numpyRefs([
      { code: 'np.sum(a.astype(bool), axis=0)', inputs: [{ shape: [2, 3], dtype: 'float64', data: [1, 1, 0, 0, 1, 1] }] },
      { code: 'np.prod(a.astype(bool), axis=1)', inputs: [{ shape: [2, 3], dtype: 'float64', data: [1, 1, 0, 0, 1, 1] }] },
      { code: 'np.cumsum(a.astype(bool), axis=1)', inputs: [{ shape: [2, 3], dtype: 'float64', data: [1, 1, 0, 0, 1, 1] }] },
    ]);
    class Count extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        return F.sum(x, { axis: 0 });
      }
    }
    const net = new Count();
    net.hybridize();
    for (const [what, y, ref] of [
      ['m.sum(0)', m.sum(0), s0], ['nd.sum', nd.sum(m, { axis: 0 }), s0], ['hybridized', net.call(m) as NDArray, s0],
      ['nd.prod', nd.prod(m, 1), p1], ['m.cumsum(1)', m.cumsum(1), c],
    ] as const) {
      assert.equal(y.dtype, 'int64', what);
      assert.deepEqual(Array.from(y.data() as BigInt64Array, Number), ref!.outs[0]!.data, what);
    }
    assert.equal(m.sum().item(), 4);
    // mean of integers keeps the dtype in nd (MXNet 1.x: the wrapped sum divided with truncation); np.mean is float32.
    assert.deepEqual([nd.mean(nd.array([1, 2], { dtype: 'int8' })).dtype, nd.mean(nd.array([1, 2], { dtype: 'int8' })).item()], ['int8', 1]);
  });
});
