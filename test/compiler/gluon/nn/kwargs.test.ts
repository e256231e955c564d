import assert from 'node:assert/strict';
import { nd, gluon, random } from 'gluonc';
import { sameLayer } from '../../../helpers/kwargs.js';

const { nn } = gluon;

/** A seeded normal input of `shape`. */
const normal = (...shapes: number[][]) => () => {
  random.seed(3);
  return shapes.map((s) => nd.random.normal(0, 1, s));
};

describe("gluon.nn: Gluon's keyword arguments in the trailing options object", () => {
  const CASES: [string, (() => gluon.Block)[], (() => gluon.Block) | null, () => nd.NDArray[], boolean?][] = [
    ['Dense(units=3, activation=relu)', [() => new nn.Dense(3, { activation: 'relu' }), () => new nn.Dense({ units: 3, activation: 'relu' })], () => new nn.Dense(4, { activation: 'relu' }), normal([2, 5])],
    ['Conv2D(channels=4, kernel_size=3, strides=2)', [
      () => new nn.Conv2D(4, 3, { strides: 2 }),
      () => new nn.Conv2D(4, { kernelSize: 3, strides: 2 }),
      () => new nn.Conv2D({ channels: 4, kernelSize: 3, strides: 2 }),
      // `undefined` in a position is absent (MXNet's None), as when the argument is left out.
      () => Reflect.construct(nn.Conv2D, [undefined, { channels: 4, kernelSize: 3, strides: 2 }]) as gluon.Block,
    ], () => new nn.Conv2D(4, 2, { strides: 2 }), normal([1, 2, 7, 7])],
    ['Conv1D(channels=3, kernel_size=2)', [() => new nn.Conv1D(3, 2), () => new nn.Conv1D({ channels: 3, kernelSize: 2 })], () => new nn.Conv1D(3, 3), normal([1, 2, 6])],
    ['Conv3D(channels=2, kernel_size=[1,2,2])', [() => new nn.Conv3D(2, [1, 2, 2]), () => new nn.Conv3D({ channels: 2, kernelSize: [1, 2, 2] })], () => new nn.Conv3D(2, 2), normal([1, 1, 3, 4, 4])],
    ['Conv2DTranspose(channels=2, kernel_size=3, strides=2, output_padding=1)', [
      () => new nn.Conv2DTranspose(2, 3, { strides: 2, outputPadding: 1 }),
      () => new nn.Conv2DTranspose({ channels: 2, kernelSize: 3, strides: 2, outputPadding: 1 }),
    ], () => new nn.Conv2DTranspose(2, 3, { strides: 2 }), normal([1, 3, 4, 4])],
    ['Conv1DTranspose(channels=2, kernel_size=3)', [() => new nn.Conv1DTranspose(2, 3), () => new nn.Conv1DTranspose(2, { kernelSize: 3 })], () => new nn.Conv1DTranspose(2, 2), normal([1, 3, 4])],
    ['MaxPool2D(pool_size=3, strides=2)', [() => new nn.MaxPool2D(3, { strides: 2 }), () => new nn.MaxPool2D({ poolSize: 3, strides: 2 })], () => new nn.MaxPool2D({ strides: 2 }), normal([1, 2, 7, 7])],
    ['AvgPool2D(pool_size=3, padding=1)', [() => new nn.AvgPool2D(3, { padding: 1 }), () => new nn.AvgPool2D({ poolSize: 3, padding: 1 })], () => new nn.AvgPool2D({ padding: 1 }), normal([1, 1, 6, 6])],
    ['MaxPool1D(pool_size=3)', [() => new nn.MaxPool1D(3), () => new nn.MaxPool1D({ poolSize: 3 })], () => new nn.MaxPool1D(), normal([1, 2, 9])],
    ['AvgPool1D(pool_size=3)', [() => new nn.AvgPool1D(3), () => new nn.AvgPool1D({ poolSize: 3 })], () => new nn.AvgPool1D(), normal([1, 2, 9])],
    ['MaxPool3D(pool_size=[1,2,2])', [() => new nn.MaxPool3D([1, 2, 2]), () => new nn.MaxPool3D({ poolSize: [1, 2, 2] })], () => new nn.MaxPool3D(), normal([1, 1, 4, 4, 4])],
    ['AvgPool3D(pool_size=[2,1,1])', [() => new nn.AvgPool3D([2, 1, 1]), () => new nn.AvgPool3D({ poolSize: [2, 1, 1] })], () => new nn.AvgPool3D(), normal([1, 1, 4, 4, 4])],
    ['Dropout(rate=0.5) in training mode', [() => new nn.Dropout(0.5), () => new nn.Dropout({ rate: 0.5 })], () => new nn.Dropout(0.2), normal([4, 8]), true],
    ['Dropout(rate=0.5, axes=[1])', [() => new nn.Dropout(0.5, { axes: [1] }), () => new nn.Dropout({ rate: 0.5, axes: [1] })], () => new nn.Dropout(0.5), normal([4, 8]), true],
    ['Activation(activation=tanh)', [() => new nn.Activation('tanh'), () => new nn.Activation({ activation: 'tanh' })], () => new nn.Activation('relu'), normal([3, 4])],
    ['LeakyReLU(alpha=0.1)', [() => new nn.LeakyReLU(0.1), () => new nn.LeakyReLU({ alpha: 0.1 })], () => new nn.LeakyReLU(0.3), normal([3, 4])],
    ['ELU(alpha=2)', [() => new nn.ELU(2), () => new nn.ELU({ alpha: 2 })], () => new nn.ELU(), normal([3, 4])],
    ['GELU(approximation=tanh)', [() => new nn.GELU('tanh'), () => new nn.GELU({ approximation: 'tanh' })], () => new nn.GELU(), normal([3, 4])],
    ['Swish(beta=2)', [() => new nn.Swish(2), () => new nn.Swish({ beta: 2 })], () => new nn.Swish(), normal([3, 4])],
    ['Embedding(input_dim=5, output_dim=3)', [
      () => new nn.Embedding(5, 3),
      () => new nn.Embedding(5, { outputDim: 3 }),
      () => new nn.Embedding({ inputDim: 5, outputDim: 3 }),
    ], () => new nn.Embedding(5, 4), () => [nd.array([[0, 4], [2, 1]])]],
    ['GroupNorm(num_groups=2)', [() => new nn.GroupNorm(2), () => new nn.GroupNorm({ numGroups: 2 })], () => new nn.GroupNorm(), normal([2, 4, 3, 3])],
    ['MultiHeadAttention(units=8, num_heads=2)', [
      () => new nn.MultiHeadAttention(8, 2),
      () => new nn.MultiHeadAttention(8, { numHeads: 2 }),
      () => new nn.MultiHeadAttention({ units: 8, numHeads: 2 }),
    ], () => new nn.MultiHeadAttention(8, 4), normal([2, 3, 8], [2, 3, 8], [2, 3, 8])],
    ['TransformerEncoderLayer(units=8, num_heads=2, hidden_size=16)', [
      () => new nn.TransformerEncoderLayer(8, 2, 16, { dropout: 0 }),
      () => new nn.TransformerEncoderLayer({ units: 8, numHeads: 2, hiddenSize: 16, dropout: 0 }),
    ], () => new nn.TransformerEncoderLayer(8, 2, 12, { dropout: 0 }), normal([2, 3, 8])],
    ['TransformerDecoderLayer(units=8, num_heads=2, hidden_size=16)', [
      () => new nn.TransformerDecoderLayer(8, 2, 16, { dropout: 0 }),
      () => new nn.TransformerDecoderLayer(8, 2, { hiddenSize: 16, dropout: 0 }),
    ], () => new nn.TransformerDecoderLayer(8, 2, 16, { dropout: 0, causal: false }), normal([2, 3, 8], [2, 4, 8])],
    ['PositionalEncoding(units=8)', [() => new nn.PositionalEncoding(8, { maxLen: 10 }), () => new nn.PositionalEncoding({ units: 8, maxLen: 10 })], null, normal([1, 4, 8])],
    ['LearnedPositionalEmbedding(max_len=6, units=8)', [() => new nn.LearnedPositionalEmbedding(6, 8), () => new nn.LearnedPositionalEmbedding({ maxLen: 6, units: 8 })], () => new nn.LearnedPositionalEmbedding(7, 8), normal([1, 4, 8])],
    ['Lambda(function=tanh)', [() => new nn.Lambda('tanh'), () => new nn.Lambda({ function: 'tanh' })], () => new nn.Lambda('relu'), normal([3, 4])],
    ['HybridLambda(function=tanh)', [() => new nn.HybridLambda('tanh'), () => new nn.HybridLambda({ function: 'tanh' })], () => new nn.HybridLambda('relu'), normal([3, 4])],
  ];
  for (const [what, forms, other, input, train] of CASES) {
    it(`${what}: every form builds the same layer`, () => sameLayer(forms, other, input, train));
  }

  it('a parameter given both positionally and by name is an Error naming it (Python: "got multiple values")', () => {
    const multiple = (cls: string, name: string) => new RegExp(`^Error: ${cls}: got multiple values for argument '${name}'`);
    assert.throws(() => new nn.Dense(3, { units: 3 } as never), multiple('Dense', 'units'));
    assert.throws(() => new nn.Conv2D(4, 3, { kernelSize: 3 } as never), multiple('Conv2D', 'kernelSize'));
    assert.throws(() => new nn.Conv2DTranspose(4, { channels: 4, kernelSize: 3 } as never), multiple('Conv2DTranspose', 'channels'));
    assert.throws(() => new nn.MaxPool2D(3, { poolSize: 2 } as never), multiple('MaxPool2D', 'poolSize'));
    assert.throws(() => new nn.Dropout(0.5, { rate: 0.1 } as never), multiple('Dropout', 'rate'));
    assert.throws(() => new nn.Embedding(5, 3, { outputDim: 3 } as never), multiple('Embedding', 'outputDim'));
    assert.throws(() => new nn.LeakyReLU(0.1, { alpha: 0.1 } as never), multiple('LeakyReLU', 'alpha'));
    assert.throws(() => new nn.GroupNorm(2, { numGroups: 2 } as never), multiple('GroupNorm', 'numGroups'));
    assert.throws(() => new nn.MultiHeadAttention(8, 2, { units: 8 } as never), multiple('MultiHeadAttention', 'units'));
    assert.throws(() => new nn.TransformerEncoderLayer(8, 2, 16, { hiddenSize: 16 } as never), multiple('TransformerEncoderLayer', 'hiddenSize'));
    assert.throws(() => new nn.LearnedPositionalEmbedding(6, 8, { maxLen: 6 } as never), multiple('LearnedPositionalEmbedding', 'maxLen'));
    assert.throws(() => new nn.Lambda('tanh', { function: 'relu' } as never), multiple('Lambda', 'function'));
  });

  it('a required parameter given neither way is an Error naming it', () => {
    const missing = (cls: string, name: string) => new RegExp(`^Error: ${cls}: missing required argument '${name}'`);
    assert.throws(() => new nn.Dense({ activation: 'relu' } as never), missing('Dense', 'units'));
    assert.throws(() => new nn.Conv2D({ channels: 4 } as never), missing('Conv2D', 'kernelSize'));
    assert.throws(() => new nn.Conv1D(4, { strides: 2 } as never), missing('Conv1D', 'kernelSize'));
    assert.throws(() => new nn.Dropout({} as never), missing('Dropout', 'rate'));
    assert.throws(() => new nn.Embedding({ outputDim: 3 } as never), missing('Embedding', 'inputDim'));
    assert.throws(() => new nn.LeakyReLU(undefined as never), missing('LeakyReLU', 'alpha'));
    assert.throws(() => new nn.Activation({} as never), missing('Activation', 'activation'));
    assert.throws(() => new nn.MultiHeadAttention(8, {} as never), missing('MultiHeadAttention', 'numHeads'));
    assert.throws(() => new nn.TransformerDecoderLayer(8, 2, {} as never), missing('TransformerDecoderLayer', 'hiddenSize'));
    assert.throws(() => new nn.PositionalEncoding({} as never), missing('PositionalEncoding', 'units'));
    assert.throws(() => new nn.HybridLambda({} as never), missing('HybridLambda', 'function'));
  });

  it('unknown keys: refused as before, and by the layers that had no options object at all', () => {
    assert.throws(() => new nn.Conv2D({ channels: 4, kernelSize: 3, stride: 2 } as never), /^Error: Conv2D: unknown option 'stride'/);
    assert.throws(() => new nn.MaxPool2D({ poolSize: 3, stride: 2 } as never), /^Error: MaxPool2D: unknown option 'stride'/);
    assert.throws(() => new nn.ELU({ alpah: 2 } as never), /^Error: ELU: unknown option 'alpah' \(valid: alpha\)/);
    assert.throws(() => new nn.GELU({ approximate: 'tanh' } as never), /^Error: GELU: unknown option 'approximate' \(valid: approximation\)/);
    // Too many positional arguments: named with the parameters it takes (MXNet's Dense(units, activation, ...) takes 8).
    assert.throws(() => Reflect.construct(nn.Dense, [3, 'relu', true, true, 'float32', undefined, undefined, 0, 9]), /^Error: Dense: takes 8 positional arguments \(units, activation, useBias, flatten, dtype, weightInitializer, biasInitializer, inUnits\) then an options object, but 9 positional arguments were given \(argument 9: 9\)/);
  });

  it('type-checks the keyword forms and refuses the wrong ones at compile time', () => {
    // These lines are the test: tsc fails on an unused @ts-expect-error.
    const ok: gluon.Block[] = [new nn.MaxPool2D({ poolSize: 3, strides: 2 }), new nn.Conv2D({ channels: 96, kernelSize: 11, strides: 4 }), new nn.Conv2D(96, { kernelSize: 11 })];
    // @ts-expect-error kernelSize is required
    assert.throws(() => new nn.Conv2D({ channels: 4 }));
    // @ts-expect-error units given twice
    assert.throws(() => new nn.Dense(3, { units: 3 }));
    // @ts-expect-error an unknown option
    assert.throws(() => new nn.ELU({ beta: 1 }));
    assert.equal(ok.length, 3);
  });
});
