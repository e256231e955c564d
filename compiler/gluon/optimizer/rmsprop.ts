/** RMSProp (MXNet's `rmsprop`, plain and centered). */
import type { F } from '../../ops/tensor.js';
import { showValue } from '../show-value.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';
import { BaseOptimizer, booleanOption, numberOption, type OptimizerOptions, type UpdateArgs, type UpdateResult } from './optimizer.js';

/** Options of RMSProp. */
export interface RMSPropOptions extends OptimizerOptions {
  /** Decay of the moving averages (default 0.9). */
  gamma1?: number;
  /** Momentum of the centered variant (default 0.9). */
  gamma2?: number;
  epsilon?: number;
  /** Graves' centered variant (MXNet's `rmspropalex_update`; default false). */
  centered?: boolean;
  /** Clip the new weights to [-clipWeights, clipWeights]; absent, 0 or negative: no clipping (MXNet passes clip_weights on only when truthy). */
  clipWeights?: number | null;
}

/** MXNet's positional parameters of RMSProp (`RMSProp(learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8, centered=False, clip_weights=None, **kwargs)`). */
const RMSPROP_ARGS = ['learningRate?', 'gamma1?', 'gamma2?', 'epsilon?', 'centered?', 'clipWeights?'] as const;

/**
 * RMSProp with MXNet 1.x's rules; `g = clip(rescale·grad + wd·w)`:
 * - plain (Tieleman & Hinton): `n ← (1−γ1)·g² + γ1·n; w ← w − lr·g/sqrt(n + ε)`
 * - centered (Graves): `n ← (1−γ1)·g² + γ1·n; ḡ ← (1−γ1)·g + γ1·ḡ;`
 *   `Δ ← γ2·Δ − lr·g/sqrt(n − ḡ² + ε); w ← w + Δ`
 * then the weight is clipped to ±clipWeights when given.
 *
 * Defaults: learningRate 0.001, gamma1 0.9, gamma2 0.9, epsilon 1e-8, centered false.
 *
 * ```ts
 * new gluon.Trainer(net.collectParams(), 'rmsprop', { learningRate: 0.001, centered: true });
 * ```
 */
export class RMSProp extends BaseOptimizer {
  readonly gamma1: number;
  readonly gamma2: number;
  readonly epsilon: number;
  readonly centered: boolean;
  readonly clipWeights: number | null;

  constructor(...args: OptionArgs<RMSPropOptions, typeof RMSPROP_ARGS>) {
    const options = bindOptions<RMSPropOptions>("Optimizer 'rmsprop'", RMSPROP_ARGS, args);
    super('rmsprop', options, ['gamma1', 'gamma2', 'epsilon', 'centered', 'clipWeights'], 0.001);
    const unit = (x: number) => x >= 0 && x < 1;
    this.gamma1 = numberOption('rmsprop', options, 'gamma1', 0.9, unit, 'in [0, 1)');
    this.gamma2 = numberOption('rmsprop', options, 'gamma2', 0.9, unit, 'in [0, 1)');
    this.epsilon = numberOption('rmsprop', options, 'epsilon', 1e-8, (x) => x > 0, 'a positive number');
    this.centered = booleanOption('rmsprop', options, 'centered', false);
    const cw = options.clipWeights ?? null;
    if (cw !== null && (typeof cw !== 'number' || Number.isNaN(cw))) {
      throw new Error(`Optimizer 'rmsprop': option clipWeights must be a number, got ${showValue(cw)}`);
    }
    this.clipWeights = cw !== null && cw > 0 ? cw : null;
  }

  get hyper(): Record<string, number | boolean | string> {
    return { gamma1: this.gamma1, gamma2: this.gamma2, epsilon: this.epsilon, centered: this.centered, clipWeights: this.clipWeights ?? -1, ...this.baseHyper() };
  }

  protected get stateCount(): number {
    return this.centered ? 3 : 1;
  }

  update(F: F, { weight: w, grad, states, lr, wd, rescale }: UpdateArgs): UpdateResult {
    const g1 = this.gamma1;
    const g = this.clip(F, this.decayed(F, grad, w, wd, rescale));
    const n = F.add(F.mul(F.square(g), 1 - g1), F.mul(states[0]!, g1));
    let weight;
    let next;
    if (!this.centered) {
      weight = F.sub(w, F.mul(lr, F.div(g, F.sqrt(F.add(n, this.epsilon)))));
      next = [n];
    } else {
      const gbar = F.add(F.mul(g, 1 - g1), F.mul(states[1]!, g1));
      const denom = F.sqrt(F.add(F.sub(n, F.square(gbar)), this.epsilon));
      const delta = F.sub(F.mul(states[2]!, this.gamma2), F.mul(lr, F.div(g, denom)));
      weight = F.add(w, delta);
      next = [n, gbar, delta];
    }
    if (this.clipWeights !== null) weight = F.clip(weight, -this.clipWeights, this.clipWeights);
    return { weight, states: next };
  }
}
