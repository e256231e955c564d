/**
 * MXNet's `BatchProcessor` (estimator/batch_processor.py): what the
 * estimator does with one batch. `fitBatch` records the forward and the
 * loss and runs `backward` (the trainer steps in GradientUpdateHandler, so a
 * hybridized net and loss train as one fused step); `evaluateBatch` runs
 * the validation net and loss. Subclass it to change either.
 */
import { record } from '../../engine/autograd.js';
import { NDArray } from '../../engine/ndarray.js';
import { splitAndLoad } from '../utils.js';
import { showValue } from '../show-value.js';
import type { Batch, EstimatorRef } from './event-handler.js';

/** What a batch step returns: the data, label, prediction and loss of each shard (one shard per device). */
export type BatchResult = [data: NDArray[], label: NDArray[], pred: NDArray[], loss: NDArray[]];

/**
 * The default batch step; subclass and pass `{ batchProcessor }` to the Estimator.
 *
 * ```ts
 * class Clipped extends estimator.BatchProcessor {
 *   override fitBatch(est: estimator.EstimatorRef, batch: estimator.Batch, batchAxis = 0) {
 *     const out = super.fitBatch(est, batch, batchAxis);
 *     gluon.utils.clipGlobalNorm([...est.net.collectParams().values()].map((p) => p.grad()), 1);
 *     return out;
 *   }
 * }
 * ```
 */
export class BatchProcessor {
  /** The batch's data and label split over the estimator's devices (MXNet's `_get_data_and_label`). */
  protected getDataAndLabel(batch: Batch, context: readonly unknown[], batchAxis = 0): [NDArray[], NDArray[]] {
    if (!Array.isArray(batch) || batch.length < 2 || !(batch[0] instanceof NDArray) || !(batch[1] instanceof NDArray)) {
      throw new Error(`BatchProcessor: a batch must be [data, label] NDArrays (what a DataLoader over an ArrayDataset(x, y) yields), got ${showValue(batch)}`);
    }
    return [splitAndLoad(batch[0], context, batchAxis), splitAndLoad(batch[1], context, batchAxis)];
  }

  /** Evaluates `estimator.valNet` and `estimator.valLoss` on a batch (not recorded: the net runs in predict mode). */
  evaluateBatch(estimator: EstimatorRef, valBatch: Batch, batchAxis = 0): BatchResult {
    const [data, label] = this.getDataAndLabel(valBatch, estimator.context, batchAxis);
    const pred = data.map((x) => estimator.valNet.call(x) as NDArray);
    const loss = pred.map((yHat, i) => estimator.valLoss.call(yHat, label[i]) as NDArray);
    return [data, label, pred, loss];
  }

  /** Records `estimator.net` and `estimator.loss` on a batch and runs backward (the trainer steps later, in GradientUpdateHandler). */
  fitBatch(estimator: EstimatorRef, trainBatch: Batch, batchAxis = 0): BatchResult {
    const [data, label] = this.getDataAndLabel(trainBatch, estimator.context, batchAxis);
    const [pred, loss] = record(() => {
      const p = data.map((x) => estimator.net.call(x) as NDArray);
      return [p, p.map((yHat, i) => estimator.loss.call(yHat, label[i]) as NDArray)];
    });
    for (const l of loss) l.backward();
    return [data, label, pred, loss];
  }
}
