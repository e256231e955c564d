/** L2Loss: half the mean squared error per sample. */
import type { F, Tensor } from '../../engine/tensor.js';
import { Loss, lossOptions, type LossOptions } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** MXNet's positional parameters of L2Loss, in its order. */
const L2_LOSS_ARGS = ['weight?', 'batchAxis?'] as const;

/**
 * `L = 1/2 · mean((pred − label)²)` over the non-batch axes, times `weight`
 * (default 1). `label` needs as many elements as `pred` (reshaped like it).
 *
 * ```ts
 * const l2 = new gluon.loss.L2Loss();
 * l2.call(nd.array([[1, 2]]), nd.array([[0, 0]])); // [1.25]
 * ```
 */
export class L2Loss extends Loss {
  constructor(...args: OptionArgs<LossOptions, typeof L2_LOSS_ARGS>) {
    const options = bindOptions<LossOptions>('L2Loss', L2_LOSS_ARGS, args);
    lossOptions('L2Loss', options);
    super(options.weight === undefined ? 1 : options.weight, options.batchAxis);
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    const sq = F.square(F.sub(F.reshapeLike(label, pred), pred));
    // MXNet folds the 1/2 into the weight (a null weight still halves).
    return this.perSample(F, sq, sampleWeight, (this.weight ?? 1) / 2);
  }
}
