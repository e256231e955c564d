/** LogisticLoss (MXNet Gluon's, python/mxnet/gluon/loss.py 1.9.1). */
import type { F, Tensor } from '../../engine/tensor.js';
import { Loss, lossOptions, type LossOptions } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Options of LogisticLoss. */
export interface LogisticLossOptions extends LossOptions {
  /** 'signed' (default): labels are −1 or 1; 'binary': 0 or 1 (mapped to 2·label − 1). */
  labelFormat?: 'signed' | 'binary';
}

/** MXNet's positional parameters of LogisticLoss, in its order. */
const LOGISTIC_LOSS_ARGS = ['weight?', 'batchAxis?', 'labelFormat?'] as const;

/**
 * `L = log(1 + exp(−pred · label))` averaged over the non-batch axes, as
 * `softrelu(−pred · label)` (no overflow at large |pred|; MXNet writes it
 * `relu(−z) + softrelu(−|z|)`, the same values, whose kinks made the
 * gradient at `z = 0` wrong).
 *
 * ```ts
 * new gluon.loss.LogisticLoss().call(nd.array([[0]]), nd.array([[1]])); // [0.6931]
 * new gluon.loss.LogisticLoss({ labelFormat: 'binary' }).call(nd.array([[2]]), nd.array([[0]]));
 * ```
 */
export class LogisticLoss extends Loss {
  readonly labelFormat: 'signed' | 'binary';

  constructor(...args: OptionArgs<LogisticLossOptions, typeof LOGISTIC_LOSS_ARGS>) {
    const options = bindOptions<LogisticLossOptions>('LogisticLoss', LOGISTIC_LOSS_ARGS, args);
    lossOptions('LogisticLoss', options, ['labelFormat']);
    super(options.weight, options.batchAxis);
    this.labelFormat = options.labelFormat ?? 'signed';
    if (this.labelFormat !== 'signed' && this.labelFormat !== 'binary') {
      throw new Error(`LogisticLoss: labelFormat must be 'signed' or 'binary', got ${JSON.stringify(options.labelFormat)}`);
    }
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    let y = F.reshapeLike(label, pred);
    if (this.labelFormat === 'binary') y = F.sub(F.mul(y, 2), 1);
    return this.perSample(F, F.softrelu(F.neg(F.mul(pred, y))), sampleWeight);
  }
}
