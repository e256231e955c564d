/**
 * Models written in PyTorch and exported by its default exporter
 * (`torch.onnx.export(..., dynamo=True)`, torch 2.13), imported with
 * SymbolBlock.imports: a ResNet block (its BatchNorms folded by the
 * exporter's optimizer), a pre-norm TransformerDecoderLayer with a causal
 * mask and a memory of another length, a GPT block (is_causal
 * scaled_dot_product_attention, a learned position table sliced to T,
 * tanh-GELU, split heads), a dilated Conv1d with GroupNorm, SiLU, nearest
 * up-sampling and amax, einsum with masked_fill, cumsum, log_softmax,
 * softplus and clamp, and a 2-layer bidirectional GRU tagger. Each, eager and
 * hybridized: the output equals PyTorch's, so does the output at other sizes
 * along the dynamic axes, and so does the gradient of sum(y * r) for every
 * parameter PyTorch's named_parameters maps onto an initializer (by value,
 * or transposed). Skipped without python3's torch, onnx and onnxscript.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import torch, torch.nn as nn, torch.nn.functional as Fn, numpy as np, warnings, os, json, sys, onnx, logging
logging.disable(logging.WARNING)
from onnx import numpy_helper
warnings.filterwarnings('ignore')
torch.manual_seed(0)
OUT = sys.argv[1]
class Res(nn.Module):
    def __init__(s):
        super().__init__(); s.c1 = nn.Conv2d(3, 8, 3, padding=1, bias=False); s.b1 = nn.BatchNorm2d(8); s.c2 = nn.Conv2d(8, 8, 3, padding=1, bias=False); s.b2 = nn.BatchNorm2d(8); s.fc = nn.Linear(8, 5)
    def forward(s, x):
        h = Fn.relu(s.b1(s.c1(x))); h = Fn.relu(s.b2(s.c2(h)) + h)
        return s.fc(Fn.adaptive_avg_pool2d(Fn.max_pool2d(h, 2), 1).flatten(1))
class Dec(nn.Module):
    def __init__(s):
        super().__init__(); s.emb = nn.Embedding(30, 16); s.layer = nn.TransformerDecoderLayer(16, 4, 32, dropout=0.0, batch_first=True, norm_first=True, activation='gelu'); s.fc = nn.Linear(16, 30)
    def forward(s, ids, mem):
        T = ids.shape[1]
        mask = torch.triu(torch.full((T, T), float('-inf')), diagonal=1)
        return s.fc(s.layer(s.emb(ids), mem, tgt_mask=mask, tgt_is_causal=True))
class Gpt(nn.Module):
    def __init__(s):
        super().__init__(); s.emb = nn.Embedding(30, 16); s.pos = nn.Parameter(torch.randn(12, 16) * 0.1); s.ln = nn.LayerNorm(16); s.qkv = nn.Linear(16, 48); s.proj = nn.Linear(16, 16); s.mlp = nn.Sequential(nn.Linear(16, 64), nn.GELU(approximate='tanh'), nn.Linear(64, 16)); s.head = nn.Linear(16, 30, bias=False)
    def forward(s, ids):
        B, T = ids.shape
        x = s.emb(ids) + s.pos[:T]
        q, k, v = s.qkv(s.ln(x)).split(16, dim=2)
        q, k, v = [t.view(B, T, 4, 4).transpose(1, 2) for t in (q, k, v)]
        a = Fn.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).contiguous().view(B, T, 16)
        x = x + s.proj(a)
        x = x + s.mlp(s.ln(x))
        return s.head(x)
class Conv1(nn.Module):
    def __init__(s):
        super().__init__(); s.c = nn.Conv1d(4, 6, 3, padding='same', dilation=2); s.g = nn.GroupNorm(2, 6); s.fc = nn.Linear(6, 2)
    def forward(s, x):
        h = Fn.silu(s.g(s.c(x)))
        h = Fn.interpolate(h, scale_factor=2, mode='nearest')
        return s.fc(h.amax(2))
class Misc(nn.Module):
    def __init__(s):
        super().__init__(); s.a = nn.Linear(6, 6); s.b = nn.Parameter(torch.randn(6, 6))
    def forward(s, x):
        h = torch.einsum('bi,ij->bj', s.a(x), s.b)
        h = h.masked_fill(h > 1.0, 1.0)
        h = torch.cumsum(h, 1) + torch.where(x > 0, x, -x)
        return Fn.log_softmax(h, -1) + Fn.softplus(h) - torch.clamp(h, -0.5, 0.5) ** 2
class Gru(nn.Module):
    def __init__(s):
        super().__init__(); s.emb = nn.Embedding(20, 8); s.rnn = nn.GRU(8, 12, num_layers=2, batch_first=True, bidirectional=True); s.fc = nn.Linear(24, 3)
    def forward(s, ids):
        y, h = s.rnn(s.emb(ids))
        return s.fc(y[:, -1]) + h.sum(0).sum(-1, keepdim=True)
rs = np.random.RandomState(0)
ids = lambda n, t, v: torch.from_numpy(rs.randint(0, v, (n, t)))
cases = {
  'res': (Res(), [torch.randn(2, 3, 8, 8)], {'x': {0: 'N'}}, [torch.randn(3, 3, 8, 8)]),
  'dec': (Dec(), [ids(2, 5, 30), torch.randn(2, 4, 16)], {'ids': {0: 'N', 1: 'T'}, 'mem': {0: 'N', 1: 'S'}}, [ids(3, 7, 30), torch.randn(3, 2, 16)]),
  'gpt': (Gpt(), [ids(2, 6, 30)], {'ids': {0: 'N', 1: 'T'}}, [ids(1, 9, 30)]),
  'conv1': (Conv1(), [torch.randn(2, 4, 10)], {'x': {0: 'N', 2: 'L'}}, [torch.randn(1, 4, 13)]),
  'misc': (Misc(), [torch.randn(3, 6)], {'x': {0: 'N'}}, [torch.randn(5, 6)]),
  'gru': (Gru(), [ids(2, 5, 20)], {'ids': {0: 'N', 1: 'T'}}, [ids(3, 8, 20)]),
}
for name, (m, args, dyn, other) in cases.items():
    out = os.path.join(OUT, name); os.makedirs(out, exist_ok=True)
    with torch.no_grad():
        for p in m.parameters(): p.add_(torch.randn_like(p) * 0.05)
    m.eval()
    torch.onnx.export(m, tuple(args), f'{out}/model.onnx', input_names=list(dyn.keys()), output_names=['y'], dynamic_axes=dyn, dynamo=True)
    for i, a in enumerate(args): np.save(f'{out}/in{i}.npy', a.numpy())
    for i, a in enumerate(other): np.save(f'{out}/other{i}.npy', a.numpy())
    with torch.no_grad(): np.save(f'{out}/y_other.npy', m(*other).numpy())
    y = m(*args); r = torch.from_numpy(rs.randn(*y.shape).astype(np.float32))
    np.save(f'{out}/y.npy', y.detach().numpy()); np.save(f'{out}/r.npy', r.numpy())
    (y * r).sum().backward()
    inits = {t.name: numpy_helper.to_array(t, base_dir=out) for t in onnx.load(f'{out}/model.onnx').graph.initializer}
    mp = {}
    for n, p in m.named_parameters():
        w = p.detach().numpy()
        k = next((k for k, v in inits.items() if v.shape == w.shape and np.array_equal(v, w)), None)
        if k is not None: np.save(f'{out}/grad.{k}.npy', p.grad.numpy()); mp[n] = k; continue
        k = next((k for k, v in inits.items() if v.ndim == 2 and v.shape == w.T.shape and np.array_equal(v, w.T)), None)
        if k is not None: np.save(f'{out}/grad.{k}.npy', p.grad.numpy().T); mp[n] = k
    json.dump({'mapped': mp, 'params': [n for n, _ in m.named_parameters()]}, open(f'{out}/index.json', 'w'))
`;

/** The arrays `<prefix>0.npy`, `<prefix>1.npy`, ... of `dir`. */
function arrays(dir: string, prefix: string): nd.NDArray[] {
  const out: nd.NDArray[] = [];
  for (let i = 0; existsSync(join(dir, `${prefix}${i}.npy`)); i++) out.push(new nd.NDArray(readNpy(join(dir, `${prefix}${i}.npy`))));
  return out;
}

describe('models exported by torch.onnx.export with dynamo=True (its default): outputs, other sizes and gradients equal PyTorch\'s', function () {
  this.timeout(300_000);
  const fx = pythonFixtures('dynamo-models', ['torch', 'onnx', 'onnxscript'], SCRIPT);

  for (const name of ['res', 'dec', 'gpt', 'conv1', 'misc', 'gru']) {
    for (const hybrid of [false, true]) {
      it(`${name} (${hybrid ? 'hybridized' : 'eager'})`, () => {
        const dir = join(fx.dir, name);
        const net = gluon.SymbolBlock.imports(join(dir, 'model.onnx'));
        if (hybrid) net.hybridize();
        const xs = arrays(dir, 'in');
        const other = autograd.pause(() => net.call(...arrays(dir, 'other')) as nd.NDArray);
        assertClose(tensorToNumbers(other._host), tensorToNumbers(readNpy(join(dir, 'y_other.npy'))), 'output at other sizes', 1e-4, 1e-5);
        const r = new nd.NDArray(readNpy(join(dir, 'r.npy')));
        let y: nd.NDArray | undefined;
        const loss = autograd.record(() => {
          y = net.call(...xs) as nd.NDArray;
          return y.mul(r).sum();
        });
        assertClose(tensorToNumbers(y!._host), tensorToNumbers(readNpy(join(dir, 'y.npy'))), 'output', 1e-4, 1e-5);
        loss.backward();
        const params = net.collectParams();
        const grads = readdirSync(dir).filter((f) => f.startsWith('grad.'));
        const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { mapped: Record<string, string> };
        if (grads.length !== Object.keys(index.mapped).length || !grads.length) throw new Error(`${name}: ${grads.length} gradients for ${JSON.stringify(index.mapped)}`);
        for (const f of grads) {
          const k = f.slice(5, -4);
          assertClose(tensorToNumbers(params.get(k).grad()._host), tensorToNumbers(readNpy(join(dir, f))), `gradient of ${k}`, 1e-3, 1e-5);
        }
      });
    }
  }
});
