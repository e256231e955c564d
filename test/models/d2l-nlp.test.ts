/**
 * d2l's NLP chapters (MXNet edition) in models/d2l/nlp.ts, written as the
 * book writes them, at tiny sizes on generated tokens, against PyTorch in
 * float64 with the same weights: word2vec's skip-gram with negative sampling
 * (SigmoidBCELoss with the mask as sample weight and the book's
 * `mask.shape[1] / mask.sum(axis=1)` rescaling, the book's printed values,
 * three Adam steps against MXNet's adam_update in torch) and get_similar_tokens (cosine
 * against numpy, ties in index order); the sentiment BiRNN and TextCNN
 * (outputs and gradients, pretrained vectors loaded with setData and a
 * constant embedding with gradReq 'null'); decomposable attention; and
 * d2l's own BERT (models/d2l/bert.ts: the book's printed shapes, and
 * `_get_batch_loss_bert`'s losses and every parameter's gradient against a
 * torch BERT written from the book's PyTorch edition; its exported artifact
 * against the eager model).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadModel } from 'gluonc/runtime';
import { asHybrid } from '../../compiler/gluon/traced-block.js';
import { autograd, gluon, init, np, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs, type NumpyResult } from '../helpers/numpy.js';
import { BiRNN, DecomposableAttention, TextCNN, getSimilarTokens, skipGram } from '../../models/d2l/nlp.js';
import { BERTEncoder, BERTModel, MaskLM, getBatchLossBert } from '../../models/d2l/bert.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const enc = (x: NDArray) => ({ shape: x.shape as number[], data: flat(x) });

const PRELUDE = String.raw`
import torch
import torch.nn.functional as Fn
torch.set_default_dtype(torch.float64)
P = {k: torch.tensor(np.array(v['data'], dtype=np.float64).reshape(v['shape']), requires_grad=True) for k, v in attrs['params'].items()}
I = {k: np.array(v['data'], dtype=np.float64).reshape(v['shape']) for k, v in attrs['inputs'].items()}
L = lambda k: torch.tensor(I[k]).long()
dense = lambda x, pre, act=None: (lambda y: torch.relu(y) if act == 'relu' else y)(x @ P[pre + 'weight'].T + P[pre + 'bias'])
`;
const GRADS = String.raw`
loss.backward()
out = [y.detach().numpy()] + [(P[k].grad if P[k].grad is not None else torch.zeros_like(P[k])).numpy() for k in attrs['grads']]
`;

/** Runs `code` (which sets `y` and `loss`) in torch on the net's parameters; returns y and d(loss)/d(each of `grads`). */
function torchRef(net: gluon.Block, inputs: Record<string, NDArray>, code: string, grads: string[]): NumpyResult {
  const params: Record<string, unknown> = {};
  for (const [k, p] of net.collectParams()) params[k] = enc(p.data());
  const ins = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, enc(v)]));
  const [r] = numpyRefs([{ code: PRELUDE + code + GRADS, inputs: [], attrs: { params, inputs: ins, grads } }]);
  assert.ok(!r!.error, r!.error);
  return r!;
}

/** Compares the output and the gradients of `grads` with torch's. */
function compareGrads(net: gluon.Block, y: NDArray, ref: NumpyResult, grads: string[], what: string): void {
  assertClose(flat(y), ref.outs[0]!.data as number[], `${what}: output vs torch`, 1e-4, 1e-5);
  grads.forEach((k, i) => assertClose(flat(net.collectParams().get(k).grad()), ref.outs[i + 1]!.data as number[], `${what}: grad of ${k} vs torch`, 1e-3, 1e-5));
}

describe('models/d2l: NLP pretraining and applications (word2vec, sentiment, NLI)', () => {
  before(() => random.seed(41));

  it("SigmoidBCELoss with a mask: the book's printed values", () => {
    const loss = new gluon.loss.SigmoidBCELoss();
    const pred = np.array([[1.1, -2.2, 3.3, -4.4], [1.1, -2.2, 3.3, -4.4]]);
    const label = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]]);
    const mask = np.array([[1, 1, 1, 1], [1, 1, 0, 0]]);
    const l = (loss.call(pred, label, mask) as NDArray).mul(mask.shape[1]!).div(mask.sum({ axis: 1 }));
    // d2l 14.4.2.1 prints array([0.93521017, 1.8462094 ]).
    assertClose(flat(l), [0.93521017, 1.8462094], 'masked BCE', 1e-6, 1e-6);
  });

  it('word2vec skip-gram with negative sampling: three Adam steps against torch', () => {
    const net = new gluon.nn.Sequential();
    net.add(new gluon.nn.Embedding(12, 4), new gluon.nn.Embedding(12, 4));
    net.initialize();
    const v0 = enc(net.get<gluon.nn.Embedding>(0).weight.data());
    const u0 = enc(net.get<gluon.nn.Embedding>(1).weight.data());
    const center = np.array([[1], [2], [3]]);
    // Row 0 repeats token 3 (its gradient accumulates) and pads with 0 under a 0 mask.
    const contextNegative = np.array([[3, 4, 3, 0], [6, 7, 8, 9], [1, 2, 10, 11]]);
    const mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1], [1, 1, 0, 0]]);
    const label = np.array([[1, 0, 0, 0], [1, 1, 0, 0], [1, 0, 0, 0]]);
    const loss = new gluon.loss.SigmoidBCELoss();
    const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.1 });
    const losses: number[] = [];
    for (let step = 0; step < 3; step++) {
      const l = autograd.record(() => {
        const pred = skipGram(center, contextNegative, net.get(0), net.get(1));
        return (loss.call(pred.reshape(label.shape), label, mask) as NDArray).mul(mask.shape[1]!).div(mask.sum({ axis: 1 }));
      });
      l.backward();
      trainer.step(3);
      losses.push(...flat(l));
    }
    const [r] = numpyRefs([{
      code: String.raw`
import torch
torch.set_default_dtype(torch.float64)
T = lambda v: torch.tensor(np.array(v['data'], dtype=np.float64).reshape(v['shape']))
Wv = T(attrs['v0']).requires_grad_(); Wu = T(attrs['u0']).requires_grad_()
center = torch.tensor(a).long(); cn = torch.tensor(b).long(); mask = torch.tensor(c); label = torch.tensor(d)
# MXNet's adam_update (bias correction folded into the learning rate, epsilon outside the correction).
state = [[torch.zeros_like(Wv), torch.zeros_like(Wv)], [torch.zeros_like(Wu), torch.zeros_like(Wu)]]
losses = []
for step in range(3):
    pred = torch.bmm(Wv[center], Wu[cn].transpose(1, 2)).reshape(label.shape)
    l = torch.nn.functional.binary_cross_entropy_with_logits(pred, label, weight=mask, reduction='none').mean(dim=1) * mask.shape[1] / mask.sum(dim=1)
    losses.append(l.detach().numpy())
    Wv.grad = None; Wu.grad = None
    (l.sum() / 3).backward()
    lr_t = 0.1 * math.sqrt(1 - 0.999 ** (step + 1)) / (1 - 0.9 ** (step + 1))
    with torch.no_grad():
        for W, (m, v) in zip((Wv, Wu), state):
            m.mul_(0.9).add_(0.1 * W.grad); v.mul_(0.999).add_(0.001 * W.grad ** 2)
            W -= lr_t * m / (v.sqrt() + 1e-8)
out = [np.concatenate(losses), Wv.detach().numpy(), Wu.detach().numpy()]`,
      inputs: [center, contextNegative, mask, label].map((x) => ({ ...enc(x), dtype: 'float64' })),
      attrs: { v0, u0 },
    }]);
    assert.ok(!r!.error, r!.error);
    assertClose(losses, r!.outs[0]!.data as number[], 'losses of the three steps vs torch', 1e-4, 1e-5);
    assertClose(flat(net.get<gluon.nn.Embedding>(0).weight.data()), r!.outs[1]!.data as number[], 'center embedding after 3 Adam steps', 1e-4, 1e-5);
    assertClose(flat(net.get<gluon.nn.Embedding>(1).weight.data()), r!.outs[2]!.data as number[], 'context embedding after 3 Adam steps', 1e-4, 1e-5);
  });

  it('get_similar_tokens: cosine neighbours against numpy, an exact tie in index order', () => {
    const embed = new gluon.nn.Embedding(8, 3);
    embed.initialize();
    const W = np.array([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0.5, 0.5, 0.1], [-1, 0, 0], [0.5, 0.5, 0.1], [0.2, 0.9, 0.3], [0.7, -0.2, 0.1]]);
    embed.weight.setData(W);
    const got = getSimilarTokens(3, 4, embed);
    const [r] = numpyRefs([{ code: `
cos = a @ a[3] / np.sqrt((a * a).sum(axis=1) * (a[3] * a[3]).sum() + 1e-9)
order = np.argsort(-cos, kind='stable')
order = order[order != 3][:4]
out = [order, cos[order]]`, inputs: [{ ...enc(W), dtype: 'float64' }] }]);
    assert.ok(!r!.error, r!.error);
    // Row 5 equals row 3, so row 3 (first, itself) and row 5 tie at cosine 1: the query's own index is dropped by position, as the book's topk[1:].
    assert.deepEqual(got.map(([i]) => i), r!.outs[0]!.data);
    assertClose(got.map(([, c]) => c), r!.outs[1]!.data as number[], 'cosines', 1e-5, 1e-6);
  });

  it('BiRNN: pretrained vectors with setData and a frozen embedding; output and gradients against torch', () => {
    const net = new BiRNN(10, 4, 3, 2);
    net.initialize(new init.Xavier());
    const embeds = np.random.uniform(-1, 1, [10, 4]);
    net.embedding.weight.setData(embeds);
    net.embedding.collectParams().setattr('gradReq', 'null');
    const X = np.array([[1, 2, 3, 4, 5], [2, 3, 4, 0, 0]]);
    const y = np.array([0, 1]);
    const out = autograd.record(() => net.call(X));
    const l = autograd.record(() => (new gluon.loss.SoftmaxCrossEntropyLoss().call(out, y) as NDArray).sum());
    l.backward();
    const grads = [...net.collectParams().keys()].filter((k) => k !== 'embedding.weight');
    const ref = torchRef(net, { X, y }, String.raw`
def lstm_dir(X, pre):
    # MXNet's LSTM cell, gates in the order i, f, c, o (PyTorch's i, f, g, o).
    Wi, Wh, bi, bh = (P[pre + s] for s in ('i2h_weight', 'h2h_weight', 'i2h_bias', 'h2h_bias'))
    h = torch.zeros(X.shape[1], Wh.shape[1]); c = torch.zeros_like(h); ys = []
    for x in X:
        i, f, g, o = (x @ Wi.T + bi + h @ Wh.T + bh).chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c); ys.append(h)
    return torch.stack(ys)
E = P['embedding.weight'][L('X').T]
outputs = E
for l in range(2):
    outputs = torch.cat([lstm_dir(outputs, f'encoder.l{l}_'), lstm_dir(outputs.flip(0), f'encoder.r{l}_').flip(0)], dim=2)
# The written-out cell is torch.nn.LSTM's, given the same weights.
lstm = torch.nn.LSTM(4, 3, num_layers=2, bidirectional=True)
with torch.no_grad():
    for l in range(2):
        for d, sfx in (('l', ''), ('r', '_reverse')):
            for w in ('weight', 'bias'):
                for m, t in (('i2h', 'ih'), ('h2h', 'hh')):
                    getattr(lstm, f'{w}_{t}_l{l}{sfx}').copy_(P[f'encoder.{d}{l}_{m}_{w}'])
    assert torch.allclose(lstm(E)[0], outputs, atol=1e-12)
enc = torch.cat([outputs[0], outputs[-1]], dim=1)
y = dense(enc, 'decoder.')
loss = Fn.cross_entropy(y, L('y'), reduction='sum')`, grads);
    compareGrads(net, out, ref, grads, 'BiRNN');
    // The frozen embedding has no gradient and a step leaves it as loaded.
    assert.equal(net.embedding.weight.gradReq, 'null');
    new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 }).step(2);
    assert.deepEqual(flat(net.embedding.weight.data()), flat(embeds));
  });
  it('TextCNN: a trained and a constant embedding; output and gradients against torch (repeated tokens accumulate)', () => {
    const net = new TextCNN(10, 4, [2, 3], [3, 5]);
    net.initialize(new init.Xavier());
    const embeds = np.random.uniform(-1, 1, [10, 4]);
    net.embedding.weight.setData(embeds);
    net.constantEmbedding.weight.setData(embeds);
    net.constantEmbedding.collectParams().setattr('gradReq', 'null');
    const X = np.array([[1, 2, 3, 2, 5], [2, 3, 4, 0, 0]]);
    const y = np.array([0, 1]);
    // Prediction mode (Dropout off) so torch sees the same function.
    const out = autograd.record(() => net.call(X), { trainMode: false });
    const l = autograd.record(() => (new gluon.loss.SoftmaxCrossEntropyLoss().call(out, y) as NDArray).sum());
    l.backward();
    const grads = [...net.collectParams().keys()].filter((k) => k !== 'constantEmbedding.weight');
    const ref = torchRef(net, { X, y }, String.raw`
emb = torch.cat([P['embedding.weight'][L('X')], P['constantEmbedding.weight'][L('X')]], dim=2).permute(0, 2, 1)
enc = torch.cat([torch.relu(Fn.conv1d(emb, P[f'convs.{i}.weight'], P[f'convs.{i}.bias'])).amax(dim=2) for i in range(2)], dim=1)
y = dense(enc, 'decoder.')
loss = Fn.cross_entropy(y, L('y'), reduction='sum')`, grads);
    compareGrads(net, out, ref, grads, 'TextCNN');
    assert.equal(net.constantEmbedding.weight.gradReq, 'null');
    new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 }).step(2);
    assert.deepEqual(flat(net.constantEmbedding.weight.data()), flat(embeds));
    assert.notDeepEqual(flat(net.embedding.weight.data()), flat(embeds));
    // In training mode Dropout(0.5) is active: the two calls differ.
    const a = autograd.record(() => net.call(X));
    assert.notDeepEqual(flat(a), flat(net.call(X)));
  });

  it('decomposable attention (Attend, Compare, Aggregate): output and gradients against torch', () => {
    const net = new DecomposableAttention(12, 4, 5);
    net.initialize(new init.Xavier());
    const premises = np.array([[1, 2, 3, 4], [5, 6, 1, 1]]);
    const hypotheses = np.array([[7, 8, 9], [1, 10, 11]]);
    const y = np.array([0, 2]);
    const out = autograd.record(() => net.call([premises, hypotheses]), { trainMode: false });
    assert.deepEqual(out.shape, [2, 3]);
    const l = autograd.record(() => (new gluon.loss.SoftmaxCrossEntropyLoss().call(out, y) as NDArray).sum());
    l.backward();
    const grads = [...net.collectParams().keys()];
    const ref = torchRef(net, { premises, hypotheses, y }, String.raw`
mlp = lambda x, pre: dense(dense(x, pre + '1.', 'relu'), pre + '3.', 'relu')
A = P['embedding.weight'][L('premises')]; B = P['embedding.weight'][L('hypotheses')]
fA = mlp(A, 'attend.f.'); fB = mlp(B, 'attend.f.')
e = fA @ fB.transpose(1, 2)
beta = torch.softmax(e, dim=-1) @ B
alpha = torch.softmax(e.transpose(1, 2), dim=-1) @ A
VA = mlp(torch.cat([A, beta], dim=2), 'compare.g.'); VB = mlp(torch.cat([B, alpha], dim=2), 'compare.g.')
y = dense(mlp(torch.cat([VA.sum(1), VB.sum(1)], dim=1), 'aggregate.h.'), 'aggregate.h.4.')
loss = Fn.cross_entropy(y, L('y'), reduction='sum')`, grads);
    compareGrads(net, out, ref, grads, 'DecomposableAttention');
  });
  it("d2l's BERT: the book's printed shapes (BERTEncoder, MaskLM, NextSentencePred)", () => {
    const encoder = new BERTEncoder(10000, 768, 1024, 4, 2, 0.2);
    encoder.initialize();
    const tokens = np.random.randint(0, 10000, [2, 8]);
    const segments = np.array([[0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 1, 1, 1, 1]]);
    const encodedX = encoder.call(tokens, segments) as NDArray;
    assert.deepEqual(encodedX.shape, [2, 8, 768]);
    assert.deepEqual(encoder.posEmbedding.shape, [1, 1000, 768]);
    const mlm = new MaskLM(10000, 768);
    mlm.initialize();
    assert.deepEqual((mlm.call(encodedX, np.array([[1, 5, 2], [6, 1, 5]])) as NDArray).shape, [2, 3, 10000]);
  });

  it("d2l's BERT: _get_batch_loss_bert's losses and every parameter's gradient against torch", () => {
    const net = new BERTModel(12, 8, 16, 2, 2, 0.2, 10);
    net.initialize();
    const tokens = np.array([[1, 5, 6, 2, 7, 8, 2, 0], [1, 9, 2, 10, 11, 3, 2, 0]]);
    const segments = np.array([[0, 0, 0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1, 1, 0]]);
    const validLens = np.array([[7], [7]]);
    // Sample 0 predicts position 2 twice (the rows' gradients add up); sample 1's last prediction is padding (weight 0).
    const predPositions = np.array([[2, 4, 2], [3, 5, 0]]);
    const mlmWeights = np.array([[1, 1, 1], [1, 1, 0]]);
    const mlmY = np.array([[6, 7, 6], [10, 3, 0]]);
    const nspY = np.array([1, 0]);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const [mlmL, nspL, l] = autograd.record(() => getBatchLossBert(net, loss, 12, tokens, segments, validLens, predPositions, mlmWeights, mlmY, nspY), { trainMode: false });
    l.backward();
    const grads = [...net.collectParams().keys()];
    const ref = torchRef(net, { tokens, segments, validLens, predPositions, mlmWeights, mlmY, nspY }, String.raw`
def masked_softmax(X, vl):
    mask = torch.arange(X.shape[-1])[None, None, :] < vl[:, None, None]
    return torch.softmax(torch.where(mask, X, torch.tensor(-1e6)), dim=-1)
def mha(pre, X, vl, H):
    def tq(Y):
        Y = Y.reshape(Y.shape[0], Y.shape[1], H, -1).permute(0, 2, 1, 3)
        return Y.reshape(-1, Y.shape[2], Y.shape[3])
    Q, K, V = (tq(dense(X, pre + w)) for w in ('W_q.', 'W_k.', 'W_v.'))
    A = masked_softmax(Q @ K.transpose(1, 2) / math.sqrt(Q.shape[-1]), torch.repeat_interleave(vl, H))
    O = (A @ V).reshape(-1, H, X.shape[1], Q.shape[-1]).permute(0, 2, 1, 3)
    return dense(O.reshape(X.shape[0], X.shape[1], -1), pre + 'W_o.')
ln = lambda X, pre: Fn.layer_norm(X, X.shape[-1:], P[pre + 'gamma'], P[pre + 'beta'], 1e-5)
vl = torch.tensor(I['validLens']).reshape(-1)
X = P['encoder.tokenEmbedding.weight'][L('tokens')] + P['encoder.segmentEmbedding.weight'][L('segments')]
X = X + P['encoder.pos_embedding'][:, :X.shape[1], :]
for i in range(2):
    pre = f'encoder.blks.{i}.'
    Y = ln(X + mha(pre + 'attention.', X, vl, 2), pre + 'addnorm1.ln.')
    X = ln(Y + dense(dense(Y, pre + 'ffn.dense1.', 'relu'), pre + 'ffn.dense2.'), pre + 'addnorm2.ln.')
pp = L('predPositions')
bi = torch.arange(X.shape[0]).repeat_interleave(pp.shape[1])
mX = X[bi, pp.reshape(-1)].reshape(pp.shape[0], pp.shape[1], -1)
mlm = dense(ln(dense(mX, 'mlm.mlp.0.', 'relu'), 'mlm.mlp.1.'), 'mlm.mlp.2.')
nsp = dense(torch.tanh(dense(X[:, 0, :], 'hidden.')), 'nsp.output.')
w = torch.tensor(I['mlmWeights']).reshape(-1)
mlm_l = (Fn.cross_entropy(mlm.reshape(-1, 12), L('mlmY').reshape(-1), reduction='none') * w).sum() / (w.sum() + 1e-8)
nsp_l = Fn.cross_entropy(nsp, L('nspY'))
loss = mlm_l + nsp_l
y = torch.stack([mlm_l, nsp_l])`, grads);
    compareGrads(net, np.stack([mlmL, nspL]), ref, grads, 'BERT');
    // Only the first T = 8 rows of the positional table get a gradient.
    const g = flat(net.encoder.posEmbedding.grad());
    assert.ok(g.slice(8 * 8).every((v) => v === 0) && g.slice(0, 8 * 8).some((v) => v !== 0));
  });
  it("d2l's get_bert_encoding: one sequence with a 0-d valid length (np.array(len(tokens))) equals valid length [7]", () => {
    const net = new BERTModel(20, 8, 16, 2, 1, 0.1, 16);
    net.initialize();
    const tokenIds = np.expandDims(np.array([1, 5, 6, 2, 7, 8, 2, 0]), 0);
    const segments = np.array([[0, 0, 0, 0, 1, 1, 1, 0]]);
    const [encoded] = net.call(tokenIds, segments, np.array(7)) as NDArray[];
    const [want] = net.call(tokenIds, segments, np.array([7])) as NDArray[];
    assert.deepEqual(encoded!.shape, [1, 8, 8]);
    assert.deepEqual(flat(encoded!), flat(want!));
  });

  it("d2l's BERT exports (MaskLM's gather included): the artifact's three outputs equal the eager model's", async () => {
    const net = new BERTModel(20, 16, 32, 2, 2, 0.1, 16);
    net.initialize();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-d2l-bert-'));
    try {
      const file = path.join(dir, 'bert.onnx');
      const shapes = { tokens: [2, 8], segments: [2, 8], validLens: [2], predPositions: [2, 3] };
      asHybrid(net).export(file, { inputs: { tokens: { shape: shapes.tokens, dtype: 'int32' }, segments: { shape: shapes.segments, dtype: 'int32' }, validLens: { shape: shapes.validLens }, predPositions: { shape: shapes.predPositions, dtype: 'int32' } } });
      const model = await loadModel(file);
      try {
        const tokens = [1, 5, 6, 2, 7, 8, 2, 0, 1, 9, 2, 10, 11, 3, 2, 0];
        const segments = [0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0];
        const lens = [7, 5];
        const pos = [2, 4, 2, -1, 5, 0];   // a repeat, and -1 the last position
        const want = net.call(np.array(tokens, { dtype: 'int32' }).reshape(2, 8), np.array(segments, { dtype: 'int32' }).reshape(2, 8), np.array(lens), np.array(pos, { dtype: 'int32' }).reshape(2, 3)) as NDArray[];
        const outs = Object.values(model.runSync({ tokens: { data: Int32Array.from(tokens), shape: shapes.tokens }, segments: { data: Int32Array.from(segments), shape: shapes.segments }, validLens: { data: Float32Array.from(lens), shape: shapes.validLens }, predPositions: { data: Int32Array.from(pos), shape: shapes.predPositions } }));
        assert.deepEqual(outs.map((o) => o.shape), [[2, 8, 16], [2, 3, 20], [2, 2]]);
        outs.forEach((o, i) => assertClose(Array.from(o.data as Float32Array), flat(want[i]!), `artifact output ${i}`, 1e-5, 1e-5));
      } finally {
        await model.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
