/**
 * The gradients of an imported GridSample (written out with gluonc
 * operators, compiler/onnx/import/grid-sample.ts) against PyTorch's
 * `grid_sample` backward, for the input and the grid: 4-D bilinear, bicubic
 * and nearest (opset 16's names) and 5-D trilinear and nearest (opset 20's
 * 'linear', 'nearest'), every padding mode and align_corners, random grid
 * points beyond [-1, 1] plus fixed ones on pixel centres, at the borders
 * and at reflection points (the kinks; there PyTorch's one-sided rules
 * apply, e.g. 0 at a clipped bound) (hybridized); opset 20's 3-D form, which
 * torch lacks, against ONNX's reference implementation. Skipped, with a
 * message, without python3, torch and onnx.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const MODES: [string, number][] = [['bilinear', 4], ['bicubic', 4], ['nearest', 4], ['bilinear', 5], ['nearest', 5]];
const CASES = MODES.flatMap(([mode, rank]) => ['zeros', 'border', 'reflection'].flatMap((pad) => [0, 1].map((align) => ({ mode, rank, pad, align }))));

const SCRIPT = `
import sys, numpy as np, torch, onnx
from onnx import helper, TensorProto
out = sys.argv[1]
rs = np.random.RandomState(0)
# Kinks, exact in float32 for these sizes: pixel centres (align_corners 1 with size 5: k/2 - 1; align_corners 0 with
# size 4: -0.75 .. 0.75), the borders +-1 and reflection points beyond them.
K = np.array([-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, -1.5, 1.5, 3, -3, 2.5, -1.25, 1.25], np.float32)
def grid(shape):
    g = (rs.rand(*shape) * 2.6 - 1.3).astype(np.float32)
    flat = g.reshape(-1, shape[-1])
    half = flat.shape[0] // 2
    flat[half:] = K[(np.arange((flat.shape[0] - half) * shape[-1]) * 7 % len(K))].reshape(-1, shape[-1])
    return g
for rank, xs, gs in ((4, (2, 3, 4, 5), (2, 3, 8, 2)), (5, (1, 2, 4, 5, 4), (1, 2, 3, 4, 3))):
    x = rs.randn(*xs).astype(np.float32)
    g = grid(gs)
    r = rs.randn(*((xs[0], xs[1]) + gs[1:-1])).astype(np.float32)
    for k, v in (('x', x), ('g', g), ('r', r)): np.save(f'{out}/{k}{rank}.npy', v)
    for mode in (('bilinear', 'bicubic', 'nearest') if rank == 4 else ('bilinear', 'nearest')):
        for pad in ('zeros', 'border', 'reflection'):
            for align in (0, 1):
                name = f'{mode}_{rank}_{pad}_{align}'
                xt, gt = torch.tensor(x, requires_grad=True), torch.tensor(g, requires_grad=True)
                y = torch.nn.functional.grid_sample(xt, gt, mode=mode, padding_mode=pad, align_corners=bool(align))
                (y * torch.tensor(r)).sum().backward()
                np.save(f'{out}/y_{name}.npy', y.detach().numpy())
                np.save(f'{out}/gx_{name}.npy', xt.grad.numpy())
                np.save(f'{out}/gg_{name}.npy', gt.grad.numpy())
                # Opset 16's names for 4-D, opset 20's (which alone has 5-D) for 5-D.
                onnx_mode, opset = (mode, 16) if rank == 4 else ({'bilinear': 'linear'}.get(mode, mode), 20)
                n = helper.make_node('GridSample', ['x', 'g'], ['y'], mode=onnx_mode, padding_mode=pad, align_corners=align)
                graph = helper.make_graph([n], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, list(xs)), helper.make_tensor_value_info('g', TensorProto.FLOAT, list(gs))], [helper.make_tensor_value_info('y', TensorProto.FLOAT, [xs[0], xs[1]] + list(gs[1:-1]))])
                m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', opset)], ir_version=9)
                onnx.checker.check_model(m)
                onnx.save(m, f'{out}/{name}.onnx')
# Opset 20's 3-D form (one spatial axis), which torch lacks: ONNX's reference implementation, borders and beyond included.
from onnx.reference import ReferenceEvaluator
x1 = rs.randn(2, 3, 5).astype(np.float32)
g1 = (rs.rand(2, 6, 1) * 2.6 - 1.3).astype(np.float32)
g1[0, :, 0] = [-1, 1, 0.25, -0.6, 3, -2.5]
np.save(f'{out}/x1.npy', x1); np.save(f'{out}/g1.npy', g1)
for mode in ('linear', 'nearest'):
    for pad in ('zeros', 'border', 'reflection'):
        for align in (0, 1):
            n = helper.make_node('GridSample', ['x', 'g'], ['y'], mode=mode, padding_mode=pad, align_corners=align)
            graph = helper.make_graph([n], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 3, 5]), helper.make_tensor_value_info('g', TensorProto.FLOAT, [2, 6, 1])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, [2, 3, 6])])
            m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 20)], ir_version=9)
            onnx.save(m, f'{out}/r1_{mode}_{pad}_{align}.onnx')
            np.save(f'{out}/y_r1_{mode}_{pad}_{align}.npy', ReferenceEvaluator(m).run(None, {'x': x1, 'g': g1})[0])
`;

function assertClose(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 + 1e-4 * Math.abs(want[i]!), `${what}[${i}]: ${got[i]} vs PyTorch ${want[i]}`);
}

describe('imported GridSample: gradients equal PyTorch grid_sample backward', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('gridsample', ['torch', 'onnx'], SCRIPT);

  for (const { mode, rank, pad, align } of CASES) {
    it(`${mode}, ${rank}-D, padding ${pad}, align_corners ${align}: output, input and grid gradients`, () => {
      const name = `${mode}_${rank}_${pad}_${align}`;
      const net = gluon.SymbolBlock.imports(join(fx.dir, `${name}.onnx`));
      net.hybridize();
      const [x, g, r] = ['x', 'g', 'r'].map((k) => new nd.NDArray(readNpy(join(fx.dir, `${k}${rank}.npy`)))) as [nd.NDArray, nd.NDArray, nd.NDArray];
      x.attachGrad();
      g.attachGrad();
      let y: nd.NDArray | null = null;
      autograd.record(() => {
        y = net.call(x, g) as nd.NDArray;
        return nd.sum(nd.mul(y, r));
      }).backward();
      assertClose(y!.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, `y_${name}.npy`))), 'output');
      assertClose(x.grad.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, `gx_${name}.npy`))), 'input gradient');
      assertClose(g.grad.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, `gg_${name}.npy`))), 'grid gradient');
    });
  }

  it("opset 20's 3-D form (one spatial axis; linear and nearest, every padding, align_corners): ONNX's reference implementation, eager and hybridized", () => {
    const [x, g] = ['x1', 'g1'].map((k) => new nd.NDArray(readNpy(join(fx.dir, `${k}.npy`)))) as [nd.NDArray, nd.NDArray];
    for (const mode of ['linear', 'nearest']) {
      for (const pad of ['zeros', 'border', 'reflection']) {
        for (const align of [0, 1]) {
          for (const hybrid of [false, true]) {
            const name = `r1_${mode}_${pad}_${align}`;
            const net = gluon.SymbolBlock.imports(join(fx.dir, `${name}.onnx`));
            if (hybrid) net.hybridize();
            assertClose((net.call(x, g) as nd.NDArray).data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, `y_${name}.npy`))), `${name} (${hybrid ? 'hybridized' : 'eager'})`);
          }
        }
      }
    }
  });
});
