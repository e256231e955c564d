import assert from 'node:assert/strict';
import { autograd, nd } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';

const arr = (x: nd.NDArray) => Array.from(x.data() as Float32Array);

describe('autograd (eager tape)', () => {
  it('record + backward fills attached gradients (d/dx of sum(x*x + 3x) = 2x + 3)', () => {
    const x = nd.array([1, -2, 0.5]);
    x.attachGrad();
    const y = autograd.record(() => x.mul(x).add(x.mul(3)).sum());
    y.backward();
    assert.deepEqual(arr(x.grad), [5, -1, 4]);
  });

  it('broadcast inputs get gradients reduced to their shapes', () => {
    const a = nd.array([[1, 2, 3], [4, 5, 6]]);
    const b = nd.array([10, 20, 30]);
    a.attachGrad();
    b.attachGrad();
    autograd.record(() => a.mul(b).sum()).backward();
    assert.deepEqual(a.grad.toArray(), [[10, 20, 30], [10, 20, 30]]);
    assert.deepEqual(b.grad.toArray(), [5, 7, 9]);
  });

  it('a head gradient weights the outputs', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    const y = autograd.record(() => x.mul(x));
    y.backward(nd.array([1, 10]));
    assert.deepEqual(arr(x.grad), [2, 40]);
  });

  it("gradReq 'add' accumulates across backward calls, 'write' overwrites", () => {
    const x = nd.array([1, 2]);
    x.attachGrad('add');
    for (let i = 0; i < 3; i++) autograd.record(() => x.mul(2).sum()).backward();
    assert.deepEqual(arr(x.grad), [6, 6]);
    const w = nd.array([1, 2]);
    w.attachGrad();
    for (let i = 0; i < 3; i++) autograd.record(() => w.mul(2).sum()).backward();
    assert.deepEqual(arr(w.grad), [2, 2]);
  });

  it('pause and detach stop gradients', () => {
    const x = nd.array([3]);
    x.attachGrad();
    const y = autograd.record(() => {
      const c = autograd.pause(() => x.mul(x));
      return x.mul(c).add(x.mul(x.detach())).sum();
    });
    y.backward();
    assert.deepEqual(arr(x.grad), [12]); // c + detach(x) = 9 + 3
  });

  it('isRecording and isTraining follow record, pause and trainMode', () => {
    assert.equal(autograd.isRecording(), false);
    autograd.record(() => {
      assert.equal(autograd.isRecording(), true);
      assert.equal(autograd.isTraining(), true);
      autograd.pause(() => assert.equal(autograd.isRecording(), false));
    });
    autograd.record(() => assert.equal(autograd.isTraining(), false), { trainMode: false });
  });

  it('autograd.grad returns gradients without storing them, and second order with createGraph', () => {
    const x = nd.array([0.5, -1.5, 2]);
    x.attachGrad();
    const [dx] = autograd.record(() => {
      const y = x.mul(x).mul(x).sum(); // y = Σ x³
      return autograd.grad(y, [x], { createGraph: true });
    });
    assertClose(arr(dx!), [0.75, 6.75, 12], 'first derivative 3x²');
    autograd.record(() => dx!.sum()).backward();
    assertClose(arr(x.grad), [3, -9, 12], 'second derivative 6x');
  });

  it('piecewise-constant operators (argmax) give zero gradients, not an error', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    // float indices from argmax are piecewise constant: zero gradient, not an error
    autograd.record(() => nd.argmax(x.mul(1), { axis: 0 }).sum()).backward();
    assert.deepEqual(arr(x.grad), [0, 0]);
  });

  // MXNet's Imperative::Backward clears the graph unless retain_graph=True ("If you want to
  // differentiate the same graph twice, you need to pass retain_graph=True to backward"); PyTorch refuses too.
  const freed = /backward: the recorded graph of this array was already used by backward\(\) and freed; to differentiate it again, pass \{ retainGraph: true \} to the first backward/;

  it('backward twice without retainGraph is refused (MXNet, PyTorch), with retainGraph it runs again', () => {
    for (const req of ['write', 'add'] as const) {
      const x = nd.array([1, 2]);
      x.attachGrad(req);
      const y = autograd.record(() => x.mul(x).sum());
      y.backward();
      assert.throws(() => y.backward(), freed, req);
      assert.deepEqual(arr(x.grad), [2, 4], `${req}: the refused backward left the gradient alone`);
      const z = autograd.record(() => x.mul(x).sum());
      z.backward(undefined, { retainGraph: true });
      z.backward(undefined, { retainGraph: true });
      z.backward();
      assert.deepEqual(arr(x.grad), req === 'add' ? [8, 16] : [2, 4], req);
      assert.throws(() => z.backward(), freed, req);
    }
  });

  it('a second backward through a freed part of the graph is refused, from a new head too', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    const h = autograd.record(() => x.mul(3));
    autograd.record(() => h.sum()).backward();
    assert.deepEqual(arr(x.grad), [3, 3]);
    const l2 = autograd.record(() => h.mul(h).sum());
    assert.throws(() => l2.backward(), freed);
  });

  it('the same structure repeated (the compiled tape graph) frees its graph too', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    for (let i = 0; i < 4; i++) {
      const y = autograd.record(() => x.mul(x).exp().sum());
      y.backward();
      assertClose(arr(x.grad), [2 * Math.exp(1), 4 * Math.exp(4)], `step ${i}`);
      assert.throws(() => y.backward(), freed, `step ${i}`);
    }
  });

  it('autograd.grad frees the graph unless retainGraph (default: createGraph), as MXNet', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    const y = autograd.record(() => x.mul(x).sum());
    const [g1] = autograd.grad(y, [x], { retainGraph: true });
    const [g2] = autograd.grad(y, [x]);
    assert.deepEqual(arr(g1!), [2, 4]);
    assert.deepEqual(arr(g2!), [2, 4]);
    assert.throws(() => autograd.grad(y, [x]), freed);
    assert.throws(() => y.backward(), freed);
  });

  it('a head gradient of another dtype is refused naming both', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    const y = autograd.record(() => x.mul(x));
    assert.throws(() => y.backward(nd.array([1, 1], { dtype: 'float64' })), /backward: head gradient of dtype float64 for a head of dtype float32/);
    assert.throws(() => autograd.grad(y, [x], { headGrads: [nd.array([1, 1], { dtype: 'float64' })] }), /backward: head gradient of dtype float64 for a head of dtype float32/);
  });

  it('attachGrad refuses an unknown gradReq and a non-float array (no gradient would ever arrive)', () => {
    assert.throws(() => nd.array([1, 2]).attachGrad('wirte' as 'write'), /attachGrad: gradReq must be 'write', 'add' or 'null', got "wirte"/);
    assert.throws(() => nd.array([1, 2], { dtype: 'int32' }).attachGrad(), /attachGrad: dtype int32 has no gradient \(only float16, float32 and float64 arrays do\); cast with x\.astype\('float32'\)/);
    nd.array([1, 2], { dtype: 'int32' }).attachGrad('null');
  });

  it("gradReq 'add' accumulates float16 gradients as numbers (it added their raw bits), eagerly and on the compiled tape", () => {
    for (const dtype of ['float16', 'float64'] as const) {
      const x = nd.array([1, 2], { dtype });
      x.attachGrad('add');
      for (let i = 0; i < 3; i++) autograd.record(() => x.mul(x).sum()).backward();
      assert.equal(x.grad.dtype, dtype);
      assert.deepEqual(x.grad.toArray(), [6, 12], dtype);
    }
  });

  it('copy() and astype() to the same dtype pass gradients on (MXNet records _copy; they cut the graph silently)', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    autograd.record(() => x.copy().mul(x).sum()).backward();
    assert.deepEqual(arr(x.grad), [2, 4], 'd/dx sum(copy(x) * x) = 2x');
    autograd.record(() => x.astype('float32').mul(3).sum()).backward();
    assert.deepEqual(arr(x.grad), [3, 3], 'd/dx sum(3 astype(x))');
    autograd.record(() => x.astype('float64').mul(x.astype('float64')).sum()).backward();
    assert.deepEqual(arr(x.grad), [2, 4], 'through float64 and back');
    // Outside record a copy is a plain copy, and it never shares the data.
    const c = x.copy();
    assert.notEqual(c.data().buffer, x.data().buffer);
    assert.throws(() => autograd.record(() => nd.array([1]).copy().sum()).backward(), /backward: this array was not recorded/);
  });

  it("autograd.backward (MXNet's mx.autograd.backward) differentiates several heads at once, through a shared graph, and frees it", () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    const [l1, l2] = autograd.record(() => {
      const h = x.mul(2);
      return [h.mul(h).sum(), h.mul(3)];
    });
    autograd.backward([l1!, l2!], [undefined, nd.array([1, 2])]);
    // d/dx [sum((2x)^2) + 1·3(2x)_0 + 2·3(2x)_1] = 8x + [6, 12]
    assert.deepEqual(arr(x.grad), [14, 28]);
    assert.throws(() => autograd.backward([l1!]), freed);
    const [m1, m2] = autograd.record(() => [x.mul(x).sum(), x.sum()]);
    autograd.backward([m1!, m2!], undefined, { retainGraph: true });
    autograd.backward([m1!, m2!]);
    assert.deepEqual(arr(x.grad), [3, 5]);
    assert.throws(() => autograd.backward([nd.array([1])]), /backward: this array was not recorded/);
    assert.throws(() => autograd.backward([m1!], [nd.array([1, 2])]), /backward: head gradient of shape \[2\] for a head of shape \[\]/);
  });
});

