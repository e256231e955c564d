/** SigmoidBinaryCrossEntropyLoss (alias SigmoidBCELoss). */
import type { F, Tensor } from '../../engine/tensor.js';
import { Loss, type LossOptions } from './loss.js';

/** Options of SigmoidBinaryCrossEntropyLoss. */
export interface SigmoidBinaryCrossEntropyLossOptions extends LossOptions {
  /** `pred` already holds probabilities (default false: logits). */
  fromSigmoid?: boolean;
}

/**
 * Binary cross entropy, labels in [0, 1] shaped like `pred`. From logits
 * (default) it uses the stable form `relu(x) − x·y + softrelu(−|x|)`; with
 * `fromSigmoid` it is `−(y·log(p + 1e-12) + (1 − y)·log(1 − p + 1e-12))`.
 * Averaged over the non-batch axes.
 *
 * ```ts
 * new gluon.loss.SigmoidBinaryCrossEntropyLoss().call(nd.array([[0]]), nd.array([[1]])); // [0.6931]
 * ```
 */
export class SigmoidBinaryCrossEntropyLoss extends Loss {
  readonly fromSigmoid: boolean;

  constructor(options: SigmoidBinaryCrossEntropyLossOptions = {}) {
    super(options.weight, options.batchAxis);
    this.fromSigmoid = options.fromSigmoid ?? false;
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    const y = F.reshapeLike(label, pred);
    const loss = this.fromSigmoid
      ? F.neg(F.add(F.mul(F.log(F.add(pred, 1e-12)), y), F.mul(F.log(F.add(F.sub(1, pred), 1e-12)), F.sub(1, y))))
      : F.add(F.sub(F.relu(pred), F.mul(pred, y)), F.softrelu(F.neg(F.abs(pred))));
    return this.perSample(F, loss, sampleWeight);
  }
}

/** MXNet's short name for SigmoidBinaryCrossEntropyLoss. Example: `new gluon.loss.SigmoidBCELoss()`. */
export const SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss;
