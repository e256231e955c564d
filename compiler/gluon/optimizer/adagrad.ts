/** AdaGrad (MXNet's `adagrad`). */
import type { F } from '../../ops/tensor.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { BaseOptimizer, numberOption, type OptimizerOptions, type UpdateArgs, type UpdateResult } from './optimizer.js';

/** Options of AdaGrad. */
export interface AdaGradOptions extends OptimizerOptions {
  /** Added inside the square root (MXNet's `eps`, default 1e-7). */
  epsilon?: number;
}

/** MXNet's positional parameters of AdaGrad (`AdaGrad(eps=1e-7, **kwargs)`: its `eps` is `epsilon` here). */
const ADAGRAD_ARGS = ['epsilon?'] as const;

/**
 * AdaGrad with MXNet 1.x's rule (weight decay outside the history):
 * `g = clip(rescale·grad); h ← h + g²; w ← w − lr·(g/sqrt(h + ε) + wd·w)`.
 *
 * Defaults: learningRate 0.01, epsilon 1e-7.
 *
 * ```ts
 * new gluon.Trainer(net.collectParams(), 'adagrad', { learningRate: 0.1 });
 * ```
 */
export class AdaGrad extends BaseOptimizer {
  readonly epsilon: number;

  constructor(...args: OptionArgs<AdaGradOptions, typeof ADAGRAD_ARGS>) {
    const options = bindOptions<AdaGradOptions>("Optimizer 'adagrad'", ADAGRAD_ARGS, args);
    super('adagrad', options, ['epsilon'], 0.01);
    this.epsilon = numberOption('adagrad', options, 'epsilon', 1e-7, (x) => x > 0, 'a positive number');
  }

  get hyper(): Record<string, number | boolean | string> {
    return { epsilon: this.epsilon, ...this.baseHyper() };
  }

  protected get stateCount(): number {
    return 1;
  }

  update(F: F, { weight: w, grad, states: [h0], lr, wd, rescale }: UpdateArgs): UpdateResult {
    const g = this.clip(F, F.mul(grad, rescale));
    const h = F.add(h0!, F.square(g));
    const d = this.wd === 0 ? F.div(g, F.sqrt(F.add(h, this.epsilon))) : F.add(F.div(g, F.sqrt(F.add(h, this.epsilon))), F.mul(w, wd));
    return { weight: F.sub(w, F.mul(lr, d)), states: [h] };
  }
}
