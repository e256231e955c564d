/** L1Loss: the mean absolute error per sample. */
import type { F, Tensor } from '../../engine/tensor.js';
import { Loss, lossOptions, type LossOptions } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** MXNet's positional parameters of L1Loss, in its order. */
const L1_LOSS_ARGS = ['weight?', 'batchAxis?'] as const;

/**
 * `L = mean(|pred − label|)` over the non-batch axes. `label` needs as many
 * elements as `pred` (reshaped like it).
 *
 * ```ts
 * new gluon.loss.L1Loss().call(nd.array([[1, -3]]), nd.array([[0, 0]])); // [2]
 * ```
 */
export class L1Loss extends Loss {
  constructor(...args: OptionArgs<LossOptions, typeof L1_LOSS_ARGS>) {
    const options = bindOptions<LossOptions>('L1Loss', L1_LOSS_ARGS, args);
    lossOptions('L1Loss', options);
    super(options.weight, options.batchAxis);
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    const abs = F.abs(F.sub(F.reshapeLike(label, pred), pred));
    return this.perSample(F, abs, sampleWeight);
  }
}
