/**
 * Importers of ONNX's loss operators: NegativeLogLikelihoodLoss and
 * SoftmaxCrossEntropyLoss (with optional class weights, ignore_index and
 * reduction none/sum/mean), written with `pick`, `take` and reductions:
 * loss[n, d...] = -input[n, target[n, d...], d...] * weight[target], zero where
 * the target is ignore_index; 'mean' divides by the sum of the weights used.
 */
import type { Value } from '../../ir/value.js';
import { castTo, type Builder, type ImportCtx } from './context.js';

/** The NLL of log-probabilities `logp` ([N, C, d...]) at integer `target` ([N, d...]). */
function nll(c: ImportCtx, logp: Value, target: Value, weight: Value | null): Value {
  const d = logp.type.dtype;
  const reduction = c.attr.str('reduction', 'mean');
  if (!['none', 'sum', 'mean'].includes(reduction)) throw c.refuse(`reduction '${reduction}'`);
  const picked = c.op('neg', [c.op('pick', [logp, target], { axis: 1, keepdims: false, mode: 'clip' })]);
  let w: Value | null = weight ? c.op('take', [weight, target], { axis: 0, mode: 'clip' }) : null;
  if (c.attr.has('ignore_index')) {
    const mask = castTo(c, c.op('notEqual', [target, c.scalar(c.attr.int('ignore_index', 0), target.type.dtype)]), d);
    w = w ? c.op('mul', [w, mask]) : mask;
  }
  const loss = w ? c.op('mul', [picked, w]) : picked;
  if (reduction === 'none') return loss;
  const total = c.op('sum', [loss], { axis: null });
  if (reduction === 'sum') return total;
  if (!w) return c.op('mean', [loss], { axis: null });
  return c.op('div', [total, c.op('sum', [w], { axis: null })]);
}

/** The loss importers by ONNX operator. */
export const LOSS_IMPORTS: Record<string, Builder> = {
  NegativeLogLikelihoodLoss: (c) => [nll(c, c.input(0), c.input(1), c.optInput(2))],
  SoftmaxCrossEntropyLoss: (c) => {
    const logp = c.op('logSoftmax', [c.input(0)], { axis: 1 });
    const loss = nll(c, logp, c.input(1), c.optInput(2));
    return [loss, logp];
  },
};
