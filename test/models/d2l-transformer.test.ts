/**
 * d2l's multi-head attention and Transformer chapters (MXNet edition) in
 * models/d2l/transformer.ts, against PyTorch written here independently
 * (d2l's PyTorch edition's formulas, float64 autograd, the same weights):
 * outputs and the gradients of every parameter and input, eager and
 * hybridized, at the edges d2l's masking meets (valid length 0 and full,
 * 1-D and 2-D valid lengths, one step, one sequence); the decoder block's
 * causal training pass, which must also equal token-by-token prediction;
 * Adam steps on d2l's MaskedSoftmaxCELoss against torch.optim.Adam; and the
 * exported artifact with a symbolic batch and length against the eager model.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, np, random } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs, type NumpyResult } from '../helpers/numpy.js';
import {
  MaskedSoftmaxCELoss,
  MultiHeadAttention,
  PositionalEncoding,
  TransformerDecoderBlock,
  TransformerEncoder,
  TransformerEncoderBlock,
  type DecoderState,
} from '../../models/d2l/transformer.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
type Arr = { shape: number[]; data: number[] };
const arr = (x: NDArray): Arr => ({ shape: x.shape as number[], data: flat(x) });
const paramsOf = (b: gluon.Block) => Object.fromEntries([...b.collectParams().entries()].map(([k, p]) => [k, arr(p.data())]));

/** PyTorch (float64) of d2l's PyTorch edition, with the parameters by gluonc's names (`P`), inputs `I`. */
const TORCH = String.raw`
import torch
torch.set_default_dtype(torch.float64)
C = attrs['case']
T = lambda v: torch.tensor(np.array(v['data'], dtype=np.float64).reshape(v['shape']))
P = {k: T(v).requires_grad_() for k, v in C['params'].items()}
I = {k: (None if v is None else T(v)) for k, v in C['inputs'].items()}
for k in C.get('wrt', []): I[k].requires_grad_()
def masked_softmax(X, valid_lens):
    if valid_lens is None: return torch.softmax(X, dim=-1)
    shape = X.shape
    valid_lens = torch.repeat_interleave(valid_lens, shape[1]) if valid_lens.dim() == 1 else valid_lens.reshape(-1)
    X = X.reshape(-1, shape[-1])
    mask = torch.arange(shape[-1])[None, :] < valid_lens[:, None]
    X = torch.where(mask, X, torch.tensor(-1e6))
    return torch.softmax(X.reshape(shape), dim=-1)
def lin(x, pre):
    y = x @ P[pre + 'weight'].T
    return y + P[pre + 'bias'] if pre + 'bias' in P else y
def mha(pre, q, k, v, valid_lens, H):
    def tq(X):
        X = X.reshape(X.shape[0], X.shape[1], H, -1).permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])
    Q, K, V = tq(lin(q, pre + 'W_q.')), tq(lin(k, pre + 'W_k.')), tq(lin(v, pre + 'W_v.'))
    if valid_lens is not None: valid_lens = torch.repeat_interleave(valid_lens, H, dim=0)
    A = masked_softmax(Q @ K.transpose(1, 2) / math.sqrt(Q.shape[-1]), valid_lens)
    O = A @ V
    O = O.reshape(-1, H, O.shape[1], O.shape[2]).permute(0, 2, 1, 3)
    return lin(O.reshape(O.shape[0], O.shape[1], -1), pre + 'W_o.')
def addnorm(pre, X, Y):
    return torch.nn.functional.layer_norm(Y + X, X.shape[-1:], P[pre + 'ln.gamma'], P[pre + 'ln.beta'], 1e-5)
def ffn(pre, X):
    return lin(torch.relu(lin(X, pre + 'dense1.')), pre + 'dense2.')
def enc_block(pre, X, vl, H):
    Y = addnorm(pre + 'addnorm1.', X, mha(pre + 'attention.', X, X, X, vl, H))
    return addnorm(pre + 'addnorm2.', Y, ffn(pre + 'ffn.', Y))
def encoder(pre, tokens, vl, H, nblk):
    D = P[pre + 'embedding.weight'].shape[1]
    X = P[pre + 'embedding.weight'][tokens.long()] * math.sqrt(D)
    pos = torch.arange(X.shape[1], dtype=torch.float64).reshape(-1, 1) / torch.pow(10000, torch.arange(0, D, 2, dtype=torch.float64) / D)
    PE = torch.zeros(X.shape[1], D)
    PE[:, 0::2] = torch.sin(pos)
    PE[:, 1::2] = torch.cos(pos)
    X = X + PE
    for i in range(nblk): X = enc_block(f'{pre}blks.{i}.', X, vl, H)
    return X
def dec_block(X, enc, enc_vl, H):
    dec_vl = torch.arange(1, X.shape[1] + 1).repeat(X.shape[0], 1)
    Y = addnorm('addnorm1.', X, mha('attention1.', X, X, X, dec_vl, H))
    Z = addnorm('addnorm2.', Y, mha('attention2.', Y, enc, enc, enc_vl, H))
    return addnorm('addnorm3.', Z, ffn('ffn.', Z))
kind, H = C['kind'], C['heads']
if kind == 'mha': Y = mha('', I['q'], I['k'], I['v'], I['lens'], H)
elif kind == 'block': Y = enc_block('', I['x'], I['lens'], H)
elif kind == 'encoder': Y = encoder('', I['tokens'], I['lens'], H, C['blocks'])
else: Y = dec_block(I['x'], I['enc'], I['lens'], H)
(Y * T(C['head'])).sum().backward()
z = lambda t, g: (g if g is not None else torch.zeros_like(t)).detach().numpy()
out = [Y.detach().numpy()] + [z(P[k], P[k].grad) for k in C['params']] + [z(I[k], I[k].grad) for k in C.get('wrt', [])]
`;

interface Case {
  kind: 'mha' | 'block' | 'encoder' | 'decoder';
  heads: number;
  blocks?: number;
  params: Record<string, Arr>;
  inputs: Record<string, Arr | null>;
  wrt?: string[];
  head: Arr;
}

function torch(cases: Case[]): NumpyResult[] {
  const refs = numpyRefs(cases.map((c) => ({ code: TORCH, inputs: [], attrs: { case: c } })));
  refs.forEach((r, i) => assert.ok(!r.error, `case ${i}: ${r.error}`));
  return refs;
}

/**
 * Runs `net.call(...inputs)` under record and backpropagates `head`:
 * the output, then the gradients of the parameters (collectParams order)
 * and of the inputs named in `wrt`.
 */
function forwardBackward(net: gluon.Block, inputs: (NDArray | undefined)[], head: NDArray, wrt: NDArray[] = []): number[][] {
  for (const x of wrt) x.attachGrad();
  const [y, l] = autograd.record(() => {
    const out = net.call(...inputs) as NDArray;
    return [out, out.mul(head).sum()];
  }, { trainMode: false });
  l.backward();
  return [flat(y), ...[...net.collectParams().values()].map((p) => flat(p.grad())), ...wrt.map((x) => flat(x.grad!))];
}

/** Compares our output and gradients with PyTorch's; float64 tight, float32 to its precision. */
function compare(got: number[][], ref: NumpyResult, names: string[], what: string, f64: boolean): void {
  assert.equal(got.length, ref.outs.length, `${what}: ${got.length} arrays, PyTorch ${ref.outs.length}`);
  got.forEach((g, i) => {
    const scale = Math.max(1, ...ref.outs[i]!.data.map((v) => Math.abs(v as number)));
    assertClose(g, ref.outs[i]!.data as number[], `${what}: ${names[i]}`, f64 ? 1e-10 : 1e-4, (f64 ? 1e-10 : 2e-5) * scale);
  });
}

describe('models/d2l: multi-head attention and the Transformer, against PyTorch', function () {
  this.timeout(20000);
  beforeEach(() => random.seed(7));

  it("MultiHeadAttention: d2l's shape [2, 4, 100]; outputs and gradients (inputs, W_q..W_o) in float64 at valid lengths 0, full, 2-D, none, one step, one sequence; eager and hybridized", () => {
    const d2l = new MultiHeadAttention(100, 5, 0.5);
    d2l.initialize();
    assert.deepEqual((d2l.call(np.ones([2, 4, 100]), np.ones([2, 6, 100]), np.ones([2, 6, 100]), np.array([3, 2])) as NDArray).shape, [2, 4, 100]);
    const shapes: [number, number, number, number[] | number[][] | null, boolean][] = [
      [2, 3, 4, [0, 4], false],
      [2, 3, 4, [[1, 2, 4], [0, 4, 3]], true],
      [2, 2, 5, null, true],
      [1, 1, 1, [1], true],
      [1, 4, 6, [2], false],
    ];
    const cases: Case[] = [];
    const runs: { got: number[][]; names: string[]; what: string }[] = [];
    for (const [n, tq, tk, lens, useBias] of shapes) {
      for (const hybridize of [false, true]) {
        const m = new MultiHeadAttention(6, 3, 0, useBias);
        m.initialize();
        const [q, k, v] = [np.random.normal(0, 1, [n, tq, 5]), np.random.normal(0, 1, [n, tk, 4]), np.random.normal(0, 1, [n, tk, 4])].map((x) => x.astype('float64'));
        const vl = lens === null ? undefined : np.array(lens).astype('float64');
        m.cast('float64');
        m.call(q, k, v, vl);
        if (hybridize) m.hybridize();
        const head = np.random.normal(0, 1, [n, tq, 6]).astype('float64');
        const names = ['output', ...m.collectParams().keys(), 'q', 'k', 'v'];
        runs.push({ got: forwardBackward(m, [q!, k!, v!, vl], head, [q!, k!, v!]), names, what: `[${n}, ${tq}, ${tk}] lens ${JSON.stringify(lens)} (hybridized: ${hybridize})` });
        cases.push({ kind: 'mha', heads: 3, params: paramsOf(m), inputs: { q: arr(q!), k: arr(k!), v: arr(v!), lens: vl ? arr(vl) : null }, wrt: ['q', 'k', 'v'], head: arr(head) });
      }
    }
    torch(cases).forEach((ref, i) => compare(runs[i]!.got, ref, runs[i]!.names, runs[i]!.what, true));
  });

  it('TransformerEncoderBlock (float64) and TransformerEncoder of 2 blocks (float64 and float32): outputs and every gradient, eager and hybridized', () => {
    const cases: Case[] = [];
    const runs: { got: number[][]; names: string[]; what: string; f64: boolean }[] = [];
    for (const hybridize of [false, true]) {
      const blk = new TransformerEncoderBlock(8, 16, 2, 0);
      blk.initialize();
      const x = np.random.normal(0, 1, [3, 4, 8]).astype('float64');
      const lens = np.array([0, 4, 1]).astype('float64');
      blk.cast('float64');
      blk.call(x, lens);
      if (hybridize) blk.hybridize();
      const head = np.random.normal(0, 1, [3, 4, 8]).astype('float64');
      runs.push({ got: forwardBackward(blk, [x, lens], head, [x]), names: ['output', ...blk.collectParams().keys(), 'x'], what: `encoder block (hybridized: ${hybridize})`, f64: true });
      cases.push({ kind: 'block', heads: 2, params: paramsOf(blk), inputs: { x: arr(x), lens: arr(lens) }, wrt: ['x'], head: arr(head) });
      for (const dtype of ['float64', 'float32'] as const) {
        const enc = new TransformerEncoder(20, 8, 16, 2, 2, 0);
        enc.initialize();
        const tokens = np.array([[1, 5, 19, 0, 3], [7, 7, 2, 11, 4]], { dtype: 'int32' });
        const vl = np.array([5, 2]).astype(dtype);
        if (dtype === 'float64') {
          enc.cast('float64');
          enc.posEncoding.P = new PositionalEncoding(8, 0, 1000, 'float64').P;
        }
        if (hybridize) enc.hybridize();
        const h = np.random.normal(0, 1, [2, 5, 8]).astype(dtype);
        runs.push({ got: forwardBackward(enc, [tokens, vl], h), names: ['output', ...enc.collectParams().keys()], what: `encoder ${dtype} (hybridized: ${hybridize})`, f64: dtype === 'float64' });
        cases.push({ kind: 'encoder', heads: 2, blocks: 2, params: paramsOf(enc), inputs: { tokens: arr(tokens), lens: arr(vl) }, head: arr(h) });
      }
    }
    torch(cases).forEach((ref, i) => compare(runs[i]!.got, ref, runs[i]!.names, runs[i]!.what, runs[i]!.f64));
  });

  it('TransformerDecoderBlock: the causal training pass (float64) against PyTorch, and token-by-token prediction through the state equals it', () => {
    const dec = new TransformerDecoderBlock(8, 16, 2, 0, 0);
    dec.initialize();
    const x = np.random.normal(0, 1, [2, 4, 8]).astype('float64');
    const encOut = np.random.normal(0, 1, [2, 3, 8]).astype('float64');
    const encLens = np.array([3, 1]).astype('float64');
    const state = (): DecoderState => [encOut, encLens, [null]];
    dec.cast('float64');
    dec.call(x, state());
    const head = np.random.normal(0, 1, [2, 4, 8]).astype('float64');
    x.attachGrad();
    const [y, l] = autograd.record(() => {
      const out = (dec.call(x, state()) as [NDArray, DecoderState])[0];
      return [out, out.mul(head).sum()];
    });
    l.backward();
    const got = [flat(y), ...[...dec.collectParams().values()].map((p) => flat(p.grad())), flat(x.grad!)];
    const [ref] = torch([{ kind: 'decoder', heads: 2, params: paramsOf(dec), inputs: { x: arr(x), enc: arr(encOut), lens: arr(encLens) }, wrt: ['x'], head: arr(head) }]);
    compare(got, ref!, ['output', ...dec.collectParams().keys(), 'x'], 'decoder block', true);
    // Predicting: one step at a time, the keys and values so far kept in state[2][0].
    const s = state();
    const steps: number[][] = [];
    for (let t = 0; t < 4; t++) {
      const [out] = dec.call(x.sliceAxis({ axis: 1, begin: t, end: t + 1 }), s) as [NDArray, DecoderState];
      steps.push(flat(out));
    }
    assert.deepEqual(s[2][0]!.shape, [2, 4, 8]);
    const byStep = [0, 1].flatMap((b) => [0, 1, 2, 3].flatMap((t) => steps[t]!.slice(b * 8, b * 8 + 8)));
    assertClose(byStep, flat(y), 'token by token vs the causal pass', 1e-12, 1e-12);
  });

  it("three Adam steps on d2l's MaskedSoftmaxCELoss (encoder + Dense head, float32) give PyTorch's losses, eager and hybridized", () => {
    class Tagger extends gluon.HybridBlock {
      encoder = new TransformerEncoder(12, 8, 16, 2, 1, 0);
      dense = new gluon.nn.Dense(12, { flatten: false });
      override forward(tokens: NDArray, lens: NDArray) {
        return this.dense.call(this.encoder.call(tokens, lens));
      }
    }
    const tokens = np.array([[1, 2, 3, 4, 0], [5, 6, 7, 0, 0], [8, 9, 10, 11, 1]], { dtype: 'int32' });
    const labels = np.array([[2, 3, 4, 5, 0], [6, 7, 8, 0, 0], [9, 10, 11, 1, 2]]);
    const lens = np.array([4, 3, 5]);
    const losses: number[][] = [];
    let init: Record<string, Arr> = {};
    for (const hybridize of [false, true]) {
      random.seed(3);
      const net = new Tagger();
      net.initialize();
      net.call(tokens, lens);
      init = paramsOf(net);
      if (hybridize) net.hybridize();
      const loss = new MaskedSoftmaxCELoss();
      const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 });
      const seen: number[] = [];
      for (let step = 0; step < 3; step++) {
        const l = autograd.record(() => loss.call(net.call(tokens, lens) as NDArray, labels, lens) as NDArray);
        l.backward();
        trainer.step(12);   // d2l: trainer.step(num_tokens)
        seen.push(flat(l).reduce((a, b) => a + b, 0));
      }
      losses.push(seen);
    }
    const [ref] = numpyRefs([{ inputs: [], attrs: { params: init, tokens: flat(tokens), labels: flat(labels), lens: flat(lens) }, code: String.raw`
import torch
torch.set_default_dtype(torch.float64)
P = {k: torch.tensor(np.array(v['data'], dtype=np.float64).reshape(v['shape']), requires_grad=True) for k, v in attrs['params'].items()}
tok = torch.tensor(attrs['tokens']).reshape(3, 5).long(); lab = torch.tensor(attrs['labels']).reshape(3, 5).long(); vl = torch.tensor(attrs['lens'])
def lin(x, pre): return x @ P[pre + 'weight'].T + P[pre + 'bias'] if pre + 'bias' in P else x @ P[pre + 'weight'].T
def ln(x, pre): return torch.nn.functional.layer_norm(x, x.shape[-1:], P[pre + 'gamma'], P[pre + 'beta'], 1e-5)
def fwd():
    X = P['encoder.embedding.weight'][tok] * math.sqrt(8)
    pos = torch.arange(5.).reshape(-1, 1) / torch.pow(10000, torch.arange(0, 8, 2.) / 8)
    X = X + torch.stack([torch.sin(pos), torch.cos(pos)], -1).reshape(5, 8)
    pre = 'encoder.blks.0.'
    def heads(t): return t.reshape(3, 5, 2, 4).permute(0, 2, 1, 3)
    Q, K, V = [heads(lin(X, pre + 'attention.' + w + '.')) for w in ('W_q', 'W_k', 'W_v')]
    S = Q @ K.transpose(-1, -2) / 2.0
    S = torch.where(torch.arange(5)[None, None, None, :] < vl[:, None, None, None], S, torch.tensor(-1e6))
    O = (torch.softmax(S, -1) @ V).permute(0, 2, 1, 3).reshape(3, 5, 8)
    Y = ln(lin(O, pre + 'attention.W_o.') + X, pre + 'addnorm1.ln.')
    Z = ln(lin(torch.relu(lin(Y, pre + 'ffn.dense1.')), pre + 'ffn.dense2.') + Y, pre + 'addnorm2.ln.')
    return lin(Z, 'dense.')
opt = torch.optim.Adam(list(P.values()), lr=0.01)
out = []
for step in range(3):
    opt.zero_grad()
    nll = -torch.log_softmax(fwd(), -1).gather(-1, lab[..., None])[..., 0]
    l = (nll * (torch.arange(5)[None, :] < vl[:, None])).mean(1)
    (l.sum() / 12).backward()
    opt.step()
    out.append(l.sum().item())
out = np.array(out)
` }]);
    assert.ok(!ref!.error, ref!.error);
    losses.forEach((seen, i) => assertClose(seen, ref!.outs[0]!.data as number[], `losses (hybridized: ${i === 1})`, 1e-4, 1e-5));
    assert.ok(losses[0]![2]! < losses[0]![0]!, `the loss falls: ${losses[0]}`);
  });

  it('gluonc export with a symbolic batch and length: one artifact equals the eager encoder at (N, T) = (2, 5), (3, 7), (1, 1) with valid lengths 0 and full; dropout acts in training only', async () => {
    const enc = new TransformerEncoder(20, 8, 16, 2, 2, 0.5);
    enc.initialize();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-d2l-tf-'));
    try {
      const file = path.join(dir, 'encoder.onnx');
      enc.export(file, { inputs: { tokens: { shape: ['N', 'T'], dtype: 'int32' }, validLens: { shape: ['N'], dtype: 'float32' } } });
      const model = await loadModel(file);
      try {
        assert.deepEqual(model.inputs.map((i) => i.shape), [['N', 'T'], ['N']]);
        for (const [n, t, lens] of [[2, 5, [5, 2]], [3, 7, [0, 7, 1]], [1, 1, [0]]] as [number, number, number[]][]) {
          const tokens = Array.from({ length: n * t }, (_v, i) => (i * 7) % 20);
          const want = enc.call(np.array(tokens, { dtype: 'int32' }).reshape(n, t), np.array(lens)) as NDArray;
          const [out] = Object.values(model.runSync({ tokens: { data: Int32Array.from(tokens), shape: [n, t] }, validLens: { data: Float32Array.from(lens), shape: [n] } }));
          assert.deepEqual(out!.shape, [n, t, 8]);
          assertClose(Array.from(out!.data as Float32Array), flat(want), `artifact at N = ${n}, T = ${t}`, 1e-5, 1e-5);
        }
      } finally {
        await model.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const tokens = np.array([[1, 2, 3], [4, 5, 6]], { dtype: 'int32' });
    const lens = np.array([3, 1]);
    const predict = flat(enc.call(tokens, lens) as NDArray);
    enc.hybridize();
    assertClose(flat(enc.call(tokens, lens) as NDArray), predict, 'hybridized prediction (dropout off)', 1e-5, 1e-5);
    const train = flat(autograd.record(() => enc.call(tokens, lens) as NDArray));
    assert.ok(train.some((v, i) => Math.abs(v - predict[i]!) > 1e-3), 'dropout 0.5 changes the training pass');
  });
});
