/**
 * KLDivLoss: the Kullback-Leibler divergence, as MXNet 1.9.1 computes it
 * (python/mxnet/gluon/loss.py, KLDivLoss.hybrid_forward: `F.sum(loss,
 * axis=batch_axis, exclude=True)`): summed, not averaged, over every axis but
 * the batch axis, so it equals SoftmaxCrossEntropyLoss with dense labels
 * minus the labels' entropy.
 */
import type { F, Tensor } from '../../engine/tensor.js';
import { boolOption } from '../nn/basic.js';
import { applyWeighting, Loss, lossOptions, type LossOptions } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Options of KLDivLoss. */
export interface KLDivLossOptions extends LossOptions {
  /** `pred` holds log-probabilities (default true); false applies logSoftmax along `axis`. */
  fromLogits?: boolean;
  /** The axis of the softmax when `fromLogits` is false (default -1). */
  axis?: number;
}

/** MXNet's positional parameters of KLDivLoss, in its order. */
const KL_DIV_LOSS_ARGS = ['fromLogits?', 'axis?', 'weight?', 'batchAxis?'] as const;

/**
 * `L = Σ label · (log(label + 1e-12) − pred)` over the non-batch axes
 * (MXNet 1.9.1's sum), `pred` being log-probabilities (or made so by
 * logSoftmax along `axis`).
 *
 * ```ts
 * const kl = new gluon.loss.KLDivLoss({ fromLogits: false });
 * kl.call(nd.array([[1, 2]]), nd.array([[0.5, 0.5]]));
 * ```
 */
export class KLDivLoss extends Loss {
  readonly fromLogits: boolean;
  readonly axis: number;

  constructor(...args: OptionArgs<KLDivLossOptions, typeof KL_DIV_LOSS_ARGS>) {
    const options = bindOptions<KLDivLossOptions>('KLDivLoss', KL_DIV_LOSS_ARGS, args);
    lossOptions('KLDivLoss', options, ['fromLogits', 'axis']);
    super(options.weight, options.batchAxis);
    this.fromLogits = boolOption('KLDivLoss', 'fromLogits', options.fromLogits, true);
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new Error(`KLDivLoss: axis must be an integer, got ${JSON.stringify(options.axis)}`);
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    const logp = this.fromLogits ? pred : F.logSoftmax(pred, { axis: this.axis });
    const loss = F.mul(label, F.sub(F.log(F.add(label, 1e-12)), logp));
    return F.sum(applyWeighting(F, loss, this.weight, sampleWeight, 'KLDivLoss'), { axis: this.batchAxis, exclude: true });
  }
}
