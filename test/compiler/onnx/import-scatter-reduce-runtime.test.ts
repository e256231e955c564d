/**
 * ScatterElements and ScatterND with reduction 'max', 'min' and 'mul' at indices computed at run time (graph
 * inputs, and a graph network's edge_index gathered and expanded inside the graph), imported onto `scatterReduce`:
 * outputs against python's onnxruntime (the symbolic node count of the edge_index model too), eager and
 * hybridized; gradients of `Σ y · R` against PyTorch's `scatter_reduce(..., include_self=True)` in float64 (ScatterND
 * as a scatter_reduce of the row-major positions of its slices) — fixed samples with ties and zeros, and random
 * ones. An index out of range fails the run. Skipped, with a message, without python3's onnx, onnxruntime and torch.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, nd } from 'gluonc';
import { SymbolBlock } from '../../../compiler/gluon/symbol-block.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, os, json, numpy as np, onnx, onnxruntime as ort, torch
from onnx import helper, TensorProto as TP, numpy_helper
out = sys.argv[1]
rs = np.random.RandomState(7)
RED = {'max': 'amax', 'min': 'amin', 'mul': 'prod'}
def save(name, nodes, inputs, feeds, torch_fn, inits=()):
  """The model (opset 18), its feeds, onnxruntime's y, a weight R, and torch's gradients of sum(y * R) in the float inputs."""
  y_info = helper.make_tensor_value_info('y', TP.DOUBLE, [d.dim_param or d.dim_value for d in inputs[0].type.tensor_type.shape.dim])
  m = helper.make_model(helper.make_graph(nodes, 'g', inputs, [y_info], list(inits)), opset_imports=[helper.make_opsetid('', 18)], ir_version=8)
  onnx.checker.check_model(m, full_check=True)
  d = f'{out}/{name}'; os.makedirs(d)
  onnx.save(m, f'{d}/model.onnx')
  s = ort.InferenceSession(f'{d}/model.onnx', providers=['CPUExecutionProvider'])
  y = s.run(None, feeds)[0]
  R = rs.randn(*y.shape)
  ts = {k: torch.tensor(v, requires_grad=v.dtype == np.float64) for k, v in feeds.items()}
  ty = torch_fn(ts)
  assert np.allclose(ty.detach().numpy(), y, rtol=1e-12, atol=0), (name, ty, y)
  (ty * torch.tensor(R)).sum().backward()
  names = [i.name for i in inputs]
  for k, n in enumerate(names):
    np.save(f'{d}/in{k}.npy', feeds[n])
    if feeds[n].dtype == np.float64: np.save(f'{d}/grad{k}.npy', ts[n].grad.numpy())
  np.save(f'{d}/y.npy', y); np.save(f'{d}/r.npy', R)
  json.dump({'inputs': len(names)}, open(f'{d}/meta.json', 'w'))
dbl = lambda n, s: helper.make_tensor_value_info(n, TP.DOUBLE, s)
i64 = lambda n, s: helper.make_tensor_value_info(n, TP.INT64, s)
# ScatterElements, the indices a graph input: fixed samples with ties (data = update, update = update), zeros in mul,
# repeated and unaddressed positions, negative indices (wrapped for torch); then random ones along axis 1.
x = np.array([[1., 5, 0], [0, 3, 3], [2, 2, -1]])
u = np.array([[5., 5, 0], [1, 3, 0], [3, 0, 2], [7, 3, 2]])
idx = np.array([[0, 0, 1], [-3, 1, 1], [0, 1, 1], [1, -2, 1]], np.int64)
for red in ('max', 'min', 'mul'):
  node = helper.make_node('ScatterElements', ['x', 'i', 'u'], ['y'], reduction=red, axis=0)
  save(f'se_{red}_fixed', [node], [dbl('x', [3, 3]), i64('i', [4, 3]), dbl('u', [4, 3])], {'x': x, 'i': idx, 'u': u},
       lambda t, red=red: t['x'].scatter_reduce(0, t['i'] % 3, t['u'], RED[red], include_self=True))
  xr, ur = rs.randn(2, 5, 3), rs.randn(2, 7, 3)
  ir = rs.randint(-5, 5, size=(2, 7, 3)).astype(np.int64)
  node = helper.make_node('ScatterElements', ['x', 'i', 'u'], ['y'], reduction=red, axis=1)
  save(f'se_{red}_random', [node], [dbl('x', [2, 5, 3]), i64('i', [2, 7, 3]), dbl('u', [2, 7, 3])], {'x': xr, 'i': ir, 'u': ur},
       lambda t, red=red: t['x'].scatter_reduce(1, t['i'] % 5, t['u'], RED[red], include_self=True))
# A graph network's aggregation: messages x[src] combined into x at dst, edge_index [2, E] an input and the node
# count symbolic (N): y = ScatterElements(x, Expand(Unsqueeze(edge[1], 1), Shape(msg)), Gather(x, edge[0])).
for red in ('max', 'min', 'mul'):
  nodes = [
    helper.make_node('Gather', ['e', 'zero'], ['src'], axis=0), helper.make_node('Gather', ['e', 'one'], ['dst'], axis=0),
    helper.make_node('Gather', ['x', 'src'], ['msg'], axis=0), helper.make_node('Unsqueeze', ['dst', 'ax1'], ['dst1']),
    helper.make_node('Shape', ['msg'], ['ms']), helper.make_node('Expand', ['dst1', 'ms'], ['di']),
    helper.make_node('ScatterElements', ['x', 'di', 'msg'], ['y'], reduction=red, axis=0)]
  inits = [numpy_helper.from_array(np.array(0, np.int64), 'zero'), numpy_helper.from_array(np.array(1, np.int64), 'one'), numpy_helper.from_array(np.array([1], np.int64), 'ax1')]
  xg = rs.randn(5, 4)
  e = np.array([[0, 1, 2, 3, 4, 0, 2, 4, 1], [1, 0, 1, 1, 2, 3, 3, 0, 1]], np.int64)
  def gnn(t, red=red):
    src, dst = t['e'][0], t['e'][1]
    msg = t['x'][src]
    return t['x'].scatter_reduce(0, dst[:, None].expand_as(msg), msg, RED[red], include_self=True)
  save(f'gnn_{red}', nodes, [dbl('x', ['N', 4]), i64('e', [2, 'E'])], {'x': xg, 'e': e}, gnn, inits)
# ScatterND, the indices a graph input: k = 2 of a [3, 4, 2] data (slices of 2), repeats and negative entries;
# torch: scatter_reduce along the flattened first two axes at the row-major positions.
xn, un = rs.randn(3, 4, 2), rs.randn(6, 2)
un[1] = un[0]
xn[2, 3] = un[0]
un[4, 0] = 0.0
inn = np.array([[2, 3], [-1, -1], [0, 0], [1, 2], [2, 3], [0, -4]], np.int64)
for red in ('max', 'min', 'mul'):
  node = helper.make_node('ScatterND', ['x', 'i', 'u'], ['y'], reduction=red)
  def nd_ref(t, red=red):
    pos = (t['i'][:, 0] % 3) * 4 + t['i'][:, 1] % 4
    flat = t['x'].reshape(12, 2)
    return flat.scatter_reduce(0, pos[:, None].expand(6, 2), t['u'], RED[red], include_self=True).reshape(3, 4, 2)
  save(f'nd_{red}', [node], [dbl('x', [3, 4, 2]), i64('i', [6, 2]), dbl('u', [6, 2])], {'x': xn, 'i': inn, 'u': un}, nd_ref)
`;

describe('imported ScatterElements/ScatterND with reduction max, min and mul at run-time indices (onnxruntime, torch)', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('scatter-reduce-runtime', ['onnx', 'onnxruntime', 'torch'], SCRIPT);
  const cases = () => readdirSync(fx.dir).sort();
  const inputs = (dir: string) => {
    const n = (JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { inputs: number }).inputs;
    return Array.from({ length: n }, (_v, k) => new nd.NDArray(readNpy(join(dir, `in${k}.npy`))));
  };

  it("outputs equal onnxruntime's, eager and hybridized", () => {
    assert.equal(cases().length, 12);
    for (const k of cases()) {
      const dir = join(fx.dir, k);
      const want = tensorToNumbers(readNpy(join(dir, 'y.npy')));
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const y = net.call(...inputs(dir)) as nd.NDArray;
        assertClose(tensorToNumbers(y._host), want, `${k} (${hybrid ? 'hybridized' : 'eager'})`, 1e-13, 0);
      }
    }
  });

  it("gradients in the data and the updates equal PyTorch's scatter_reduce (include_self=True), eager and hybridized", () => {
    for (const k of cases()) {
      const dir = join(fx.dir, k);
      const r = new nd.NDArray(readNpy(join(dir, 'r.npy')));
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const xs = inputs(dir);
        const floats = xs.map((x, i) => [x, i] as const).filter(([x]) => x.dtype === 'float64');
        floats.forEach(([x]) => x.attachGrad());
        autograd.record(() => nd.sum(nd.mul(net.call(...xs) as nd.NDArray, r))).backward();
        for (const [x, i] of floats) {
          assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(readNpy(join(dir, `grad${i}.npy`))), `${k}: gradient of input ${i} (${hybrid ? 'hybridized' : 'eager'})`, 1e-12, 1e-12);
        }
      }
    }
  });

  it("an index outside [-n, n) fails the run (the bounds check's take, as onnxruntime's ScatterElements fails), eager and hybridized", () => {
    const dir = join(fx.dir, 'se_max_fixed');
    for (const hybrid of [false, true]) {
      const net = SymbolBlock.imports(join(dir, 'model.onnx'));
      if (hybrid) net.hybridize();
      const [x, i, u] = inputs(dir);
      const bad = tensorToNumbers(i!._host).map((v, k) => (k === 4 ? 3 : v));
      const ib = nd.array(bad, { dtype: 'int64' }).reshape(i!.shape);
      assert.throws(() => net.call(x!, ib, u!), (e: Error) => e instanceof Error && /^ONNX node '#0' \(ScatterElements\): take: .*(index 3 is out of range for an axis of size 3|out of data bounds, idx=3)/.test(e.message), hybrid ? 'hybridized' : 'eager');
    }
  });
});
