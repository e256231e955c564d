/** HuberLoss (smoothed L1). */
import type { F, Tensor } from '../../engine/tensor.js';
import { Loss, lossOptions, type LossOptions } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Options of HuberLoss. */
export interface HuberLossOptions extends LossOptions {
  /** The threshold between the quadratic and the linear part (default 1). */
  rho?: number;
}

/** MXNet's positional parameters of HuberLoss, in its order. */
const HUBER_LOSS_ARGS = ['rho?', 'weight?', 'batchAxis?'] as const;

/**
 * With `d = |pred − label|`: `d − rho/2` where `d > rho`, else `d² / (2·rho)`;
 * averaged over the non-batch axes.
 *
 * ```ts
 * new gluon.loss.HuberLoss({ rho: 1 }).call(nd.array([[0.5, 3]]), nd.array([[0, 0]])); // [(0.125 + 2.5) / 2]
 * ```
 */
export class HuberLoss extends Loss {
  readonly rho: number;

  constructor(...args: OptionArgs<HuberLossOptions, typeof HUBER_LOSS_ARGS>) {
    const options = bindOptions<HuberLossOptions>('HuberLoss', HUBER_LOSS_ARGS, args);
    lossOptions('HuberLoss', options, ['rho']);
    super(options.weight, options.batchAxis);
    this.rho = options.rho ?? 1;
    if (typeof this.rho !== 'number' || !(this.rho > 0) || !Number.isFinite(this.rho)) {
      throw new Error(`HuberLoss: rho must be a positive number, got ${JSON.stringify(options.rho)}`);
    }
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    const d = F.abs(F.sub(F.reshapeLike(label, pred), pred));
    const loss = F.where(F.greater(d, this.rho), F.sub(d, 0.5 * this.rho), F.mul(F.square(d), 0.5 / this.rho));
    return this.perSample(F, loss, sampleWeight);
  }
}
