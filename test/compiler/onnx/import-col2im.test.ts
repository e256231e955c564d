/**
 * ONNX's Col2Im (opset 18; what torch.onnx writes for `nn.Fold` /
 * `F.fold`) imported as a scatter-add of the columns into the image, against
 * PyTorch: overlapping blocks with stride, dilation and padding, and
 * non-overlapping patches; the output and the gradients of the input and of
 * a per-column scale parameter (torch.autograd), eager and hybridized, with
 * a dynamic batch axis at opsets 18 and 20; asymmetric pads, 1-D and 3-D
 * images against ONNX's reference implementation (onnx.reference). A column
 * count that does not fit the image is refused by name. Skipped, with a message, without python3's
 * torch and onnx.
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
import os, sys, warnings
import numpy as np, torch
from torch import nn
warnings.filterwarnings('ignore')
out = sys.argv[1]

class Folded(nn.Module):
    def __init__(s, cols, **fold):
        super().__init__()
        s.w = nn.Parameter(torch.randn(1, cols, 1))
        s.fold = nn.Fold(**fold)
    def forward(s, x):
        return s.fold(x * s.w)

CASES = {
    # 2 channels, 2x3 blocks (dilation 2 across), stride (2, 1), padding 1, a 5x6 image: the blocks overlap and reach into the padding.
    # (torch's exporter writes a padding that differs by dimension, (1, 0), as pads [1, 1, 0, 0], which ONNX reads as begin [1, 1], end [0, 0].)
    'overlap': (dict(output_size=(5, 6), kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), 2),
    # 3 channels, non-overlapping 2x2 patches of a 4x6 image.
    'patches': (dict(output_size=(4, 6), kernel_size=2, stride=2), 3),
}
torch.manual_seed(0)
for name, (fold, channels) in CASES.items():
    # The columns nn.Unfold makes of such an image: [1, channels * blocks' size, blocks].
    unfold = {k: v for k, v in fold.items() if k != 'output_size'}
    _, cols, blocks = nn.Unfold(**unfold)(torch.zeros(1, channels, *fold['output_size'])).shape
    m = Folded(cols, **fold)
    x = torch.randn(3, cols, blocks)
    for opset in (18, 20):
        d = os.path.join(out, f'{name}_{opset}'); os.makedirs(d)
        torch.onnx.export(m, (x,), os.path.join(d, 'model.onnx'), input_names=['x'], output_names=['y'], opset_version=opset,
                          dynamic_axes={'x': {0: 'N'}, 'y': {0: 'N'}}, dynamo=False)
    xg = x.clone().requires_grad_(True)
    y = m(xg)
    r = torch.randn(*y.shape)
    (y * r).sum().backward()
    for k, v in (('x', x), ('y', y.detach()), ('r', r), ('gx', xg.grad), ('gw', m.w.grad)):
        np.save(os.path.join(out, f'{name}.{k}.npy'), v.numpy())
`;

describe('imported Col2Im: PyTorch\'s nn.Fold', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('col2im', ['torch', 'onnx'], SCRIPT);
  const ref = (name: string, k: string) => readNpy(join(fx.dir, `${name}.${k}.npy`));

  for (const name of ['overlap', 'patches']) {
    for (const opset of [18, 20]) {
      for (const hybrid of [false, true]) {
        it(`${name}, opset ${opset} (${hybrid ? 'hybridized' : 'eager'}): output and the gradients of the input and the scale`, () => {
          const net = gluon.SymbolBlock.imports(join(fx.dir, `${name}_${opset}`, 'model.onnx'));
          if (hybrid) net.hybridize();
          const x = new nd.NDArray(ref(name, 'x'));
          x.attachGrad();
          let y: nd.NDArray | undefined;
          autograd.record(() => {
            y = net.call(x) as nd.NDArray;
            return nd.sum(nd.mul(y, new nd.NDArray(ref(name, 'r'))));
          }).backward();
          assert.deepEqual(y!.shape, ref(name, 'y').shape);
          assertClose(tensorToNumbers(y!._host), tensorToNumbers(ref(name, 'y')), 'output');
          assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(ref(name, 'gx')), 'input gradient');
          assertClose(tensorToNumbers(net.collectParams().get('w').grad()._host), tensorToNumbers(ref(name, 'gw')), 'scale gradient');
          // Another batch size along the dynamic axis.
          const one = autograd.pause(() => net.call(new nd.NDArray({ ...ref(name, 'x'), shape: [1, ...ref(name, 'x').shape.slice(1)], data: (ref(name, 'x').data as Float32Array).slice(0, sizeOfRow(ref(name, 'x').shape)) } as never)) as nd.NDArray);
          assertClose(tensorToNumbers(one._host), tensorToNumbers(ref(name, 'y')).slice(0, sizeOfRow(ref(name, 'y').shape)), 'output of the first sample alone');
        });
      }
    }
  }

  it('asymmetric pads, 1-D and 3-D images: ONNX\'s reference implementation\'s numbers (eager and hybridized)', () => {
    const py = String.raw`
import json, sys, numpy as np
from onnx import helper, TensorProto, numpy_helper
from onnx.reference import ReferenceEvaluator
rs = np.random.RandomState(0)
out = []
# image, block, pads (begins then ends), dilations, strides, channels
for image, block, pads, dil, st, ch in (([5, 6], [2, 3], [1, 0, 0, 2], [2, 1], [1, 2], 2), ([7], [3], [2, 1], [2], [2], 3), ([3, 4, 3], [2, 2, 2], [0, 1, 0, 1, 0, 1], [1, 1, 1], [1, 2, 1], 1)):
    grid = [(n + pads[i] + pads[len(image) + i] - dil[i] * (block[i] - 1) - 1) // st[i] + 1 for i, n in enumerate(image)]
    x = rs.randn(2, ch * int(np.prod(block)), int(np.prod(grid))).astype(np.float32)
    n = helper.make_node('Col2Im', ['x', 'hw', 'k'], ['y'], pads=pads, dilations=dil, strides=st)
    g = helper.make_graph([n], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', x.shape[1], x.shape[2]])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(np.array(image, np.int64), 'hw'), numpy_helper.from_array(np.array(block, np.int64), 'k')])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 18)], ir_version=8)
    y = ReferenceEvaluator(m).run(None, {'x': x})[0]
    out.append({'model': list(m.SerializeToString()), 'x': x.ravel().tolist(), 'xshape': list(x.shape), 'y': y.ravel().tolist(), 'yshape': list(y.shape)})
print(json.dumps(out))
`;
    const cases = JSON.parse(runPython(py).stdout) as { model: number[]; x: number[]; xshape: number[]; y: number[]; yshape: number[] }[];
    assert.equal(cases.length, 3);
    for (const k of cases) {
      for (const hybrid of [false, true]) {
        const net = new gluon.SymbolBlock(readModel(Uint8Array.from(k.model)).graph);
        if (hybrid) net.hybridize();
        const y = net.call(nd.array(k.x, { shape: k.xshape })) as nd.NDArray;
        assert.deepEqual(y.shape, k.yshape);
        assertClose(tensorToNumbers(y._host), k.y, `image ${JSON.stringify(k.yshape.slice(2))}`);
      }
    }
  });

  it('refuses a column count that does not fit the image, naming it', () => {
    const py = String.raw`
import sys, numpy as np
from onnx import helper, TensorProto, numpy_helper
n = helper.make_node('Col2Im', ['x', 'hw', 'k'], ['y'], name='fold')
g = helper.make_graph([n], 'g', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 4, 5])], [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)],
                      [numpy_helper.from_array(np.array([4, 4], np.int64), 'hw'), numpy_helper.from_array(np.array([2, 2], np.int64), 'k')])
sys.stdout.buffer.write(helper.make_model(g, opset_imports=[helper.make_opsetid('', 18)], ir_version=8).SerializeToString())
`;
    const bytes = runPython(py).stdoutBytes;
    assert.throws(() => readModel(new Uint8Array(bytes)), /ONNX operator 'Col2Im' \(node 'fold'\) has no gluonc equivalent: .*5 columns.*9 blocks/);
  });
});

function sizeOfRow(shape: readonly number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}
