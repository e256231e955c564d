/**
 * d2l exercise 2: a tensor reduction `y_k = Σ_ij W_ijk x_i x_j` for each
 * example, with a learned weight W of shape [in, in, out] (the input size
 * is inferred at the first call), computed by one einsum.
 */
import { gluon } from 'gluonc';

/**
 * `y[n, k] = Σ_ij W[i, j, k] x[n, i] x[n, j]`.
 *
 * ```ts
 * const layer = new TensorReduction(3);
 * layer.initialize();
 * layer.call(nd.random.uniform(-1, 1, [2, 4])); // shape [2, 3]; weight [4, 4, 3]
 * ```
 */
export class TensorReduction extends gluon.HybridBlock {
  weight: gluon.Parameter;
  constructor(units: number, inUnits = 0) {
    super();
    this.weight = this.params.get('weight', { shape: [inUnits, inUnits, units], allowDeferredInit: true });
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, p: { weight: gluon.Tensor }): gluon.Tensor {
    return F.einsum('ni,nj,ijk->nk', x, x, p.weight);
  }
}

/** The model: 3 outputs from 4 inputs, initialized (Uniform by default). */
export default function build(): TensorReduction {
  const net = new TensorReduction(3, 4);
  net.initialize();
  return net;
}

/** Example input: a batch of 4-vectors. */
export const inputs = { x: { shape: ['N', 4], dtype: 'float32' } };
