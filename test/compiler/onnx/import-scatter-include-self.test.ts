/**
 * What torch's ONNX exporters write for `scatter_reduce(..., include_self=False)` and for a graph network's mean,
 * imported: a PyG-style aggregation of the messages x[src] at dst (edge_index [2, E] a graph input, the node and
 * edge counts symbolic). torch.onnx.export(dynamo=True) writes include_self=False as
 * `ScatterElements(x, index, ConstantOfShape(identity), reduction='none')` (an index that repeats: the one-value
 * updates make it well defined; amax/amin write 'min'/'max' with the type's lowest/highest instead) followed by
 * the reduction; the TorchScript exporter (dynamo=False) refuses it. PyG's scatter mean (a scatter-add over a
 * clamped count) exports both ways. Outputs equal torch's (and onnxruntime's) and gradients in x equal
 * torch.autograd's, eager and hybridized, in float64. torch's scatter_reduce 'mean' exported by dynamo is an
 * overwriting ScatterElements (not a mean: onnxruntime keeps one message); with repeated indices its run fails.
 * Skipped, with a message, without python3's onnx, onnxruntime and torch.
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

const SCRIPT = String.raw`
import sys, os, warnings, logging, contextlib, io, numpy as np, onnxruntime as ort, torch
warnings.filterwarnings('ignore'); logging.disable(logging.WARNING)
out = sys.argv[1]
torch.manual_seed(0)
class Reduce(torch.nn.Module):
    """scatter_reduce of the messages x[src] into x (or zeros: PyG's scatter max/min) at dst."""
    def __init__(s, red, inc, zeros=False): super().__init__(); s.red, s.inc, s.zeros = red, inc, zeros
    def forward(s, x, e):
        msg, dst = x[e[0]], e[1]
        base = torch.zeros_like(x) if s.zeros else x
        return base.scatter_reduce(0, dst[:, None].expand_as(msg), msg, s.red, include_self=s.inc)
class PygMean(torch.nn.Module):
    """PyG's scatter(..., reduce='mean'): a scatter-add of the messages over a scatter-add of ones clamped to 1."""
    def forward(s, x, e):
        msg, dst = x[e[0]], e[1]
        total = torch.zeros_like(x).scatter_add(0, dst[:, None].expand_as(msg), msg)
        count = torch.zeros(x.shape[0], dtype=x.dtype).scatter_add(0, dst, torch.ones_like(dst, dtype=x.dtype))
        return total / count.clamp(min=1)[:, None]
x = torch.randn(6, 3, dtype=torch.float64)
# Edge 0->1 twice (tied messages at node 1), node 5 receives nothing, node 0 three messages; no self loops.
e = torch.tensor([[0, 0, 2, 3, 4, 1, 2, 3, 5], [1, 1, 0, 0, 2, 3, 3, 0, 4]])
R = torch.randn(6, 3, dtype=torch.float64)
models = [(f'{red}_noself', Reduce(red, False), (True,)) for red in ('sum', 'prod', 'amax', 'amin')]
models += [('pyg_max', Reduce('amax', False, True), (True,)), ('pyg_min', Reduce('amin', False, True), (True,)),
           ('pyg_mean', PygMean(), (True, False)), ('mean_noself', Reduce('mean', False), (True,))]
for name, m, ways in models:
    for dyn in ways:
        d = f'{out}/{name}_{"dynamo" if dyn else "script"}'
        os.makedirs(d)
        with contextlib.redirect_stdout(io.StringIO()):
            if dyn:
                torch.onnx.export(m, (x, e), d + '/model.onnx', dynamo=True, opset_version=18, external_data=False,
                                  dynamic_shapes={'x': {0: torch.export.Dim('N')}, 'e': {1: torch.export.Dim('E')}})
            else:
                torch.onnx.export(m, (x, e), d + '/model.onnx', dynamo=False, opset_version=18, input_names=['x', 'e'], dynamic_axes={'x': {0: 'N'}, 'e': {1: 'E'}})
        xs = x.clone().requires_grad_()
        y = m(xs, e)
        (y * R).sum().backward()
        s = ort.InferenceSession(d + '/model.onnx', providers=['CPUExecutionProvider'])
        yo = s.run(None, dict(zip([i.name for i in s.get_inputs()], [x.numpy(), e.numpy()])))[0]
        np.save(d + '/x.npy', x.numpy()); np.save(d + '/e.npy', e.numpy()); np.save(d + '/r.npy', R.numpy())
        np.save(d + '/y.npy', y.detach().numpy()); np.save(d + '/ort.npy', yo); np.save(d + '/grad.npy', xs.grad.numpy())
`;

describe("torch's ONNX exports of scatter_reduce include_self=False and PyG's scatter mean/max, imported", function () {
  this.timeout(300_000);
  const fx = pythonFixtures('scatter-include-self', ['onnx', 'onnxruntime', 'torch'], SCRIPT);
  const good = () => readdirSync(fx.dir).filter((k) => !k.startsWith('mean_noself')).sort();
  const load = (dir: string, name: string) => new nd.NDArray(readNpy(join(dir, `${name}.npy`)));

  it("outputs equal torch's and onnxruntime's, gradients in x torch.autograd's, eager and hybridized", () => {
    assert.deepEqual(good(), ['amax_noself_dynamo', 'amin_noself_dynamo', 'prod_noself_dynamo', 'pyg_max_dynamo', 'pyg_mean_dynamo', 'pyg_mean_script', 'pyg_min_dynamo', 'sum_noself_dynamo']);
    for (const k of good()) {
      const dir = join(fx.dir, k);
      const want = tensorToNumbers(readNpy(join(dir, 'y.npy')));
      assertClose(tensorToNumbers(readNpy(join(dir, 'ort.npy'))), want, `${k}: onnxruntime vs torch`, 1e-12, 1e-15);
      for (const hybrid of [false, true]) {
        const net = SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const x = load(dir, 'x');
        x.attachGrad();
        let y: nd.NDArray | undefined;
        autograd.record(() => {
          y = net.call(x, load(dir, 'e')) as nd.NDArray;
          return nd.sum(nd.mul(y, load(dir, 'r')));
        }).backward();
        const how = hybrid ? 'hybridized' : 'eager';
        assertClose(tensorToNumbers(y!._host), want, `${k}: values (${how})`, 1e-12, 1e-15);
        assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(readNpy(join(dir, 'grad.npy'))), `${k}: gradient in x (${how})`, 1e-12, 1e-12);
      }
    }
  });

  it('another graph (more nodes and edges) runs through the same imported block: the counts are symbolic', () => {
    const net = SymbolBlock.imports(join(fx.dir, 'pyg_max_dynamo', 'model.onnx'));
    net.hybridize();
    const x = nd.array([1, -2, 3, 0.5, 4, -1, 2, 2].flatMap((v) => [v, -v, 2 * v]), { dtype: 'float64' }).reshape([8, 3]);
    const e = nd.array([0, 1, 2, 3, 4, 5, 6, 7, 1, 7, 1, 1, 0, 0, 7, 7], { dtype: 'int64' }).reshape([2, 8]);
    // Node 1 gets x0, x2, x3; node 0 x4, x5; node 7 x1, x6, x7; the rest nothing (0). Column 1 (-v) takes the minima.
    const rows = [[4, 1, 8], [3, -0.5, 6], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [0, 0, 0], [2, 2, 4]];
    assert.deepEqual(tensorToNumbers((net.call(x, e) as nd.NDArray)._host), rows.flat());
  });

  it("torch's scatter_reduce 'mean' as dynamo writes it (an overwriting ScatterElements) fails the run at a repeated index", () => {
    const dir = join(fx.dir, 'mean_noself_dynamo');
    assert.ok(existsSync(join(dir, 'model.onnx')));
    for (const hybrid of [false, true]) {
      const net = SymbolBlock.imports(join(dir, 'model.onnx'));
      if (hybrid) net.hybridize();
      assert.throws(() => net.call(load(dir, 'x'), load(dir, 'e')), (err: Error) => err instanceof Error && /^ONNX node '[^']+' \(ScatterElements\): take: .*(index [2-9] is out of range for an axis of size 2|out of data bounds)/.test(err.message), hybrid ? 'hybridized' : 'eager');
    }
  });
});
