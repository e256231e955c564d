/**
 * save-recurrent-activations: in training graphs an OnnxLSTM and its
 * OnnxRecurrentGrad become OnnxLSTMTrain + OnnxLSTMTrainGrad with the same
 * results (forward outputs and every gradient, each direction, with lengths,
 * two gradients of one forward); a GRU, a forward without a gradient and
 * inference graphs are left alone. An `OnnxLoop` whose gradient is taken
 * keeps each iteration's values and the body values its gradient reads
 * (`save`, residuals) for its `OnnxLoopGrad` (`saved`), same results; a
 * gradient whose forward is not in the graph runs the loop again. The results are compared
 * before/after (float32, both at -O0); the new operators are checked against
 * finite differences in test/compiler/ops/rnn-train.test.ts and the layers
 * against PyTorch in test/compiler/gluon/rnn/rnn-grad-torch.test.ts.
 */
import assert from 'node:assert/strict';
import { loopBodyGradient } from '../../../compiler/autodiff/loop-body.js';
import { gradients } from '../../../compiler/autodiff/reverse.js';
import { setLoopBodyGrad } from '../../../compiler/ops/loop.js';
import { Graph } from '../../../compiler/ir/graph.js';
import { Value } from '../../../compiler/ir/value.js';
import { INFERENCE, TRAINING } from '../../../compiler/passes/pass.js';
import { stepsFor } from '../../../compiler/passes/pipeline.js';
import { saveRecurrentActivations } from '../../../compiler/passes/save-recurrent-activations.js';
import { apply, applyAll, f32, konst, passKeepsResults, runPass } from './helpers.js';

/** h <- tanh(h ⊙ w²) three times (w captured), the scan output each new h; loss Σ h_T ⊙ head0 + Σ hs ⊙ head1 (+ Σ h_T ⊙ head0 differentiated again). */
function loopTrainingGraph(twice = false): Graph {
  const body = {
    inputs: [{ dtype: 'int64', shape: [] }, { dtype: 'bool', shape: [] }, { dtype: 'float32', shape: [2, 3] }, { dtype: 'float32', shape: [2, 3] }],
    consts: [],
    nodes: [
      { op: 'mul', attrs: {}, ins: ['i3', 'i3'], outs: [{ dtype: 'float32', shape: [2, 3] }] },
      { op: 'mul', attrs: {}, ins: ['i2', 'n0.0'], outs: [{ dtype: 'float32', shape: [2, 3] }] },
      { op: 'tanh', attrs: {}, ins: ['n1.0'], outs: [{ dtype: 'float32', shape: [2, 3] }] },
    ],
    outputs: ['i1', 'n2.0', 'n2.0'],
  };
  const outTypes = [f32([2, 3]), f32(['(loop iterations)', 2, 3])];
  const [h0, w] = [Value.input('h0', f32([2, 3])), Value.input('w', f32([2, 3]))];
  const outs = applyAll('OnnxLoop', [konst([3], [], 'int64'), h0, w], { body, nCarried: 1, tripCount: true, outTypes } as never);
  const heads = outs.map((o, i) => Value.input(`head${i}`, o.type));
  const terms = outs.map((o, i) => apply('sum', [apply('mul', [o, heads[i]!])]));
  const one = Value.input('one', f32([]));
  const named: Record<string, Value> = { y: outs[0]!, ys: outs[1]! };
  gradients([apply('add', [terms[0]!, terms[1]!])], [h0, w], [one]).forEach((g, i) => (named[`d${i}`] = g!));
  if (twice) gradients([terms[0]!], [h0, w], [one]).forEach((g, i) => (named[`e${i}`] = g!));
  return Graph.fromOutputs([h0, w, ...heads, one], named);
}

type Direction = 'forward' | 'reverse' | 'bidirectional';

/** Inputs of a recurrent layer: x [T, N, I], weights, states (and lengths). */
function layerInputs(kind: 'LSTM' | 'GRU', D: number, T: number, N: number, I: number, H: number, lengths = false) {
  const G = kind === 'LSTM' ? 4 : 3;
  const ins = [Value.input('x', f32([T, N, I])), Value.input('w', f32([D, G * H, I])), Value.input('r', f32([D, G * H, H])), Value.input('b', f32([D, 2 * G * H])), Value.input('h0', f32([D, N, H]))];
  if (kind === 'LSTM') ins.push(Value.input('c0', f32([D, N, H])));
  // Lengths: a full one, 0, one within T (then past T when N > 3).
  if (lengths) ins.push(konst(Array.from({ length: N }, (_v, n) => [T, 0, 2, T + 3][n % 4]!), [N], 'int32'));
  return ins;
}

/** loss = Σ Y ⊙ head + Σ Y_h ⊙ headH (+ Σ Y_c ⊙ headC); outputs the forward's Y and the gradients of every float input. */
function trainingGraph(kind: 'LSTM' | 'GRU', direction: Direction, opts: { lengths?: boolean; T?: number; twice?: boolean } = {}): Graph {
  const D = direction === 'bidirectional' ? 2 : 1;
  const [T, N, I, H] = [opts.T ?? 4, opts.lengths ? 4 : 2, 3, 2];
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
  return Graph.fromOutputs([...ins.filter((v) => v.kind === 'input'), ...heads, one], named);
}

const ops = (g: Graph) => g.nodes.map((n) => n.op);

describe('passes: save-recurrent-activations', () => {
  before(() => setLoopBodyGrad(loopBodyGradient));

  for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
    it(`${direction} LSTM: OnnxLSTM + OnnxRecurrentGrad become OnnxLSTMTrain + OnnxLSTMTrainGrad, same results`, () => {
      const g = trainingGraph('LSTM', direction);
      assert.deepEqual(['OnnxLSTM', 'OnnxRecurrentGrad'].map((op) => ops(g).filter((o) => o === op).length), [1, 1]);
      const r = passKeepsResults(saveRecurrentActivations, g, TRAINING, `${direction} LSTM`);
      assert.equal(r.changed, true);
      assert.deepEqual(['OnnxLSTM', 'OnnxRecurrentGrad', 'OnnxLSTMTrain', 'OnnxLSTMTrainGrad'].map((op) => ops(r.graph).filter((o) => o === op).length), [0, 0, 1, 1]);
    });
  }

  it('sequence lengths carry over to both operators, same results', () => {
    for (const direction of ['forward', 'bidirectional'] as const) {
      const g = trainingGraph('LSTM', direction, { lengths: true });
      const r = passKeepsResults(saveRecurrentActivations, g, TRAINING, `${direction} LSTM with lengths`);
      assert.deepEqual(['OnnxRecurrentGrad', 'OnnxLSTMTrain', 'OnnxLSTMTrainGrad'].map((op) => ops(r.graph).filter((o) => o === op).length), [0, 1, 1]);
      const grad = r.graph.nodes.find((n) => n.op === 'OnnxLSTMTrainGrad')!;
      assert.equal(grad.inputs[grad.inputs.length - 1]!.type.dtype, 'int32');
    }
  });

  it('one OnnxLSTMTrain serves two gradients of the same forward; T = 1', () => {
    for (const T of [1, 5]) {
      const g = trainingGraph('LSTM', 'forward', { twice: true, T });
      assert.equal(ops(g).filter((o) => o === 'OnnxRecurrentGrad').length, 2);
      const r = passKeepsResults(saveRecurrentActivations, g, TRAINING, `two gradients, T=${T}`);
      assert.deepEqual(['OnnxLSTM', 'OnnxRecurrentGrad', 'OnnxLSTMTrain', 'OnnxLSTMTrainGrad'].map((op) => ops(r.graph).filter((o) => o === op).length), [0, 0, 1, 2]);
    }
  });

  it('leaves GRU, forward-only and inference graphs alone', () => {
    for (const [what, g, ctx] of [
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

  it("OnnxLoop + OnnxLoopGrad: the forward Loop keeps each iteration's values and residuals, the gradient reads them, same results", () => {
    for (const twice of [false, true]) {
      const g = loopTrainingGraph(twice);
      assert.deepEqual(['OnnxLoop', 'OnnxLoopGrad'].map((op) => ops(g).filter((o) => o === op).length), [1, twice ? 2 : 1]);
      const r = passKeepsResults(saveRecurrentActivations, g, TRAINING, twice ? 'a Loop with two gradients' : 'a Loop');
      assert.equal(r.changed, true);
      const loops = r.graph.nodes.filter((n) => n.op === 'OnnxLoop');
      assert.equal(loops.length, 1);
      assert.equal(loops[0]!.attrs['save'], true);
      // The tanh's output (tanh's gradient reads 1 - y²); w², the same in every iteration, is computed again, not kept.
      assert.deepEqual(loops[0]!.attrs['residuals'], ['n2.0']);
      const grads = r.graph.nodes.filter((n) => n.op === 'OnnxLoopGrad');
      assert.equal(grads.length, twice ? 2 : 1);
      assert.ok(grads.every((n) => n.attrs['saved'] === true && loops[0]!.outputs.slice(2).every((o) => n.inputs.includes(o))), 'each gradient reads the saved outputs');
    }
  });

  it('an OnnxLoopGrad whose forward is not in the graph is left alone (it runs the loop again)', () => {
    const g = loopTrainingGraph();
    const grad = g.nodes.find((n) => n.op === 'OnnxLoopGrad')!;
    // The loop's inputs and two head gradients fed from outside: no OnnxLoop in the graph.
    const heads = grad.inputs.slice(3).map((v, i) => Value.input(`g${i}`, { ...v.type, shape: v.type.shape.map((d) => (typeof d === 'number' ? d : 3)) }));
    const alone = Graph.fromOutputs([...g.inputs.slice(0, 2), ...heads], { d0: applyAll('OnnxLoopGrad', [...grad.inputs.slice(0, 3), ...heads], grad.attrs)[0]! });
    assert.deepEqual(ops(alone), ['OnnxLoopGrad']);
    assert.equal(runPass(saveRecurrentActivations, alone, TRAINING).changed, false);
  });

  it('runs in training pipelines from -O2 only', () => {
    assert.ok(stepsFor(2, 'training').some((s) => s.name === 'save-recurrent-activations'));
    assert.ok(!stepsFor(1, 'training').some((s) => s.name === 'save-recurrent-activations'));
    assert.ok(!stepsFor(3, 'inference').some((s) => s.name === 'save-recurrent-activations'));
  });
});
