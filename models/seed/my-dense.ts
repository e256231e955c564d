/**
 * d2l's MyDense: a dense layer with ReLU built in, its parameters declared
 * with explicit shapes and read through `.data()` in an imperative
 * `forward`. A plain Block: it runs eagerly; `gluonc compile` traces its
 * forward (the `nd` operators build the graph when given symbols, and the
 * parameter arrays become constants of the artifact).
 */
import { nd, gluon } from 'gluonc';

/**
 * `relu(x · weight + bias)`, weight of shape [inUnits, units].
 *
 * ```ts
 * const dense = new MyDense(3, 5);
 * dense.initialize();
 * dense.call(nd.random.uniform(0, 1, [2, 5])); // shape [2, 3]
 * ```
 */
export class MyDense extends gluon.Block {
  weight: gluon.Parameter;
  bias: gluon.Parameter;
  constructor(units: number, inUnits: number) {
    super();
    this.weight = this.params.get('weight', { shape: [inUnits, units] });
    this.bias = this.params.get('bias', { shape: [units] });
  }
  override forward(x: nd.NDArray): nd.NDArray {
    const linear = nd.dot(x, this.weight.data()).add(this.bias.data());
    return nd.relu(linear);
  }
}

/** The model: MyDense(units 3, inUnits 5), initialized (eager only). */
export default function build(): MyDense {
  const net = new MyDense(3, 5);
  net.initialize();
  return net;
}

/** Example input: a batch of 5-vectors. */
export const inputs = { x: { shape: ['N', 5], dtype: 'float32' } };
