/**
 * GluonNLP 0.x's BERT pre-training loss as its scripts compute it
 * (scripts/bert/pretraining_utils.py `forward`): the masked-LM softmax
 * cross-entropy at each masked position, weighted by `masked_weight` (0 for
 * the padding positions) and divided by the weights' sum + 1e-8, plus the
 * mean next-sentence softmax cross-entropy.
 */
import { gluon, nd } from 'gluonc';

/** The pre-training loss and its two parts (scalars [], differentiable inside `autograd.record`). */
export interface PretrainingLoss {
  /** `mlm + nsp`: what the scripts call `backward` on (then `trainer.step(1)`). */
  loss: nd.NDArray;
  /** `ls1`: the weighted masked-LM cross-entropy over the number of masks. */
  mlm: nd.NDArray;
  /** `ls2`: the next-sentence cross-entropy, averaged over the batch. */
  nsp: nd.NDArray;
}

/**
 * GluonNLP's pre-training loss of a `BERTModel` with its classifier and
 * decoder (`[seq, pooled, classified, decoded] = bert.call(ids, types,
 * validLength, maskedPositions)`): `decoded` [N, M, vocab], `classified`
 * [N, 2], `maskedIds` and `maskedWeights` [N, M], `nspLabels` [N]. Scores
 * are used in their dtype (float16 ones in float32, as the scripts'
 * `astype('float32')`).
 *
 * ```ts
 * const { loss } = autograd.record(() => pretrainingLoss(decoded, classified, maskedIds, maskedWeights, labels));
 * ```
 */
export function pretrainingLoss(decoded: nd.NDArray, classified: nd.NDArray, maskedIds: nd.NDArray, maskedWeights: nd.NDArray, nspLabels: nd.NDArray): PretrainingLoss {
  if (decoded.ndim !== 3 || maskedIds.shape.join() !== decoded.shape.slice(0, 2).join() || maskedWeights.shape.join() !== decoded.shape.slice(0, 2).join()) {
    throw new Error(`pretrainingLoss: decoded must be [N, M, vocab] and maskedIds, maskedWeights [N, M]; got decoded [${decoded.shape.join(', ')}], maskedIds [${maskedIds.shape.join(', ')}], maskedWeights [${maskedWeights.shape.join(', ')}]`);
  }
  if (classified.ndim !== 2 || nspLabels.shape.join() !== String(classified.shape[0])) {
    throw new Error(`pretrainingLoss: classified must be [N, 2] and nspLabels [N]; got classified [${classified.shape.join(', ')}], nspLabels [${nspLabels.shape.join(', ')}]`);
  }
  const f32 = (x: nd.NDArray) => (x.dtype === 'float16' ? x.astype('float32') : x);
  const ce = new gluon.loss.SoftmaxCrossEntropyLoss();
  const vocab = decoded.shape[2]!;
  const weights = maskedWeights.astype(f32(decoded).dtype);
  const numMasks = weights.sum().add(1e-8);
  const perMask = ce.call(f32(decoded).reshape([-1, vocab]), maskedIds.reshape([-1]), weights.reshape([-1, 1])) as nd.NDArray;
  const mlm = perMask.sum().div(numMasks);
  const nsp = (ce.call(f32(classified), nspLabels) as nd.NDArray).mean();
  return { loss: mlm.add(nsp), mlm, nsp };
}
