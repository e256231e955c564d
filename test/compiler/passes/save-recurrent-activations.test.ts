/**
 * save-recurrent-activations: in training graphs an OnnxLSTM and its
 * OnnxRecurrentGrad become OnnxLSTMTrain + OnnxLSTMTrainGrad with the same
 * results (forward outputs and every gradient, each direction, two gradients
 * of one forward); a forward with lengths, a GRU, a forward without a
 * gradient and inference graphs are left alone. The results are compared
 * before/after (float32, both at -O0); the new operators are checked against
 * finite differences in test/compiler/ops/rnn-train.test.ts and the layers
 * against PyTorch in test/compiler/gluon/rnn/rnn-grad-torch.test.ts.
 */
import assert from 'node:assert/strict';
import { gradients } from '../../../compiler/autodiff/reverse.js';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { INFERENCE, TRAINING } from '../../../compiler/passes/pass.js';
import { stepsFor } from '../../../compiler/passes/pipeline.js';
import { saveRecurrentActivations } from '../../../compiler/passes/save-recurrent-activations.js';
import { apply, applyAll, f32, passKeepsResults, runPass } from './helpers.js';

type Direction = 'forward' | 'reverse' | 'bidirectional';

/** Inputs of a recurrent layer: x [T, N, I], weights, states (and lengths). */
function layerInputs(kind: 'LSTM' | 'GRU', D: number, T: number, N: number, I: number, H: number, lengths = false) {
  const G = kind === 'LSTM' ? 4 : 3;
  const ins = [Value.input('x', f32([T, N, I])), Value.input('w', f32([D, G * H, I])), Value.input('r', f32([D, G * H, H])), Value.input('b', f32([D, 2 * G * H])), Value.input('h0', f32([D, N, H]))];
  if (kind === 'LSTM') ins.push(Value.input('c0', f32([D, N, H])));
  if (lengths) ins.push(Value.input('lens', { dtype: 'int32', shape: [N] }));
  return ins;
}

/** loss = Σ Y ⊙ head + Σ Y_h ⊙ headH (+ Σ Y_c ⊙ headC); outputs the forward's Y and the gradients of every float input. */
function trainingGraph(kind: 'LSTM' | 'GRU', direction: Direction, opts: { lengths?: boolean; T?: number; twice?: boolean } = {}): Graph {
  const D = direction === 'bidirectional' ? 2 : 1;
  const [T, N, I, H] = [opts.T ?? 4, 2, 3, 2];
  const ins = layerInputs(kind, D, T, N, I, H, opts.lengths);
  const outs = applyAll(`Onnx${kind}`, ins, { direction, ...(kind === 'GRU' ? { linearBeforeReset: true } : {}) });
  const heads = outs.map((o, i) => Value.input(`head${i}`, o.type));
  const terms = outs.map((o, i) => apply('sum', [apply('mul', [o, heads[i]!])]));
  const loss = terms.reduce((a, t) => apply('add', [a, t]));
  const floats = ins.filter((v) => v.type.dtype === 'float32');
  const one = Value.input('one', f32([]));
  const named: Record<string, Value> = { y: outs[0]! };
  gradients([loss], floats, [one]).forEach((g, i) => (named[`d_${floats[i]!.name}`] = g!));
  if (opts.twice) {
    // A second differentiation of the same forward (only Y_h's term): a second OnnxRecurrentGrad reading it.
    gradients([terms[1]!], floats, [one]).forEach((g, i) => (named[`d2_${floats[i]!.name}`] = g!));
  }
  return Graph.fromOutputs([...ins, ...heads, one], named);
}

const ops = (g: Graph) => g.nodes.map((n) => n.op);

describe('passes: save-recurrent-activations', () => {
  for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
    it(`${direction} LSTM: OnnxLSTM + OnnxRecurrentGrad become OnnxLSTMTrain + OnnxLSTMTrainGrad, same results`, () => {
      const g = trainingGraph('LSTM', direction);
      assert.deepEqual(['OnnxLSTM', 'OnnxRecurrentGrad'].map((op) => ops(g).filter((o) => o === op).length), [1, 1]);
      const r = passKeepsResults(saveRecurrentActivations, g, TRAINING, `${direction} LSTM`);
      assert.equal(r.changed, true);
      assert.deepEqual(['OnnxLSTM', 'OnnxRecurrentGrad', 'OnnxLSTMTrain', 'OnnxLSTMTrainGrad'].map((op) => ops(r.graph).filter((o) => o === op).length), [0, 0, 1, 1]);
    });
  }

  it('one OnnxLSTMTrain serves two gradients of the same forward; T = 1', () => {
    for (const T of [1, 5]) {
      const g = trainingGraph('LSTM', 'forward', { twice: true, T });
      assert.equal(ops(g).filter((o) => o === 'OnnxRecurrentGrad').length, 2);
      const r = passKeepsResults(saveRecurrentActivations, g, TRAINING, `two gradients, T=${T}`);
      assert.deepEqual(['OnnxLSTM', 'OnnxRecurrentGrad', 'OnnxLSTMTrain', 'OnnxLSTMTrainGrad'].map((op) => ops(r.graph).filter((o) => o === op).length), [0, 0, 1, 2]);
    }
  });

  it('leaves lengths, GRU, forward-only and inference graphs alone', () => {
    for (const [what, g, ctx] of [
      ['LSTM with lengths', trainingGraph('LSTM', 'bidirectional', { lengths: true }), TRAINING],
      ['GRU', trainingGraph('GRU', 'forward'), TRAINING],
      ['inference', trainingGraph('LSTM', 'forward'), INFERENCE],
    ] as const) {
      const r = runPass(saveRecurrentActivations, g, ctx);
      assert.equal(r.changed, false, what);
      assert.ok(!ops(r.graph).includes('OnnxLSTMTrain'), what);
    }
    const ins = layerInputs('LSTM', 1, 3, 2, 2, 2);
    const forwardOnly = Graph.fromOutputs(ins, { y: applyAll('OnnxLSTM', ins)[0]! });
    assert.equal(runPass(saveRecurrentActivations, forwardOnly, TRAINING).changed, false);
    assert.deepEqual(ops(forwardOnly), ['OnnxLSTM']);
  });

  it('runs in training pipelines from -O2 only', () => {
    assert.ok(stepsFor(2, 'training').some((s) => s.name === 'save-recurrent-activations'));
    assert.ok(!stepsFor(1, 'training').some((s) => s.name === 'save-recurrent-activations'));
    assert.ok(!stepsFor(3, 'inference').some((s) => s.name === 'save-recurrent-activations'));
  });
});
