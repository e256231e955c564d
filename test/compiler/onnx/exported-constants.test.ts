/**
 * Which initializers of a file from torch's dynamo exporter
 * (`torch.onnx.export(..., dynamo=True)`, torch 2.13's default) become
 * parameters: PyTorch's parameters, those its optimizer folded from a
 * parameter (a Linear's weight transposed for MatMul) among them. A buffer
 * (`register_buffer`) is a parameter with gradReq 'null', as gluon's running
 * statistics; a constant the optimizer folded from the exporter's
 * temporaries (scaled_dot_product_attention's scale, shape [1]) is no
 * parameter.
 * Checked against the file's own record (value_info metadata, read with
 * python's onnx) and by training: three SGD steps with weight decay give
 * PyTorch's loss (a trained buffer or scale would move it). Skipped without
 * python3's torch, onnx and onnxscript.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { exportedRecord } from '../../../compiler/onnx/exported-constants.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import json, os, sys, warnings
import numpy as np, torch, onnx
from torch import nn
warnings.filterwarnings('ignore')
OUT = sys.argv[1]
torch.manual_seed(0)

class Net(nn.Module):
    def __init__(s):
        super().__init__()
        s.inp = nn.Linear(4, 8)
        s.register_buffer('pe', torch.randn(6, 8))
        s.qkv = nn.Linear(8, 24); s.out = nn.Linear(8, 3)
        s.gain = nn.Parameter(torch.rand(8) + 0.5)
    def forward(s, x):
        h = s.inp(x) + s.pe
        q, k, v = s.qkv(h).reshape(x.shape[0], 6, 3, 2, 4).permute(2, 0, 3, 1, 4)
        a = nn.functional.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(x.shape[0], 6, 8)
        return s.out((a * s.gain).mean(1))

model = Net().eval()
x = torch.randn(2, 6, 4)
path = os.path.join(OUT, 'model.onnx')
torch.onnx.export(model, (x,), path, input_names=['x'], output_names=['y'], dynamic_axes={'x': {0: 'N'}}, dynamo=True)
np.save(os.path.join(OUT, 'x.npy'), x.numpy())
m = onnx.load(path, load_external_data=False)
inits = {t.name for t in m.graph.initializer}
meta = {vi.name: {p.key: p.value for p in vi.metadata_props} for vi in m.graph.value_info if vi.name in inits}
label = torch.tensor([0, 2])
opt = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.1)
losses = []
for _ in range(3):
    opt.zero_grad(); loss = nn.functional.cross_entropy(model(x), label); loss.backward(); opt.step(); losses.append(loss.item())
json.dump({'meta': meta, 'losses': losses, 'params': [n for n, _ in model.named_parameters()]}, open(os.path.join(OUT, 'index.json'), 'w'))
`;

describe('initializers of a torch dynamo export: parameters, buffers and folded constants', function () {
  this.timeout(120_000);
  const fx = pythonFixtures('exported-constants', ['torch', 'onnx', 'onnxscript'], SCRIPT);

  it("reads the exporter's record: buffers, and constants folded from temporaries", () => {
    const index = JSON.parse(readFileSync(join(fx.dir, 'index.json'), 'utf8')) as { meta: Record<string, Record<string, string>> };
    const got = exportedRecord(readFileSync(join(fx.dir, 'model.onnx')));
    // From python's reading of the same metadata: a buffer kind; a constant-tensor kind or a fold of val_N names only.
    const kind = (m: Record<string, string>) => m['pkg.torch.export.graph_signature.InputSpec.kind'];
    const buffers = Object.entries(index.meta).filter(([, m]) => kind(m) === 'BUFFER').map(([n]) => n);
    const constants = Object.entries(index.meta)
      .filter(([, m]) => kind(m) === 'CONSTANT_TENSOR' ||
        (m['pkg.onnxscript.optimizer.folded_from'] !== undefined && kind(m) === undefined &&
          [...m['pkg.onnxscript.optimizer.folded_from']!.matchAll(/'([^']*)'/g)].every((s) => /^val_\d+$/.test(s[1]!))))
      .map(([n]) => n);
    assert.deepEqual(buffers, ['pe'], `the buffer 'pe' is recorded: ${JSON.stringify(index.meta)}`);
    assert.ok(constants.length >= 1, `a folded constant (the attention scale) is recorded: ${JSON.stringify(index.meta)}`);
    assert.deepEqual([...got.buffers].sort(), buffers);
    assert.deepEqual([...got.constants].sort(), constants.sort());
  });

  for (const hybrid of [false, true]) {
    it(`trains PyTorch's parameters only: three SGD steps (weight decay) give PyTorch's losses (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const index = JSON.parse(readFileSync(join(fx.dir, 'index.json'), 'utf8')) as { losses: number[]; params: string[] };
      const net = gluon.SymbolBlock.imports(join(fx.dir, 'model.onnx'));
      if (hybrid) net.hybridize();
      // One block parameter per PyTorch parameter (Linear weights folded into transposed copies count once), and the buffer, frozen.
      const params = net.collectParams();
      assert.equal(params.size, index.params.length + 1, `parameters: ${params.keys().join(', ')}`);
      assert.equal(params.get('pe').gradReq, 'null', 'the buffer never trains');
      assert.deepEqual(params.keys().filter((k) => params.get(k).gradReq !== 'null').length, index.params.length);
      const x = new nd.NDArray(readNpy(join(fx.dir, 'x.npy')));
      const label = nd.array([0, 2]);
      const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
      const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, wd: 0.1 });
      const losses: number[] = [];
      for (let s = 0; s < 3; s++) {
        const l = autograd.record(() => lossFn.call(net.call(x) as nd.NDArray, label) as nd.NDArray);
        l.backward();
        losses.push(tensorToNumbers(l._host).reduce((a, b) => a + b, 0) / 2);
        trainer.step(2);
      }
      assertClose(losses, index.losses, 'losses', 1e-5, 1e-6);
    });
  }
});
