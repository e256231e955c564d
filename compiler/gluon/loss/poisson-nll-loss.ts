/** PoissonNLLLoss (MXNet Gluon's, python/mxnet/gluon/loss.py). */
import type { F, Tensor } from '../../engine/tensor.js';
import { boolOption } from '../nn/basic.js';
import { Loss, lossOptions, type LossOptions } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Options of PoissonNLLLoss. */
export interface PoissonNLLLossOptions extends LossOptions {
  /** `pred` is the log of the rate (default true); false: the rate itself. */
  fromLogits?: boolean;
  /** Add Stirling's approximation of `log(target!)` where `target > 1` (default false). */
  computeFull?: boolean;
}

/** MXNet's positional parameters of PoissonNLLLoss, in its order. */
const POISSON_NLL_LOSS_ARGS = ['weight?', 'fromLogits?', 'batchAxis?', 'computeFull?'] as const;

/**
 * The negative log-likelihood of `target` under a Poisson distribution of
 * rate `exp(pred)` (`fromLogits`, default): `exp(pred) − target · pred`, or
 * of rate `pred`: `pred − target · log(pred + 1e-8)`; `computeFull` adds
 * `target · log(target) − target + ½ log(2π · target)` where `target > 1`.
 * Averaged over the non-batch axes (MXNet 2's per-sample mean; MXNet 1.9.1
 * returned the mean over the whole batch, one number).
 *
 * ```ts
 * new gluon.loss.PoissonNLLLoss().call(nd.array([[0, 1]]), nd.array([[1, 2]])); // [(1 + e − 2) / 2]
 * ```
 */
export class PoissonNLLLoss extends Loss {
  readonly fromLogits: boolean;
  readonly computeFull: boolean;

  constructor(...args: OptionArgs<PoissonNLLLossOptions, typeof POISSON_NLL_LOSS_ARGS>) {
    const options = bindOptions<PoissonNLLLossOptions>('PoissonNLLLoss', POISSON_NLL_LOSS_ARGS, args);
    lossOptions('PoissonNLLLoss', options, ['fromLogits', 'computeFull']);
    super(options.weight, options.batchAxis);
    this.fromLogits = boolOption('PoissonNLLLoss', 'fromLogits', options.fromLogits, true);
    this.computeFull = boolOption('PoissonNLLLoss', 'computeFull', options.computeFull, false);
  }

  override hybridForward(F: F, pred: Tensor, target: Tensor, sampleWeight?: Tensor): Tensor {
    const t = F.reshapeLike(target, pred);
    let loss = this.fromLogits ? F.sub(F.exp(pred), F.mul(t, pred)) : F.sub(pred, F.mul(t, F.log(F.add(pred, 1e-8))));
    if (this.computeFull) {
      // Where target <= 1 the term is masked out; max(target, 1) keeps its logs finite there.
      const tc = F.maximum(t, 1);
      const stirling = F.add(F.sub(F.mul(tc, F.log(tc)), tc), F.mul(F.log(F.mul(tc, 2 * Math.PI)), 0.5));
      loss = F.add(loss, F.mul(stirling, F.greater(t, 1)));
    }
    return this.perSample(F, loss, sampleWeight);
  }
}
