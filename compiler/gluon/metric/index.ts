/**
 * `gluon.metric`: MXNet 2's evaluation metrics and `create` by name.
 */
import { bindArgs, type KwArgs } from '../bind-args.js';
import { showValue } from '../show-value.js';
import { CompositeEvalMetric, EvalMetric, Loss } from './base.js';
import { Accuracy, F1, TopKAccuracy } from './classification.js';
import { CrossEntropy, MAE, MSE, PearsonCorrelation, Perplexity, RMSE } from './regression.js';

export { EvalMetric, CompositeEvalMetric, Loss, type MetricInput } from './base.js';
export { Accuracy, TopKAccuracy, F1, type F1Options } from './classification.js';
export { MAE, MSE, RMSE, CrossEntropy, Perplexity, PearsonCorrelation, type CrossEntropyOptions } from './regression.js';

const NAMES: Record<string, () => EvalMetric> = {
  acc: () => new Accuracy(),
  accuracy: () => new Accuracy(),
  top_k_accuracy: () => new TopKAccuracy({ topK: 5 }),
  f1: () => new F1(),
  mae: () => new MAE(),
  mse: () => new MSE(),
  rmse: () => new RMSE(),
  ce: () => new CrossEntropy(),
  'cross-entropy': () => new CrossEntropy(),
  perplexity: () => new Perplexity(),
  pearsonr: () => new PearsonCorrelation(),
  loss: () => new Loss(),
};

/**
 * A metric by MXNet's name (`'acc'`, `'f1'`, `'mae'`, `'mse'`, `'rmse'`,
 * `'ce'`, `'perplexity'`, `'pearsonr'`, `'loss'`), an instance, or a list of
 * them (a CompositeEvalMetric).
 *
 * ```ts
 * metric.create(['acc', 'ce']).get(); // [['accuracy', 'cross-entropy'], [NaN, NaN]]
 * metric.create({ metric: 'acc' });     // by name, as MXNet's create(metric='acc')
 * ```
 */
export function create(...args: KwArgs<['metric'], [metric: string | EvalMetric | (string | EvalMetric)[]], {}>): EvalMetric {
  const [[m]] = bindArgs<[string | EvalMetric | (string | EvalMetric)[]], {}>('metric.create', ['metric'], args, []);
  return createOne(m);
}

function createOne(m: string | EvalMetric | (string | EvalMetric)[]): EvalMetric {
  if (m instanceof EvalMetric) return m;
  if (Array.isArray(m)) return new CompositeEvalMetric(m.map(createOne));
  const make = typeof m === 'string' ? NAMES[m.toLowerCase()] : undefined;
  if (!make) throw new Error(`metric.create: unknown metric ${showValue(m)} (known: ${Object.keys(NAMES).join(', ')})`);
  return make();
}
