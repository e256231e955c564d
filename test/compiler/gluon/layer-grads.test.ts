/**
 * For every layer: the gradients of its parameters and of its input
 * computed eagerly (the tape, F = nd) and hybridized (one compiled gradient
 * graph) agree, and a training step changes what it should.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';

const { nn, rnn } = gluon;
type AnyBlock = InstanceType<typeof gluon.HybridBlock>;

const LAYERS: [string, () => AnyBlock, number[], { ints?: number; train?: boolean }?][] = [
  ['Dense', () => new nn.Dense(4, { activation: 'tanh' }), [3, 5]],
  ['Dense flatten=false', () => new nn.Dense(4, { flatten: false }), [2, 3, 5]],
  ['Conv1D', () => new nn.Conv1D(3, 3, { padding: 1 }), [2, 2, 7]],
  // The data gradient is a 1-D transposed convolution: onnxruntime 1.30's 1-D Col2Im got dilated taps wrong.
  ['Conv1D dilation 2, strides 3, padding 2', () => new nn.Conv1D(3, 4, { strides: 3, padding: 2, dilation: 2 }), [2, 2, 13]],
  ['Conv2D', () => new nn.Conv2D(3, 3, { strides: 2, padding: 1 }), [2, 2, 6, 6]],
  ['Conv2D groups', () => new nn.Conv2D(4, 3, { groups: 2 }), [1, 4, 5, 5]],
  ['Conv2DTranspose', () => new nn.Conv2DTranspose(2, 3, { strides: 2 }), [1, 3, 4, 4]],
  ['Conv3D', () => new nn.Conv3D(3, 2, { padding: 1, strides: [1, 2, 1] }), [2, 2, 3, 4, 3]],
  ['Conv1DTranspose', () => new nn.Conv1DTranspose(2, 3, { strides: 2, dilation: 2 }), [2, 3, 5]],
  ['Conv3DTranspose', () => new nn.Conv3DTranspose(2, 2, { strides: 2 }), [1, 3, 2, 2, 3]],
  ['MaxPool2D', () => new nn.MaxPool2D(2), [2, 2, 4, 4]],
  ['MaxPool3D', () => new nn.MaxPool3D(2, { strides: 1 }), [2, 2, 3, 3, 3]],
  ['AvgPool3D', () => new nn.AvgPool3D(2, { padding: 1 }), [1, 2, 3, 4, 3]],
  ['AvgPool2D', () => new nn.AvgPool2D(3, { strides: 2, padding: 1 }), [2, 2, 5, 5]],
  ['GlobalAvgPool2D', () => new nn.GlobalAvgPool2D(), [2, 3, 4, 4]],
  ['Activation', () => new nn.Activation('sigmoid'), [3, 4]],
  ['Flatten', () => new nn.Flatten(), [2, 3, 4]],
  ['Embedding', () => new nn.Embedding(10, 4), [3, 5], { ints: 10 }],
  ['LeakyReLU', () => new nn.LeakyReLU(0.1), [3, 4]],
  ['PReLU', () => new nn.PReLU(), [3, 4]],
  ['ELU', () => new nn.ELU(), [3, 4]],
  ['SELU', () => new nn.SELU(), [3, 4]],
  ['GELU', () => new nn.GELU(), [3, 4]],
  ['GELU tanh', () => new nn.GELU('tanh'), [3, 4]],
  ['BatchNorm (training)', () => new nn.BatchNorm(), [4, 3, 2, 2], { train: true }],
  ['LayerNorm', () => new nn.LayerNorm(), [3, 6]],
  ['Dropout (inactive)', () => new nn.Dropout(0.5), [3, 4]],
  ['TransformerEncoderLayer (causal, pre-norm, gelu)', () => new nn.TransformerEncoderLayer(4, 2, 8, { dropout: 0, causal: true, preNorm: true, activation: 'gelu' }), [2, 3, 4]],
  ['TransformerEncoderLayer (post-norm)', () => new nn.TransformerEncoderLayer(4, 2, 8, { dropout: 0 }), [2, 3, 4]],
  ['PositionalEncoding', () => new nn.PositionalEncoding(4), [2, 3, 4]],
  ['LearnedPositionalEmbedding', () => new nn.LearnedPositionalEmbedding(5, 4), [2, 3, 4]],
  ['RNN', () => new rnn.RNN(4), [5, 2, 3]],
  ['LSTM', () => new rnn.LSTM(4), [5, 2, 3]],
  ['GRU', () => new rnn.GRU(4, 1, { bidirectional: true }), [5, 2, 3]],
];

function gradsOf(make: () => AnyBlock, shape: number[], ints: number | undefined, train: boolean, hybrid: boolean) {
  random.seed(11);
  const block = make();
  block.initialize(new init.Xavier());
  random.seed(12);
  const x = ints ? nd.random.randint(0, ints, shape, { dtype: 'float32' }) : nd.random.uniform(-1, 1, shape);
  if (!ints) x.attachGrad();
  // Deferred shapes are solved by a first call (not recorded).
  autograd.pause(() => block.call(x));
  if (hybrid) block.hybridize();
  random.seed(13);
  const out = autograd.record(() => block.call(x) as nd.NDArray, { trainMode: train });
  const head = nd.random.uniform(-1, 1, out.shape);
  out.backward(head);
  const params = block.collectParams().entries().filter(([, p]) => p.gradReq !== 'null');
  return {
    params: params.map(([name, p]) => [name, Array.from(p.grad().data() as Float32Array)] as const),
    input: ints ? [] : Array.from(x.grad.data() as Float32Array),
  };
}

describe('layer gradients: eager tape == compiled gradient graph', () => {
  for (const [name, make, shape, opts] of LAYERS) {
    it(name, () => {
      const e = gradsOf(make, shape, opts?.ints, opts?.train ?? false, false);
      const h = gradsOf(make, shape, opts?.ints, opts?.train ?? false, true);
      assert.deepEqual(h.params.map(([n]) => n), e.params.map(([n]) => n));
      e.params.forEach(([n, g], i) => {
        assert.ok(g.some((v) => v !== 0) || name.startsWith('Dropout') || name.includes('Pool'), `${name}: gradient of ${n} is all zeros`);
        assertClose(h.params[i]![1], g, `${name} parameter ${n}`, 1e-3, 1e-5);
      });
      assertClose(h.input, e.input, `${name} input gradient`, 1e-3, 1e-5);
    });
  }

  // onnxruntime 1.30's MatMulScaleFusion folded a one-element Mul/Div next to a MatMul into FusedMatMul's
  // float32 alpha, also in float64 graphs: attention's 1/√d scale gave its query gradient float32 precision.
  for (const [what, scale] of [['x·Wᵀ·(1/√3)', (F: gluon.F, h: gluon.Tensor) => F.mul(h, 1 / Math.sqrt(3))], ['x·Wᵀ / √3', (F: gluon.F, h: gluon.Tensor) => F.div(h, Math.sqrt(3))]] as const) {
    it(`float64 ${what}: the compiled input gradient keeps float64 precision (hand-written float64 reference)`, () => {
      random.seed(8);
      const dense = new nn.Dense(3, { flatten: false, inUnits: 4, dtype: 'float64' });
      const net = new nn.HybridLambda((F, x) => scale(F, dense.call(x) as gluon.Tensor));
      dense.initialize();
      dense.hybridize();
      net.hybridize();
      const x = nd.random.uniform(-1, 1, [2, 2, 4]).astype('float64'); // rank 3: a MatMul (a rank-2 FullyConnected is a Gemm)
      x.attachGrad();
      autograd.record(() => net.call(x) as nd.NDArray).backward();
      // y = (x·Wᵀ + b) / √3 summed: dy/dx[n, i] = Σ_o W[o, i] / √3.
      const w = Array.from(dense.weight.data().data() as Float64Array);
      const want = Array.from({ length: 16 }, (_v, k) => [0, 1, 2].reduce((acc, o) => acc + w[o * 4 + (k % 4)]!, 0) / Math.sqrt(3));
      assertClose(Array.from(x.grad!.data() as Float64Array), want, `${what} input gradient`, 1e-14, 1e-15);
    });
  }
});
