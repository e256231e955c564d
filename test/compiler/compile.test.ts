/**
 * compileGraph (compiler/compile.ts): a failure inside onnxruntime while a
 * compiled graph runs is an Error naming the operator whose node failed
 * (onnxruntime names only its own node, `Div node. Name:'div_0'`).
 */
import assert from 'node:assert/strict';
import { gluon, nd } from 'gluonc';

describe('compileGraph', () => {
  it('an onnxruntime run failure names the operator (hybridized integer division by zero)', () => {
    class Div extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor, y: gluon.Tensor) {
        return F.add(F.div(x, y), 1);
      }
    }
    const block = new Div();
    block.hybridize();
    const x = nd.array([7, -7], { dtype: 'int32' });
    assert.deepEqual((block.call(x, nd.array([2, 2], { dtype: 'int32' })) as nd.NDArray).toArray(), [4, -2]);
    assert.throws(() => block.call(x, nd.array([2, 0], { dtype: 'int32' })), /^Error: div: onnxruntime failed running the compiled graph \(its ONNX Div node 'div_\d+' in block 'Div'\): Integer division by zero$/);
  });
});
