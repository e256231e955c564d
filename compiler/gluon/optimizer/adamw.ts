/** AdamW: Adam with decoupled weight decay. */
import type { F } from '../../ops/tensor.js';
import { adamHyper, biasCorrectedLr, type AdamOptions } from './adam.js';
import { BaseOptimizer, type UpdateArgs, type UpdateResult } from './optimizer.js';

/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"). MXNet
 * 1.x has only the `contrib.adamw_update` kernel, whose `eta` multiplier the
 * caller chooses; we use the rule of MXNet 2's and PyTorch's AdamW, where the
 * decay is scaled by the (scheduled) learning rate but not by the bias
 * correction:
 * `g = clip(rescale·grad)` (no weight decay in the gradient);
 * `m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;`
 * `w ← w − lr_t·m/(sqrt(v) + ε) − lr·wd·w`, with `lr_t = lr·sqrt(1−β2^t)/(1−β1^t)`.
 *
 * Defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-8, wd 0.
 *
 * ```ts
 * new gluon.Trainer(net.collectParams(), 'adamw', { learningRate: 0.001, wd: 0.01 });
 * ```
 */
export class AdamW extends BaseOptimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;

  constructor(options: AdamOptions = {}) {
    super('adamw', options, ['beta1', 'beta2', 'epsilon'], 0.001);
    ({ beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon } = adamHyper('adamw', options));
  }

  get hyper(): Record<string, number | boolean | string> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, ...this.baseHyper() };
  }

  protected get stateCount(): number {
    return 2;
  }

  update(F: F, { weight: w, grad, states: [m0, v0], lr, wd, t, rescale }: UpdateArgs): UpdateResult {
    const g = this.clip(F, F.mul(grad, rescale));
    const m = F.add(F.mul(m0!, this.beta1), F.mul(g, 1 - this.beta1));
    const v = F.add(F.mul(v0!, this.beta2), F.mul(F.square(g), 1 - this.beta2));
    const lrT = biasCorrectedLr(F, lr, t, this.beta1, this.beta2);
    const step = F.mul(lrT, F.div(m, F.add(F.sqrt(v), this.epsilon)));
    const weight = this.wd === 0 ? F.sub(w, step) : F.sub(F.sub(w, step), F.mul(F.mul(lr, wd), w));
    return { weight, states: [m, v] };
  }
}
