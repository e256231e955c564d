/**
 * MelWeightMatrix imported (a constant computed as the file is read, its
 * five inputs constant) against onnxruntime and ONNX's reference
 * implementation (which agree on these): several bin counts, DFT lengths,
 * sample rates and edges, float32 and float64 outputs. Skipped, with a
 * message, without python3's onnx and onnxruntime.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { foreignModel } from './foreign-model.js';

const SCRIPT = String.raw`
import sys, os, numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
cases = [(8, 16, 8192, 0.0, 8192 / 2, 1), (10, 64, 16000, 20.0, 7600.0, 1), (5, 40, 22050, 300.0, 5000.0, 11), (12, 128, 8000, 0.0, 4000.0, 1)]
for k, (bins, dft, rate, lo, hi, dt) in enumerate(cases):
  inits = [numpy_helper.from_array(np.array(v, t), n) for n, v, t in (('b', bins, np.int32), ('d', dft, np.int32), ('r', rate, np.int32), ('l', lo, np.float32), ('h', hi, np.float32))]
  node = helper.make_node('MelWeightMatrix', ['b', 'd', 'r', 'l', 'h'], ['y'], output_datatype=dt)
  g = helper.make_graph([node], 'g', [], [helper.make_tensor_value_info('y', dt, None)], inits)
  m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 17)], ir_version=8)
  d = f'{out}/case{k}'
  os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx')
  ref = ReferenceEvaluator(m).run(None, {})[0]
  got = ort.InferenceSession(m.SerializeToString(), providers=['CPUExecutionProvider']).run(None, {})[0]
  assert ref.shape == got.shape and np.allclose(ref, got, atol=1e-6), (k, ref, got)
  np.save(f'{d}/y.npy', got)
`;

describe('imported MelWeightMatrix: onnxruntime and ONNX\'s reference', function () {
  this.timeout(120_000);
  const fx = pythonFixtures('mel', ['onnx', 'onnxruntime'], SCRIPT);

  it('bin counts, DFT lengths, rates and edges; float32 and float64', () => {
    const cases = readdirSync(fx.dir).sort();
    assert.equal(cases.length, 4);
    for (const k of cases) {
      const want = readNpy(join(fx.dir, k, 'y.npy'));
      const y = (SymbolBlock.imports(join(fx.dir, k, 'model.onnx')).call() as import('gluonc').nd.NDArray)._host;
      assert.equal(y.dtype, want.dtype, k);
      assert.deepEqual(y.shape, want.shape, k);
      assertClose(tensorToNumbers(y), tensorToNumbers(want), k, 1e-6, 1e-7);
    }
  });

  it('refuses inputs computed at run time by name', () => {
    const bytes = foreignModel([{ opType: 'MelWeightMatrix', input: ['b', 'd', 'r', 'l', 'h'], output: ['y'], name: 'm' }], [['b', []], ['d', []], ['r', []], ['l', []], ['h', []]], [['y', { dtype: 'float32' }]]);
    assert.throws(() => readModel(bytes), /ONNX operator 'MelWeightMatrix' \(node 'm'\) has no gluonc equivalent: .*computed at run time/);
  });
});
