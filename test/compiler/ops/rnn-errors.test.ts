/** The recurrent operators and layers name what is wrong with their inputs. */
import assert from 'node:assert/strict';
import { nd, gluon } from 'gluonc';
import { plainShape } from 'gluonc/compiler';

describe('OnnxRNN/OnnxLSTM/OnnxGRU and recurrent layer errors', () => {
  const x = nd.ones([3, 2, 4]);
  it('names the operator, the problem and the inputs', () => {
    assert.throws(() => nd.OnnxLSTM(x.astype('float64'), nd.ones([1, 8, 4]), nd.ones([1, 8, 2]), nd.ones([1, 16]), nd.ones([1, 2, 2]), nd.ones([1, 2, 2])), /^OpError: OnnxLSTM: takes float32 only \(onnxruntime's kernels\), got float64 for input 0 \(inputs: float64\[3, 2, 4\], float32\[1, 8, 4\]/);
    assert.throws(() => nd.OnnxLSTM(x, nd.ones([1, 8, 3]), nd.ones([1, 8, 2]), nd.ones([1, 16]), nd.ones([1, 2, 2]), nd.ones([1, 2, 2])), /OnnxLSTM: weight must have shape \[1, 8, 4\], got \[1, 8, 3\]/);
    assert.throws(() => nd.OnnxGRU(x, nd.ones([1, 6, 4]), nd.ones([1, 6, 2]), nd.ones([1, 12]), nd.ones([1, 2, 2]), { direction: 'sideways' as never }), /OnnxGRU: direction must be 'forward', 'reverse' or 'bidirectional', got "sideways"/);
    assert.throws(() => nd.OnnxRNN(x, nd.ones([2, 2, 4]), nd.ones([2, 2, 2]), nd.ones([2, 4]), nd.ones([2, 3, 2]), { direction: 'bidirectional' }), /OnnxRNN: initialH must have shape \[2, 2, 2\], got \[2, 3, 2\]/);
    assert.throws(() => nd.OnnxRNN(x, nd.ones([1, 2, 4]), nd.ones([1, 2, 2]), nd.ones([1, 4]), nd.ones([1, 2, 2]), nd.array([1, 2, 3])), /OnnxRNN: sequenceLength must have shape \[2\], got \[3\]/);
    assert.throws(() => nd.OnnxRNN(x, nd.ones([1, 2, 4]), nd.ones([1, 2, 2]), nd.ones([1, 4]), nd.ones([1, 2, 2]), { activation: 'sigmoid' as never }), /OnnxRNN: activation must be 'tanh' or 'relu', got "sigmoid"/);
    assert.throws(() => nd.OnnxLSTM(x, nd.ones([1, 8, 4]), nd.ones([1, 8, 2]), nd.ones([1, 16]), nd.ones([1, 2, 2]), nd.ones([1, 2, 2]), { linearBeforeReset: true } as never), /OnnxLSTM: unknown option 'linearBeforeReset' \(valid: direction\)/);
    assert.throws(() => nd.OnnxRNN(x, nd.ones([1, 2, 4]), nd.ones([1, 3, 2]), nd.ones([1, 4]), nd.ones([1, 2, 2])), /OnnxRNN: recurrentWeight must have shape \[1, 2, 2\], got \[1, 3, 2\]/);
  });

  it('OnnxRecurrentGrad names the operator, the kind, the input count and the misfit', () => {
    const F = nd as unknown as { OnnxRecurrentGrad: (...args: unknown[]) => unknown };
    const w = [nd.ones([1, 8, 4]), nd.ones([1, 8, 2]), nd.ones([1, 16])];
    const s = nd.ones([1, 2, 2]);
    const y = nd.ones([3, 1, 2, 2]);
    assert.throws(() => F.OnnxRecurrentGrad(x, ...w, s, s, y, y, s, s, { kind: 'LSTMx' }), /OnnxRecurrentGrad: kind must be 'RNN', 'LSTM' or 'GRU', got "LSTMx"/);
    assert.throws(() => F.OnnxRecurrentGrad(x, ...w, s, y, y, s, { kind: 'LSTM' }), /OnnxRecurrentGrad: LSTM takes 10 inputs \(data, weight, recurrentWeight, bias, states, Y, gradY, state gradients\), got 8/);
    assert.throws(() => F.OnnxRecurrentGrad(x, ...w, s, s, y, y, s, s, nd.array([3, 1]), { kind: 'LSTM' }), /OnnxRecurrentGrad: LSTM takes 10 inputs .*got 11/);
    assert.throws(() => F.OnnxRecurrentGrad(x, ...w, s, s, y, y.astype('float64'), s, s, { kind: 'LSTM' }), /OnnxRecurrentGrad: Y and the output gradients must be float32 like the data, got float64 for input 7/);
    assert.throws(() => F.OnnxRecurrentGrad(x, ...w, s, s, y, nd.ones([3, 1, 2, 3]), s, s, { kind: 'LSTM' }), /OnnxRecurrentGrad: input 7 \(gradY\) must have shape \[3, 1, 2, 2\], got \[3, 1, 2, 3\]/);
    assert.throws(() => F.OnnxRecurrentGrad(x, nd.ones([1, 8, 3]), w[1], w[2], s, s, y, y, s, s, { kind: 'LSTM' }), /OnnxLSTM: weight must have shape \[1, 8, 4\], got \[1, 8, 3\]/);
  });

  it('a float32 layer traces with a symbolic time axis; a float64 one (unrolled) names the problem', () => {
    const l = new gluon.rnn.LSTM(3, 1, { inputSize: 4 });
    l.initialize();
    assert.deepEqual(plainShape(l.trace([{ name: 'x', dtype: 'float32', shape: ['T', 'N', 4] }]).outputs[0]!.shape), ['T', 'N', 3]);
    const g = new gluon.rnn.GRU(3, 1, { dtype: 'float64', layout: 'NTC', inputSize: 4 });
    g.initialize();
    assert.throws(() => g.trace([{ name: 'x', dtype: 'float64', shape: ['N', 'T', 4] }]), /GRU: a float64 input needs a known sequence length when tracing \(ONNX's recurrent operators take float32 only, so float64 layers are unrolled\), got shape \[N, T, 4\]/);
    const u = new gluon.rnn.RNN(3, 1, { unroll: true, inputSize: 4 });
    u.initialize();
    assert.throws(() => u.trace([{ name: 'x', dtype: 'float32', shape: ['T', 2, 4] }]), /RNN: a float32 input needs a known sequence length when tracing \(the layer is unrolled \(unroll: true\)\), got shape \[T, 2, 4\]/);
  });
});
