/**
 * d2l's builders' guide and regularization pages (MXNet edition), ported
 * literally: the custom initializer `MyInit` (`_init_weight` writing its
 * array in place), and the concise weight-decay step (`wd` through the
 * Trainer, the biases excluded by `wd_mult` 0).
 */
import { autograd, gluon, init, np, type nd } from 'gluonc';

const { nn } = gluon;

/**
 * d2l's `MyInit`: weights uniform in [-10, 10), those under 5 in magnitude
 * zeroed (`data[:] = ...; data *= np.abs(data) >= 5`); `seen` records the
 * names and shapes it was called with (d2l prints them).
 *
 * ```ts
 * net.initialize(new MyInit(), { forceReinit: true });
 * ```
 */
export class MyInit extends init.Initializer {
  readonly seen: [string, number[]][] = [];
  override _initWeight(name: string, data: nd.NDArray): void {
    this.seen.push([name, data.shape]);
    np.random.uniform(-10, 10, data.shape).copyto(data);
    // numpy multiplies by a bool array; gluonc's binary operators need one dtype (see README, Migrating from MXNet)
    data.mul(np.greaterEqual(np.abs(data), 5).astype(data.dtype)).copyto(data);
  }
}

/**
 * d2l's concise weight decay: a Dense(1) net, N(0, 1) weights, L2 loss, SGD
 * with `wd` on the weight only; `steps` minibatch steps over `(X, y)`.
 * Returns the net and its trainer.
 *
 * ```ts
 * const { net } = trainConcise(3, X, y, 1);
 * ```
 */
export function trainConcise(wd: number, X: nd.NDArray, y: nd.NDArray, steps: number, lr = 0.003): { net: gluon.nn.Sequential; trainer: gluon.Trainer } {
  const net = new nn.Sequential();
  net.add(new nn.Dense(1));
  net.initialize(new init.Normal({ sigma: 1 }));
  const loss = new gluon.loss.L2Loss();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: lr, wd });
  // The bias parameter has not decayed. Bias names generally end with "bias"
  net.collectParams('.*bias').setattr('wdMult', 0);
  for (let i = 0; i < steps; i++) {
    const l = autograd.record(() => loss.call(net.call(X), y));
    l.backward();
    trainer.step(X.shape[0]!);
  }
  return { net, trainer };
}

/** The model: d2l's Dense(1) regression net, N(0, 1) weights. */
export default function build(): gluon.nn.Sequential {
  const net = new nn.Sequential();
  net.add(new nn.Dense(1, { inUnits: 20 }));
  net.initialize(new init.Normal({ sigma: 1 }));
  return net;
}

/** Example input: a batch of 20 features. */
export const inputs = { x: { shape: ['N', 20], dtype: 'float32' } };
