/**
 * executeOp's choice between an operator's TypeScript kernel (small tensors,
 * computed in float64) and the onnxruntime session: int64 values past 2^53,
 * which float64 cannot hold, are computed exactly either way (checked against
 * BigInt arithmetic).
 */
import assert from 'node:assert/strict';
import { nd, gluon } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { setKernelThreshold } from '../../../compiler/ops/execute.js';

const big = (values: bigint[]): NDArray => {
  const x = nd.zeros([values.length], { dtype: 'int64' });
  (x._host.data as BigInt64Array).set(values);
  return x;
};
const bigints = (x: NDArray) => Array.from(x._host.data as BigInt64Array);

describe('executeOp: kernel or session', () => {
  const p = 2n ** 53n + 1n;
  const cases: [string, () => NDArray, bigint[]][] = [
    ['add past 2^53', () => nd.add(big([p, 3n]), big([2n, 1n])), [p + 2n, 4n]],
    ['neg past 2^53', () => nd.neg(big([p, -p])), [-p, p]],
    ['max past 2^53', () => nd.max(big([p, p - 1n])), [p]],
    ['cumsum past 2^53', () => nd.cumsum(big([p, 2n])), [p, p + 2n]],
    ['mul of small inputs past 2^53', () => nd.mul(big([3n ** 20n, 7n]), big([3n ** 15n, 2n])), [3n ** 35n, 14n]],
    // onnxruntime's int64 ReduceProd rounds through float64 (3·(2^53 + 1) came out as 3·2^53).
    ['prod past 2^53', () => nd.prod(big([p, 3n])), [3n * p]],
    ['prod of small inputs past 2^53', () => nd.prod(big([3037000499n, 3037000499n])), [3037000499n ** 2n]],
    ['prod along an axis past 2^53', () => nd.prod(big([p, 3n, 5n, 7n]).reshape([2, 2]), { axis: 1 }), [3n * p, 35n]],
    ['prod keepdims along axis 0', () => nd.prod(big([p, 3n, 5n, -7n]).reshape([2, 2]), { axis: 0, keepdims: true }), [5n * p, -21n]],
    ['prod wrapping past 2^63 as numpy', () => nd.prod(big([2n ** 62n, 4n, 3n])), [BigInt.asIntN(64, 2n ** 64n * 3n)]],
  ];
  for (const [what, f, want] of cases) {
    it(`${what}: exact on the kernel-sized path as on the session`, () => {
      const old = setKernelThreshold(Infinity);
      try {
        assert.deepEqual(bigints(f()), want);
      } finally {
        setKernelThreshold(old);
      }
      const old0 = setKernelThreshold(0);
      try {
        assert.deepEqual(bigints(f()), want);
      } finally {
        setKernelThreshold(old0);
      }
    });
  }

  it('int64 prod is exact in a hybridized block too (3-d input, two reduced axes, keepdims, an empty axis gives 1)', () => {
    class Prod extends gluon.HybridBlock {
      constructor(private readonly axis: number[], private readonly keepdims: boolean) {
        super();
      }
      override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
        return F.prod(x, { axis: this.axis, keepdims: this.keepdims });
      }
    }
    const vals = [p, 3n, -5n, 7n, 11n, 2n ** 40n, 13n, -1n];
    const x = big(vals).reshape([2, 2, 2]);
    const at = (i: number, j: number, k: number) => vals[i * 4 + j * 2 + k]!;
    const net = new Prod([0, 2], true);
    net.hybridize();
    const y = net.call(x) as NDArray;
    assert.deepEqual(y.shape, [1, 2, 1]);
    assert.deepEqual(bigints(y), [0, 1].map((j) => BigInt.asIntN(64, at(0, j, 0) * at(0, j, 1) * at(1, j, 0) * at(1, j, 1))));
    const all = new Prod([0, 1, 2], false);
    all.hybridize();
    assert.deepEqual(bigints(all.call(x) as NDArray), [BigInt.asIntN(64, vals.reduce((a, v) => a * v, 1n))]);
    const empty = new Prod([1], false);
    empty.hybridize();
    const e = empty.call(nd.zeros([2, 0, 3], { dtype: 'int64' })) as NDArray;
    assert.deepEqual([e.shape, bigints(e)], [[2, 3], [1n, 1n, 1n, 1n, 1n, 1n]]);
  });
});
