/**
 * LeNet-5 for 28×28 grayscale digits (NCHW input [N, 1, 28, 28]): two
 * convolution + max-pool stages and three dense layers.
 */
import { gluon } from 'gluonc';

const { nn } = gluon;

/**
 * A fresh, uninitialized LeNet.
 *
 * ```ts
 * const net = build(); net.initialize(); net.call(nd.ones([1, 1, 28, 28])); // shape [1, 10]
 * ```
 */
export default function build(): InstanceType<typeof nn.HybridSequential> {
  const net = new nn.HybridSequential();
  net.add(
    new nn.Conv2D(6, 5, { padding: 2, activation: 'relu' }),
    new nn.MaxPool2D(2),
    new nn.Conv2D(16, 5, { activation: 'relu' }),
    new nn.MaxPool2D(2),
    new nn.Flatten(),
    new nn.Dense(120, { activation: 'relu' }),
    new nn.Dense(84, { activation: 'relu' }),
    new nn.Dense(10),
  );
  return net;
}

/** One 28×28 grayscale image per example. */
export const inputs = { x: { shape: ['N', 1, 28, 28], dtype: 'float32' } };
