/**
 * The MXNet tutorial's NormalizationHybridLayer: the normalization written
 * against `F`, so it runs eagerly and hybridized, and compiles.
 */
import { gluon } from 'gluonc';

/**
 * `(x - min(x)) / (max(x) - min(x))` over the whole tensor, with `F`.
 *
 * ```ts
 * new NormalizationHybridLayer().call(nd.array([1, 2, 3])); // [0, 0.5, 1]
 * ```
 */
export class NormalizationHybridLayer extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    return F.broadcastDiv(F.broadcastSub(x, F.min(x)), F.broadcastSub(F.max(x), F.min(x)));
  }
}

/** The model: a NormalizationHybridLayer (no parameters). */
export default function build(): NormalizationHybridLayer {
  return new NormalizationHybridLayer();
}

/** Example input: a batch of 3-vectors. */
export const inputs = { x: { shape: ['N', 3], dtype: 'float32' } };
