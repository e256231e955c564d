/** HingeLoss and SquaredHingeLoss (MXNet Gluon's, python/mxnet/gluon/loss.py 1.9.1). */
import type { F, Tensor } from '../../engine/tensor.js';
import { Loss, lossOptions, type LossOptions } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Options of HingeLoss and SquaredHingeLoss. */
export interface HingeLossOptions extends LossOptions {
  /** The margin (default 1). */
  margin?: number;
}

/** Reads and checks the margin of a hinge loss. */
function marginOf(owner: string, margin: unknown): number {
  const m = margin ?? 1;
  if (typeof m !== 'number' || !Number.isFinite(m)) throw new Error(`${owner}: margin must be a finite number, got ${JSON.stringify(margin)}`);
  return m;
}

/** MXNet's positional parameters of HingeLoss, in its order. */
const HINGE_LOSS_ARGS = ['margin?', 'weight?', 'batchAxis?'] as const;

/**
 * `L = max(0, margin − pred · label)` averaged over the non-batch axes;
 * labels are −1 or 1 (reshaped like `pred`). At the kink (`pred · label =
 * margin`) the gradient is 0, as MXNet's `relu`.
 *
 * ```ts
 * new gluon.loss.HingeLoss().call(nd.array([[0.5, -2]]), nd.array([[1, -1]])); // [(0.5 + 0) / 2]
 * ```
 */
export class HingeLoss extends Loss {
  readonly margin: number;

  constructor(...args: OptionArgs<HingeLossOptions, typeof HINGE_LOSS_ARGS>) {
    const options = bindOptions<HingeLossOptions>(new.target.name, HINGE_LOSS_ARGS, args);
    lossOptions(new.target.name, options, ['margin']);
    super(options.weight, options.batchAxis);
    this.margin = marginOf(new.target.name, options.margin);
  }

  /** `max(0, margin − pred · label)`, element by element. */
  protected hinge(F: F, pred: Tensor, label: Tensor): Tensor {
    return F.relu(F.sub(this.margin, F.mul(pred, F.reshapeLike(label, pred))));
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    return this.perSample(F, this.hinge(F, pred, label), sampleWeight);
  }
}

/**
 * `L = max(0, margin − pred · label)²` averaged over the non-batch axes;
 * labels are −1 or 1 (reshaped like `pred`).
 *
 * ```ts
 * new gluon.loss.SquaredHingeLoss().call(nd.array([[0.5, -2]]), nd.array([[1, -1]])); // [(0.25 + 0) / 2]
 * ```
 */
export class SquaredHingeLoss extends HingeLoss {
  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    return this.perSample(F, F.square(this.hinge(F, pred, label)), sampleWeight);
  }
}
