/**
 * In training graphs, an `OnnxLSTM` whose gradient is taken saves its
 * activations instead of having the gradient recompute them: the pair
 * `OnnxLSTM` + `OnnxRecurrentGrad` (kind LSTM) becomes `OnnxLSTMTrain`
 * (the same outputs, plus gates, candidates, f ⊙ c_(t-1) and tanh(c_t) of
 * every step) + `OnnxLSTMTrainGrad` (compiler/ops/rnn-train.ts). Measured
 * at T = 256 (hidden 64, input 32, batch 8, one thread) the training step
 * takes about 0.85× the time of the recomputing form.
 * Where it does not apply (the graph keeps `OnnxRecurrentGrad`): a forward
 * with sequence lengths, `OnnxRNN` and `OnnxGRU`, and a gradient whose
 * forward is not in the graph. A forward without a gradient (inference, a
 * hybridized call outside `autograd.record`) keeps ONNX's LSTM kernel.
 * Invariant: only where the gradient's forward inputs are the forward
 * node's own inputs and its Y input is that node's Y.
 */
import type { Node } from '../ir/node.js';
import type { Pass } from './pass.js';
import { Rewriter } from './rewrite.js';

/**
 * Replaces `OnnxLSTM` + its `OnnxRecurrentGrad` by `OnnxLSTMTrain` + `OnnxLSTMTrainGrad` (training mode only).
 *
 * ```ts
 * saveRecurrentActivations(graph, TRAINING); // OnnxLSTM, OnnxRecurrentGrad -> OnnxLSTMTrain, OnnxLSTMTrainGrad
 * ```
 */
export const saveRecurrentActivations: Pass = (graph, ctx) => {
  if (ctx.mode !== 'training') return { graph, changed: false };
  const rw = new Rewriter(graph);
  /** The OnnxLSTMTrain made for each replaced OnnxLSTM (several gradients may read one forward). */
  const made = new Map<Node, Node>();
  const madeNodes = new Set<Node>();
  let changed = false;
  for (const g of graph.nodes) {
    if (g.op !== 'OnnxRecurrentGrad' || g.attrs['kind'] !== 'LSTM' || g.attrs['lengths'] || g.inputs.length !== 10) continue;
    const y = g.inputs[6]!;
    const p = y.producer;
    if (!p || p.outputs[0] !== y || p.attrs['direction'] !== g.attrs['direction'] || p.inputs.length !== 6) continue;
    if (!(p.op === 'OnnxLSTM' || madeNodes.has(p)) || !p.inputs.every((v, i) => v === g.inputs[i])) continue;
    let t = madeNodes.has(p) ? p : made.get(p);
    if (!t) {
      t = rw.node('OnnxLSTMTrain', p.inputs, { direction: p.attrs['direction'] }, p.scope);
      for (const [i, o] of p.outputs.entries()) rw.replace(o, t.outputs[i]!);
      made.set(p, t);
      madeNodes.add(t);
    }
    const [x, w, r, , h0] = g.inputs;
    const saved = t.outputs.slice(3);
    const ng = rw.node('OnnxLSTMTrainGrad', [x!, w!, r!, h0!, t.outputs[0]!, ...saved, ...g.inputs.slice(7, 10)], { direction: g.attrs['direction'] }, g.scope);
    for (const [i, o] of g.outputs.entries()) rw.replace(o, ng.outputs[i]!);
    changed = true;
  }
  rw.commit();
  return { graph, changed };
};
