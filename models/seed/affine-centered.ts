/**
 * d2l exercise 1: a layer that learns an affine transform of the data —
 * it removes the mean and learns an additive parameter instead:
 * `y = x - mean(x) + bias`, the mean taken over each example's features
 * (so an example's output does not depend on the rest of its batch) and
 * `bias` a learned vector with one entry per feature.
 */
import { gluon } from 'gluonc';

/**
 * `x - mean(x, axis -1) + bias`; `bias` has shape [units].
 *
 * ```ts
 * const layer = new AffineCentered(4);
 * layer.initialize();
 * layer.call(nd.random.uniform(0, 1, [2, 4])); // shape [2, 4]
 * ```
 */
export class AffineCentered extends gluon.HybridBlock {
  bias: gluon.Parameter;
  constructor(units: number) {
    super();
    this.bias = this.params.get('bias', { shape: [units] });
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, p: { bias: gluon.Tensor }): gluon.Tensor {
    return F.broadcastAdd(F.broadcastSub(x, F.mean(x, { axis: -1, keepdims: true })), p.bias);
  }
}

/** The model: AffineCentered over 8 features, initialized (Uniform by default). */
export default function build(): AffineCentered {
  const net = new AffineCentered(8);
  net.initialize();
  return net;
}

/** Example input: a batch of 8-vectors. */
export const inputs = { x: { shape: ['N', 8], dtype: 'float32' } };
