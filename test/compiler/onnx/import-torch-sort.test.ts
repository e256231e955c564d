/**
 * torch.sort along a dynamic axis and torch.arange(x.numel()), as
 * torch.onnx writes them: a TopK whose k is the sorted axis's own size
 * (Shape -> Gather), a Range up to the ReduceProd of a Shape. Both sizes are
 * symbolic in the file (dynamic batch and sequence axes); the imported block
 * gives PyTorch's values, indices and input gradient at two sizes, eager and
 * hybridized. Skipped, with a message, without python3's torch and onnx.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import os, sys, warnings
import numpy as np, torch
warnings.filterwarnings('ignore')
out = sys.argv[1]

class Sorted(torch.nn.Module):
    def forward(s, x):
        v, i = torch.sort(x, dim=1, descending=True)
        return v * torch.arange(x.numel()).reshape(x.shape).float(), i

torch.onnx.export(Sorted(), (torch.randn(2, 5),), os.path.join(out, 'model.onnx'), opset_version=17, dynamo=False,
                  input_names=['x'], output_names=['y', 'i'], dynamic_axes={'x': {0: 'N', 1: 'T'}, 'y': {0: 'N', 1: 'T'}, 'i': {0: 'N', 1: 'T'}})
rs = np.random.RandomState(0)
for k, shape in (('a', (2, 5)), ('b', (3, 7))):
    x = torch.tensor(rs.randn(*shape).astype(np.float32), requires_grad=True)
    y, i = Sorted()(x)
    r = torch.tensor(rs.randn(*shape).astype(np.float32))
    (y * r).sum().backward()
    for n, v in (('x', x.detach()), ('y', y.detach()), ('i', i), ('r', r), ('gx', x.grad)):
        np.save(os.path.join(out, f'{k}.{n}.npy'), v.numpy())
`;

describe("torch's sort along a dynamic axis and arange(x.numel())", function () {
  this.timeout(300_000);
  const fx = pythonFixtures('sort', ['torch', 'onnx'], SCRIPT);
  const ref = (k: string, n: string) => readNpy(join(fx.dir, `${k}.${n}.npy`));

  for (const hybrid of [false, true]) {
    it(`values, indices and the input gradient at [2, 5] and [3, 7] (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const net = gluon.SymbolBlock.imports(join(fx.dir, 'model.onnx'));
      if (hybrid) net.hybridize();
      for (const k of ['a', 'b']) {
        const x = new nd.NDArray(ref(k, 'x'));
        x.attachGrad();
        let outs: nd.NDArray[] = [];
        autograd.record(() => {
          outs = net.call(x) as nd.NDArray[];
          return nd.sum(nd.mul(outs[0]!, new nd.NDArray(ref(k, 'r'))));
        }).backward();
        assert.deepEqual(outs[0]!.shape, ref(k, 'y').shape);
        assertClose(tensorToNumbers(outs[0]!._host), tensorToNumbers(ref(k, 'y')), `${k}: values`);
        assert.deepEqual(tensorToNumbers(outs[1]!._host), tensorToNumbers(ref(k, 'i')), `${k}: indices`);
        assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(ref(k, 'gx')), `${k}: input gradient`);
      }
    });
  }
});
