/**
 * Deferred eager operators (compiler/engine/lazy-op.ts): under
 * `autograd.record` an operator on the tape waits until its value is read,
 * or until a compiled backward computes it inside its graph. Values read at
 * any point are the operator's (float64 numpy references); operators that
 * draw random numbers or update state run at once; a long chain is forced
 * without recursion; the compiled step fills the forward arrays it computed.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, profiler, random } from 'gluonc';
import { setEagerCompileAfter } from '../../../compiler/engine/eager-compile.js';
import { flushPendingOps, MAX_PENDING_OPS, pendingOpCount } from '../../../compiler/engine/lazy-op.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const vals = (x: nd.NDArray): number[] => Array.from(x.data() as ArrayLike<number>, Number);
const np = (a: nd.NDArray) => ({ shape: a.shape, dtype: a.dtype, data: vals(a) });

describe('lazy-op: deferred eager operators under record', () => {
  it('recorded operators wait; reading a value runs what it needs, and the values are the operators\'', () => {
    const x = nd.array([[0.5, -1, 2], [3, 0, -0.25]]);
    x.attachGrad();
    const w = nd.array([[1, 2], [-1, 0.5], [0.25, -2]]);
    const before = profiler.counters().eagerOps;
    let h!: nd.NDArray;
    let y!: nd.NDArray;
    autograd.record(() => {
      h = nd.dot(x, w).relu();
      y = h.mul(h).sum();
    });
    assert.equal(profiler.counters().eagerOps - before, 0, 'nothing ran while recording');
    assert.equal(h._pending, true);
    assert.deepEqual(h.shape, [2, 2], 'shape and dtype are known while pending');
    const [ref] = numpyRefs([{ code: 'h = np.maximum(a @ b, 0); out = [h, (h * h).sum(), 2 * h * (a @ b > 0) @ b.T]', inputs: [np(x), np(w)] }]);
    assertClose(vals(h), ref!.outs[0]!.data, 'h read in the middle');
    assertClose([y.item()], ref!.outs[1]!.data, 'y');
    y.backward();
    assertClose(vals(x.grad), ref!.outs[2]!.data, 'dy/dx');
  });

  it('operators outside record, on arrays without gradients, random ones and state updates run at once', () => {
    const x = nd.array([1, 2, 3]);
    assert.equal(x.mul(2)._pending, false, 'not recording');
    assert.equal(autograd.record(() => x.mul(2))._pending, false, 'no input needs a gradient');
    x.attachGrad();
    assert.equal(autograd.record(() => nd.Dropout(x, { p: 0.5 }))._pending, false, 'random');
    const bn = new gluon.nn.BatchNorm({ inChannels: 3 });
    bn.initialize();
    const before = vals(bn.runningMean.data());
    autograd.record(() => bn.call(nd.array([[1, 2, 3], [3, 6, 9]])));
    assert.notDeepEqual(vals(bn.runningMean.data()), before, 'the moving statistics were updated during the call');
    const old = setEagerCompileAfter(Infinity);
    try {
      assert.equal(autograd.record(() => x.mul(2))._pending, false, 'eager compilation off');
    } finally {
      setEagerCompileAfter(old);
    }
  });

  it('in-place writes (a gradient buffer, zeroGrad) run what is pending first, so it reads the old values', () => {
    const x = nd.array([1, 2, 3]);
    x.attachGrad();
    autograd.record(() => x.mul(x).sum()).backward(); // x.grad = 2x
    const y = autograd.record(() => x.mul(x.grad)); // pending, reads the buffer
    assert.equal(y._pending, true);
    autograd.record(() => x.mul(5).sum()).backward(); // writes 5 into the buffer
    assert.deepEqual(vals(y), [2, 8, 18], 'x · 2x, not x · 5');
    const p = new gluon.Parameter('w', { shape: [2] });
    p.initialize();
    p.setGrad(nd.array([3, 4]));
    const z = autograd.record(() => p.data().mul(p.grad()));
    const w0 = vals(p.data());
    p.zeroGrad();
    assertClose(vals(z), [w0[0]! * 3, w0[1]! * 4], 'read the gradient before zeroGrad', 1e-6, 0);
  });

  it('a chain of 20,000 pending operators is forced without recursion', () => {
    const x = nd.array([1]);
    x.attachGrad();
    const y = autograd.record(() => {
      let v = x;
      for (let i = 0; i < 20000; i++) v = v.add(1e-3);
      return v;
    });
    assert.equal(y._pending, true);
    assertClose(vals(y), [21], 'value', 1e-4, 0);
  });

  it('a compiled training step computes the forward in its graph and fills the loss with the float64 values', () => {
    random.seed(9);
    const net = new gluon.nn.Sequential();
    net.add(new gluon.nn.Dense(8, { activation: 'relu' }), new gluon.nn.Dense(4));
    net.initialize();
    const x = nd.random.uniform(-1, 1, [5, 6]);
    const y = nd.array([0, 1, 2, 3, 1]);
    net.call(x);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
    const ps = [...net.collectParams().values()];
    let l!: nd.NDArray;
    for (let step = 0; step < 3; step++) {
      const weights = ps.map((p) => np(p.data()));
      const runs = profiler.counters().sessionRuns;
      l = autograd.record(() => loss.call(net.call(x), y));
      l.backward();
      trainer.step(5);
      if (step === 2) assert.equal(profiler.counters().sessionRuns - runs, 1, 'one session run for the whole step');
      if (step > 0) assert.equal(l._pending, false, 'the compiled step filled the loss');
      const [ref] = numpyRefs([{
        code: 'z = np.maximum(a @ c.T + d, 0) @ e.T + f; z = z - z.max(1, keepdims=True); out = np.log(np.exp(z).sum(1)) - z[np.arange(5), b.astype(int)]',
        inputs: [np(x), np(y), ...weights],
      }]);
      assertClose(vals(l), ref!.outs[0]!.data, `loss at step ${step}`, 1e-5, 1e-6);
    }
  });

  it('holds no operator once a compiled step filled it, so a synchronous loop keeps no step\'s arrays (no WeakRef kept for the job)', () => {
    random.seed(3);
    const net = new gluon.nn.Sequential();
    net.add(new gluon.nn.Dense(8, { activation: 'relu' }), new gluon.nn.Dense(4));
    net.initialize();
    const x = nd.random.uniform(-1, 1, [5, 6]);
    const y = nd.array([0, 1, 2, 3, 1]);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    flushPendingOps();
    // One synchronous loop (one job): the recorded operators of each step are held only until its compiled run fills them.
    for (let step = 0; step < 5; step++) {
      const l = autograd.record(() => loss.call(net.call(x), y));
      assert.ok(pendingOpCount() > 0, 'the forward waits');
      l.backward();
      trainer.step(5);
      if (step > 0) assert.equal(pendingOpCount(), 0, `step ${step}: every deferred operator was filled and forgotten`);
    }
    // The compiled backward alone (gradients read, no update, nothing written in place): it fills the forward and forgets it too.
    const ps = [...net.collectParams().values()];
    for (let step = 0; step < 4; step++) {
      autograd.record(() => loss.call(net.call(x), y)).backward();
      ps.forEach((p) => p.grad().data());
      if (step > 1) assert.equal(pendingOpCount(), 0, `backward ${step}: the compiled backward's forward operators were forgotten`);
    }
  });

  it('pending operators nobody reads run at the next flush, and never more than MAX_PENDING_OPS are held', () => {
    flushPendingOps();
    const x = nd.array([1, 2]);
    x.attachGrad();
    const kept = autograd.record(() => x.mul(3));
    assert.equal(pendingOpCount(), 1);
    for (let i = 0; i < MAX_PENDING_OPS + 10; i++) autograd.record(() => x.add(i)); // never read: garbage, held until run
    assert.ok(pendingOpCount() <= MAX_PENDING_OPS, `held ${pendingOpCount()}`);
    assert.equal(kept._pending, false, 'the oldest ran when the bound was reached');
    assert.deepEqual(vals(kept), [3, 6]);
    flushPendingOps();
    assert.equal(pendingOpCount(), 0);
  });

  it('keeps its count right when a flush runs operators that read other pending ones, and after operators run out of order', () => {
    flushPendingOps();
    const x = nd.array([1, 2]);
    x.attachGrad();
    let a!: nd.NDArray, b!: nd.NDArray, c!: nd.NDArray, d!: nd.NDArray;
    autograd.record(() => {
      a = x.mul(2);
      b = a.add(1);
      c = b.mul(b);
      d = x.sub(1);
    });
    assert.equal(pendingOpCount(), 4);
    assert.deepEqual(vals(b), [3, 5], 'reading b runs a and b');
    assert.equal(pendingOpCount(), 2, 'c and d still pending');
    const e = autograd.record(() => c.add(d));
    assert.equal(pendingOpCount(), 3);
    flushPendingOps(); // runs c, d, then e (which reads both)
    assert.equal(pendingOpCount(), 0);
    assert.deepEqual(vals(e), [9, 26]);
    const f = autograd.record(() => x.mul(3));
    assert.equal(pendingOpCount(), 1, 'one new pending operator after the flush');
    assert.deepEqual(vals(f), [3, 6]);
    assert.equal(pendingOpCount(), 0);
  });
});

