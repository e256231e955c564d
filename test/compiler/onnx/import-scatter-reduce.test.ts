/**
 * ScatterElements and ScatterND with reduction 'max', 'min' and 'mul' at constant indices, imported (compiler/onnx/import/scatter.ts:
 * onto `scatterReduce`; run-time indices: import-scatter-reduce-runtime.test.ts) against ONNX's reference implementation (onnx.reference.ReferenceEvaluator,
 * opset 18): positions addressed up to three times, negative indices, ties between the data and an update and
 * between two updates, the 1-D form, slices (ScatterND k < rank) and elements, int32 and float64 data; outputs
 * exact, eager and hybridized. Gradients of `Σ y · R` in the data and the updates (untied random values) equal
 * float64 central differences of the reference. The hybridized block exports to a file onnx.checker accepts and
 * onnxruntime runs to the same values. Skipped, with a message, without python3's onnx.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { runPython } from '../../helpers/python-server.js';

const SCRIPT = String.raw`
import sys, os, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
out = sys.argv[1]
rs = np.random.RandomState(3)
TYPES = {np.dtype(np.float64): TensorProto.DOUBLE, np.dtype(np.int32): TensorProto.INT32}
def case(name, op, red, data, idx, upd, attrs={}, grad=False):
  """Saves the model (constant indices), data, updates, the reference y and, with grad, a weight R and the central differences of sum(y * R)."""
  node = helper.make_node(op, ['x', 'i', 'u'], ['y'], reduction=red, **attrs)
  vi = [helper.make_tensor_value_info('x', TYPES[data.dtype], list(data.shape)), helper.make_tensor_value_info('u', TYPES[upd.dtype], list(upd.shape))]
  m = helper.make_model(helper.make_graph([node], 'g', vi, [helper.make_tensor_value_info('y', TYPES[data.dtype], list(data.shape))], [numpy_helper.from_array(idx, 'i')]),
                        opset_imports=[helper.make_opsetid('', 18)], ir_version=8)
  onnx.checker.check_model(m)
  ev = ReferenceEvaluator(m)
  y = ev.run(None, {'x': data, 'u': upd})[0]
  d = f'{out}/{name}'; os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx')
  np.save(f'{d}/in0.npy', data); np.save(f'{d}/in1.npy', upd); np.save(f'{d}/y.npy', y)
  if not grad: return
  R = rs.randn(*y.shape); np.save(f'{d}/r.npy', R)
  f = lambda a, b: float((ev.run(None, {'x': a, 'u': b})[0] * R).sum())
  for k, v in enumerate([data, upd]):
    g = np.zeros_like(v); e = 1e-6
    for p in np.ndindex(v.shape):
      a, b = v.copy(), v.copy(); a[p] += e; b[p] -= e
      g[p] = (f(a, upd) - f(b, upd)) / (2 * e) if k == 0 else (f(data, a) - f(data, b)) / (2 * e)
    np.save(f'{d}/grad{k}.npy', g)
i64 = lambda *v: np.array(v, np.int64)
SE, ND = 'ScatterElements', 'ScatterND'
# Fixed samples: one position hit three times (1, -2 and 1 on an axis of 3), ties data = update and update = update.
x = np.array([[1., 5, -2], [0, 3, 3]]); u = np.array([[4., 5, 7], [-1, 3, 3]])
for red in ('max', 'min', 'mul'):
  case(f'se_{red}_fixed', SE, red, x, i64([1, 1, -2], [2, -3, 2]), u, {'axis': 1})
  case(f'se_{red}_int32', SE, red, x.astype(np.int32), i64([1, 1, -2], [2, -3, 2]), u.astype(np.int32), {'axis': 1})
  case(f'se_{red}_1d', SE, red, np.array([2., -1, 0.5, 3]), i64(3, 0, 3, -1, 2), np.array([1., -4, 5, 3, 0.5]))
  case(f'nd_{red}_slices', ND, red, np.array([[1., 2, 3], [4, 5, 6], [7, 8, 9]]), i64([2], [0], [-1]), np.array([[0., 9, 3], [1, 1, 1], [8, 8, 8]]))
  case(f'nd_{red}_elements', ND, red, np.array([[1., 2], [3, 4]]), i64([0, 0], [1, 1], [0, 0], [-1, -1]), np.array([5., -1, 0.5, 4]))
  # Random untied values for the gradients: axis 0 with repeats, ScatterND slices with repeats.
  case(f'se_{red}_grad', SE, red, rs.randn(3, 4), i64([2, 0, 2, 1], [2, 2, 0, 1]), rs.randn(2, 4), {'axis': 0}, grad=True)
  case(f'nd_{red}_grad', ND, red, rs.randn(3, 2, 2), i64([1], [1], [0], [1]), rs.randn(4, 2, 2), grad=True)
`;

describe("imported ScatterElements/ScatterND with reduction max, min and mul: ONNX's reference", function () {
  this.timeout(300_000);
  const fx = pythonFixtures('scatter-reduce', ['onnx'], SCRIPT);
  const cases = () => readdirSync(fx.dir).sort();

  it('outputs of every case equal the reference exactly, eager and hybridized', () => {
    assert.equal(cases().length, 21);
    for (const k of cases()) {
      const dir = join(fx.dir, k);
      const want = tensorToNumbers(readNpy(join(dir, 'y.npy')));
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const y = net.call(new nd.NDArray(readNpy(join(dir, 'in0.npy'))), new nd.NDArray(readNpy(join(dir, 'in1.npy')))) as nd.NDArray;
        assert.equal(y.dtype, k.includes('int32') ? 'int32' : 'float64', k);
        assert.deepEqual(tensorToNumbers(y._host), want, `${k} (${hybrid ? 'hybridized' : 'eager'})`);
      }
    }
  });

  it('gradients in the data and the updates equal central differences, eager and hybridized', () => {
    const graded = cases().filter((k) => existsSync(join(fx.dir, k, 'grad0.npy')));
    assert.equal(graded.length, 6);
    for (const k of graded) {
      const dir = join(fx.dir, k);
      const r = new nd.NDArray(readNpy(join(dir, 'r.npy')));
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const xs = [0, 1].map((i) => new nd.NDArray(readNpy(join(dir, `in${i}.npy`))));
        xs.forEach((x) => x.attachGrad());
        autograd.record(() => nd.sum(nd.mul(net.call(...xs) as nd.NDArray, r))).backward();
        xs.forEach((x, i) => assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(readNpy(join(dir, `grad${i}.npy`))), `${k}: gradient of input ${i} (${hybrid ? 'hybridized' : 'eager'})`, 1e-5, 1e-6));
      }
    }
  });

  it('the hybridized block exports to a file onnx.checker accepts and onnxruntime runs to the reference', () => {
    for (const k of ['se_max_fixed', 'nd_mul_slices', 'se_min_int32']) {
      const dir = join(fx.dir, k);
      const [x, u] = [0, 1].map((i) => new nd.NDArray(readNpy(join(dir, `in${i}.npy`))));
      const net = SymbolBlock.imports(join(dir, 'model.onnx'));
      net.hybridize();
      const file = join(dir, 'export.onnx');
      net.export(file, { inputs: { x: { shape: x!.shape, dtype: x!.dtype }, u: { shape: u!.shape, dtype: u!.dtype } } });
      const r = runPython(`import sys, json, numpy as np, onnx, onnxruntime as ort
d = sys.argv[1]; onnx.checker.check_model(onnx.load(d + '/export.onnx'), full_check=True)
s = ort.InferenceSession(d + '/export.onnx', providers=['CPUExecutionProvider'])
feeds = dict(zip([i.name for i in s.get_inputs()], [np.load(d + '/in0.npy'), np.load(d + '/in1.npy')]))
print(json.dumps(s.run(None, feeds)[0].flatten().tolist()))`, { args: [dir] });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), tensorToNumbers(readNpy(join(dir, 'y.npy'))), k);
    }
  });
});
