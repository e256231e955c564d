/**
 * npx.gatherNd (compiler/gluon/npx-gather.ts), MXNet's gather_nd and the
 * way to write numpy's advanced indexing `X[i0, i1]`: MXNet's documented
 * examples, numpy's advanced indexing and `np.add.at` (the gradient, repeated
 * rows accumulating) in float64, negative indices, a hybridized block, and
 * the errors (out-of-range indices, more index rows than axes).
 */
import assert from 'node:assert/strict';
import { autograd, gluon, np, npx } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });

describe('npx.gatherNd (MXNet gather_nd, numpy advanced indexing)', () => {
  it("MXNet's documented examples", () => {
    assert.deepEqual(npx.gatherNd(np.array([[0, 1], [2, 3]]), np.array([[1, 1, 0], [0, 1, 0]])).toArray(), [2, 3, 0]);
    assert.deepEqual(npx.gatherNd(np.array([[[1, 2], [3, 4]], [[5, 6], [7, 8]]]), np.array([[0, 1], [1, 0]])).toArray(), [[3, 4], [5, 6]]);
  });

  it("X[batch_idx, pred_positions] (d2l's MaskLM) against numpy, negative indices from the end, and the gradient against np.add.at", () => {
    const X = np.random.uniform(-1, 1, [2, 5, 3]);
    X.attachGrad();
    const batchIdx = np.repeat(np.arange(0, 2), 3);
    const predPositions = np.array([1, 4, 1, 0, -1, 2]);   // a repeat in sample 0, -1 the last position
    const y = autograd.record(() => npx.gatherNd(X, np.stack([batchIdx, predPositions])));
    assert.deepEqual(y.shape, [6, 3]);
    const w = np.random.uniform(-1, 1, [6, 3]);
    y.backward(w);
    const [r] = numpyRefs([{ code: `
i0 = b.astype(int); i1 = c.astype(int)
g = np.zeros_like(a); np.add.at(g, (i0, i1), d)
out = [a[i0, i1], g]`, inputs: [f64(X), f64(batchIdx), f64(predPositions), f64(w)] }]);
    assert.ok(!r!.error, r!.error);
    assertClose(flat(y), r!.outs[0]!.data as number[], 'values vs numpy X[i0, i1]', 1e-6, 1e-7);
    assertClose(flat(X.grad), r!.outs[1]!.data as number[], 'gradient vs np.add.at', 1e-6, 1e-7);
  });

  it('inside a hybridized block: the traced graph gives the eager values', () => {
    class Pick extends gluon.HybridBlock {
      override forward(x: NDArray, idx: NDArray) {
        return npx.gatherNd(x, idx);
      }
    }
    const net = new Pick();
    net.hybridize();
    const X = np.random.uniform(-1, 1, [3, 4, 2]);
    const idx = np.array([[2, 0, 1], [3, 1, 1]]);
    const y = net.call(X, idx) as NDArray;
    assert.deepEqual(y.toArray(), npx.gatherNd(X, idx).toArray());
    assert.deepEqual(y.toArray(), [X.at(2).at(3).toArray(), X.at(0).at(1).toArray(), X.at(1).at(1).toArray()]);
  });

  it('errors name the index, the axis and the shapes', () => {
    const X = np.zeros([2, 5, 3]);
    assert.throws(() => npx.gatherNd(X, np.array([[0, 1], [2, 5]])), /npx\.gatherNd: index 5 .*axis 1 of size 5/);
    assert.throws(() => npx.gatherNd(X, np.array([[0], [-6]])), /npx\.gatherNd: index -6 .*axis 1 of size 5/);
    assert.throws(() => npx.gatherNd(X, np.zeros([4, 1])), /npx\.gatherNd: .*4 index rows.*rank 3/);
    assert.throws(() => npx.gatherNd(X, np.array(1)), /npx\.gatherNd: indices .*leading axis/);
    // numpy reads a bool array as a mask, MXNet's gather_nd as numbers: neither is meant here.
    assert.throws(() => npx.gatherNd(X, np.array([[1], [0]]).astype('bool')), /npx\.gatherNd: indices must hold numbers, not bool/);
    assert.throws(() => npx.gatherNd(X, np.array([[NaN], [0]])), /npx\.gatherNd: index NaN \(index row 0\)/);
  });
});
