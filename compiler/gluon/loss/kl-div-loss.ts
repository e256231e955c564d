/** KLDivLoss: the Kullback-Leibler divergence. */
import type { F, Tensor } from '../../engine/tensor.js';
import { Loss, type LossOptions } from './loss.js';

/** Options of KLDivLoss. */
export interface KLDivLossOptions extends LossOptions {
  /** `pred` holds log-probabilities (default true); false applies logSoftmax along `axis`. */
  fromLogits?: boolean;
  /** The axis of the softmax when `fromLogits` is false (default -1). */
  axis?: number;
}

/**
 * `L = mean(label · (log(label + 1e-12) − pred))` over the non-batch axes,
 * `pred` being log-probabilities (or made so by logSoftmax).
 *
 * ```ts
 * const kl = new gluon.loss.KLDivLoss({ fromLogits: false });
 * kl.call(nd.array([[1, 2]]), nd.array([[0.5, 0.5]]));
 * ```
 */
export class KLDivLoss extends Loss {
  readonly fromLogits: boolean;
  readonly axis: number;

  constructor(options: KLDivLossOptions = {}) {
    super(options.weight, options.batchAxis);
    this.fromLogits = options.fromLogits ?? true;
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new Error(`KLDivLoss: axis must be an integer, got ${JSON.stringify(options.axis)}`);
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    const logp = this.fromLogits ? pred : F.logSoftmax(pred, { axis: this.axis });
    const loss = F.mul(label, F.sub(F.log(F.add(label, 1e-12)), logp));
    return this.perSample(F, loss, sampleWeight);
  }
}
