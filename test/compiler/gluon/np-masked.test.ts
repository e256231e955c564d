/**
 * The np/npx views of the attention operators: `npx.maskedSoftmax` as
 * API.md shows it (eager, and inside a hybridized Gluon 2 style forward),
 * `npx.shapeArray`, and numpy's `tril`/`triu`/`cumsum`/`log1p`/`expm1`;
 * expected values are written out here.
 */
import assert from 'node:assert/strict';
import { gluon, nd, np, npx } from 'gluonc';
import type { NDArray } from '../../../compiler/engine/ndarray.js';

describe('np/npx: masked softmax, shapes, triangles, cumulative sums', () => {
  it('npx.maskedSoftmax(scores, mask, { axis: -1 }) eagerly and hybridized', () => {
    const scores = nd.array([[0, Math.log(3), 5], [1, 2, 3]]);
    const mask = nd.array([[1, 1, 0], [0, 0, 0]]);
    const expect = [[0.25, 0.75, 0], [0, 0, 0]];
    const eager = npx.maskedSoftmax(scores, mask, { axis: -1 }) as NDArray;
    (eager.toArray() as number[][]).flat().forEach((v, i) => assert.ok(Math.abs(v - expect.flat()[i]!) < 1e-6, `${i}: ${v}`));
    class Att extends gluon.HybridBlock {
      override forward(x: NDArray, m: NDArray) {
        return npx.maskedSoftmax(x, m, { axis: -1 });
      }
    }
    const att = new Att();
    att.hybridize();
    const h = att.call(scores, mask) as NDArray;
    (h.toArray() as number[][]).flat().forEach((v, i) => assert.ok(Math.abs(v - expect.flat()[i]!) < 1e-6, `hybridized ${i}: ${v}`));
  });

  it('npx.shapeArray, np.tril/triu/cumsum/log1p/expm1', () => {
    const x = nd.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
    assert.deepEqual((npx.shapeArray(x) as NDArray).toArray(), [3, 3]);
    assert.deepEqual((np.tril(x) as NDArray).toArray(), [[1, 0, 0], [4, 5, 0], [7, 8, 9]]);
    assert.deepEqual((np.triu(x, 1) as NDArray).toArray(), [[0, 2, 3], [0, 0, 6], [0, 0, 0]]);
    assert.deepEqual((np.cumsum(x, 1) as NDArray).toArray(), [[1, 3, 6], [4, 9, 15], [7, 15, 24]]);
    assert.deepEqual((np.cumsum(x) as NDArray).toArray(), [1, 3, 6, 10, 15, 21, 28, 36, 45]);
    const tiny = nd.array([1e-7], { dtype: 'float64' });
    assert.ok(Math.abs((np.log1p(tiny) as NDArray).item() - 9.9999995e-8) < 1e-20);
    assert.ok(Math.abs((np.expm1(tiny) as NDArray).item() - 1.00000005e-7) < 1e-20);
  });
});
