/**
 * The trace context: a parameter assigned during a trace (BatchNorm's
 * running statistics) reads as its new value for the rest of the trace, as
 * an eager `setData` does, so a block that applies one BatchNorm twice
 * updates the statistics twice hybridized, eagerly, and in the fused step.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';

class Twice extends gluon.HybridBlock {
  bn = new gluon.nn.BatchNorm({ inChannels: 3 });
  override hybridForward(F: gluon.F, x: gluon.Tensor, y: gluon.Tensor) {
    return F.broadcastAdd(this.bn.call(x), this.bn.call(y));
  }
}

const X = [[1, -2, 0.5], [3, 0, -1], [-1, 4, 2], [0, 1, -3]];
const Y = [[2, 2, 2], [-4, 0, 1], [1, 1, -1], [5, -3, 0]];

/** MXNet's rule in float64, applied once per call in call order: running = 0.9·running + 0.1·batch (biased variance). */
function reference(): { mean: number[]; variance: number[] } {
  let mean = [0, 0, 0];
  let variance = [1, 1, 1];
  for (const b of [X, Y]) {
    const m = [0, 1, 2].map((c) => b.reduce((s, r) => s + r[c]!, 0) / b.length);
    const v = [0, 1, 2].map((c) => b.reduce((s, r) => s + (r[c]! - m[c]!) ** 2, 0) / b.length);
    mean = mean.map((r, c) => 0.9 * r + 0.1 * m[c]!);
    variance = variance.map((r, c) => 0.9 * r + 0.1 * v[c]!);
  }
  return { mean, variance };
}

describe('engine: trace context', () => {
  for (const hybrid of [false, true]) {
    it(`a BatchNorm applied twice in one forward updates its running statistics twice (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const net = new Twice();
      net.initialize();
      if (hybrid) net.hybridize();
      autograd.record(() => net.call(nd.array(X), nd.array(Y)));
      const want = reference();
      assertClose(Array.from(net.bn.runningMean.data().data() as Float32Array), want.mean, 'running_mean', 1e-5, 1e-6);
      assertClose(Array.from(net.bn.runningVar.data().data() as Float32Array), want.variance, 'running_var', 1e-5, 1e-6);
    });
  }
});
