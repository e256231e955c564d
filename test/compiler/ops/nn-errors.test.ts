/**
 * Error messages of the nn operators: each names the operator, what was
 * wrong and the inputs' types, eagerly and while tracing.
 */
import assert from 'node:assert/strict';
import { nd, sym } from 'gluonc';

describe('nn operator errors', () => {
  const x = nd.ones([2, 3, 4]);
  const s = sym.var('x', { shape: ['N', 3, 4] });

  it('Activation with an unknown or missing actType', () => {
    const re = /^OpError: Activation: unknown actType "swish" \(valid: relu, sigmoid, tanh, softrelu, softsign\) \(inputs: float32\[2, 3, 4\]\)/;
    assert.throws(() => nd.Activation(x, { actType: 'swish' as 'relu' }), re);
    assert.throws(() => sym.Activation(s, { actType: 'swish' as 'relu' }), /Activation: unknown actType "swish" \(valid: .*\) \(inputs: float32\[N, 3, 4\]\)/);
    assert.throws(() => nd.Activation(x, {} as never), /Activation: needs option 'actType' \(one of relu, sigmoid, tanh, softrelu, softsign\)/);
  });

  it('LeakyReLU: unknown actType, prelu without gamma, gamma of the wrong length', () => {
    assert.throws(() => nd.LeakyReLU(x, { actType: 'swish' as 'elu' }), /LeakyReLU: unknown actType "swish" \(valid: leaky, prelu, elu, selu, gelu\)/);
    assert.throws(() => nd.LeakyReLU(x, { actType: 'rrelu' }), /LeakyReLU: actType 'rrelu' is not supported/);
    assert.throws(() => nd.LeakyReLU(x, { actType: 'prelu' }), /LeakyReLU: actType 'prelu' needs a gamma input \(inputs: float32\[2, 3, 4\]\)/);
    assert.throws(
      () => nd.LeakyReLU(x, nd.ones([4]), { actType: 'prelu' }),
      /LeakyReLU: gamma has shape \[4\] but must be \[1\] or \[3\] .* \(inputs: float32\[2, 3, 4\], float32\[4\]\)/,
    );
  });

  it('BatchNorm with gamma of the wrong length', () => {
    const v3 = nd.ones([3]);
    assert.throws(
      () => nd.BatchNorm(x, nd.ones([4]), v3, v3, v3, { training: false }),
      /^OpError: BatchNorm: gamma has shape \[4\] but must be \[3\] \(the channels on axis 1 of data \[2, 3, 4\]\) \(inputs: float32\[2, 3, 4\], float32\[4\], float32\[3\], float32\[3\], float32\[3\]\)/,
    );
    const g = sym.var('g', { shape: [3] });
    assert.throws(
      () => sym.BatchNorm(s, g, g, g, sym.var('v', { shape: [3, 1] }), { axis: 1 }),
      /BatchNorm: movingVar has shape \[3, 1\] but must be \[3\] .* \(inputs: float32\[N, 3, 4\], .*float32\[3, 1\]\)/,
    );
    assert.throws(() => nd.BatchNorm(x, v3, v3, v3, v3, { axis: 3 }), /BatchNorm: axis 3 is out of range for rank 3/);
  });

  it('LayerNorm with gamma or beta of the wrong length', () => {
    assert.throws(
      () => nd.LayerNorm(x, nd.ones([3]), nd.ones([4])),
      /^OpError: LayerNorm: gamma has shape \[3\] but must be \[4\] \(the length of axis 2 of data \[2, 3, 4\]\) \(inputs: float32\[2, 3, 4\], float32\[3\], float32\[4\]\)/,
    );
    const g = sym.var('g', { shape: [3] });
    assert.throws(() => sym.LayerNorm(s, g, sym.var('b', { shape: [4] }), { axis: 1 }), /LayerNorm: beta has shape \[4\] but must be \[3\] .* \(inputs: float32\[N, 3, 4\], float32\[3\], float32\[4\]\)/);
  });

  it('Dropout with p outside [0, 1) or a bad mode', () => {
    assert.throws(() => nd.Dropout(x, { p: 1 }), /^OpError: Dropout: option 'p' must be in \[0, 1\), got 1 \(inputs: float32\[2, 3, 4\]\)/);
    assert.throws(() => nd.Dropout(x, { p: -0.1, training: true }), /Dropout: option 'p' must be in \[0, 1\), got -0.1/);
    assert.throws(() => sym.Dropout(s, { p: 1.5 }), /Dropout: option 'p' must be in \[0, 1\), got 1.5 \(inputs: float32\[N, 3, 4\]\)/);
    assert.throws(() => nd.Dropout(x, { mode: 'sometimes' as 'always' }), /Dropout: unknown mode "sometimes" \(valid: training, always\)/);
    assert.throws(() => nd.Dropout(x, { axes: [3] }), /Dropout: axis 3 is out of range for rank 3/);
  });

  it('softmax and fft axis out of range, integer dtypes', () => {
    assert.throws(() => x.softmax({ axis: 3 }), /softmax: axis 3 is out of range for rank 3 \(inputs: float32\[2, 3, 4\]\)/);
    assert.throws(() => s.logSoftmax({ temperature: 0 }), /logSoftmax: option 'temperature' must be a positive number or null, got 0/);
    assert.throws(() => nd.fft(x, { axis: -4 }), /fft: axis -4 is out of range for rank 3/);
    assert.throws(() => nd.softmax(nd.array([1, 2], { dtype: 'int32' })), /softmax: dtype int32 is not supported \(supported: float32, float64, float16\); cast first: x\.astype\('float32'\) \(inputs: int32\[2\]\)/);
  });
});
