/**
 * d2l's "Custom Layers" page (MXNet 2.x edition, `from mxnet import np, npx`)
 * ported line by line: `CenteredLayer` (a plain Block, `x - x.mean()`) and
 * `MyDense` (parameters read with `.data()`, `np.dot` and `npx.relu`).
 * MyDense is a Gluon 2 style HybridBlock: it overrides `forward` instead of
 * `hybridForward`, runs eagerly on NDArrays and, once hybridized, is traced
 * with symbols (np/npx build graph nodes, `p.data()` is the parameter's
 * symbol), compiled, and trained through the compiled graph.
 */
import { gluon, np, npx, type nd } from 'gluonc';

/**
 * Subtracts the mean of the whole input (d2l: `return x - x.mean()`).
 *
 * ```ts
 * new CenteredLayer().call(np.array([1, 2, 3, 4, 5])); // [-2, -1, 0, 1, 2]
 * ```
 */
export class CenteredLayer extends gluon.Block {
  override forward(x: nd.NDArray): nd.NDArray {
    return x.sub(x.mean());
  }
}

/**
 * A dense layer with ReLU built in (d2l: `npx.relu(np.dot(x, self.weight.data()) + self.bias.data())`),
 * weight of shape [inUnits, units].
 *
 * ```ts
 * const dense = new MyDense(3, 5);
 * dense.initialize();
 * dense.call(np.random.uniform(0, 1, [2, 5])); // shape [2, 3]
 * ```
 */
export class MyDense extends gluon.HybridBlock {
  weight: gluon.Parameter;
  bias: gluon.Parameter;
  constructor(units: number, inUnits: number) {
    super();
    this.weight = this.params.get('weight', { shape: [inUnits, units] });
    this.bias = this.params.get('bias', { shape: [units] });
  }
  override forward(x: nd.NDArray): nd.NDArray {
    const linear = np.dot(x, this.weight.data()).add(this.bias.data());
    return npx.relu(linear);
  }
}

/**
 * d2l's last net of the page: `MyDense(8, in_units=64)`, `MyDense(1, in_units=8)`.
 *
 * ```ts
 * const net = build();
 * net.call(np.random.uniform(0, 1, [2, 64])); // shape [2, 1]
 * ```
 */
export default function build(): gluon.HybridBlock {
  const net = new gluon.nn.HybridSequential();
  net.add(new MyDense(8, 64), new MyDense(1, 8));
  net.initialize();
  return net;
}

/** Example input: a batch of 64-vectors. */
export const inputs = { x: { shape: ['N', 64], dtype: 'float32' } };
