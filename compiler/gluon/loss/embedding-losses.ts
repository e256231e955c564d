/** TripletLoss and CosineEmbeddingLoss (MXNet Gluon's, python/mxnet/gluon/loss.py 1.9.1). */
import type { F, Tensor } from '../../engine/tensor.js';
import { applyWeighting, Loss, lossOptions, type LossOptions } from './loss.js';
import { bindOptions, type OptionArgs } from '../bind-args.js';

/** Options of TripletLoss and CosineEmbeddingLoss. */
export interface MarginLossOptions extends LossOptions {
  /** The margin (TripletLoss default 1, CosineEmbeddingLoss default 0). */
  margin?: number;
}

function marginOf(owner: string, v: unknown, dflt: number): number {
  const m = v ?? dflt;
  if (typeof m !== 'number' || !Number.isFinite(m)) throw new Error(`${owner}: margin must be a finite number, got ${JSON.stringify(v)}`);
  return m;
}

/** MXNet's positional parameters of TripletLoss, in its order. */
const TRIPLET_LOSS_ARGS = ['margin?', 'weight?', 'batchAxis?'] as const;

/**
 * `L = max(0, Σ (positive − pred)² − Σ (negative − pred)² + margin)`, the
 * sums over the non-batch axes; `positive` and `negative` are reshaped like
 * `pred`. Called as `call(pred, positive, negative, sampleWeight?)`; the
 * loss is `[N]`, so a sample weight is `[N]` (MXNet silently broadcast `[N, 1]` to `[N, N]`).
 *
 * ```ts
 * new gluon.loss.TripletLoss().call(nd.array([[0, 0]]), nd.array([[1, 0]]), nd.array([[0, 2]])); // [max(0, 1 − 4 + 1)] = [0]
 * ```
 */
export class TripletLoss extends Loss {
  readonly margin: number;

  constructor(...args: OptionArgs<MarginLossOptions, typeof TRIPLET_LOSS_ARGS>) {
    const options = bindOptions<MarginLossOptions>('TripletLoss', TRIPLET_LOSS_ARGS, args);
    lossOptions('TripletLoss', options, ['margin']);
    super(options.weight, options.batchAxis);
    this.margin = marginOf('TripletLoss', options.margin, 1);
  }

  override hybridForward(F: F, pred: Tensor, positive: Tensor, negative: Tensor, sampleWeight?: Tensor): Tensor {
    const d = F.sub(F.square(F.sub(F.reshapeLike(positive, pred), pred)), F.square(F.sub(F.reshapeLike(negative, pred), pred)));
    const loss = F.relu(F.add(F.sum(d, { axis: this.batchAxis, exclude: true }), this.margin));
    return applyWeighting(F, loss, this.weight, sampleWeight, 'TripletLoss');
  }
}

/** MXNet's positional parameters of CosineEmbeddingLoss, in its order. */
const COSINE_EMBEDDING_LOSS_ARGS = ['weight?', 'batchAxis?', 'margin?'] as const;

/**
 * With `cos` the cosine similarity of `input1` and `input2` along their last
 * axis (norms floored at 1e-12): `L = 1 − cos` where `label` is 1 and
 * `max(0, cos − margin)` where it is −1; one value per sample ([N]; MXNet
 * returns [N, 1]). `input1` is reshaped like `input2`; a sample weight is
 * `[N, 1]` as in MXNet. Called as `call(input1, input2, label, sampleWeight?)`.
 *
 * ```ts
 * new gluon.loss.CosineEmbeddingLoss().call(nd.array([[1, 0]]), nd.array([[1, 1]]), nd.array([1])); // [1 − 1/√2]
 * ```
 */
export class CosineEmbeddingLoss extends Loss {
  readonly margin: number;

  constructor(...args: OptionArgs<MarginLossOptions, typeof COSINE_EMBEDDING_LOSS_ARGS>) {
    const options = bindOptions<MarginLossOptions>('CosineEmbeddingLoss', COSINE_EMBEDDING_LOSS_ARGS, args);
    lossOptions('CosineEmbeddingLoss', options, ['margin']);
    super(options.weight, options.batchAxis);
    this.margin = marginOf('CosineEmbeddingLoss', options.margin, 0);
  }

  override hybridForward(F: F, input1: Tensor, input2: Tensor, label: Tensor, sampleWeight?: Tensor): Tensor {
    const x = F.reshapeLike(input1, input2);
    const norm = (t: Tensor): Tensor => F.sqrt(F.sum(F.square(t), { axis: -1, keepdims: true }));
    const dot = F.sum(F.mul(x, input2), { axis: -1, keepdims: true });
    const cos = F.reshape(F.div(dot, F.maximum(F.mul(norm(x), norm(input2)), 1e-12)), [-1, 1]);
    const y = F.reshape(label, [-1, 1]);
    const loss = F.add(F.mul(F.sub(1, cos), F.equal(y, 1)), F.relu(F.mul(F.equal(y, -1), F.sub(cos, this.margin))));
    return F.reshape(applyWeighting(F, loss, this.weight, sampleWeight, 'CosineEmbeddingLoss'), [-1]);
  }
}
