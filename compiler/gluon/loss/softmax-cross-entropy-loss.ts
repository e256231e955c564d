/** SoftmaxCrossEntropyLoss (alias SoftmaxCELoss). */
import type { F, Tensor } from '../../engine/tensor.js';
import { boolOption } from '../nn/basic.js';
import { Loss, lossOptions, type LossOptions } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Options of SoftmaxCrossEntropyLoss (MXNet's, camelCase). */
export interface SoftmaxCrossEntropyLossOptions extends LossOptions {
  /** The class axis of `pred` (default -1). */
  axis?: number;
  /** Labels are class indices (default true) rather than distributions. */
  sparseLabel?: boolean;
  /** `pred` already holds log-probabilities (default false). */
  fromLogits?: boolean;
}

/** MXNet's positional parameters of SoftmaxCrossEntropyLoss, in its order. */
const SOFTMAX_CE_LOSS_ARGS = ['axis?', 'sparseLabel?', 'fromLogits?', 'weight?', 'batchAxis?'] as const;

/**
 * Softmax cross entropy. Sparse labels (default) hold class indices as
 * floats, shaped like `pred` without `axis`: `L = −log softmax(pred)[label]`;
 * dense labels are distributions shaped like `pred`:
 * `L = −Σ label · log softmax(pred)`. Averaged over the non-batch axes.
 * A sparse label outside [0, classes) is clipped to the nearest class
 * (MXNet's `pick`, mode 'clip'), not an error.
 *
 * ```ts
 * const ce = new gluon.loss.SoftmaxCrossEntropyLoss();
 * ce.call(nd.array([[2, 0, 1]]), nd.array([0])); // [0.4076]
 * ```
 */
export class SoftmaxCrossEntropyLoss extends Loss {
  readonly axis: number;
  readonly sparseLabel: boolean;
  readonly fromLogits: boolean;

  constructor(...args: OptionArgs<SoftmaxCrossEntropyLossOptions, typeof SOFTMAX_CE_LOSS_ARGS>) {
    const options = bindOptions<SoftmaxCrossEntropyLossOptions>('SoftmaxCrossEntropyLoss', SOFTMAX_CE_LOSS_ARGS, args);
    lossOptions('SoftmaxCrossEntropyLoss', options, ['axis', 'sparseLabel', 'fromLogits']);
    super(options.weight, options.batchAxis);
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new Error(`SoftmaxCrossEntropyLoss: axis must be an integer, got ${JSON.stringify(options.axis)}`);
    this.sparseLabel = boolOption('SoftmaxCrossEntropyLoss', 'sparseLabel', options.sparseLabel, true);
    this.fromLogits = boolOption('SoftmaxCrossEntropyLoss', 'fromLogits', options.fromLogits, false);
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    const logp = this.fromLogits ? pred : F.logSoftmax(pred, { axis: this.axis });
    const loss = this.sparseLabel
      ? F.neg(F.pick(logp, label, { axis: this.axis, keepdims: true }))
      : F.neg(F.sum(F.mul(logp, F.reshapeLike(label, logp)), { axis: this.axis, keepdims: true }));
    return this.perSample(F, loss, sampleWeight);
  }
}

/** MXNet's short name for SoftmaxCrossEntropyLoss. Example: `new gluon.loss.SoftmaxCELoss()`. */
export const SoftmaxCELoss = SoftmaxCrossEntropyLoss;
