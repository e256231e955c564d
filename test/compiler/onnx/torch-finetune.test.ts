/**
 * Fine-tuning torch-exported models as the README says (SymbolBlock.imports,
 * autograd.record, backward, Trainer.step): models exported by torch.onnx
 * (the TorchScript exporter) when the test runs, at opset 17 and 20, then
 * three SGD steps (momentum 0.9, wd 1e-3) against the same steps in PyTorch
 * (eval mode: BatchNorm on its running statistics, as the imported file;
 * dropout p=0): the loss before each step and every parameter after the
 * last, eager and hybridized. Models: a CNN with BatchNorm2d, Dropout and
 * AdaptiveAvgPool2d (exported with do_constant_folding=False, which keeps
 * the BatchNorm nodes: folded, torch trains the Conv and BatchNorm weights
 * and the file holds one fused weight instead), nn.TransformerEncoderLayer
 * (batch first) with a key padding mask and dynamic batch and sequence axes,
 * an Embedding + bidirectional LSTM tagger, a GRU tagger over a batch packed
 * by length (pack_padded_sequence, enforce_sorted=True) and the same over a
 * batch in any order (enforce_sorted=False: the file sorts the batch by
 * length and scatters it back at indices computed at run time), an MLP-Mixer block (LayerNorm,
 * GELU, token and channel Linears). The encoder's file holds the traced
 * sequence length in its key/value reshapes (torch's exporter), so it runs
 * at that length only, as in onnxruntime. Token ids out of the Embedding's
 * range are an error, as in PyTorch and onnxruntime, never another row.
 * The dynamo exporter also writes, at opset 23, a transformer whose
 * nn.MultiheadAttention (key padding mask) and scaled_dot_product_attention
 * (causal; grouped-query heads with a float mask) become ONNX's Attention;
 * fine-tuned and hybridized, it re-exports to a file onnxruntime runs.
 * Skipped, with a message, without python3's torch and onnx.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, gluon, nd } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers } from '../../../runtime/tensor.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import json, os, sys, warnings
import numpy as np, torch, onnx
from torch import nn
import torch.nn.functional as F
from onnx import numpy_helper
warnings.filterwarnings('ignore')
OUT, EXPORTER = sys.argv[1], sys.argv[2]
LR, MOM, WD, STEPS = 0.05, 0.9, 1e-3, 3

class Cnn(nn.Module):
    def __init__(s):
        super().__init__()
        s.c1 = nn.Conv2d(3, 6, 3, padding=1); s.bn = nn.BatchNorm2d(6); s.drop = nn.Dropout(0.0)
        s.c2 = nn.Conv2d(6, 8, 3, stride=2); s.bn2 = nn.BatchNorm2d(8); s.pool = nn.AdaptiveAvgPool2d(1); s.fc = nn.Linear(8, 4)
    def forward(s, x):
        h = torch.relu(s.bn2(s.c2(torch.relu(s.bn(s.c1(x))))))
        return s.fc(s.drop(torch.flatten(s.pool(h), 1)))

class Enc(nn.Module):
    def __init__(s):
        super().__init__()
        s.emb = nn.Linear(5, 8)
        s.layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        s.fc = nn.Linear(8, 3)
    def forward(s, x, pad):
        return s.fc(s.layer(s.emb(x), src_key_padding_mask=pad)[:, 0])

class Tagger(nn.Module):
    def __init__(s):
        super().__init__()
        s.emb = nn.Embedding(20, 6); s.rnn = nn.LSTM(6, 7, batch_first=True, bidirectional=True); s.fc = nn.Linear(14, 5)
    def forward(s, ids):
        return s.fc(s.rnn(s.emb(ids))[0])

class Packed(nn.Module):
    """A GRU tagger over a batch packed by length (sorted, decreasing: enforce_sorted=True)."""
    def __init__(s):
        super().__init__()
        s.emb = nn.Embedding(20, 6); s.rnn = nn.GRU(6, 7, batch_first=True, bidirectional=True); s.fc = nn.Linear(14, 5)
    def forward(s, ids, lengths):
        h, _ = nn.utils.rnn.pad_packed_sequence(s.rnn(nn.utils.rnn.pack_padded_sequence(s.emb(ids), lengths, batch_first=True))[0], batch_first=True, total_length=ids.shape[1])
        return s.fc(h)

class Unsorted(Packed):
    """The same tagger over a batch in any order (enforce_sorted=False): the file sorts by length and inverts the permutation with an overwriting ScatterElements."""
    def forward(s, ids, lengths):
        h, _ = nn.utils.rnn.pad_packed_sequence(s.rnn(nn.utils.rnn.pack_padded_sequence(s.emb(ids), lengths, batch_first=True, enforce_sorted=False))[0], batch_first=True, total_length=ids.shape[1])
        return s.fc(h)

class MixerBlock(nn.Module):
    def __init__(s, t=4, c=6):
        super().__init__()
        s.n1 = nn.LayerNorm(c); s.tok = nn.Sequential(nn.Linear(t, 8), nn.GELU(), nn.Linear(8, t))
        s.n2 = nn.LayerNorm(c); s.ch = nn.Sequential(nn.Linear(c, 12), nn.GELU(), nn.Linear(12, c))
    def forward(s, x):
        x = x + s.tok(s.n1(x).transpose(1, 2)).transpose(1, 2)
        return x + s.ch(s.n2(x))

class Mixer(nn.Module):
    def __init__(s):
        super().__init__()
        s.patch = nn.Conv2d(3, 6, 4, stride=4); s.block = MixerBlock(); s.norm = nn.LayerNorm(6); s.head = nn.Linear(6, 3)
    def forward(s, x):
        return s.head(s.norm(s.block(s.patch(x).flatten(2).transpose(1, 2))).mean(1))

class Attn(nn.Module):
    """nn.MultiheadAttention with a key padding mask, then scaled_dot_product_attention: causal, and grouped-query heads with a float mask (ONNX Attention at opset 23)."""
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

def write(name, model, inputs, names, dyn, label, loss_kind, opset, other=None, **kw):
    if EXPORTER == 'dynamo' and name in ('packed', 'unsorted'): return  # torch.export cannot trace a PackedSequence
    out = os.path.join(OUT, f'{name}_{opset}'); os.makedirs(out)
    with torch.no_grad():
        # Distinct values everywhere: the exporter merges equal initializers (zero biases, unit norms) into one.
        for p in model.parameters(): p.add_(torch.randn_like(p) * 0.1)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn_like(m.running_mean) * 0.1); m.running_var.copy_(torch.rand_like(m.running_var) + 0.5)
    model.eval()
    path = os.path.join(out, 'model.onnx')
    if EXPORTER == 'dynamo':
        # torch.export's exporter (torch 2.13's default; needs onnxscript): optimize=False keeps BatchNorm, as do_constant_folding=False does.
        torch.onnx.export(model, tuple(inputs), path, input_names=names, output_names=['y'], opset_version=opset, dynamic_axes=dyn, dynamo=True, optimize=kw.get('do_constant_folding', True))
    else:
        torch.onnx.export(model, tuple(inputs), path, input_names=names, output_names=['y'], opset_version=opset, dynamic_axes=dyn, dynamo=False, **kw)
    m = onnx.load(path)
    if name == 'attention':
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
    for i, x in enumerate(inputs): np.save(os.path.join(out, f'in{i}.npy'), x.numpy())
    if other is not None:
        # Other sizes along the dynamic axes, and torch's output there (before the steps).
        for i, x in enumerate(other): np.save(os.path.join(out, f'other{i}.npy'), x.numpy())
        with torch.no_grad(): np.save(os.path.join(out, 'y_other.npy'), model(*other).numpy())
    with torch.no_grad(): np.save(os.path.join(out, 'y.npy'), model(*inputs).numpy())
    np.save(os.path.join(out, 'label.npy'), label.numpy().astype(np.float32))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOM, weight_decay=WD)
    losses = []
    for _ in range(STEPS):
        opt.zero_grad()
        y = model(*inputs)
        if loss_kind == 'ce': loss = nn.functional.cross_entropy(y.reshape(-1, y.shape[-1]), label.reshape(-1))
        else: loss = ((y - label) ** 2).mean() / 2
        loss.backward(); opt.step(); losses.append(loss.item())
    for n, p in model.named_parameters():
        if n in mapping: np.save(os.path.join(out, f'after.{mapping[n][0]}.npy'), p.detach().numpy().T if mapping[n][1] else p.detach().numpy())
    with torch.no_grad(): np.save(os.path.join(out, 'y_after.npy'), model(*inputs).numpy())
    json.dump({'losses': losses, 'mapping': mapping, 'params': [n for n, _ in model.named_parameters()], 'lr': LR, 'momentum': MOM, 'wd': WD, 'loss': loss_kind},
              open(os.path.join(out, 'index.json'), 'w'))

for opset in (17, 20):
    torch.manual_seed(0); rs = np.random.RandomState(0)
    x = torch.from_numpy(rs.randn(3, 3, 10, 10).astype(np.float32))
    write('cnn', Cnn(), [x], ['x'], {'x': {0: 'N'}, 'y': {0: 'N'}}, torch.tensor([0, 3, 1]), 'ce', opset, do_constant_folding=False)
    x = torch.from_numpy(rs.randn(2, 5, 5).astype(np.float32)); pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
    x7 = torch.from_numpy(rs.randn(3, 7, 5).astype(np.float32)); pad7 = torch.tensor([[False] * 7, [False] * 2 + [True] * 5, [False] * 6 + [True]])
    write('encoder', Enc(), [x, pad], ['x', 'pad'], {'x': {0: 'N', 1: 'T'}, 'pad': {0: 'N', 1: 'T'}, 'y': {0: 'N'}}, torch.tensor([1, 2]), 'ce', opset,
          other=[x7, pad7] if EXPORTER == 'dynamo' else None)
    ids = torch.from_numpy(rs.randint(0, 20, (2, 6)))
    write('tagger', Tagger(), [ids], ['ids'], {'ids': {0: 'N', 1: 'T'}, 'y': {0: 'N', 1: 'T'}}, torch.from_numpy(rs.randint(0, 5, (2, 6))), 'ce', opset,
          other=[torch.from_numpy(rs.randint(0, 20, (1, 9)))])
    ids = torch.from_numpy(rs.randint(0, 20, (3, 6)))
    write('packed', Packed(), [ids, torch.tensor([6, 4, 2])], ['ids', 'lengths'], {'ids': {0: 'N', 1: 'T'}, 'lengths': {0: 'N'}, 'y': {0: 'N', 1: 'T'}},
          torch.from_numpy(rs.randint(0, 5, (3, 6))), 'ce', opset)
    ids = torch.from_numpy(rs.randint(0, 20, (4, 6)))
    write('unsorted', Unsorted(), [ids, torch.tensor([2, 6, 1, 4])], ['ids', 'lengths'], {'ids': {0: 'N', 1: 'T'}, 'lengths': {0: 'N'}, 'y': {0: 'N', 1: 'T'}},
          torch.from_numpy(rs.randint(0, 5, (4, 6))), 'ce', opset)
    x = torch.from_numpy(rs.randn(2, 3, 8, 8).astype(np.float32))
    write('mixer', Mixer(), [x], ['x'], {'x': {0: 'N'}, 'y': {0: 'N'}}, torch.from_numpy(rs.randn(2, 3).astype(np.float32)), 'l2', opset)

if EXPORTER == 'dynamo':
    # PyTorch's current exporter writes ONNX's Attention (opset 23) for nn.MultiheadAttention and scaled_dot_product_attention.
    torch.manual_seed(0); rs = np.random.RandomState(0)
    x = torch.from_numpy(rs.randn(2, 5, 5).astype(np.float32)); pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
    bias = torch.from_numpy(rs.randn(5, 5).astype(np.float32))
    x7 = torch.from_numpy(rs.randn(3, 7, 5).astype(np.float32)); pad7 = torch.tensor([[False] * 7, [False] * 2 + [True] * 5, [False] * 6 + [True]])
    write('attention', Attn(), [x, pad, bias], ['x', 'pad', 'bias'], {'x': {0: 'N', 1: 'T'}, 'pad': {0: 'N', 1: 'T'}, 'bias': {0: 'T', 1: 'T'}, 'y': {0: 'N'}},
          torch.tensor([1, 2]), 'ce', 23, other=[x7, pad7, torch.from_numpy(rs.randn(7, 7).astype(np.float32))])
`;

interface Index {
  losses: number[];
  mapping: Record<string, [string, boolean]>;
  params: string[];
  lr: number;
  momentum: number;
  wd: number;
  loss: 'ce' | 'l2';
}

/** The arrays `<prefix>0.npy`, `<prefix>1.npy`, ... of `dir`. */
function inputs(dir: string, prefix = 'in'): nd.NDArray[] {
  const out: nd.NDArray[] = [];
  for (let i = 0; existsSync(join(dir, `${prefix}${i}.npy`)); i++) out.push(new nd.NDArray(readNpy(join(dir, `${prefix}${i}.npy`))));
  return out;
}

/** A hybridized net exported again: the file passes onnx.checker and onnxruntime runs it on `dir`'s inputs to `want`. */
async function reexported(net: gluon.SymbolBlock, dir: string, want: number[]): Promise<void> {
  const out = join(dir, 'finetuned.onnx');
  net.export(out);
  assert.deepEqual(checkOnnxFiles([out]), [null]);
  const session = await ort.InferenceSession.create(out);
  try {
    const feeds = Object.fromEntries(session.inputNames.map((n, i) => {
      const t = readNpy(join(dir, `in${i}.npy`));
      return [n, new ort.Tensor(t.dtype === 'bool' ? 'bool' : (t.dtype as 'float32'), t.data as never, t.shape as number[])];
    }));
    const res = await session.run(feeds);
    assertClose(Array.from(res[session.outputNames[0]!]!.data as Float32Array), want, 're-exported file in onnxruntime');
  } finally {
    await session.release();
  }
}

/**
 * The fine-tuning cases of one exporter: 'torchscript' (`dynamo=False`) or
 * 'dynamo' (torch.export's, torch 2.13's default; it needs onnxscript,
 * writes opset 18 where 17 is asked for some models, puts larger weights in
 * external data, and cannot trace a PackedSequence).
 */
function fineTuneCases(exporter: 'torchscript' | 'dynamo'): { readonly dir: string } {
  const fx = pythonFixtures(`finetune-${exporter}`, exporter === 'dynamo' ? ['torch', 'onnx', 'onnxscript'] : ['torch', 'onnx'], SCRIPT, [exporter]);
  const names = exporter === 'dynamo' ? ['cnn', 'encoder', 'tagger', 'mixer', 'attention'] : ['cnn', 'encoder', 'tagger', 'packed', 'unsorted', 'mixer'];
  for (const name of names) {
    for (const opset of name === 'attention' ? [23] : [17, 20]) {
      for (const hybrid of [false, true]) {
        const also = name === 'attention' && hybrid ? ', and the fine-tuned net re-exported runs in onnxruntime to the same output' : '';
        it(`${name}, opset ${opset} (${hybrid ? 'hybridized' : 'eager'}): output, the loss before each step, every parameter after them${also}`, async () => {
          const dir = join(fx.dir, `${name}_${opset}`);
          const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as Index;
          // Every torch parameter is one initializer of the file (BatchNorm kept, no merged weights), but
          // the LSTM's, which the exporter re-packs (gates reordered, directions stacked): the losses and the output after the steps cover those.
          assert.deepEqual(Object.keys(index.mapping).sort(), index.params.filter((p) => !p.startsWith('rnn.')).sort());
          const net = gluon.SymbolBlock.imports(join(dir, 'model.onnx'));
          if (hybrid) net.hybridize();
          const xs = inputs(dir);
          const y = autograd.pause(() => net.call(...xs) as nd.NDArray);
          assertClose(tensorToNumbers(y._host), tensorToNumbers(readNpy(join(dir, 'y.npy'))), 'output');
          if (existsSync(join(dir, 'y_other.npy'))) {
            const other = autograd.pause(() => net.call(...inputs(dir, 'other')) as nd.NDArray);
            assertClose(tensorToNumbers(other._host), tensorToNumbers(readNpy(join(dir, 'y_other.npy'))), `output at other sizes [${other.shape.join(', ')}]`);
          }
          const lossFn = index.loss === 'ce' ? new gluon.loss.SoftmaxCrossEntropyLoss() : new gluon.loss.L2Loss();
          const label = new nd.NDArray(readNpy(join(dir, 'label.npy')));
          const params = net.collectParams();
          const trainer = new gluon.Trainer(params, 'sgd', { learningRate: index.lr, momentum: index.momentum, wd: index.wd });
          const n = xs[0]!.shape[0] as number;
          const losses: number[] = [];
          for (let s = 0; s < index.losses.length; s++) {
            const l = autograd.record(() => lossFn.call(net.call(...xs) as nd.NDArray, label) as nd.NDArray);
            l.backward();
            // Gluon's per-sample losses (a mean over the tagger's steps); torch's mean over the batch.
            losses.push(tensorToNumbers(l._host).reduce((a, b) => a + b, 0) / n);
            trainer.step(n);
          }
          assertClose(losses, index.losses, 'losses', 1e-5, 1e-6);
          for (const [param, [init]] of Object.entries(index.mapping)) {
            assertClose(tensorToNumbers(params.get(init).data()._host), tensorToNumbers(readNpy(join(dir, `after.${init}.npy`))), `${param} after the steps`);
          }
          const after = autograd.pause(() => net.call(...xs) as nd.NDArray);
          const want = tensorToNumbers(readNpy(join(dir, 'y_after.npy')));
          assertClose(tensorToNumbers(after._host), want, 'output after the steps');
          if (also) await reexported(net, dir, want);
        });
      }
    }
  }
  return fx;
}

describe('fine-tuning torch-exported models (TorchScript exporter): three SGD steps (momentum, wd) equal PyTorch\'s', function () {
  this.timeout(300_000);
  const fx = fineTuneCases('torchscript');

  for (const hybrid of [false, true]) {
    it(`the encoder's file holds the traced sequence length (its keys reshaped to [5, N*2, 4]): T = 7 fails naming the reshape, as in onnxruntime (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const net = gluon.SymbolBlock.imports(join(fx.dir, 'encoder_17', 'model.onnx'));
      if (hybrid) net.hybridize();
      assert.deepEqual((net.call(nd.ones([3, 5, 5]), nd.zeros([3, 5], { dtype: 'bool' })) as nd.NDArray).shape, [3, 3]);
      assert.throws(() => (net.call(nd.ones([2, 7, 5]), nd.zeros([2, 7], { dtype: 'bool' })) as nd.NDArray).data(), /reshape.*\[7, 2, 8\].*\[5, 4, 4\]/);
    });
  }

  for (const hybrid of [false, true]) {
    it(`token ids past the Embedding's rows are an error, as in PyTorch; -1 is the last row, as ONNX's Gather (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const net = gluon.SymbolBlock.imports(join(fx.dir, 'tagger_17', 'model.onnx'));
      if (hybrid) net.hybridize();
      const ids = (v: number[]) => new nd.NDArray({ dtype: 'int64', shape: [1, v.length], data: BigInt64Array.from(v.map(BigInt)) } as never);
      assert.throws(() => (net.call(ids([3, 20])) as nd.NDArray).data(), /index|indices/i);
      assert.throws(() => (net.call(ids([-21, 3])) as nd.NDArray).data(), /index|indices/i);
      // ONNX's Gather counts negative indices from the end: -1 is row 19.
      const a = tensorToNumbers((net.call(ids([4, -1])) as nd.NDArray)._host);
      const b = tensorToNumbers((net.call(ids([4, 19])) as nd.NDArray)._host);
      assert.deepEqual(a, b);
    });
  }
});

describe('fine-tuning torch-exported models (dynamo exporter, torch.onnx.export\'s default): three SGD steps equal PyTorch\'s, other sizes along the dynamic axes', function () {
  this.timeout(300_000);
  fineTuneCases('dynamo');
});
