/**
 * An imported ONNX Loop whose loop-carried value has the graph input's
 * symbolic batch dimension ([N, 3]), called on a concrete batch: its output
 * type takes the call's number, and its gradient (eager and hybridized) is
 * taken, where the body's named symbol used to be read as a shape that
 * changes from one iteration to the next (compiler/ops/loop.ts). The body
 * doubles x each trip: y = 2^M · x, so d sum(y) / dx = 2^M everywhere.
 * Skipped without python3's onnx.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { autograd, nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, onnx
from onnx import helper, TensorProto as T
vi = helper.make_tensor_value_info
body = helper.make_graph([helper.make_node('Add', ['xin', 'xin'], ['xout']), helper.make_node('Identity', ['cond'], ['cout'])], 'body',
                         [vi('i', T.INT64, []), vi('cond', T.BOOL, []), vi('xin', T.FLOAT, ['N', 3])], [vi('cout', T.BOOL, []), vi('xout', T.FLOAT, ['N', 3])])
g = helper.make_graph([helper.make_node('Loop', ['M', '', 'x'], ['y'], body=body)], 'doubling', [vi('x', T.FLOAT, ['N', 3]), vi('M', T.INT64, [])], [vi('y', T.FLOAT, ['N', 3])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)]), sys.argv[1] + '/loop.onnx')
`;

describe('imported ONNX Loop over a symbolic batch: output type and gradient', function () {
  this.timeout(60_000);
  const fx = pythonFixtures('loopbatch', ['onnx'], SCRIPT);

  for (const hybrid of [false, true]) {
    it(`y = 2^M · x of shape [2, 3] and d sum(y) / dx = 2^M (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const net = SymbolBlock.imports(join(fx.dir, 'loop.onnx'));
      if (hybrid) net.hybridize();
      const x = nd.array([[1, -2, 0.5], [3, 0, -1]]);
      x.attachGrad();
      const m = nd.array([3], { dtype: 'int64' }).reshape([]);
      let y: nd.NDArray | null = null;
      const l = autograd.record(() => (y = net.call(x, m) as nd.NDArray).sum());
      assert.deepEqual(y!.shape, [2, 3]);
      assert.deepEqual(Array.from(y!.data() as Float32Array), [8, -16, 4, 24, 0, -8]);
      l.backward();
      assert.deepEqual(Array.from(x.grad.data() as Float32Array), new Array(6).fill(8));
    });
  }
});
