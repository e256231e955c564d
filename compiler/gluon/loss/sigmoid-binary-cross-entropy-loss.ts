/**
 * SigmoidBinaryCrossEntropyLoss (alias SigmoidBCELoss), with MXNet's
 * `pos_weight` (python/mxnet/gluon/loss.py 1.9.1,
 * SigmoidBinaryCrossEntropyLoss.hybrid_forward(F, pred, label,
 * sample_weight=None, pos_weight=None)).
 */
import { array, NDArray } from '../../engine/ndarray.js';
import type { F, Tensor } from '../../engine/tensor.js';
import { boolOption } from '../nn/basic.js';
import { Loss, lossOptions, type LossOptions, optionalTensor } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Options of SigmoidBinaryCrossEntropyLoss. */
export interface SigmoidBinaryCrossEntropyLossOptions extends LossOptions {
  /** `pred` already holds probabilities (default false: logits). */
  fromSigmoid?: boolean;
  /**
   * The weight of positive examples, broadcast against `pred` (e.g. one per
   * class); used when `call` gets no `posWeight` tensor. Default: none (1).
   */
  posWeight?: number | number[] | NDArray;
}

/** MXNet's positional parameters of SigmoidBinaryCrossEntropyLoss, in its order. */
const SIGMOID_BCE_LOSS_ARGS = ['fromSigmoid?', 'weight?', 'batchAxis?'] as const;

/**
 * Binary cross entropy, labels in [0, 1] shaped like `pred`. From logits
 * (default) it uses the stable form `relu(x) − x·y + softrelu(−|x|)`; with
 * `fromSigmoid` it is `−(y·log(p + 1e-12) + (1 − y)·log(1 − p + 1e-12))`.
 * A positive weight `w` (MXNet's `pos_weight`) scales the positive term:
 * `x − x·y + (1 + (w − 1)·y)·(softrelu(−|x|) + relu(−x))` from logits,
 * `−(w·y·log(p + 1e-12) + (1 − y)·log(1 − p + 1e-12))` from sigmoid.
 * Averaged over the non-batch axes. Called as MXNet's:
 * `call(pred, label, sampleWeight?, posWeight?)`.
 *
 * ```ts
 * new gluon.loss.SigmoidBinaryCrossEntropyLoss().call(nd.array([[0]]), nd.array([[1]])); // [0.6931]
 * new gluon.loss.SigmoidBCELoss({ posWeight: [2, 1] }).call(nd.array([[0, 0]]), nd.array([[1, 1]])); // [1.0397]
 * ```
 */
export class SigmoidBinaryCrossEntropyLoss extends Loss {
  readonly fromSigmoid: boolean;
  /** The positive weight given as an option (null: none). */
  readonly posWeight: number | NDArray | null;

  constructor(...args: OptionArgs<SigmoidBinaryCrossEntropyLossOptions, typeof SIGMOID_BCE_LOSS_ARGS>) {
    const options = bindOptions<SigmoidBinaryCrossEntropyLossOptions>('SigmoidBinaryCrossEntropyLoss', SIGMOID_BCE_LOSS_ARGS, args);
    lossOptions('SigmoidBinaryCrossEntropyLoss', options, ['fromSigmoid', 'posWeight']);
    super(options.weight, options.batchAxis);
    this.fromSigmoid = boolOption('SigmoidBinaryCrossEntropyLoss', 'fromSigmoid', options.fromSigmoid, false);
    const pw = options.posWeight;
    if (pw === undefined || pw === null) this.posWeight = null;
    else if (typeof pw === 'number') {
      if (!Number.isFinite(pw)) throw new Error(`SigmoidBinaryCrossEntropyLoss: posWeight must be finite, got ${pw}`);
      this.posWeight = pw;
    } else if (pw instanceof NDArray) this.posWeight = pw;
    else if (Array.isArray(pw) && pw.every((v) => typeof v === 'number' && Number.isFinite(v))) this.posWeight = array(pw);
    else throw new Error(`SigmoidBinaryCrossEntropyLoss: posWeight must be a number, an array of numbers or an NDArray, got ${JSON.stringify(pw)}`);
  }

  override hybridForward(F: F, pred: Tensor, label: Tensor, ...rest: unknown[]): Tensor {
    const sampleWeight = optionalTensor(rest[0]);
    const y = F.reshapeLike(label, pred);
    let pw: Tensor | number | null = optionalTensor(rest[1]) ?? null;
    if (pw === null && this.posWeight !== null) {
      pw = typeof this.posWeight === 'number' ? this.posWeight : (this.posWeight.astype(pred.dtype) as unknown as Tensor);
    }
    const mul = (a: Tensor, b: Tensor | number): Tensor => (typeof b === 'number' ? F.mul(a, b) : F.broadcastMul(a, b));
    let loss: Tensor;
    if (!this.fromSigmoid) {
      // (1 − y)·x + lw·log(1 + e^−x) with lw = 1 + (w − 1)·y, one branch per sign of x so that neither
      // overflows nor cancels: x ≥ 0: (1 − y)·x + lw·softrelu(−x); x < 0: lw·softrelu(x) − w·y·x.
      // MXNet's relu(x) − x·y + softrelu(−|x|) has the same values, but its kinks at 0 gave dL/dx = −y there
      // instead of sigmoid(0) − y; here each branch differentiates to sigmoid(x)·lw-weighted terms exactly.
      const wy = pw === null ? y : mul(y, pw);
      const lw = pw === null ? null : F.add(F.sub(wy, y), 1);
      const scaled = (t: Tensor): Tensor => (lw === null ? t : F.mul(lw, t));
      const pos = F.add(F.mul(F.sub(1, y), pred), scaled(F.softrelu(F.neg(pred))));
      const neg = F.sub(scaled(F.softrelu(pred)), F.mul(wy, pred));
      loss = F.where(F.greaterEqual(pred, 0), pos, neg);
    } else {
      const pos = F.mul(F.log(F.add(pred, 1e-12)), y);
      loss = F.neg(F.add(pw === null ? pos : mul(pos, pw), F.mul(F.log(F.add(F.sub(1, pred), 1e-12)), F.sub(1, y))));
    }
    return this.perSample(F, loss, sampleWeight);
  }
}

/** MXNet's short name for SigmoidBinaryCrossEntropyLoss. Example: `new gluon.loss.SigmoidBCELoss()`. */
export const SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss;
