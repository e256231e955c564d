/**
 * Resize's tf_crop_and_resize imported against onnxruntime and ONNX's
 * reference implementation (which agree on these): crop boxes inside the
 * image and reaching outside it (the extrapolation value there, 0 and not),
 * linear and nearest (cubic, on which the two references disagree, is refused),
 * one and several output pixels, sizes and scales, opset 18's `axes` (in either
 * order, one axis: roi names only those); eager and hybridized. Skipped, with a message, without python3's
 * onnx and onnxruntime.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { onnx, readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, os, numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(0)
x = rs.randn(1, 2, 5, 6).astype(np.float32)
cases = [
  ('linear', [0, 0, 0.4, 0.6, 1, 1, 1.2, 1.7], [1, 2, 3, 3], None, 10.0),
  ('linear', [0, 0, 0.1, 0.2, 1, 1, 0.8, 0.9], [1, 2, 4, 7], None, 0.0),
  ('nearest', [0, 0, -0.3, 0.22, 1, 1, 0.9, 1.1], [1, 2, 6, 4], None, -2.0),
  ('linear', [0, 0, 0.2, 0.1, 1, 1, 0.7, 0.95], [1, 2, 4, 5], None, 0.0),   # onnxruntime ignores the box along an axis that keeps its size
  ('linear', [0, 0, 0.25, 0.5, 1, 1, 0.75, 0.5], [1, 2, 1, 3], None, 1.5),
  ('linear', [0, 0, 0.1, 0.3, 1, 1, 0.9, 0.8], None, [1, 1, 2, 0.5], 0.0),
]
# Opset 18's axes: roi and sizes/scales name only those axes, in their order (ONNX's reference takes no negative ones).
cases = [c + (None,) for c in cases] + [
  ('linear', [0.6, 0.4, 0.8, 0.6], [3, 3], None, 0.0, [3, 2]),
  ('linear', [0.2, -0.3, 0.9, 1.2], [4, 5], None, 7.0, [2, 3]),
  ('nearest', [0.25, 0.75], [3], None, 0.0, [3]),
  ('linear', [0.1, 0.9], None, [2.0], 0.0, [2]),
]
for k, (mode, roi, sizes, scales, ext, axes) in enumerate(cases):
  inits = [numpy_helper.from_array(np.array(roi, np.float32), 'roi')]
  if sizes: inits.append(numpy_helper.from_array(np.array(sizes, np.int64), 'sizes'))
  else: inits.append(numpy_helper.from_array(np.array(scales, np.float32), 'scales'))
  node = helper.make_node('Resize', ['x', 'roi', '' if sizes else 'scales', 'sizes' if sizes else ''], ['y'], mode=mode, coordinate_transformation_mode='tf_crop_and_resize', extrapolation_value=ext,
                          **({'axes': axes} if axes else {}))
  g = helper.make_graph([node], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, list(x.shape))], [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)], inits)
  m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 18 if axes else 13)], ir_version=8)
  d = f'{out}/case{k}'
  os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx')
  ref = ReferenceEvaluator(m).run(None, {'x': x})[0]
  got = ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider']).run(None, {'x': x})[0]
  assert ref.shape == got.shape and np.allclose(ref, got, atol=1e-5), (k, ref, got)
  np.save(f'{d}/y.npy', ref.astype(np.float64))
np.save(f'{out}/x.npy', x)
`;

describe('imported Resize with tf_crop_and_resize: onnxruntime and ONNX\'s reference', function () {
  this.timeout(120_000);
  const fx = pythonFixtures('crop-resize', ['onnx', 'onnxruntime'], SCRIPT);

  it('refuses cubic by name', () => {
    const bytes = onnx.ModelProto.encode({ ...onnx.ModelProto.decode(readFileSync(join(fx.dir, 'case0', 'model.onnx'))) }).finish();
    const m = onnx.ModelProto.decode(bytes);
    m.graph!.node![0]!.attribute!.find((a) => a.name === 'mode')!.s = new TextEncoder().encode('cubic');
    assert.throws(() => readModel(onnx.ModelProto.encode(m).finish()), /ONNX operator 'Resize' \(node '#0'\) has no gluonc equivalent: mode 'cubic' with tf_crop_and_resize/);
  });

  it('crop boxes inside and outside, each mode, sizes and scales, opset 18\'s axes; eager and hybridized', () => {
    const x = new nd.NDArray(readNpy(join(fx.dir, 'x.npy')));
    const cases = readdirSync(fx.dir).filter((f) => f.startsWith('case')).sort();
    assert.equal(cases.length, 10);
    for (const k of cases) {
      const want = readNpy(join(fx.dir, k, 'y.npy'));
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(fx.dir, k, 'model.onnx'));
        if (hybrid) net.hybridize();
        const y = net.call(x) as nd.NDArray;
        assert.deepEqual(y.shape, want.shape, k);
        assertClose(y.data() as Float32Array, tensorToNumbers(want), `${k} ${hybrid ? 'hybridized' : 'eager'}`, 1e-5, 1e-5);
      }
    }
  });
});
