/**
 * The MXNet tutorial's first custom layer: scales its input into [0, 1].
 * A plain Block (imperative `forward` on NDArrays): it runs eagerly;
 * `gluonc compile` traces its forward (the `nd` operators build the graph
 * when given symbols). normalization-hybrid-layer.ts is the hybrid version.
 */
import { nd, gluon } from 'gluonc';

/**
 * `(x - min(x)) / (max(x) - min(x))` over the whole array.
 *
 * ```ts
 * new NormalizationLayer().call(nd.array([1, 2, 3])); // [0, 0.5, 1]
 * ```
 */
export class NormalizationLayer extends gluon.Block {
  override forward(x: nd.NDArray): nd.NDArray {
    return x.sub(nd.min(x)).div(nd.max(x).sub(nd.min(x)));
  }
}

/** The model: a NormalizationLayer (eager only; it has no parameters). */
export default function build(): NormalizationLayer {
  return new NormalizationLayer();
}

/** Example input: a batch of 3-vectors. */
export const inputs = { x: { shape: ['N', 3], dtype: 'float32' } };
