/**
 * Reshape's allowzero (opset 14) imported against ONNX's reference implementation (onnx.reference.ReferenceEvaluator):
 * with allowzero=1 a 0 in the shape is an empty dimension (an empty input reshaped to [3, 4, 0], [0, 12], a
 * rank-changing [0]), without a 0 the attribute changes nothing, and with allowzero=0 a 0 copies the input's
 * dimension; eager and hybridized. allowzero=1 with both 0 and -1 (invalid in ONNX) and a 0 for a non-empty input
 * are refused by name. Skipped, with a message, without python3's onnx.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, os, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
def model(xshape, shape, allowzero):
  node = helper.make_node('Reshape', ['x', 's'], ['y'], allowzero=allowzero)
  g = helper.make_graph([node], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, xshape)], [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)],
                        [numpy_helper.from_array(np.array(shape, np.int64), 's')])
  return helper.make_model(g, opset_imports=[helper.make_opsetid('', 14)], ir_version=8)
cases = [([0, 3, 4], [3, 4, 0], 1), ([2, 0, 6], [0, 12], 1), ([4, 0], [0], 1), ([2, 3, 4], [4, 6], 1), ([2, 3, 4], [0, 12], 0), ([2, 3, 4], [-1, 0, 2], 0)]
for k, (xs, shape, az) in enumerate(cases):
  m = model(xs, shape, az)
  x = np.arange(int(np.prod(xs)), dtype=np.float32).reshape(xs)
  y = ReferenceEvaluator(m).run(None, {'x': x})[0]
  d = f'{out}/case{k}'; os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx'); np.save(f'{d}/x.npy', x); np.save(f'{d}/y.npy', y)
os.makedirs(f'{out}/refused')
onnx.save(model([0, 3], [0, -1], 1), f'{out}/refused/zero_and_minus_one.onnx')
onnx.save(model([2, 3], [6, 0], 1), f'{out}/refused/zero_of_a_full_input.onnx')
`;

describe("imported Reshape with allowzero: ONNX's reference", function () {
  this.timeout(120_000);
  const fx = pythonFixtures('reshape-allowzero', ['onnx'], SCRIPT);

  it('empty dimensions with allowzero=1, copies with allowzero=0; eager and hybridized', () => {
    const cases = readdirSync(fx.dir).filter((f) => f.startsWith('case')).sort();
    assert.equal(cases.length, 6);
    for (const k of cases) {
      const want = readNpy(join(fx.dir, k, 'y.npy'));
      const x = new nd.NDArray(readNpy(join(fx.dir, k, 'x.npy')));
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(fx.dir, k, 'model.onnx'));
        if (hybrid) net.hybridize();
        const y = net.call(x) as nd.NDArray;
        assert.deepEqual(y.shape, want.shape, `${k} ${hybrid ? 'hybridized' : 'eager'}`);
        assert.deepEqual(tensorToNumbers(y._host), tensorToNumbers(want), k);
      }
    }
  });

  it('refuses 0 with -1, and a 0 that leaves elements over, by name', () => {
    const read = (f: string) => () => readModel(readFileSync(join(fx.dir, 'refused', f)));
    assert.throws(read('zero_and_minus_one.onnx'), /^Error: readModel: .*ONNX operator 'Reshape' \(node '#0'\) has no gluonc equivalent: allowzero=1 with both 0 and -1 in the shape \[0, -1\] \(ONNX: invalid\)/);
    assert.throws(read('zero_of_a_full_input.onnx'), /readModel: .*reshapeLike: cannot reshape \[2, 3\] \(6 elements\) like \[6, 0\] \(0 elements\)/);
  });
});
