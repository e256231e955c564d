/**
 * GroupNorm and InstanceNorm layers against numpy float64 (the paper's
 * formula written out), eager and hybridized, with MXNet's parameter names
 * and shapes, deferred channels, gradients through the fused path agreeing
 * with the eager tape, and named errors.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd } from 'gluonc';
import { assertClose } from '../../../helpers/compare.js';
import { eagerVsHybrid, gradsVsTorch } from '../../../helpers/layers.js';
import { numpyRefs } from '../../../helpers/numpy.js';

const { nn } = gluon;
const flat = (x: nd.NDArray) => Array.from(x.data() as Float32Array);
const f64 = (x: nd.NDArray) => ({ shape: x.shape, dtype: 'float64', data: flat(x) });

/** numpy: group normalization of a (channels on axis 1) with per-channel gamma b and beta c. */
const GN = `
G = attrs['groups']
x = a.reshape(a.shape[0], G, -1)
y = ((x - x.mean(axis=2, keepdims=True)) / np.sqrt(x.var(axis=2, keepdims=True) + attrs['eps'])).reshape(a.shape)
shp = [1, a.shape[1]] + [1] * (a.ndim - 2)
out = y * b.reshape(shp) + c.reshape(shp)
`;

describe('nn.GroupNorm and nn.InstanceNorm', () => {
  it('GroupNorm: gamma/beta [C] (deferred), output vs numpy, eager and hybridized', () => {
    const gn = new nn.GroupNorm(2, { gammaInitializer: new init.Constant([1, 2, 0.5, -1]), betaInitializer: new init.Constant([0, 0.1, -0.2, 0.3]) });
    gn.initialize();
    const xs = [nd.random.normal(0, 2, [2, 4, 3, 3]), nd.random.normal(1, 1, [3, 4, 5])];
    const eager = eagerVsHybrid(gn, xs, 'GroupNorm', 1e-5, 1e-5);
    assert.deepEqual([...gn.collectParams().keys()].map((k) => k.split('.').pop()), ['gamma', 'beta']);
    assert.deepEqual(gn.gamma.shape, [4]);
    const refs = numpyRefs(xs.map((x) => ({ code: GN, inputs: [f64(x), f64(gn.gamma.data()), f64(gn.beta.data())], attrs: { groups: 2, eps: 1e-5 } })));
    refs.forEach((r, i) => assertClose(flat(eager[i]!), r.outs[0]!.data, `GroupNorm input ${i} vs numpy`, 1e-4, 1e-5));
  });

  it('InstanceNorm: one group per channel, axis -1 swaps like Gluon, scale off by default', () => {
    const inorm = new nn.InstanceNorm({ axis: -1, betaInitializer: new init.Constant([0.5, -0.5, 1]) });
    inorm.initialize();
    const x = nd.random.normal(0, 3, [2, 5, 3]);
    const [y] = eagerVsHybrid(inorm, [x], 'InstanceNorm axis -1', 1e-5, 1e-5);
    assert.equal(inorm.gamma.gradReq, 'null');
    // numpy: channels last, so normalize each [n, :, c] over axis 1.
    const [r] = numpyRefs([{ code: `m = a.mean(axis=1, keepdims=True); v = a.var(axis=1, keepdims=True); out = (a - m) / np.sqrt(v + 1e-5) + c.reshape(1, 1, -1)`, inputs: [f64(x), f64(inorm.gamma.data()), f64(inorm.beta.data())] }]);
    assertClose(flat(y!), r!.outs[0]!.data, 'InstanceNorm vs numpy', 1e-4, 1e-5);
  });

  it('gradients: the hybridized backward agrees with the eager tape, and dbeta is the sum of the head', () => {
    const grads = (hybrid: boolean) => {
      const gn = new nn.GroupNorm(3, { gammaInitializer: new init.Constant([1, -2, 0.5, 1.5, 1, 0.25]) });
      gn.initialize();
      if (hybrid) gn.hybridize();
      const x = nd.array(Array.from({ length: 2 * 6 * 4 }, (_v, i) => Math.sin(i * 1.3) * 2), { shape: [2, 6, 4] });
      const w = nd.array(Array.from({ length: 2 * 6 * 4 }, (_v, i) => Math.cos(i * 0.7)), { shape: [2, 6, 4] });
      x.attachGrad();
      const loss = autograd.record(() => (gn.call(x) as nd.NDArray).mul(w).sum());
      loss.backward();
      return { dx: flat(x.grad!), dgamma: flat(gn.gamma.grad()), dbeta: flat(gn.beta.grad()), w: flat(w) };
    };
    const e = grads(false);
    const h = grads(true);
    assertClose(h.dx, e.dx, 'dx hybrid vs eager', 1e-4, 1e-5);
    assertClose(h.dgamma, e.dgamma, 'dgamma hybrid vs eager', 1e-4, 1e-5);
    const dbeta = [0, 1, 2, 3, 4, 5].map((c) => [0, 1].reduce((s, n) => s + [0, 1, 2, 3].reduce((t, k) => t + e.w[(n * 6 + c) * 4 + k]!, 0), 0));
    assertClose(e.dbeta, dbeta, 'dbeta = sum of the head per channel', 1e-5, 1e-5);
    assertClose(h.dbeta, dbeta, 'hybrid dbeta', 1e-5, 1e-5);
    // Each group's dx sums to zero (the mean is subtracted).
    for (let n = 0; n < 2; n++) for (let g = 0; g < 3; g++) {
      const s = e.dx.slice((n * 6 + 2 * g) * 4, (n * 6 + 2 * g + 2) * 4).reduce((p, q) => p + q, 0);
      assert.ok(Math.abs(s) < 1e-4, `group ${g} of sample ${n}: dx sums to ${s}`);
    }
  });

  it('output and gradients (input, gamma, beta) match PyTorch float64, eager and hybridized', () => {
    gradsVsTorch([
      { what: 'GroupNorm 2 groups, epsilon 1e-3', make: () => new nn.GroupNorm(2, { epsilon: 1e-3 }), shape: [3, 4, 3, 2], torch: 'F.group_norm(x, 2, gamma, beta, eps=1e-3)' },
      { what: 'InstanceNorm scale true', make: () => new nn.InstanceNorm({ scale: true }), shape: [2, 3, 5], torch: 'F.instance_norm(x, weight=gamma, bias=beta, eps=1e-5)' },
      { what: 'InstanceNorm axis -1 (gamma fixed, not trained)', make: () => new nn.InstanceNorm({ axis: -1 }), shape: [2, 5, 3], torch: 'F.instance_norm(x.transpose(1, 2), weight=gamma, bias=beta, eps=1e-5).transpose(1, 2)' },
    ]);
  });

  it('bad configurations are named errors', () => {
    assert.throws(() => new nn.GroupNorm(0), /GroupNorm: numGroups must be a positive integer, got 0/);
    const gn = new nn.GroupNorm(4);
    gn.initialize();
    assert.throws(() => gn.call(nd.zeros([2, 6, 3])), /6 channels cannot be split into 4 groups/);
    const g2 = new nn.GroupNorm(2, { inChannels: 4 });
    g2.initialize();
    assert.throws(() => g2.call(nd.zeros([2, 6, 3])), /has 6 channels on axis 1, but the layer has 4/);
    assert.throws(() => g2.call(nd.zeros([4])), /needs an input \[N, C, \.\.\.\]/);
    // A string where a flag goes was read as truthy: scale 'false' trained gamma.
    assert.throws(() => new nn.GroupNorm(2, { scale: 'false' as never }), /GroupNorm: option 'scale' must be true or false, got "false"/);
    assert.throws(() => new nn.InstanceNorm({ center: 0 as never }), /InstanceNorm: option 'center' must be true or false, got 0/);
    assert.throws(() => new nn.GroupNorm(2, { epsilon: '1e-5' as never }), /GroupNorm: epsilon must be a non-negative number, got "1e-5"/);
  });
});
