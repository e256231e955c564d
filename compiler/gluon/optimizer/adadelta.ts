/** AdaDelta (MXNet's `adadelta`). */
import type { F } from '../../ops/tensor.js';
import { BaseOptimizer, numberOption, type OptimizerOptions, type UpdateArgs, type UpdateResult } from './optimizer.js';

/** Options of AdaDelta. */
export interface AdaDeltaOptions extends OptimizerOptions {
  /** Decay of both running averages (MXNet's `rho`, default 0.9). */
  rho?: number;
  /** Added inside the square roots (default 1e-5). */
  epsilon?: number;
}

/**
 * AdaDelta with MXNet's rule (python/mxnet/optimizer: `acc_g`, `acc_delta`):
 * `g = clip(rescale·grad); accG ← ρ·accG + (1−ρ)·g²;
 * δ = sqrt(accΔ + ε) / sqrt(accG + ε) · g; accΔ ← ρ·accΔ + (1−ρ)·δ²;
 * w ← w − lr·(δ + wd·w)`. MXNet 1.x takes no learning rate: the default
 * learningRate 1 is its rule (MXNet 2's default too).
 *
 * Defaults: learningRate 1, rho 0.9, epsilon 1e-5.
 *
 * ```ts
 * new gluon.Trainer(net.collectParams(), 'adadelta', { rho: 0.9 });   // d2l's {'rho': 0.9}
 * ```
 */
export class AdaDelta extends BaseOptimizer {
  readonly rho: number;
  readonly epsilon: number;

  constructor(options: AdaDeltaOptions = {}) {
    super('adadelta', options, ['rho', 'epsilon'], 1);
    this.rho = numberOption('adadelta', options, 'rho', 0.9, (x) => x >= 0 && x <= 1, 'in [0, 1]');
    this.epsilon = numberOption('adadelta', options, 'epsilon', 1e-5, (x) => x > 0, 'a positive number');
  }

  get hyper(): Record<string, number | boolean | string> {
    return { rho: this.rho, epsilon: this.epsilon, ...this.baseHyper() };
  }

  protected get stateCount(): number {
    return 2;
  }

  update(F: F, { weight: w, grad, states: [accG0, accD0], lr, wd, rescale }: UpdateArgs): UpdateResult {
    const g = this.clip(F, F.mul(grad, rescale));
    const accG = F.add(F.mul(accG0!, this.rho), F.mul(F.square(g), 1 - this.rho));
    const delta = F.mul(F.div(F.sqrt(F.add(accD0!, this.epsilon)), F.sqrt(F.add(accG, this.epsilon))), g);
    const accD = F.add(F.mul(accD0!, this.rho), F.mul(F.square(delta), 1 - this.rho));
    const step = this.wd === 0 ? delta : F.add(delta, F.mul(w, wd));
    return { weight: F.sub(w, F.mul(lr, step)), states: [accG, accD] };
  }
}
