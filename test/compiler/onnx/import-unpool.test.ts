/**
 * MaxPool's Indices output and MaxUnpool imported (gluonc's `maxPoolIndices`
 * and `maxUnpool`, compiler/ops/unpool.ts) against PyTorch's
 * `max_pool2d(return_indices=True)` and `max_unpool2d` (SegNet's pattern):
 * a pool, a per-channel scale, an unpool by the indices; the indices (torch's
 * per-plane positions moved to ONNX's whole-tensor ones), the output and the
 * gradients of the input and of the scale, eager and hybridized. Skipped,
 * with a message, without python3's torch and onnx.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { readModel } from '../../../compiler/onnx/index.js';
import { assertClose } from '../../helpers/compare.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';
import { runPython } from '../../helpers/python-server.js';

const SCRIPT = String.raw`
import sys, numpy as np, torch, onnx
from onnx import helper, TensorProto, numpy_helper
out = sys.argv[1]
rs = np.random.RandomState(0)
x = rs.randn(2, 3, 6, 8).astype(np.float32)
w = rs.randn(1, 3, 1, 1).astype(np.float32)
r = rs.randn(2, 3, 6, 8).astype(np.float32)
for k, v in (('x', x), ('r', r)): np.save(f'{out}/{k}.npy', v)
xt, wt = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
y, i = torch.nn.functional.max_pool2d(xt, 2, 2, return_indices=True)
u = torch.nn.functional.max_unpool2d(y * wt, i, 2, 2)
(u * torch.tensor(r)).sum().backward()
plane = (torch.arange(6).reshape(2, 3, 1, 1) * 48)
np.save(f'{out}/i.npy', (i + plane).numpy())
np.save(f'{out}/u.npy', u.detach().numpy())
np.save(f'{out}/gx.npy', xt.grad.numpy())
np.save(f'{out}/gw.npy', wt.grad.numpy())
nodes = [helper.make_node('MaxPool', ['x'], ['y', 'i'], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node('Mul', ['y', 'w'], ['yw']),
         helper.make_node('MaxUnpool', ['yw', 'i'], ['u'], kernel_shape=[2, 2], strides=[2, 2])]
g = helper.make_graph(nodes, 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 3, 6, 8])],
                      [helper.make_tensor_value_info('u', TensorProto.FLOAT, [2, 3, 6, 8]), helper.make_tensor_value_info('i', TensorProto.INT64, [2, 3, 3, 4])],
                      [numpy_helper.from_array(w, 'w')])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid('', 12)], ir_version=8), f'{out}/model.onnx')
`;

describe('imported MaxPool indices and MaxUnpool: PyTorch\'s max_pool2d(return_indices) and max_unpool2d', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('unpool', ['torch', 'onnx'], SCRIPT);

  for (const hybrid of [false, true]) {
    it(`indices, output and the gradients of the input and the scale (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const net = gluon.SymbolBlock.imports(join(fx.dir, 'model.onnx'));
      if (hybrid) net.hybridize();
      const x = new nd.NDArray(readNpy(join(fx.dir, 'x.npy')));
      x.attachGrad();
      let outs: nd.NDArray[] = [];
      autograd.record(() => {
        outs = net.call(x) as nd.NDArray[];
        return nd.sum(nd.mul(outs[0]!, new nd.NDArray(readNpy(join(fx.dir, 'r.npy')))));
      }).backward();
      assertClose(tensorToNumbers(outs[1]!._host), tensorToNumbers(readNpy(join(fx.dir, 'i.npy'))), 'indices');
      assertClose(outs[0]!.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, 'u.npy'))), 'unpooled output');
      assertClose(x.grad.data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, 'gx.npy'))), 'input gradient');
      assertClose(net.collectParams().get('w').grad().data() as Float32Array, tensorToNumbers(readNpy(join(fx.dir, 'gw.npy'))), 'scale gradient');
    });
  }

  it('refuses bad operands and an output_shape the two references disagree on, by name', () => {
    const x = nd.array(new Array(16).fill(1), { shape: [1, 1, 4, 4] });
    assert.throws(() => nd.maxUnpool(x, nd.array([0, 1], { shape: [1, 1, 1, 2], dtype: 'int64' }), { kernel: [2, 2], stride: [2, 2] }), /maxUnpool: indices must be int64 of the data's shape \[1, 1, 4, 4\], got int64\[1, 1, 1, 2\]/);
    assert.throws(() => nd.maxPoolIndices(nd.array([1, 2, 3], { shape: [1, 1, 3], dtype: 'int32' }), { kernel: [2] }), /maxPoolIndices: data must be float32, float64 or float16, got int32/);
    assert.throws(() => nd.maxPoolIndices(x, { kernel: [2, 2], storageOrder: 2 as 0 }), /storageOrder must be 0 \(row-major\) or 1 \(column-major\), got 2/);
    // Overlapping windows (stride < kernel) may share an index: the gradient is refused.
    const v = nd.array([1, 2, 3, 4], { shape: [1, 1, 2, 2] });
    v.attachGrad();
    const up = autograd.record(() => nd.sum(nd.maxUnpool(v, nd.array([0, 1, 1, 4], { shape: [1, 1, 2, 2], dtype: 'int64' }), { kernel: [2, 2], stride: [1, 1] })));
    assert.throws(() => up.backward(), /maxUnpool: cannot differentiate with overlapping windows \(stride \[1, 1\] < kernel \[2, 2\]\)/);
    const py = String.raw`
import sys, onnx
from onnx import helper, TensorProto, numpy_helper
import numpy as np
n = helper.make_node('MaxUnpool', ['x', 'i', 's'], ['y'], name='up', kernel_shape=[2, 2], strides=[2, 2])
g = helper.make_graph([n], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 1, 2, 2]), helper.make_tensor_value_info('i', TensorProto.INT64, [1, 1, 2, 2])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)], [numpy_helper.from_array(np.array([1, 1, 5, 5], np.int64), 's')])
sys.stdout.buffer.write(helper.make_model(g, opset_imports=[helper.make_opsetid('', 11)], ir_version=8).SerializeToString())
`;
    const bytes = runPython(py).stdoutBytes;
    assert.throws(() => readModel(new Uint8Array(bytes)), /ONNX operator 'MaxUnpool' \(node 'up'\) has no gluonc equivalent: output_shape \[1, 1, 5, 5\] differs from the unpooled size \[1, 1, 4, 4\]/);
  });
});
