/**
 * In training graphs, an `OnnxLSTM` whose gradient is taken saves its
 * activations instead of having the gradient recompute them: the pair
 * `OnnxLSTM` + `OnnxRecurrentGrad` (kind LSTM) becomes `OnnxLSTMTrain`
 * (the same outputs, plus gates, candidates, f ⊙ c_(t-1) and tanh(c_t) of
 * every step) + `OnnxLSTMTrainGrad` (compiler/ops/rnn-train.ts). Measured
 * at T = 256 (hidden 64, input 32, batch 8, one thread) the training step
 * takes about 0.85× the time of the recomputing form.
 * Sequence lengths carry over to both. Where it does not apply (the graph
 * keeps `OnnxRecurrentGrad`): `OnnxRNN` and `OnnxGRU`, and a gradient whose
 * forward is not in the graph. A forward without a gradient (inference, a
 * hybridized call outside `autograd.record`) keeps ONNX's LSTM kernel.
 * An `OnnxLoop` whose gradient is taken keeps each iteration's
 * loop-carried values, number and the body values the gradient reads
 * (`save` with the gradient's `residuals`: extra scan outputs of the
 * forward Loop) for its `OnnxLoopGrad` (`saved`), which otherwise runs the
 * loop a second time to get them: the step runs the body forward once.
 * Invariant: only where the gradient's forward inputs are the forward
 * node's own inputs and its Y input is that node's Y (LSTM), or where the
 * gradient's forward inputs and loop attributes are the forward's (Loop).
 */
import type { Node } from '../ir/node.js';
import type { Pass } from './pass.js';
import { attrKey, Rewriter } from './rewrite.js';

/** The loop attributes a forward `OnnxLoop` and its gradient share. */
const LOOP_KEYS = ['body', 'nCarried', 'tripCount', 'condition', 'outTypes'] as const;

/** True when `p` is the forward of the `OnnxLoopGrad` `g` (same inputs and loop attributes). */
function isForwardOf(p: Node, g: Node): boolean {
  return (
    p.op === 'OnnxLoop' &&
    !p.attrs['save'] &&
    p.inputs.every((v, i) => v === g.inputs[i]) &&
    LOOP_KEYS.every((k) => p.attrs[k] === g.attrs[k] || attrKey(p.attrs[k]) === attrKey(g.attrs[k]))
  );
}

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
  const loops = graph.nodes.filter((n) => n.op === 'OnnxLoop');
  for (const g of graph.nodes) {
    if (g.op === 'OnnxLoopGrad' && !g.attrs['saved']) {
      const p = loops.find((n) => isForwardOf(n, g));
      if (!p) continue;
      let t = made.get(p);
      if (t && attrKey(t.attrs['residuals']) !== attrKey(g.attrs['residuals'])) continue;
      if (!t) {
        t = rw.node('OnnxLoop', p.inputs, { ...p.attrs, save: true, residuals: g.attrs['residuals'] }, p.scope);
        for (const [i, o] of p.outputs.entries()) rw.replace(o, t.outputs[i]!);
        made.set(p, t);
      }
      // A Loop whose carried values grow (`grows`): its final carried values too (loop-grad.ts slices them).
      const finals = ((p.attrs['grows'] ?? []) as number[]).length ? t.outputs.slice(0, p.attrs['nCarried'] as number) : [];
      const ng = rw.node('OnnxLoopGrad', [...g.inputs, ...t.outputs.slice(p.outputs.length), ...finals], { ...g.attrs, saved: true }, g.scope);
      for (const [i, o] of g.outputs.entries()) rw.replace(o, ng.outputs[i]!);
      changed = true;
      continue;
    }
    if (g.op !== 'OnnxRecurrentGrad' || g.attrs['kind'] !== 'LSTM') continue;
    const lens = g.attrs['lengths'] ? g.inputs[10] : undefined;
    const y = g.inputs[6]!;
    const p = y.producer;
    if (!p || p.outputs[0] !== y || p.attrs['direction'] !== g.attrs['direction'] || p.inputs.length !== (lens ? 7 : 6)) continue;
    const forwardInputs = [...g.inputs.slice(0, 6), ...(lens ? [lens] : [])];
    if (!(p.op === 'OnnxLSTM' || madeNodes.has(p)) || !p.inputs.every((v, i) => v === forwardInputs[i])) continue;
    let t = madeNodes.has(p) ? p : made.get(p);
    if (!t) {
      t = rw.node('OnnxLSTMTrain', p.inputs, { direction: p.attrs['direction'] }, p.scope);
      for (const [i, o] of p.outputs.entries()) rw.replace(o, t.outputs[i]!);
      made.set(p, t);
      madeNodes.add(t);
    }
    const [x, w, r, , h0] = g.inputs;
    const saved = t.outputs.slice(3);
    const ng = rw.node('OnnxLSTMTrainGrad', [x!, w!, r!, h0!, t.outputs[0]!, ...saved, ...g.inputs.slice(7, 10), ...(lens ? [lens] : [])], { direction: g.attrs['direction'] }, g.scope);
    for (const [i, o] of g.outputs.entries()) rw.replace(o, ng.outputs[i]!);
    changed = true;
  }
  rw.commit();
  return { graph, changed };
};
