/**
 * The optimizers by name (MXNet's optimizer registry). `create` is what
 * `new Trainer(params, 'sgd', {...})` uses; `register` adds a custom one.
 */
import { AdaGrad } from './adagrad.js';
import { AdaDelta } from './adadelta.js';
import { Adam } from './adam.js';
import { AdamW } from './adamw.js';
import { BaseOptimizer, type Optimizer, type OptimizerOptions } from './optimizer.js';
import { RMSProp } from './rmsprop.js';
import { NAG, SGD } from './sgd.js';
import { showValue } from '../show-value.js';
import { bindArgs, type KwArgs } from '../bind-args.js';

/** Makes an optimizer from its options. */
export type OptimizerFactory = (options: Record<string, unknown>) => Optimizer;

const REGISTRY = new Map<string, OptimizerFactory>([
  ['sgd', (o) => new SGD(o as OptimizerOptions)],
  // MXNet's `nag` is SGD with Nesterov momentum: `nesterov: false` would silently contradict the name.
  ['nag', (o) => {
    if (o !== null && typeof o === 'object' && o['nesterov'] !== undefined && o['nesterov'] !== true) {
      throw new Error(`Optimizer 'nag': option nesterov must be true or absent (nag is SGD with Nesterov momentum; use 'sgd' for plain momentum), got ${showValue(o['nesterov'])}`);
    }
    return new NAG({ ...(o as OptimizerOptions), nesterov: true });
  }],
  ['adam', (o) => new Adam(o as OptimizerOptions)],
  ['adamw', (o) => new AdamW(o as OptimizerOptions)],
  // GluonNLP's BERTAdam (gluonnlp/optimizer/bert_adam.py, registered in MXNet by importing gluonnlp):
  // adamw_update with eta = lr, no bias correction; MXNet 2's AdamW(correct_bias=False).
  ['bertadam', (o) => {
    if (o !== null && typeof o === 'object' && o['correctBias'] !== undefined) {
      throw new Error(`Optimizer 'bertadam': option correctBias is not taken (BERTAdam never corrects the bias; use 'adamw' for that), got ${showValue(o['correctBias'])}`);
    }
    return new AdamW({ ...(o as OptimizerOptions), correctBias: false });
  }],
  ['rmsprop', (o) => new RMSProp(o as OptimizerOptions)],
  ['adagrad', (o) => new AdaGrad(o as OptimizerOptions)],
  ['adadelta', (o) => new AdaDelta(o as OptimizerOptions)],
]);

/**
 * An optimizer by (case-insensitive) name.
 *
 * ```ts
 * const opt = optimizer.create('adam', { learningRate: 0.01 });
 * optimizer.create({ name: 'adam', learningRate: 0.01 }); // MXNet's create(name='adam', learning_rate=0.01)
 * ```
 */
export function create(...args: KwArgs<['name'], [name: string], Record<string, unknown>>): Optimizer {
  const [[name], options] = bindArgs<[string], Record<string, unknown>>('optimizer.create', ['name'], args);
  const f = typeof name === 'string' ? REGISTRY.get(name.toLowerCase()) : undefined;
  if (!f) throw new Error(`unknown optimizer ${JSON.stringify(name)} (known: ${[...REGISTRY.keys()].join(', ')})`);
  return f(options);
}

/**
 * Registers an optimizer under a (lower-cased) name.
 *
 * ```ts
 * optimizer.register('mysgd', (o) => new MySGD(o));
 * ```
 */
export function register(name: string, factory: OptimizerFactory): void {
  if (typeof name !== 'string' || !name) throw new Error('optimizer.register: a name is required');
  REGISTRY.set(name.toLowerCase(), factory);
}

/** The registered names. */
export function names(): string[] {
  return [...REGISTRY.keys()];
}

export { BaseOptimizer, SGD, Adam, AdamW, RMSProp, AdaGrad, AdaDelta };
export type { Optimizer, OptimizerOptions };
export type { UpdateArgs, UpdateResult } from './optimizer.js';
export type { SGDOptions } from './sgd.js';
export type { AdamOptions } from './adam.js';
export type { AdamWOptions } from './adamw.js';
export type { RMSPropOptions } from './rmsprop.js';
export type { AdaGradOptions } from './adagrad.js';
export type { AdaDeltaOptions } from './adadelta.js';
