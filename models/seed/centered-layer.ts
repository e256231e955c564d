/**
 * d2l's CenteredLayer: subtracts the mean. d2l writes it as a plain Block;
 * the same one-line computation is written here against the tensor methods
 * that NDArray and Symbol share, so it also hybridizes and compiles.
 */
import { gluon } from 'gluonc';

/**
 * `x - mean(x)` (the mean of the whole tensor).
 *
 * ```ts
 * new CenteredLayer().call(nd.array([1, 2, 3, 4, 5])); // [-2, -1, 0, 1, 2]
 * ```
 */
export class CenteredLayer extends gluon.HybridBlock {
  override hybridForward(_F: gluon.F, x: gluon.Tensor): gluon.Tensor {
    return x.sub(x.mean());
  }
}

/** The model: a CenteredLayer (no parameters). */
export default function build(): CenteredLayer {
  return new CenteredLayer();
}

/** Example input: a batch of 8-vectors. */
export const inputs = { x: { shape: ['N', 8], dtype: 'float32' } };
