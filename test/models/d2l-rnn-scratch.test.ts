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

  /** The scratch model's outputs and states over `X`, and gluon's layer given the same weights (gate order `order`). */
  function againstGluon(kind: 'gru' | 'lstm', bias: (name: string) => number = () => 0) {
    const V = 7, Hn = 5;
    const net = kind === 'gru'
      ? new S.RNNModelScratch(V, Hn, S.getGruParams, S.initGruState, S.gru)
      : new S.RNNModelScratch(V, Hn, S.getLstmParams, S.initLstmState, S.lstm);
    const names = kind === 'gru' ? ['z', 'r', 'h'] : ['i', 'f', 'o', 'c'];
    net.params.forEach((p, k) => {
      const gate = names[Math.floor(k / 3)];
      if (k % 3 === 2 && gate) np.full(p.shape, bias(gate)).add(np.random.normal(0, 0.3, p.shape)).copyto(p);
      else np.random.normal(0, 0.5, p.shape).copyto(p);
    });
    const X = np.array([[1, 2, 3, 0, 6], [5, 4, 1, 1, 0]]);
    const [out, state] = net.call(X, net.beginState(2));
    // MXNet's gate order: GRU r, z, n; LSTM i, f, c (g), o. Weights [gates * H, in], biases on i2h.
    const P = (g: string) => net.params.slice(3 * names.indexOf(g), 3 * names.indexOf(g) + 3) as [NDArray, NDArray, NDArray];
    const order = kind === 'gru' ? ['r', 'z', 'h'] : ['i', 'f', 'c', 'o'];
    const layer = kind === 'gru' ? new gluon.rnn.GRU(Hn, 1, { inputSize: V }) : new gluon.rnn.LSTM(Hn, 1, { inputSize: V });
    layer.initialize();
    const set = (name: string, v: NDArray) => layer.collectParams().get(name).setData(v);
    set('l0_i2h_weight', np.concatenate(order.map((g) => P(g)[0].T), 0));
    set('l0_h2h_weight', np.concatenate(order.map((g) => P(g)[1].T), 0));
    set('l0_i2h_bias', np.concatenate(order.map((g) => P(g)[2]), 0));
    set('l0_h2h_bias', np.zeros(order.length * Hn));
    const [Yg, sg] = layer.call(np.eye(V).take(X.T, { axis: 0 }), layer.beginState(2)) as [NDArray, NDArray[]];
    const [W_hq, b_q] = net.params.slice(-2) as [NDArray, NDArray];
    const outGluon = np.dot(Yg.reshape(-1, Hn), W_hq).add(b_q);
    return { net, X, out, state, outGluon, stateGluon: sg.map((s) => s.reshape(2, Hn)) };
  }

  it('LSTM from scratch equals gluon.rnn.LSTM given the same weights, and PyTorch', () => {
    const r = againstGluon('lstm');
    assertClose(flat(r.out), flat(r.outGluon), 'scratch LSTM vs gluon.rnn.LSTM: outputs', 1e-4, 1e-5);
    r.state.forEach((s, i) => assertClose(flat(s), flat(r.stateGluon[i]!), `scratch LSTM vs gluon.rnn.LSTM: state ${i}`, 1e-4, 1e-5));
    const [t] = numpyRefs([{
      code: `
import torch
torch.set_default_dtype(torch.float64)
P = [torch.tensor(v) for v in args[0]]
W = lambda k: P[k]
m = torch.nn.LSTM(7, 5)
with torch.no_grad():   # PyTorch's gate order is i, f, g, o, as MXNet's; weights [4H, in]
    m.weight_ih_l0[:] = torch.cat([W(0).T, W(3).T, W(9).T, W(6).T])
    m.weight_hh_l0[:] = torch.cat([W(1).T, W(4).T, W(10).T, W(7).T])
    m.bias_ih_l0[:] = torch.cat([W(2), W(5), W(11), W(8)])
    m.bias_hh_l0.zero_()
x = torch.nn.functional.one_hot(torch.tensor(a).T.long(), 7).double()
Y, (h, c) = m(x)
out = [(Y.reshape(-1, 5) @ W(12) + W(13)).detach().numpy(), h[0].detach().numpy(), c[0].detach().numpy()]`,
      inputs: [f64(r.X)],
      args: [r.net.params.map((p) => p.toArray())],
    }]);
    assert.ok(!t!.error, t!.error);
    assertClose(flat(r.out), t!.outs[0]!.data as number[], 'scratch LSTM vs torch.nn.LSTM: outputs', 1e-4, 1e-5);
    r.state.forEach((s, i) => assertClose(flat(s), t!.outs[1 + i]!.data as number[], `scratch LSTM vs torch.nn.LSTM: state ${i}`, 1e-4, 1e-5));
  });

  it("GRU from scratch is the reset-BEFORE form: numpy's equations; gluon.rnn.GRU (reset after, as PyTorch's) differs unless R = 1", () => {
    const r = againstGluon('gru');
    const [t] = numpyRefs([{
      code: `
P = [np.array(v, dtype=np.float64) for v in args[0]]
W_xz, W_hz, b_z, W_xr, W_hr, b_r, W_xh, W_hh, b_h, W_hq, b_q = P
sig = lambda v: 1 / (1 + np.exp(-v))
H = np.zeros((2, 5)); H2 = H; outs = []; outs2 = []
for x in np.eye(7)[a.T.astype(int)]:
    Z = sig(x @ W_xz + H @ W_hz + b_z); R = sig(x @ W_xr + H @ W_hr + b_r)
    H = Z * H + (1 - Z) * np.tanh(x @ W_xh + (R * H) @ W_hh + b_h)         # d2l: reset before the matmul
    outs.append(H @ W_hq + b_q)
    Z2 = sig(x @ W_xz + H2 @ W_hz + b_z); R2 = sig(x @ W_xr + H2 @ W_hr + b_r)
    H2 = Z2 * H2 + (1 - Z2) * np.tanh(x @ W_xh + R2 * (H2 @ W_hh) + b_h)   # MXNet / cuDNN / PyTorch: reset after
    outs2.append(H2 @ W_hq + b_q)
out = [np.concatenate(outs), H, np.concatenate(outs2), H2]`,
      inputs: [f64(r.X)],
      args: [r.net.params.map((p) => p.toArray())],
    }]);
    assert.ok(!t!.error, t!.error);
    assertClose(flat(r.out), t!.outs[0]!.data as number[], 'scratch GRU vs numpy reset-before', 1e-4, 1e-5);
    assertClose(flat(r.state[0]!), t!.outs[1]!.data as number[], 'scratch GRU state vs numpy reset-before', 1e-4, 1e-5);
    assertClose(flat(r.outGluon), t!.outs[2]!.data as number[], 'gluon.rnn.GRU vs numpy reset-after', 1e-4, 1e-5);
    const gap = Math.max(...flat(r.out).map((v, i) => Math.abs(v - flat(r.outGluon)[i]!)));
    assert.ok(gap > 1e-2, `the two forms differ for a reset gate inside (0, 1): max |difference| ${gap}`);
    // With the reset gate saturated at 1 (b_r = 40), R * (H W) = (R * H) W: the forms agree.
    const one = againstGluon('gru', (g) => (g === 'r' ? 40 : 0));
    assertClose(flat(one.out), flat(one.outGluon), 'scratch GRU vs gluon.rnn.GRU with R = 1', 1e-4, 1e-5);
  });
});
