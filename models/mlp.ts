/**
 * The MNIST multilayer perceptron: 784 -> 256 -> 128 -> 10 with ReLU
 * (235,146 parameters), a HybridSequential of Dense layers.
 */
import { gluon } from 'gluonc';

/**
 * A fresh, uninitialized MLP (the CLI initializes it with a fixed seed, or
 * loads saved parameters).
 *
 * ```ts
 * const net = build(); net.initialize(); net.call(nd.ones([1, 784])); // shape [1, 10]
 * ```
 */
export default function build(): InstanceType<typeof gluon.nn.HybridSequential> {
  const net = new gluon.nn.HybridSequential();
  net.add(
    new gluon.nn.Dense(256, { activation: 'relu' }),
    new gluon.nn.Dense(128, { activation: 'relu' }),
    new gluon.nn.Dense(10),
  );
  return net;
}

/** One flattened 28x28 image per example. */
export const inputs = { x: { shape: ['N', 784], dtype: 'float32' } };
