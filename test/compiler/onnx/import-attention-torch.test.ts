/**
 * A transformer exported by PyTorch's current exporter (torch.onnx.export,
 * dynamo=True, opset 23) writes ONNX's Attention for nn.MultiheadAttention
 * (with a key padding mask) and F.scaled_dot_product_attention (causal, and
 * grouped-query heads with a float mask), with dynamic batch and sequence
 * axes: imported, it computes torch's output (at another batch and length too),
 * three SGD steps (momentum, weight decay) give torch's losses and parameters
 * (the gradients through Attention), eager and hybridized; the fine-tuned
 * net re-exports to a file onnx.checker passes and onnxruntime runs to the
 * same output. Skipped, with a message, without python3's torch, onnx and onnxscript.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, gluon, nd } from 'gluonc';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import json, os, sys, warnings
import numpy as np, torch, onnx
from torch import nn
import torch.nn.functional as F
from onnx import numpy_helper
warnings.filterwarnings('ignore')
OUT = sys.argv[1]
LR, MOM, WD, STEPS = 0.05, 0.9, 1e-3, 3

class Net(nn.Module):
    """nn.MultiheadAttention with a key padding mask, then scaled_dot_product_attention: causal, and grouped-query heads with a float mask."""
    def __init__(s):
        super().__init__()
        s.emb = nn.Linear(5, 8)
        s.mha = nn.MultiheadAttention(8, 2, batch_first=True)
        s.q = nn.Linear(8, 8); s.kv = nn.Linear(8, 8)
        s.fc = nn.Linear(8, 3)
    def forward(s, x, pad, bias):
        h = s.emb(x)
        h = h + s.mha(h, h, h, key_padding_mask=pad, need_weights=False)[0]
        B, T, _ = h.shape
        q = s.q(h).reshape(B, T, 4, 2).transpose(1, 2)
        k, v = s.kv(h).reshape(B, T, 2, 4).transpose(1, 2).chunk(2, dim=-1)
        c = F.scaled_dot_product_attention(q, q, q, is_causal=True)
        g = F.scaled_dot_product_attention(q, k, v, attn_mask=bias, enable_gqa=True)
        h = h + (c + g).transpose(1, 2).reshape(B, T, 8)
        return s.fc(h[:, 0])

torch.manual_seed(0); rs = np.random.RandomState(0)
model = Net()
with torch.no_grad():
    for p in model.parameters(): p.add_(torch.randn_like(p) * 0.1)
model.eval()
x = torch.from_numpy(rs.randn(2, 5, 5).astype(np.float32))
pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
bias = torch.from_numpy(rs.randn(5, 5).astype(np.float32))
label = torch.tensor([1, 2])
inputs = [x, pad, bias]
path = os.path.join(OUT, 'model.onnx')
torch.onnx.export(model, tuple(inputs), path, input_names=['x', 'pad', 'bias'], output_names=['y'], opset_version=23, dynamo=True,
                  dynamic_axes={'x': {0: 'N', 1: 'T'}, 'pad': {0: 'N', 1: 'T'}, 'bias': {0: 'T', 1: 'T'}, 'y': {0: 'N'}})
m = onnx.load(path)
ops = [n.op_type for n in m.graph.node]
assert ops.count('Attention') == 3, ops
inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
mapping = {}
for n, p in model.named_parameters():
    w = p.detach().numpy()
    k = next((k for k, v in inits.items() if v.shape == w.shape and np.array_equal(v, w)), None)
    if k is not None: mapping[n] = [k, False]; continue
    k = next((k for k, v in inits.items() if v.ndim == 2 and v.shape == w.T.shape and np.array_equal(v, w.T)), None)
    if k is not None: mapping[n] = [k, True]
for i, t in enumerate(inputs): np.save(os.path.join(OUT, f'in{i}.npy'), t.numpy())
with torch.no_grad(): np.save(os.path.join(OUT, 'y.npy'), model(*inputs).numpy())
np.save(os.path.join(OUT, 'label.npy'), label.numpy().astype(np.float32))
# Other sizes along the dynamic axes, and torch's output there (before the steps).
x7 = torch.from_numpy(rs.randn(3, 7, 5).astype(np.float32)); pad7 = torch.tensor([[False] * 7, [False] * 2 + [True] * 5, [False] * 6 + [True]])
other = [x7, pad7, torch.from_numpy(rs.randn(7, 7).astype(np.float32))]
for i, t in enumerate(other): np.save(os.path.join(OUT, f'other{i}.npy'), t.numpy())
with torch.no_grad(): np.save(os.path.join(OUT, 'y_other.npy'), model(*other).numpy())
opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOM, weight_decay=WD)
losses = []
for _ in range(STEPS):
    opt.zero_grad()
    loss = F.cross_entropy(model(*inputs), label)
    loss.backward(); opt.step(); losses.append(loss.item())
for n, p in model.named_parameters():
    if n in mapping: np.save(os.path.join(OUT, f'after.{mapping[n][0]}.npy'), p.detach().numpy().T if mapping[n][1] else p.detach().numpy())
with torch.no_grad(): np.save(os.path.join(OUT, 'y_after.npy'), model(*inputs).numpy())
json.dump({'losses': losses, 'mapping': mapping, 'params': [n for n, _ in model.named_parameters()], 'lr': LR, 'momentum': MOM, 'wd': WD,
           'attention': [[(a.name, onnx.helper.get_attribute_value(a)) for a in n.attribute] + [list(n.input)] for n in m.graph.node if n.op_type == 'Attention']},
          open(os.path.join(OUT, 'index.json'), 'w'))
`;

interface Index {
  losses: number[];
  mapping: Record<string, [string, boolean]>;
  params: string[];
  lr: number;
  momentum: number;
  wd: number;
}

describe('fine-tuning a torch transformer exported with ONNX Attention (opset 23): three SGD steps equal PyTorch\'s', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('attention-torch', ['torch', 'onnx', 'onnxscript'], SCRIPT);
  const xs = (prefix = 'in') => [0, 1, 2].map((i) => new nd.NDArray(readNpy(join(fx.dir, `${prefix}${i}.npy`))));

  for (const hybrid of [false, true]) {
    it(`output, the loss before each step, every parameter after them, and the re-exported file (${hybrid ? 'hybridized' : 'eager'})`, async () => {
      const index = JSON.parse(readFileSync(join(fx.dir, 'index.json'), 'utf8')) as Index;
      assert.deepEqual(Object.keys(index.mapping).sort(), [...index.params].sort());
      const net = gluon.SymbolBlock.imports(join(fx.dir, 'model.onnx'));
      if (hybrid) net.hybridize();
      const y = autograd.pause(() => net.call(...xs()) as nd.NDArray);
      assertClose(tensorToNumbers(y._host), tensorToNumbers(readNpy(join(fx.dir, 'y.npy'))), 'output');
      const other = autograd.pause(() => net.call(...xs('other')) as nd.NDArray);
      assertClose(tensorToNumbers(other._host), tensorToNumbers(readNpy(join(fx.dir, 'y_other.npy'))), 'output at batch 3, length 7');
      const lossFn = new gluon.loss.SoftmaxCrossEntropyLoss();
      const label = new nd.NDArray(readNpy(join(fx.dir, 'label.npy')));
      const params = net.collectParams();
      const trainer = new gluon.Trainer(params, 'sgd', { learningRate: index.lr, momentum: index.momentum, wd: index.wd });
      const losses: number[] = [];
      for (let s = 0; s < index.losses.length; s++) {
        const l = autograd.record(() => lossFn.call(net.call(...xs()) as nd.NDArray, label) as nd.NDArray);
        l.backward();
        losses.push(tensorToNumbers(l._host).reduce((a, b) => a + b, 0) / 2);
        trainer.step(2);
      }
      assertClose(losses, index.losses, 'losses', 1e-5, 1e-6);
      for (const [param, [init]] of Object.entries(index.mapping)) {
        assertClose(tensorToNumbers(params.get(init).data()._host), tensorToNumbers(readNpy(join(fx.dir, `after.${init}.npy`))), `${param} after the steps`, 1e-4, 1e-5);
      }
      const after = autograd.pause(() => net.call(...xs()) as nd.NDArray);
      const want = tensorToNumbers(readNpy(join(fx.dir, 'y_after.npy')));
      assertClose(tensorToNumbers(after._host), want, 'output after the steps', 1e-4, 1e-5);
      if (!hybrid) return;
      const out = join(fx.dir, 'finetuned.onnx');
      net.export(out);
      assert.ok(existsSync(out));
      assert.deepEqual(checkOnnxFiles([out]), [null]);
      const session = await ort.InferenceSession.create(out);
      try {
        const feeds = Object.fromEntries(session.inputNames.map((n, i) => {
          const t = readNpy(join(fx.dir, `in${i}.npy`));
          return [n, new ort.Tensor(t.dtype === 'bool' ? 'bool' : (t.dtype as 'float32'), t.data as never, t.shape as number[])];
        }));
        const res = await session.run(feeds);
        assertClose(Array.from(res[session.outputNames[0]!]!.data as Float32Array), want, 're-exported file in onnxruntime', 1e-4, 1e-5);
      } finally {
        await session.release();
      }
    });
  }
});
