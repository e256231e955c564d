/**
 * split over a symbolic axis in an artifact: equal parts at every length
 * that divides, and an error (as eagerly) at one that does not, never the
 * smaller last part of ONNX Split's `num_outputs` (opset 18 on).
 */
import assert from 'node:assert/strict';
import { gluon, nd } from 'gluonc';
import { exportBytes } from '../../../compiler/formats/export.js';
import { Session } from '../../../runtime/session.js';
import { tensorFromNumbers, tensorToNumbers } from '../../../runtime/tensor.js';

class Halves extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    return F.split(x, { numOutputs: 2, axis: 0 });
  }
}

describe('ops: split over a symbolic axis', () => {
  for (const opset of [21, 17]) {
    it(`splits an N-long axis into halves and refuses an odd N at run time, as eagerly (opset ${opset})`, () => {
      const net = new Halves();
      assert.throws(() => net.call(nd.ones([3, 2])), /axis 0 of size 3 does not split into 2 equal parts/);
      const { bytes } = exportBytes(net, { inputs: { x: { shape: ['N', 2] } }, opset });
      const s = Session.create(bytes);
      try {
        // Reference: numpy.split(x, 2) of x = arange(8).reshape(4, 2).
        const out = s.runSync({ x: tensorFromNumbers('float32', [4, 2], [0, 1, 2, 3, 4, 5, 6, 7]) });
        assert.deepEqual(tensorToNumbers(out['output0']!), [0, 1, 2, 3]);
        assert.deepEqual(tensorToNumbers(out['output1']!), [4, 5, 6, 7]);
        assert.throws(() => s.runSync({ x: tensorFromNumbers('float32', [3, 2], [0, 1, 2, 3, 4, 5]) }), /[Ss]plit/);
      } finally {
        s.close();
      }
    });
  }
});
