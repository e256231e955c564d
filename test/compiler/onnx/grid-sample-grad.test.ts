/**
 * The gradients of an imported GridSample (written out with gluonc
 * operators, compiler/onnx/import/grid-sample.ts) against PyTorch's
 * `grid_sample` backward, for the input and the grid, bilinear and bicubic,
 * every padding mode and align_corners, grid points beyond [-1, 1]
 * (hybridized). Skipped, with a message,
 * without python3, torch and onnx.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const CASES = ['bilinear', 'bicubic'].flatMap((mode) => ['zeros', 'border', 'reflection'].flatMap((pad) => [0, 1].map((align) => ({ mode, pad, align }))));

const SCRIPT = `
import sys, numpy as np, torch, onnx
from onnx import helper, TensorProto
out = sys.argv[1]
rs = np.random.RandomState(0)
x = rs.randn(2, 3, 4, 5).astype(np.float32)
g = (rs.rand(2, 3, 4, 2) * 2.6 - 1.3).astype(np.float32)
r = rs.randn(2, 3, 3, 4).astype(np.float32)
for k, v in (('x', x), ('g', g), ('r', r)): np.save(f'{out}/{k}.npy', v)
for mode in ('bilinear', 'bicubic'):
    for pad in ('zeros', 'border', 'reflection'):
        for align in (0, 1):
            name = f'{mode}_{pad}_{align}'
            xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
            y = torch.nn.functional.grid_sample(xt, gt, mode=mode, padding_mode=pad, align_corners=bool(align))
            (y * torch.tensor(r)).sum().backward()
            np.save(f'{out}/y_{name}.npy', y.detach().numpy())
            np.save(f'{out}/gx_{name}.npy', xt.grad.numpy())
            np.save(f'{out}/gg_{name}.npy', gt.grad.numpy())
            n = helper.make_node('GridSample', ['x', 'g'], ['y'], mode=mode, padding_mode=pad, align_corners=align)
            graph = helper.make_graph([n], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 3, 4, 5]), helper.make_tensor_value_info('g', TensorProto.FLOAT, [2, 3, 4, 2])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)])
            onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid('', 16)], ir_version=8), f'{out}/{name}.onnx')
`;

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 + 1e-4 * Math.abs(want[i]!), `${what}[${i}]: ${got[i]} vs PyTorch ${want[i]}`);
}

describe('imported GridSample: gradients equal PyTorch grid_sample backward', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('gridsample', ['torch', 'onnx'], SCRIPT);

  for (const { mode, pad, align } of CASES) {
    it(`${mode}, padding ${pad}, align_corners ${align}: output, input and grid gradients`, () => {
      const name = `${mode}_${pad}_${align}`;
      const net = gluon.SymbolBlock.imports(join(fx.dir, `${name}.onnx`));
      net.hybridize();
      const [x, g] = ['x', 'g'].map((k) => new nd.NDArray(readNpy(join(fx.dir, `${k}.npy`)))) as [nd.NDArray, nd.NDArray];
      x.attachGrad();
      g.attachGrad();
      let y: nd.NDArray | null = null;
      autograd.record(() => {
        y = net.call(x, g) as nd.NDArray;
        return nd.sum(nd.mul(y, new nd.NDArray(readNpy(join(fx.dir, 'r.npy')))));
      }).backward();
      assertClose(y!.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, `y_${name}.npy`))), 'output');
      assertClose(x.grad.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, `gx_${name}.npy`))), 'input gradient');
      assertClose(g.grad.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, `gg_${name}.npy`))), 'grid gradient');
    });
  }
});
