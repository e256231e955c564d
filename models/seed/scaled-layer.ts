/**
 * The MXNet tutorial's layer with parameters — `weights` (shape inferred at
 * the first call) and constant `scales` (not differentiable) — inside the
 * tutorial's HybridSequential: Dense(5) -> ScaledLayer(5, [2]) -> Dense(1).
 */
import { nd, gluon, init } from 'gluonc';

/**
 * Normalizes its input into [0, 1], multiplies by `weights` (no bias) and
 * scales the result by the constant `scales`.
 *
 * ```ts
 * const layer = new ScaledLayer(5, nd.array([2]));
 * ```
 */
export class ScaledLayer extends gluon.HybridBlock {
  weights: gluon.Parameter;
  scales: gluon.Parameter;
  constructor(hiddenUnits: number, scales: nd.NDArray) {
    super();
    this.weights = this.params.get('weights', { shape: [hiddenUnits, 0], allowDeferredInit: true });
    this.scales = this.params.get('scales', {
      shape: scales.shape, init: new init.Constant(scales.toArray()), differentiable: false });
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, p: { weights: gluon.Tensor; scales: gluon.Tensor }): gluon.Tensor {
    const normalized = F.broadcastDiv(F.broadcastSub(x, F.min(x)), F.broadcastSub(F.max(x), F.min(x)));
    const weighted = F.FullyConnected(normalized, p.weights, { numHidden: this.weights.shape[0], noBias: true });
    return F.broadcastMul(p.scales, weighted);
  }
}

/** The tutorial's network, initialized with Xavier(magnitude 2.24) (`weights` gets its shape at the first call). */
export default function build(): InstanceType<typeof gluon.nn.HybridSequential> {
  const net = new gluon.nn.HybridSequential();
  net.add(new gluon.nn.Dense(5), new ScaledLayer(5, nd.array([2])), new gluon.nn.Dense(1));
  net.initialize(new init.Xavier({ magnitude: 2.24 }));
  return net;
}

/** The tutorial's input: examples of 2 features. */
export const inputs = { x: { shape: ['N', 2], dtype: 'float32' } };
