/** AdamW: Adam with decoupled weight decay. */
import type { F } from '../../ops/tensor.js';
import { ADAM_ARGS, adamHyper, biasCorrectedLr, type AdamOptions } from './adam.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { BaseOptimizer, booleanOption, type UpdateArgs, type UpdateResult } from './optimizer.js';

/** Options of AdamW: Adam's and MXNet 2's `correct_bias`. */
export interface AdamWOptions extends AdamOptions {
  /** Scale the rate by `sqrt(1 − β2^t)/(1 − β1^t)` (default true); false is GluonNLP's BERTAdam (and BERT's TensorFlow optimizer). */
  correctBias?: boolean;
}

/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization") with
 * MXNet's rule (python/mxnet/optimizer/adamW.py, whose default fused step
 * calls `contrib.adamw_update` with `lr = 1` and `eta` = the bias-corrected
 * learning rate; MXNet 1.x has only that kernel):
 * `g = clip(rescale·grad)` (no weight decay in the gradient);
 * `m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;`
 * `w ← w − lr_t·(m/(sqrt(v) + ε) + wd·w)`, with `lr_t = lr·sqrt(1−β2^t)/(1−β1^t)`:
 * the decay is scaled by the bias-corrected rate too (PyTorch's AdamW
 * scales it by `lr` alone). `correctBias: false` (MXNet 2's `correct_bias`,
 * whose fused step then passes `eta = lr`) uses `lr_t = lr`.
 *
 * Defaults: learningRate 0.001, beta1 0.9, beta2 0.999, epsilon 1e-6 (MXNet's AdamW), wd 0, correctBias true.
 *
 * ```ts
 * new gluon.Trainer(net.collectParams(), 'adamw', { learningRate: 0.001, wd: 0.01 });
 * ```
 */
export class AdamW extends BaseOptimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly correctBias: boolean;

  constructor(...args: OptionArgs<AdamWOptions, typeof ADAM_ARGS>) {
    const options = bindOptions<AdamWOptions>("Optimizer 'adamw'", ADAM_ARGS, args);
    super('adamw', options, ['beta1', 'beta2', 'epsilon', 'correctBias'], 0.001);
    ({ beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon } = adamHyper('adamw', options, 1e-6));
    this.correctBias = booleanOption('adamw', options, 'correctBias', true);
  }

  get hyper(): Record<string, number | boolean | string> {
    // correctBias only when false, so the default's key (compiled updates, saved states) is as before.
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, ...(this.correctBias ? {} : { correctBias: false }), ...this.baseHyper() };
  }

  protected get stateCount(): number {
    return 2;
  }

  update(F: F, { weight: w, grad, states: [m0, v0], lr, wd, t, rescale }: UpdateArgs): UpdateResult {
    const g = this.clip(F, F.mul(grad, rescale));
    const m = F.add(F.mul(m0!, this.beta1), F.mul(g, 1 - this.beta1));
    const v = F.add(F.mul(v0!, this.beta2), F.mul(F.square(g), 1 - this.beta2));
    const lrT = this.correctBias ? biasCorrectedLr(F, lr, t, this.beta1, this.beta2) : lr;
    const d = F.div(m, F.add(F.sqrt(v), this.epsilon));
    const weight = F.sub(w, F.mul(lrT, this.wd === 0 ? d : F.add(d, F.mul(w, wd))));
    return { weight, states: [m, v] };
  }
}
