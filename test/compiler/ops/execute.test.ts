/**
 * executeOp's choice between an operator's TypeScript kernel (small tensors,
 * computed in float64) and the onnxruntime session: int64 values past 2^53,
 * which float64 cannot hold, are computed exactly either way (checked against
 * BigInt arithmetic).
 */
import assert from 'node:assert/strict';
import { nd } from 'gluonc';
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
});
