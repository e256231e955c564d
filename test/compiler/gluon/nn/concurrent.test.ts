/**
 * nn.HybridConcurrent / nn.Concurrent / nn.Identity (MXNet 1.x's
 * gluon.contrib.nn, MXNet 2's HybridConcatenate / Concatenate / Identity):
 * each child on the same input, outputs joined by concat along `axis`
 * (contrib/nn/basic_layers.py), against numpy; names, gradients, errors.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { numpyRefs } from '../../../helpers/numpy.js';
import { assertClose } from '../../../helpers/compare.js';

const { nn } = gluon;

describe('nn.HybridConcurrent, nn.Concurrent, nn.Identity', () => {
  it('concatenates the children of one input along axis (default -1), eager and hybridized, as numpy', () => {
    random.seed(1);
    const x = nd.random.uniform(-1, 1, [2, 3, 5, 5]);
    const net = new nn.HybridConcurrent(1);
    net.add(new nn.Conv2D(4, 1, { inChannels: 3 }), new nn.Identity(), new nn.Conv2D(2, 3, { padding: 1, inChannels: 3 }));
    net.initialize(new init.Xavier());
    assert.deepEqual(net.collectParams().keys(), ['0.weight', '0.bias', '2.weight', '2.bias']);
    const c0 = net.get<InstanceType<typeof nn.Conv2D>>(0);
    const c2 = net.get<InstanceType<typeof nn.Conv2D>>(2);
    const w0 = c0.weight.data(), b0 = c0.bias!.data(), w2 = c2.weight.data(), b2 = c2.bias!.data();
    const code = `
def conv(x, w, b, p):
    x = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))); k = w.shape[2]; H = x.shape[2] - k + 1
    out = np.zeros((x.shape[0], w.shape[0], H, H))
    for i in range(H):
        for j in range(H):
            out[:, :, i, j] = np.einsum('nchw,ochw->no', x[:, :, i:i + k, j:j + k], w)
    return out + b[None, :, None, None]
out = np.concatenate([conv(a, b, c, 0), a, conv(a, d, e, 1)], axis=1)`;
    const t = (v: nd.NDArray) => ({ shape: v.shape as number[], dtype: 'float64', data: Array.from(v.data() as Float32Array) });
    const [ref] = numpyRefs([{ code, inputs: [t(x), t(w0), t(b0), t(w2), t(b2)] }]);
    assert.ok(ref && !ref.error, ref?.error);
    for (const hybridize of [false, true]) {
      if (hybridize) net.hybridize();
      const y = net.call(x) as nd.NDArray;
      assert.deepEqual(y.shape, [2, 9, 5, 5]);
      assertClose(Array.from(y.data() as Float32Array), ref!.outs[0]!.data as number[], `hybridize ${hybridize}`, 1e-5, 1e-6);
    }
    // The default axis is -1 (MXNet's).
    const last = new nn.HybridConcurrent();
    last.add(new nn.Identity(), new nn.Identity());
    assert.deepEqual((last.call(nd.ones([2, 3])) as nd.NDArray).shape, [2, 6]);
  });

  it('gradients: the input gets the sum of its paths (identity + 2x)', () => {
    const net = new nn.HybridConcurrent({ axis: 0 });
    net.add(new nn.Identity(), new nn.HybridLambda((F: gluon.F, v: gluon.Tensor) => F.mul(v, 2)));
    for (const hybridize of [false, true]) {
      if (hybridize) net.hybridize();
      const x = nd.array([1, 2, 3]);
      x.attachGrad();
      const y = autograd.record(() => nd.sum(nd.mul(net.call(x) as nd.NDArray, nd.array([1, 1, 1, 10, 10, 10]))));
      y.backward();
      assert.deepEqual(x.grad!.toArray(), [21, 21, 21]);
    }
  });

  it('Concurrent runs plain blocks; MXNet 2 names and gluon.contrib.nn are the same classes', () => {
    class Twice extends gluon.Block {
      override forward(x: nd.NDArray) {
        return x.mul(2);
      }
    }
    const net = new nn.Concurrent(0);
    net.add(new Twice(), new nn.Identity());
    assert.deepEqual((net.call(nd.array([1, 2])) as nd.NDArray).toArray(), [2, 4, 1, 2]);
    assert.ok(new nn.HybridConcatenate() instanceof nn.HybridConcurrent);
    assert.ok(new nn.Concatenate() instanceof nn.Concurrent);
    assert.equal(gluon.contrib.nn.HybridConcurrent, nn.HybridConcurrent);
    assert.equal(gluon.contrib.nn.Identity, nn.Identity);
  });

  it('errors name the block and what was wrong', () => {
    assert.throws(() => new nn.HybridConcurrent({ axis: 1.5 }), /HybridConcurrent: axis must be an integer, got 1.5/);
    assert.throws(() => new nn.HybridConcurrent({ axes: 1 } as never), /HybridConcurrent.*axes/);
    assert.throws(() => new nn.HybridConcurrent(1).call(nd.ones([2, 2])), /HybridConcurrent .*has no children to concatenate/);
    const bad = new nn.HybridConcurrent(1);
    bad.add(new nn.Identity(), new nn.HybridLambda((F: gluon.F, v: gluon.Tensor) => F.sum(v)));
    assert.throws(() => bad.call(nd.ones([2, 2])), /concat/);
    assert.throws(() => bad.call(nd.ones([2, 2]), nd.ones([2, 2])), /takes one input/);
    assert.throws(() => new nn.HybridConcurrent(1).add(new (class extends gluon.Block {})() as never), /not a HybridBlock/);
  });
});
