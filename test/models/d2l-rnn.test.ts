/**
 * d2l's recurrent chapters (MXNet edition) in models/d2l/rnn-concise.ts: the
 * concise RNNModel (one-hot inputs, rnn.RNN, Dense) against a numpy float64
 * ReLU RNN (MXNet's rnn.RNN default activation), GRU and LSTM models, and
 * the seq2seq encoder and decoder against d2l's printed shapes.
 */
import assert from 'node:assert/strict';
import { gluon, np, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import { RNNModel, Seq2SeqDecoder, Seq2SeqEncoder } from '../../models/d2l/rnn-concise.js';

const { rnn } = gluon;
const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });

describe('models/d2l: recurrent networks, concise, and seq2seq', () => {
  before(() => random.seed(31));

  it('RNNModel over rnn.RNN: output and state against a numpy ReLU RNN', () => {
    const net = new RNNModel(new rnn.RNN(8), 6);
    net.initialize();
    const tokens = np.array([[1, 2, 3], [0, 4, 5]]);
    const state = net.beginState({ batchSize: 2 });
    assert.deepEqual(state.map((s) => s.shape), [[1, 2, 8]]);
    const [out, [h]] = net.call(tokens, state) as [NDArray, NDArray[]];
    assert.deepEqual(out.shape, [6, 6]);
    const p = (k: string) => net.collectParams().get(k).data();
    const [r] = numpyRefs([{
      code: `
x = np.eye(6)[a.T.astype(int)]          # one-hot, time major [T, N, V]
h = np.zeros((2, 8))
ys = []
for t in range(x.shape[0]):
    h = np.maximum(x[t] @ b.T + d + h @ c.T + e, 0)
    ys.append(h)
Y = np.stack(ys)
out = [Y.reshape(-1, 8) @ f.T + g, h]`,
      inputs: [tokens, p('rnn.l0_i2h_weight'), p('rnn.l0_h2h_weight'), p('rnn.l0_i2h_bias'), p('rnn.l0_h2h_bias'), p('dense.weight'), p('dense.bias')].map(f64),
    }]);
    assert.ok(!r!.error, r!.error);
    assertClose(flat(out), r!.outs[0]!.data as number[], 'output vs numpy', 1e-4, 1e-5);
    assertClose(flat(h!), r!.outs[1]!.data as number[], 'state vs numpy', 1e-4, 1e-5);
  });

  it("GRU and LSTM models (d2l's concise GRU/LSTM): shapes and states", () => {
    const tokens = np.array([[1, 2, 3, 4, 0]]);
    const gru = new RNNModel(new rnn.GRU(16), 7);
    gru.initialize();
    const [go, gs] = gru.call(tokens, gru.beginState({ batchSize: 1 })) as [NDArray, NDArray[]];
    assert.deepEqual([go.shape, gs.map((s) => s.shape)], [[5, 7], [[1, 1, 16]]]);
    const lstm = new RNNModel(new rnn.LSTM(16, 2), 7);
    lstm.initialize();
    const [lo, ls] = lstm.call(tokens, lstm.beginState({ batchSize: 1 })) as [NDArray, NDArray[]];
    assert.deepEqual([lo.shape, ls.map((s) => s.shape)], [[5, 7], [[2, 1, 16], [2, 1, 16]]]);
  });

  it("Seq2SeqEncoder and Seq2SeqDecoder: d2l's printed shapes, and the context is the encoder's last-layer state", () => {
    const encoder = new Seq2SeqEncoder(10, 8, 16, 2);
    encoder.initialize();
    const X = np.zeros([4, 7]);
    const [output, state] = encoder.call(X) as [NDArray, NDArray[]];
    assert.deepEqual([output.shape, state.length, state[0]!.shape], [[7, 4, 16], 1, [2, 4, 16]]);
    // The top layer's final state is the output's last step.
    assertClose(flat(state[0]!.at(-1)), flat(output.at(-1)), 'last-layer state vs last output step', 1e-6, 1e-7);
    const decoder = new Seq2SeqDecoder(10, 8, 16, 2);
    decoder.initialize();
    const [out, st] = decoder.call(X, decoder.initState([output, state])) as [NDArray, NDArray[]];
    assert.deepEqual([out.shape, st.length, st[0]!.shape], [[4, 7, 10], 1, [2, 4, 16]]);
  });
});
