/** Adam (MXNet's `adam`). */
import type { F, Tensor } from '../../ops/tensor.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { BaseOptimizer, numberOption, type OptimizerOptions, type UpdateArgs, type UpdateResult } from './optimizer.js';

/** Options of Adam and AdamW. */
export interface AdamOptions extends OptimizerOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** MXNet's positional parameters of Adam and AdamW (`Adam(learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, lazy_update=True, **kwargs)`; lazy_update is not taken). */
export const ADAM_ARGS = ['learningRate?', 'beta1?', 'beta2?', 'epsilon?'] as const;

/** Reads and checks beta1, beta2 and epsilon (default `epsilon`: Adam's 1e-8; MXNet's AdamW has 1e-6). */
export function adamHyper(name: string, options: AdamOptions, epsilon = 1e-8): { beta1: number; beta2: number; epsilon: number } {
  const beta = (x: number) => x >= 0 && x < 1;
  return {
    beta1: numberOption(name, options, 'beta1', 0.9, beta, 'in [0, 1)'),
    beta2: numberOption(name, options, 'beta2', 0.999, beta, 'in [0, 1)'),
    epsilon: numberOption(name, options, 'epsilon', epsilon, (x) => x > 0, 'a positive number'),
  };
}

/** The bias-corrected learning rate `lr · sqrt(1 − β2^t) / (1 − β1^t)` (a 0-d tensor). */
export function biasCorrectedLr(F: F, lr: Tensor, t: Tensor, beta1: number, beta2: number): Tensor {
  return F.div(F.mul(lr, F.sqrt(F.sub(1, F.pow(beta2, t)))), F.sub(1, F.pow(beta1, t)));
}

/**
 * Adam with MXNet 1.x's rule (`adam_update`, bias correction folded into the
 * learning rate as MXNet's Python optimizer does):
 * `g = clip(rescale·grad + wd·w)` (weight decay before clipping, as MXNet);
 * `m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;`
 * `lr_t = lr·sqrt(1−β2^t)/(1−β1^t); w ← w − lr_t·m/(sqrt(v) + ε)`.
 *
 * Defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-8.
 *
 * ```ts
 * new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.001 });
 * ```
 */
export class Adam extends BaseOptimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(...args: OptionArgs<AdamOptions, typeof ADAM_ARGS>) {
    const options = bindOptions<AdamOptions>("Optimizer 'adam'", ADAM_ARGS, args);
    super('adam', options, ['beta1', 'beta2', 'epsilon'], 0.001);
    ({ beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon } = adamHyper('adam', options));
  }

  get hyper(): Record<string, number | boolean | string> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, ...this.baseHyper() };
  }

  protected get stateCount(): number {
    return 2;
  }

  update(F: F, { weight: w, grad, states: [m0, v0], lr, wd, t, rescale }: UpdateArgs): UpdateResult {
    const g = this.clip(F, this.decayed(F, grad, w, wd, rescale));
    const m = F.add(F.mul(m0!, this.beta1), F.mul(g, 1 - this.beta1));
    const v = F.add(F.mul(v0!, this.beta2), F.mul(F.square(g), 1 - this.beta2));
    const lrT = biasCorrectedLr(F, lr, t, this.beta1, this.beta2);
    const weight = F.sub(w, F.mul(lrT, F.div(m, F.add(F.sqrt(v), this.epsilon))));
    return { weight, states: [m, v] };
  }
}
