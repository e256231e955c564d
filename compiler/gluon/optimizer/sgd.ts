/** Stochastic gradient descent, with momentum and Nesterov momentum (MXNet's `sgd` and `nag`). */
import type { F, Tensor } from '../../ops/tensor.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { BaseOptimizer, booleanOption, numberOption, type OptimizerOptions, type UpdateArgs, type UpdateResult } from './optimizer.js';

/** Options of SGD. */
export interface SGDOptions extends OptimizerOptions {
  /** Momentum (default 0: no state). */
  momentum?: number;
  /** Nesterov momentum, as MXNet's `nag` optimizer (default false). */
  nesterov?: boolean;
}

/** MXNet's positional parameters of SGD (`SGD(momentum=0.0, lazy_update=True, **kwargs)`; lazy_update is not taken). */
const SGD_ARGS = ['momentum?'] as const;

/**
 * SGD with MXNet 1.x's update rules (`sgd_update`, `sgd_mom_update`,
 * `nag_mom_update`); `g = clip(rescale · grad)` (weight decay is added after
 * clipping):
 * - no momentum: `w ← (1 − lr·wd)·w − lr·g`
 * - momentum: `m ← μ·m − lr·wd·w − lr·g; w ← w + m`
 * - nesterov: `g' = g + wd·w; m ← μ·m − lr·g'; w ← w + μ·m − lr·g'`
 *
 * Defaults: learningRate 0.01, momentum 0, wd 0.
 *
 * ```ts
 * new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
 * ```
 */
export class SGD extends BaseOptimizer {
  /** The registry name (NAG, MXNet's `nag`, sets its own). */
  static readonly registryName: string = 'sgd';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(...args: OptionArgs<SGDOptions, typeof SGD_ARGS>) {
    const name = (new.target as typeof SGD).registryName;
    const options = bindOptions<SGDOptions>(`Optimizer '${name}'`, SGD_ARGS, args);
    super(name, options, ['momentum', 'nesterov'], 0.01);
    this.momentum = numberOption(name, options, 'momentum', 0, (x) => x >= 0, 'a non-negative number');
    this.nesterov = booleanOption(name, options, 'nesterov', false);
  }

  get hyper(): Record<string, number | boolean | string> {
    return { momentum: this.momentum, nesterov: this.nesterov, ...this.baseHyper() };
  }

  protected get stateCount(): number {
    return this.momentum !== 0 ? 1 : 0;
  }

  update(F: F, { weight: w, grad, states, lr, wd, rescale }: UpdateArgs): UpdateResult {
    // Written for few full-size operations (the fused training step's update is memory-bound):
    // without clipping, lr·(rescale·grad) is (lr·rescale)·grad, scalars first; with the optimizer's
    // wd at 0 the decay terms are left out (see `decayed`: MXNet's result for finite weights).
    const decay = this.wd !== 0;
    const lrG = this.clipGradient === null ? F.mul(grad, F.mul(lr, rescale)) : F.mul(lr, this.clip(F, F.mul(grad, rescale)));
    if (this.momentum === 0) {
      return { weight: decay ? F.sub(F.mul(F.sub(1, F.mul(lr, wd)), w), lrG) : F.sub(w, lrG), states: [] };
    }
    const m0 = states[0] as Tensor;
    if (this.nesterov) {
      // lr·(g + wd·w) = lr·g + (lr·wd)·w
      const lrGw = decay ? F.add(lrG, F.mul(F.mul(lr, wd), w)) : lrG;
      const m = F.sub(F.mul(m0, this.momentum), lrGw);
      return { weight: F.sub(F.add(w, F.mul(m, this.momentum)), lrGw), states: [m] };
    }
    const mu = F.mul(m0, this.momentum);
    const m = F.sub(decay ? F.sub(mu, F.mul(F.mul(lr, wd), w)) : mu, lrG);
    return { weight: F.add(w, m), states: [m] };
  }
}

/** SGD with Nesterov momentum under its own name (MXNet's `nag`, `NAG(momentum=0.0, **kwargs)`). */
export class NAG extends SGD {
  static override readonly registryName: string = 'nag';
}
