import assert from 'node:assert/strict';
import { nd, gluon, init, random } from 'gluonc';
import { sameLayer } from '../../../helpers/kwargs.js';

const { rnn } = gluon;

const normal = (...shapes: number[][]) => () => {
  random.seed(3);
  return shapes.map((s) => nd.random.normal(0, 1, s));
};
/** A cell's call: input [2, 3] and states of [2, 4]. */
const cellInput = (states: number) => () => {
  const [x, ...s] = normal([2, 3], ...new Array<number[]>(states).fill([2, 4]))();
  return [x, s];
};

describe("gluon.rnn: Gluon's keyword arguments in the trailing options object", () => {
  const CASES: [string, (() => gluon.Block)[], () => gluon.Block, () => unknown[]][] = [
    ["LSTM(8, layout='NTC')", [
      () => new rnn.LSTM(8, 1, { layout: 'NTC' }),
      () => new rnn.LSTM(8, { layout: 'NTC' }),
      () => new rnn.LSTM({ hiddenSize: 8, layout: 'NTC' }),
    ], () => new rnn.LSTM(8, 1), normal([2, 5, 3])],
    ['LSTM(hidden_size=4, num_layers=2)', [
      () => new rnn.LSTM(4, 2),
      () => new rnn.LSTM(4, { numLayers: 2 }),
      () => new rnn.LSTM({ hiddenSize: 4, numLayers: 2 }),
    ], () => new rnn.LSTM(4), normal([5, 2, 3])],
    ['GRU(hidden_size=4, num_layers=2, bidirectional=True)', [
      () => new rnn.GRU(4, 2, { bidirectional: true }),
      () => new rnn.GRU({ hiddenSize: 4, numLayers: 2, bidirectional: true }),
    ], () => new rnn.GRU(4, 2), normal([5, 2, 3])],
    ["RNN(hidden_size=4, activation='tanh')", [
      () => new rnn.RNN(4, 1, { activation: 'tanh' }),
      () => new rnn.RNN({ hiddenSize: 4, activation: 'tanh' }),
    ], () => new rnn.RNN(4), normal([5, 2, 3])],
    ['LSTMCell(hidden_size=4)', [() => new rnn.LSTMCell(4), () => new rnn.LSTMCell({ hiddenSize: 4 })], () => new rnn.LSTMCell(4, { i2hBiasInitializer: new init.One() }), cellInput(2)],
    ['GRUCell(hidden_size=4, input_size=3)', [() => new rnn.GRUCell(4, { inputSize: 3 }), () => new rnn.GRUCell({ hiddenSize: 4, inputSize: 3 })], () => new rnn.GRUCell(4, { inputSize: 3, h2hBiasInitializer: new init.One() }), cellInput(1)],
    ["RNNCell(hidden_size=4, activation='relu')", [() => new rnn.RNNCell(4, { activation: 'relu' }), () => new rnn.RNNCell({ hiddenSize: 4, activation: 'relu' })], () => new rnn.RNNCell(4), cellInput(1)],
  ];
  for (const [what, forms, other, input] of CASES) {
    it(`${what}: every form builds the same layer`, () => sameLayer(forms, other, input));
  }

  it('given twice or missing: an Error naming the class and the parameter', () => {
    assert.throws(() => new rnn.LSTM(8, 2, { numLayers: 2 } as never), /^Error: LSTM: got multiple values for argument 'numLayers' \(2 as argument 2 and 2 in the options object\)/);
    assert.throws(() => new rnn.GRU(8, { hiddenSize: 8 } as never), /^Error: GRU: got multiple values for argument 'hiddenSize'/);
    assert.throws(() => new rnn.RNN(8, { hiddenSize: 8, activation: 'tanh' } as never), /^Error: RNN: got multiple values for argument 'hiddenSize'/);
    assert.throws(() => new rnn.LSTMCell(8, { hiddenSize: 8 } as never), /^Error: LSTMCell: got multiple values for argument 'hiddenSize'/);
    assert.throws(() => new rnn.LSTM({ layout: 'NTC' } as never), /^Error: LSTM: missing required argument 'hiddenSize'/);
    assert.throws(() => new rnn.RNNCell({ activation: 'relu' } as never), /^Error: RNNCell: missing required argument 'hiddenSize'/);
    assert.throws(() => new rnn.GRUCell({} as never), /^Error: GRUCell: missing required argument 'hiddenSize'/);
    // @ts-expect-error hiddenSize is required (a compile-time check: tsc fails on an unused expectation)
    assert.throws(() => new rnn.LSTM({ numLayers: 2 }));
  });
});

describe("beginState: MXNet's begin_state(batch_size=...) by name (d2l's RNNModel and Seq2SeqEncoder)", () => {
  it('a layer and a cell take batchSize positionally or in the options object, with dtype', () => {
    const layer = new rnn.LSTM(8, 2);
    const cell = new rnn.GRUCell(5);
    for (const [b, want] of [[layer, [2, 3, 8]], [cell, [3, 5]]] as const) {
      const byName = b.beginState({ batchSize: 3 });
      assert.deepEqual(byName.map((s) => s.shape), b.beginState(3).map((s) => s.shape));
      assert.deepEqual(byName[0]!.shape, want);
      assert.ok(byName.every((s) => (s.data() as Float32Array).every((v) => v === 0)));
      assert.equal(b.beginState({ batchSize: 2, dtype: 'float64' })[0]!.dtype, 'float64');
      assert.deepEqual(b.beginState()[0]!.shape.includes(0), true, 'batch size 0 by default, as MXNet');
      assert.throws(() => b.beginState(3, { batchSize: 3 } as never), /beginState: got multiple values for argument 'batchSize'/);
      assert.throws(() => b.beginState({ batch_size: 3 } as never), /beginState: unknown option 'batch_size' .*did you mean 'batchSize'\?/);
      assert.throws(() => b.beginState(-1), /beginState: batchSize must be a non-negative integer, got -1/);
    }
  });
});
