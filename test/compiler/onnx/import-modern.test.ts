/**
 * Operators of opsets 18 to 24 imported (compiler/onnx/import/modern.ts):
 * RMSNormalization, Swish, CenterCropPad, AffineGrid and RotaryEmbedding against ONNX's
 * reference implementation (onnx.reference.ReferenceEvaluator), eager and
 * hybridized: axes and epsilons, float16, crops and pads of even and odd
 * differences on chosen axes, 2-D and 3-D grids with and without
 * align_corners, rotations of halves and of interleaved pairs, partial,
 * 4-d and 3-d inputs, positions gathered from the caches. Skipped, with a message, without python3's onnx.
 */
import assert from 'node:assert/strict';
import { readModel } from '../../../compiler/onnx/index.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { foreignModel } from './foreign-model.js';
import { eachReferenceCase } from './reference-cases.js';

const SCRIPT = String.raw`
import sys, os, json, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(0)
F, H = TensorProto.FLOAT, TensorProto.FLOAT16
def case(name, op, opset, inputs, consts, attrs, dtype=F):
  node = helper.make_node(op, [n for n, _ in inputs] + [n for n, _ in consts], ['y'], **attrs)
  vi = [helper.make_tensor_value_info(n, dtype if v.dtype != np.int64 else TensorProto.INT64, list(v.shape)) for n, v in inputs]
  inits = [numpy_helper.from_array(v, n) for n, v in consts]
  g = helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info('y', dtype, None)], inits)
  m = helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)], ir_version=10)
  d = f'{out}/{name}'
  os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx')
  ref = ReferenceEvaluator(m).run(None, dict(inputs))[0]
  for k, (n, v) in enumerate(inputs): np.save(f'{d}/in{k}.npy', v)
  np.save(f'{d}/y.npy', ref)
x = rs.randn(2, 3, 4, 5).astype(np.float32)
case('rms_last', 'RMSNormalization', 23, [('x', x), ('s', rs.randn(5).astype(np.float32))], [], {})
case('rms_axis1', 'RMSNormalization', 23, [('x', x), ('s', rs.randn(3, 4, 5).astype(np.float32))], [], {'axis': 1, 'epsilon': 0.1})
case('rms_zero_row', 'RMSNormalization', 23, [('x', np.zeros((2, 4), np.float32)), ('s', np.ones(4, np.float32))], [], {})
case('rms_f16', 'RMSNormalization', 23, [('x', x.astype(np.float16)), ('s', rs.randn(5).astype(np.float16))], [], {'axis': -2}, H)
case('swish', 'Swish', 24, [('x', np.concatenate([x.ravel(), [0, -30, 30]]).astype(np.float32))], [], {})
case('swish_alpha', 'Swish', 24, [('x', x)], [], {'alpha': 0.3})
case('crop_pad_hw', 'CenterCropPad', 18, [('x', x)], [('shape', np.array([3, 8], np.int64))], {'axes': [2, 3]})
case('crop_pad_all', 'CenterCropPad', 18, [('x', x)], [('shape', np.array([1, 6, 2, 5], np.int64))], {})
case('crop_pad_odd', 'CenterCropPad', 18, [('x', x)], [('shape', np.array([2, 7], np.int64))], {'axes': [-1, 1]})
th2 = rs.randn(2, 2, 3).astype(np.float32)
th3 = rs.randn(2, 3, 4).astype(np.float32)
case('grid2d', 'AffineGrid', 20, [('t', th2)], [('size', np.array([2, 3, 4, 5], np.int64))], {})
case('grid2d_align', 'AffineGrid', 20, [('t', th2)], [('size', np.array([2, 3, 6, 3], np.int64))], {'align_corners': 1})
case('grid3d', 'AffineGrid', 20, [('t', th3)], [('size', np.array([2, 1, 3, 4, 2], np.int64))], {})
case('grid3d_align', 'AffineGrid', 20, [('t', th3)], [('size', np.array([2, 1, 2, 3, 4], np.int64))], {'align_corners': 1})
q = rs.randn(2, 3, 5, 8).astype(np.float32)      # [B, heads, S, D]
cs = rs.randn(2, 5, 4).astype(np.float32)
case('rope_halves', 'RotaryEmbedding', 23, [('q', q), ('cos', cs), ('sin', rs.randn(2, 5, 4).astype(np.float32))], [], {})
case('rope_interleaved_partial', 'RotaryEmbedding', 23, [('q', q), ('cos', rs.randn(2, 5, 2).astype(np.float32)), ('sin', rs.randn(2, 5, 2).astype(np.float32))], [], {'interleaved': 1, 'rotary_embedding_dim': 4})
pos = np.array([[0, 1, 2, 3, 4], [3, 3, 0, 9, 1]], np.int64)
case('rope_3d_positions', 'RotaryEmbedding', 23, [('q', rs.randn(2, 5, 24).astype(np.float32)), ('cos', rs.randn(10, 4).astype(np.float32)), ('sin', rs.randn(10, 4).astype(np.float32)), ('p', pos)], [], {'num_heads': 3})
`;

describe("imported RMSNormalization, Swish, CenterCropPad, AffineGrid, RotaryEmbedding: ONNX's reference", function () {
  this.timeout(120_000);
  const fx = pythonFixtures('modern', ['onnx'], SCRIPT);

  it('every case, eager and hybridized', () => {
    const n = eachReferenceCase(fx.dir, (what, y, want) => {
      const tol = want.dtype === 'float16' ? 2e-3 : 1e-5;
      assertClose(tensorToNumbers(y), tensorToNumbers(want), what, tol, tol);
    });
    assert.equal(n, 16);
  });

  it('refuses what it cannot map by name', () => {
    const one = (op: string, inputs: [string, number[]][], attrs: object[] = [], consts: [string, import('../../../runtime/tensor.js').HostTensor][] = []) =>
      foreignModel([{ opType: op, input: [...inputs.map(([n]) => n), ...consts.map(([n]) => n)], output: ['y'], name: 'n', attribute: attrs as never }], inputs, [['y', { dtype: 'float32' }]], consts);
    assert.throws(() => readModel(one('RMSNormalization', [['x', [2, 3]], ['s', [3]]], [{ name: 'stash_type', type: 2, i: 0 }])), /ONNX operator 'RMSNormalization' \(node 'n'\) has no gluonc equivalent: stash_type 0/);
    assert.throws(() => readModel(one('CenterCropPad', [['x', [2, 3]], ['shape', [2]]])), /ONNX operator 'CenterCropPad' \(node 'n'\) has no gluonc equivalent: .*the target shape.*computed at run time/);
    assert.throws(() => readModel(one('AffineGrid', [['t', [2, 2, 3]]], [], [['size', { dtype: 'int64', shape: [5], data: new BigInt64Array([2n, 1n, 3n, 3n, 3n]) }]])), /ONNX operator 'AffineGrid' \(node 'n'\) has no gluonc equivalent: theta of shape \[2, 2, 3\] with size \[2, 1, 3, 3, 3\]/);
  });
});
