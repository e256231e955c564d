/**
 * d2l's `nn.Sequential(nn.Dense(128), CenteredLayer())` from the "Custom
 * Layers" page: a plain Block net (eager; `gluonc compile` traces its forward).
 */
import { gluon } from 'gluonc';
import { CenteredLayer } from './custom-layers.js';

/**
 * Dense(128) followed by centering: the output's mean is 0 (up to rounding).
 *
 * ```ts
 * build().call(np.random.uniform(0, 1, [4, 8])).mean(); // ~0, shape []
 * ```
 */
export default function build(): gluon.Block {
  const net = new gluon.nn.Sequential();
  net.add(new gluon.nn.Dense(128), new CenteredLayer());
  net.initialize();
  return net;
}

/** Example input: a batch of 8-vectors. */
export const inputs = { x: { shape: ['N', 8], dtype: 'float32' } };
