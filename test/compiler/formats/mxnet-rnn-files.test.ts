import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nd, gluon } from 'gluonc';
import { canonicalMxnetNames } from '../../../compiler/formats/mxnet-names.js';
import { assertClose } from '../../helpers/compare.js';

const { rnn, nn } = gluon;

/** Fixtures written by test/fixtures/mxnet/make.py (MXNet's formats from their specification; PyTorch references). */
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/mxnet');

interface Arr {
  shape: number[];
  data: number[];
}
interface RnnCase {
  file: string;
  mode: 'rnn_relu' | 'rnn_tanh' | 'lstm' | 'gru';
  layers: number;
  bidirectional: boolean;
  layout: 'TNC' | 'NTC';
  hidden: number;
  prefix: string;
  x: Arr;
  states: Arr[];
  output: Arr;
  finalStates: Arr[];
}

const CASES = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'rnn-cases.json'), 'utf8')) as RnnCase[];
const arr = (a: Arr) => nd.array(a.data, { shape: a.shape });
const flat = (x: nd.NDArray) => Array.from(x.data() as Float32Array, Number);

function layerOf(c: RnnCase): gluon.HybridBlock {
  const opts = { bidirectional: c.bidirectional, layout: c.layout };
  if (c.mode === 'lstm') return new rnn.LSTM(c.hidden, c.layers, opts);
  if (c.mode === 'gru') return new rnn.GRU(c.hidden, c.layers, opts);
  return new rnn.RNN(c.hidden, c.layers, { ...opts, activation: c.mode === 'rnn_tanh' ? 'tanh' : 'relu' });
}

describe('MXNet recurrent-layer files', function () {
  this.timeout(60000);

  it('maps every name MXNet writes onto the fused layer names (fixed samples)', () => {
    assert.deepEqual(
      canonicalMxnetNames([
        'arg:dense0_weight', 'aux:bn_running_mean', '_unfused.0.l_cell.i2h_weight', '_unfused.0.r_cell.h2h_bias',
        '_unfused.2.l_cell.i2h_bias', '_unfused.2.r_cell.i2h_weight', 'enc._unfused.1.i2h_weight', 'enc._unfused.3.h2h_weight',
        'l0_i2h_weight', 'x_unfused.0.i2h_weight', '_unfused.0.l_cell.weight',
      ]),
      [
        'dense0_weight', 'bn_running_mean', 'l0_i2h_weight', 'r0_h2h_bias',
        'l1_i2h_bias', 'r1_i2h_weight', 'enc.l0_i2h_weight', 'enc.l1_h2h_weight',
        'l0_i2h_weight', 'x_unfused.0.i2h_weight', '_unfused.0.l_cell.weight',
      ],
    );
  });

  for (const c of CASES) {
    it(`${c.file}: loads into ${c.mode} (${c.layers} layer(s), ${c.bidirectional ? 'bidirectional' : 'one direction'}, ${c.layout}); output and final states match PyTorch`, () => {
      const layer = layerOf(c);
      let net: gluon.HybridBlock = layer;
      if (c.prefix) {
        assert.equal(c.prefix, '0.');
        const seq = new nn.HybridSequential();
        seq.add(layer);
        net = seq;
      }
      net.loadParameters(path.join(FIXTURES, c.file));
      for (const hybrid of [false, true]) {
        if (hybrid) layer.hybridize();
        const [out, states] = layer.call(arr(c.x), c.states.map(arr)) as unknown as [nd.NDArray, nd.NDArray[]];
        const how = `${c.file}${hybrid ? ' (hybridized)' : ''}`;
        assert.deepEqual(out.shape, c.output.shape, `${how}: output shape`);
        assertClose(flat(out), c.output.data, `${how}: output vs PyTorch`, 1e-4, 1e-5);
        assert.equal(states.length, c.finalStates.length);
        states.forEach((s, i) => {
          assert.deepEqual(s.shape, c.finalStates[i]!.shape);
          assertClose(flat(s), c.finalStates[i]!.data, `${how}: final state ${i} vs PyTorch`, 1e-4, 1e-5);
        });
      }
    });
  }

  it('the fused and the unfused (with dropout gaps) files of one LSTM load the same parameters', () => {
    const a = new rnn.LSTM(4, 2, { bidirectional: true, layout: 'NTC' });
    const b = new rnn.LSTM(4, 2, { bidirectional: true, layout: 'NTC' });
    a.loadParameters(path.join(FIXTURES, 'lstm-2l-bi-ntc-fused.params'));
    b.loadParameters(path.join(FIXTURES, 'lstm-2l-bi-ntc-unfused-dropout.params'));
    const pb = b.collectParams();
    for (const [k, p] of a.collectParams().entries()) assert.deepEqual(flat(pb.get(k).data()), flat(p.data()), k);
    assert.equal(a.collectParams().size, 16);
  });

  it('a file of another layout of layers says which parameter it could not place', () => {
    // Bidirectional weights into a one-direction layer: the reverse cells have nowhere to go.
    assert.throws(() => new rnn.GRU(4, 1).loadParameters(path.join(FIXTURES, 'gru-1l-bi-ntc-unfused.params')), /Parameter 'r0_i2h_weight' in file '.*gru-1l-bi-ntc-unfused\.params' is not in the block/);
    // One layer of weights into a two-layer LSTM: layer 1 is missing.
    assert.throws(() => new rnn.LSTM(4, 2).loadParameters(path.join(FIXTURES, 'lstm-1l-uni-tnc-unfused.params')), /Parameter 'l1_i2h_weight' is missing in file '.*lstm-1l-uni-tnc-unfused\.params'/);
  });
});
