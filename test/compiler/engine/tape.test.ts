/**
 * The tape's contract at its edges (issue 12 item 9): `backward` on an array
 * that was not recorded throws and says to wrap the forward pass in
 * `autograd.record` (as MXNet does) instead of silently leaving stale
 * gradients; reading `p.data()` inside a traced `hybridForward` says to use
 * the parameter argument; the one context is restored however a scope exits.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { getContext, withContext } from '../../../compiler/ops/context.js';

const notRecorded = /backward: this array was not recorded.*autograd\.record\(\(\) => \.\.\.\)/;

function net(hybrid: boolean) {
  random.seed(1);
  const n = new gluon.nn.HybridSequential();
  n.add(new gluon.nn.Dense(3, { inUnits: 4 }));
  n.initialize(new init.Xavier());
  if (hybrid) n.hybridize();
  return n;
}

describe('tape: backward needs a recorded head', () => {
  it('an eager loss computed outside record is refused, and the gradients are left alone', () => {
    for (const hybrid of [false, true]) {
      const n = net(hybrid);
      const loss = new gluon.loss.L2Loss();
      const x = nd.ones([2, 4]);
      const l = loss.call(n.call(x), nd.zeros([2, 3])) as nd.NDArray;
      assert.throws(() => l.backward(), notRecorded, `hybrid: ${hybrid}`);
      for (const p of n.collectParams().values()) assert.ok((p.grad().data() as Float32Array).every((v) => v === 0));
    }
  });

  it('an array with nothing to differentiate is refused even inside record; a leaf with attachGrad is not', () => {
    const y = autograd.record(() => nd.array([1, 2]).mul(3).sum());
    assert.throws(() => y.backward(), notRecorded);
    const x = nd.array([1, 2]);
    x.attachGrad();
    x.backward();
    assert.deepEqual(x.grad.toArray(), [1, 1]);
  });

  it('a second backward on the loss of a pending fused step is refused (MXNet) and changes nothing; with retainGraph it rewrites the same', () => {
    const freed = /backward: the recorded graph of this array was already used by backward\(\) and freed; to differentiate it again, pass \{ retainGraph: true \}/;
    const grads = (second: 'none' | 'refused' | 'retained') => {
      const n = net(true);
      const loss = new gluon.loss.L2Loss();
      loss.hybridize();
      const l = autograd.record(() => loss.call(n.call(nd.ones([2, 4])), nd.zeros([2, 3]))) as nd.NDArray;
      l.backward(undefined, { retainGraph: second === 'retained' });
      if (second === 'refused') assert.throws(() => l.backward(), freed);
      if (second === 'retained') l.backward();
      return [...n.collectParams().values()].map((p) => p.grad().toArray());
    };
    const once = grads('none');
    assert.deepEqual(grads('refused'), once);
    assert.deepEqual(grads('retained'), once);
  });

  it("an array whose graph backward freed is a constant in a later recording (MXNet's cleared history: d2l's carried RNN state)", () => {
    // MXNet's Imperative::Backward without retain_graph clears every node's AGInfo and inputs, so an
    // output of that graph used in a new autograd.record is a fresh constant: d/dx sum(0.5 h x) = 0.5 h.
    const x = nd.array([1, 2, 3]);
    x.attachGrad();
    let h = autograd.record(() => x.mul(x)) as nd.NDArray;
    autograd.record(() => h.sum()).backward();
    // Repeated, so the recorded structure also runs as one compiled gradient graph (tape-graph.ts).
    for (let step = 0; step < 4; step++) {
      const before = h.toArray() as number[];
      let l!: nd.NDArray;
      autograd.record(() => {
        h = h.mul(x).mul(0.5);
        l = h.sum();
      });
      l.backward();
      // d/dx sum(0.5 h x) with the h of the last step a constant (through it: 0.5 h' x + ...).
      assert.deepEqual(x.grad.toArray(), before.map((v) => v * 0.5), `step ${step}: the carried array is a constant`);
      assert.throws(() => l.backward(), /already used by backward\(\) and freed/);
    }
  });

  it('the same forward inside record backpropagates (d/dx sum(3x) = 3)', () => {
    const x = nd.array([1, 2]);
    x.attachGrad();
    autograd.record(() => x.mul(3).sum()).backward();
    assert.deepEqual(x.grad.toArray(), [3, 3]);
  });
});

describe('tape: parameters inside hybridForward', () => {
  class ReadsData extends gluon.HybridBlock {
    weight = new gluon.Parameter('weight', { shape: [2] });
    override hybridForward(F: gluon.F, x: gluon.Tensor): gluon.Tensor {
      return F.broadcastMul(x, this.weight.data() as unknown as gluon.Tensor);
    }
  }

  it('reading p.data() while traced says to use the parameter argument; eagerly it works', () => {
    const b = new ReadsData();
    b.initialize(new init.Constant(2));
    assert.deepEqual((b.call(nd.array([1, 3])) as nd.NDArray).toArray(), [2, 6]);
    b.hybridize();
    assert.throws(
      () => b.call(nd.array([1, 3])),
      /Parameter 'weight': data\(\) was read inside ReadsData\.hybridForward while it is traced \(hybridized\); use the parameter argument instead/,
    );
    // Outside the trace the value is readable again.
    assert.deepEqual(b.weight.data().toArray(), [2, 2]);
  });
});

describe('the one context', () => {
  it('withContext restores the fields it set, even on a throw, and keeps updates to others', () => {
    const before = getContext();
    assert.throws(() => withContext({ training: true, scopes: ['a'] }, () => {
      assert.equal(getContext().training, true);
      throw new Error('boom');
    }), /boom/);
    assert.equal(getContext().training, before.training);
    assert.deepEqual(getContext().scopes, before.scopes);
    assert.equal(autograd.isRecording(), false);
    autograd.record(() => {
      assert.equal(autograd.isRecording(), true);
      assert.equal(autograd.isTraining(), true);
      autograd.pause(() => assert.equal(autograd.isRecording(), false));
      assert.equal(autograd.isRecording(), true);
    });
    assert.equal(autograd.isRecording(), false);
    assert.equal(autograd.isTraining(), false);
  });
});
