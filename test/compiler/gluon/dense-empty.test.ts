/**
 * Dense (FullyConnected, flatten: false) on an input with an empty axis,
 * hybridized: numpy's `x @ W.T + b` of x [2, 0, 4] is [2, 0, 5] (and its
 * gradients are zeros). onnxruntime 1.30's MatMulAddFusion turned the
 * compiled MatMul+Add of such a static shape into a Reshape to {2, 4}, which
 * failed the run.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';

describe('Dense over an empty axis, hybridized (onnxruntime\'s MatMul+Add fusion)', () => {
  for (const useBias of [true, false]) {
    it(`flatten: false, useBias ${useBias}: [2, 0, 4] -> [2, 0, 5] predicting and training; other shapes unchanged`, () => {
      const d = new gluon.nn.Dense(5, { flatten: false, inUnits: 4, useBias });
      d.initialize(new init.Normal(0.5));
      const eager = (s: number[]) => Array.from((d.call(nd.ones(s)) as nd.NDArray).data() as Float32Array);
      const want = [[2, 0, 4], [0, 3, 4], [2, 3, 4], [1, 2, 0, 4]].map(eager);
      d.hybridize();
      for (const [i, s] of [[2, 0, 4], [0, 3, 4], [2, 3, 4], [1, 2, 0, 4]].entries()) {
        const y = d.call(nd.ones(s)) as nd.NDArray;
        assert.deepEqual(y.shape, [...s.slice(0, -1), 5]);
        assertClose(y.data() as Float32Array, want[i]!, `[${s.join(', ')}]`, 1e-6, 1e-6);
      }
      const l = autograd.record(() => (d.call(nd.ones([2, 0, 4])) as nd.NDArray).sum());
      l.backward();
      assert.deepEqual(Array.from(d.weight.grad().data() as Float32Array), new Array(20).fill(0));
      if (useBias) assert.deepEqual(Array.from(d.bias!.grad().data() as Float32Array), new Array(5).fill(0));
    });
  }
});
