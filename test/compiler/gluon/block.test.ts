import assert from 'node:assert/strict';
import { nd, gluon, init, random, autograd, profiler } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';

const vals = (x: { data(): ArrayLike<number> | BigInt64Array | BigUint64Array }): number[] => Array.from(x.data() as ArrayLike<number>, Number);

class NormalizationHybridLayer extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    return F.broadcastDiv(F.broadcastSub(x, F.min(x)), F.broadcastSub(F.max(x), F.min(x)));
  }
}

/** A block with a nested child and its own parameter, to check structural names. */
class Net extends gluon.HybridBlock {
  body = new gluon.nn.HybridSequential();
  scale: gluon.Parameter;
  constructor() {
    super();
    this.body.add(new gluon.nn.Dense(4, { activation: 'relu' }), new NormalizationHybridLayer(), new gluon.nn.Dense(2));
    this.scale = this.params.get('scale', { shape: [1], init: new init.One() });
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, p: { scale: gluon.Tensor }) {
    return F.broadcastMul(this.body.call(x), p.scale);
  }
}

describe('Block and HybridBlock behaviour', () => {
  beforeEach(() => {
    random.seed(3);
    profiler.reset();
  });

  it('collectParams: structural names, regular-expression select', () => {
    const net = new Net();
    assert.deepEqual(net.collectParams().keys(), ['scale', 'body.0.weight', 'body.0.bias', 'body.2.weight', 'body.2.bias']);
    assert.deepEqual(net.collectParams('.*weight').keys(), ['body.0.weight', 'body.2.weight']);
    assert.deepEqual(net.collectParams('body\\.0\\..*|scale').keys(), ['scale', 'body.0.weight', 'body.0.bias']);
    assert.deepEqual(net.collectParams(/bias$/).keys(), ['body.0.bias', 'body.2.bias']);
    // MXNet's collect_params keeps the names `re.compile(select).match(name)` accepts: anchored at the start only.
    assert.deepEqual(net.collectParams('weight').keys(), [], 'a string select must match from the start of the name');
    assert.deepEqual(net.collectParams('body\\.0').keys(), ['body.0.weight', 'body.0.bias'], 'a prefix selects a child');
    assert.deepEqual(net.collectParams('body').keys(), ['body.0.weight', 'body.0.bias', 'body.2.weight', 'body.2.bias']);
    assert.deepEqual(net.collectParams('.*weight|sc').keys(), ['scale', 'body.0.weight', 'body.2.weight']);
  });

  it('initialize keeps initialized parameters unless forceReinit, and warns as MXNet does', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.message);
    process.on('warning', onWarning);
    const net = new gluon.nn.Dense(3, { inUnits: 2 });
    net.initialize(new init.Constant(1));
    assert.deepEqual(vals(net.weight.data()), [1, 1, 1, 1, 1, 1]);
    net.initialize(new init.Constant(2));
    assert.deepEqual(vals(net.weight.data()), [1, 1, 1, 1, 1, 1]);
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    assert.equal(warnings.length, 1, 'one warning per initialize() call');
    assert.match(warnings[0]!, /2 parameters are already initialized \('weight', 'bias'\), ignoring; pass \{ forceReinit: true \} to re-initialize/);
    net.initialize(new init.Constant(2), { forceReinit: true });
    assert.deepEqual(vals(net.weight.data()), [2, 2, 2, 2, 2, 2]);
    assert.deepEqual(vals(net.bias!.data()), [0, 0, 0], "the bias keeps its own initializer (Zero)");
  });

  it('apply visits every block, children first', () => {
    const net = new Net();
    const seen: string[] = [];
    net.apply((b) => void seen.push(b.constructor.name));
    assert.deepEqual(seen, ['Dense', 'NormalizationHybridLayer', 'Dense', 'HybridSequential', 'Net']);
  });

  it('forward pre-hooks and hooks see inputs and outputs; detach removes them', () => {
    const d = new gluon.nn.Dense(2, { inUnits: 3 });
    d.initialize();
    const log: string[] = [];
    const pre = d.registerForwardPreHook((b, ins) => void log.push(`pre ${b.constructor.name} ${(ins[0] as nd.NDArray).shape}`));
    const post = d.registerForwardHook((_b, ins, out) => void log.push(`post ${(ins[0] as nd.NDArray).shape} -> ${(out as nd.NDArray).shape}`));
    d.call(nd.ones([4, 3]));
    assert.deepEqual(log, ['pre Dense 4,3', 'post 4,3 -> 4,2']);
    pre.detach();
    d.call(nd.ones([1, 3]));
    assert.deepEqual(log.slice(2), ['post 1,3 -> 1,2']);
    post.detach();
    d.call(nd.ones([1, 3]));
    assert.equal(log.length, 3);
  });

  it('shareParameters: two Dense blocks share one weight array', () => {
    const a = new gluon.nn.Dense(3, { inUnits: 3 });
    const b = new gluon.nn.Dense(3, { inUnits: 3 });
    b.shareParameters(a.collectParams());
    assert.equal(b.weight, a.weight);
    const net = new gluon.nn.HybridSequential();
    net.add(a, b);
    assert.deepEqual(net.collectParams().keys(), ['0.weight', '0.bias'], 'a shared parameter is collected once');
    net.initialize();
    a.weight.setData(nd.array([[1, 0, 0], [0, 2, 0], [0, 0, 3]]));
    const x = nd.array([[1, 1, 1]]);
    assert.deepEqual(net.call(x).toArray(), [[1, 4, 9]]);
    net.hybridize();
    assert.deepEqual(net.call(x).toArray(), [[1, 4, 9]]);
    a.weight.setData(nd.array([[2, 0, 0], [0, 2, 0], [0, 0, 2]]));
    assert.deepEqual(net.call(x).toArray(), [[4, 4, 4]], 'compiled runs read the current shared array');
  });

  it('Parameter.cast: the cast array still records gradients for the parameter', () => {
    const d = new gluon.nn.Dense(2, { inUnits: 3 });
    d.initialize(new init.Constant(0.5));
    for (const p of d.collectParams().values()) p.cast('float64');
    const x = nd.array([[1, 2, 3]]).astype('float64');
    const y = autograd.record(() => d.call(x) as nd.NDArray);
    assert.equal(y.dtype, 'float64');
    y.backward();
    // dL/dW[j, i] = x[i] for each output j; dL/db = 1.
    assert.deepEqual(vals(d.weight.grad()), [1, 2, 3, 1, 2, 3]);
    assert.deepEqual(vals(d.bias!.grad()), [1, 1]);
    assert.equal(d.weight.grad().dtype, 'float64');
  });

  it('Block.cast (MXNet\'s net.cast): a float64 network trains eagerly and hybridized to the same float64 numbers as a hand-written reference', () => {
    // One Dense(1) with weight w [1, 2] and bias b on x [2, 2]; L2Loss 0.5 (y - t)^2; SGD lr 0.1, batch 2.
    const xs = [[0.1, 0.2], [1, -1]];
    const ts = [1, 0];
    let w = [0.25, -0.5];
    let b = 0.125;
    const ref: number[] = [];
    for (let step = 0; step < 3; step++) {
      const ys = xs.map((r) => r[0]! * w[0]! + r[1]! * w[1]! + b);
      ref.push(ys.reduce((a, y, i) => a + 0.5 * (y - ts[i]!) ** 2, 0) / 2);
      const e = ys.map((y, i) => y - ts[i]!);
      w = w.map((wk, k) => wk - (0.1 / 2) * e.reduce((a, ei, i) => a + ei * xs[i]![k]!, 0));
      b -= (0.1 / 2) * e.reduce((a, ei) => a + ei, 0);
    }
    for (const hybrid of [false, true]) {
      const net = new gluon.nn.HybridSequential();
      net.add(new gluon.nn.Dense(1, { inUnits: 2 }));
      net.initialize();
      assert.equal(net.cast('float64'), net);
      const [pw, pb] = [...net.collectParams().values()];
      pw!.setData(nd.array([[0.25, -0.5]], { dtype: 'float64' }));
      pb!.setData(nd.array([0.125], { dtype: 'float64' }));
      if (hybrid) net.hybridize();
      const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
      const loss = new gluon.loss.L2Loss();
      const x = nd.array(xs, { dtype: 'float64' });
      const t = nd.array(ts, { dtype: 'float64' }).reshape([2, 1]);
      const got: number[] = [];
      for (let step = 0; step < 3; step++) {
        const l = autograd.record(() => loss.call(net.call(x), t)) as nd.NDArray;
        l.backward();
        trainer.step(2);
        assert.equal(l.dtype, 'float64');
        got.push(l.mean().item());
      }
      assertClose(got, ref, `hybrid ${hybrid}: float64 losses`, 1e-12, 1e-15);
      assertClose(vals(pw!.data()), w, `hybrid ${hybrid}: float64 weight`, 1e-12, 1e-15);
      assert.equal(pw!.data().dtype, 'float64');
    }
  });

  it('calling before initialize is an Error naming the parameter and the block', () => {
    const d = new gluon.nn.Dense(3, { inUnits: 2 });
    assert.throws(() => d.call(nd.ones([1, 2])), /Parameter 'weight' of block Dense has not been initialized/);
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.Dense(5), new gluon.nn.Dense(1));
    assert.throws(() => net.call(nd.ones([1, 2])), /Parameter '0\.weight' of block HybridSequential has not been initialized/);
    net.hybridize();
    assert.throws(() => net.call(nd.ones([1, 2])), /Parameter '0\.weight' of block HybridSequential has not been initialized/);
  });

  it('a layer given the wrong input rank or size is an Error naming the block and the shapes', () => {
    const conv = new gluon.nn.Conv2D(4, 3, { inChannels: 3 });
    conv.initialize();
    assert.throws(() => conv.call(nd.ones([1, 3, 8])), /Conv2D.*rank 4.*\[1, 3, 8\]/);
    conv.hybridize();
    assert.throws(() => conv.call(nd.ones([1, 3, 8])), /Conv2D.*rank 4.*\[1, 3, 8\]/);
    const d = new gluon.nn.Dense(3, { inUnits: 4 });
    d.initialize();
    assert.throws(() => d.call(nd.ones([2, 5])), /FullyConnected.*\[3, 4\].*\[2, 5\].*block 'Dense'/);
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.Dense(5, { inUnits: 2 }), new gluon.nn.Dense(1, { inUnits: 4 }));
    net.initialize();
    net.hybridize();
    assert.throws(() => net.call(nd.ones([2, 2])), /FullyConnected.*\[1, 4\].*\[2, 5\].*in block 'HybridSequential\/1'/);
    // A first call under record (deferred into the fused step, the children run only when traced) names the child alike.
    const fresh = new gluon.nn.HybridSequential();
    fresh.add(new gluon.nn.Dense(5, { inUnits: 2 }), new gluon.nn.Dense(1, { inUnits: 4 }));
    fresh.initialize();
    fresh.hybridize();
    assert.throws(() => autograd.record(() => fresh.call(nd.ones([2, 2]))), /FullyConnected.*\[1, 4\].*\[2, 5\].*in block 'HybridSequential\/1'/);
  });

  it('hybridized: one compile per signature, reused afterwards', () => {
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.Dense(5), new NormalizationHybridLayer(), new gluon.nn.Dense(1));
    net.initialize();
    net.hybridize();
    const x = nd.random.uniform(-1, 1, [5, 2]);
    profiler.reset();
    const y1 = net.call(x);
    let c = profiler.counters();
    assert.equal(c.compiles, 1);
    assert.equal(c.sessionRuns, 1);
    assert.equal(c.cacheHits, 0);
    const y2 = net.call(x);
    net.call(nd.random.uniform(-1, 1, [5, 2]));
    c = profiler.counters();
    assert.equal(c.compiles, 1);
    assert.equal(c.sessionRuns, 3);
    assert.equal(c.cacheHits, 2);
    assert.deepEqual(vals(y2), vals(y1));
    net.call(nd.ones([3, 2]));
    c = profiler.counters();
    assert.equal(c.compiles, 2);
    assert.equal(net.cacheSize, 2);
    // Eager and compiled agree.
    net.hybridize(false);
    assert.equal(net.cacheSize, 0);
    assertClose(vals(net.call(x)), vals(y1), 'eager vs compiled', 1e-5, 1e-6);
  });

  it('evicts beyond maxSignatures', () => {
    const net = new gluon.nn.Dense(2, { inUnits: 3 });
    net.initialize();
    net.hybridize(true, { maxSignatures: 2 });
    for (const n of [1, 2, 3]) net.call(nd.ones([n, 3]));
    assert.equal(net.cacheSize, 2);
    profiler.reset();
    net.call(nd.ones([3, 3]));
    assert.deepEqual([profiler.counters().compiles, profiler.counters().cacheHits], [0, 1], 'a recent signature is reused');
    net.call(nd.ones([1, 3]));
    assert.equal(profiler.counters().compiles, 1, 'the evicted signature compiles again');
    assert.equal(net.cacheSize, 2);
    assert.throws(() => net.hybridize(true, { maxSignatures: 0 }), /maxSignatures must be at least 1/);
    assert.throws(() => net.hybridize('yes' as never), /Dense\.hybridize: active must be true or false, got "yes"/);
    // An unknown option is named (it was ignored: { optLevel: 7 } did nothing); MXNet's cached-op flags are accepted.
    assert.throws(() => net.hybridize(true, { optLevel: 7 } as never), /Dense\.hybridize: unknown option 'optLevel' \(valid: maxSignatures, /);
    assert.throws(() => new gluon.nn.Sequential().hybridize(true, { static_alloc: true } as never), /Sequential\.hybridize: unknown option 'static_alloc'.*staticAlloc/);
    const seq = new gluon.nn.Sequential();
    assert.throws(() => seq.hybridize(1 as never), /Sequential\.hybridize: active must be true or false, got 1/);
    assert.equal(net.hybridized, true, 'a refused call changes nothing');
    assert.equal(net.hybridize(true, { staticAlloc: true, staticShape: true }).hybridized, true);
  });

  it('training mode is part of the cache key', () => {
    class Drop extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        return F.Dropout(x, { p: 0.5 });
      }
    }
    const b = new Drop();
    b.hybridize();
    const x = nd.ones([4, 8]);
    assert.deepEqual(vals(b.call(x)), vals(x), 'prediction mode: identity');
    const t = autograd.trainMode(() => b.call(x));
    assert.equal(b.cacheSize, 2);
    assert.equal(profiler.counters().compiles, 2);
    const tv = vals(t);
    assert.ok(tv.every((v) => v === 0 || v === 2), 'training mode: dropped or scaled by 2');
    assert.ok(tv.some((v) => v === 0) && tv.some((v) => v === 2));
    b.call(x);
    autograd.trainMode(() => b.call(x));
    assert.equal(profiler.counters().compiles, 2);
    assert.equal(profiler.counters().cacheHits, 2);
  });

  it('data-dependent control flow works eagerly and is an Error explaining it when hybridized', () => {
    class Branchy extends gluon.HybridBlock {
      // Written against NDArray (it reads values), as eager code ported to a HybridBlock often is.
      override hybridForward(_F: gluon.F, x: nd.NDArray) {
        if (x.sum().item() > 0) return x.mul(2);
        return x;
      }
    }
    const b = new Branchy();
    assert.deepEqual(b.call(nd.array([1, 2])).toArray(), [2, 4]);
    assert.deepEqual(b.call(nd.array([-1, -2])).toArray(), [-1, -2]);
    b.hybridize();
    assert.throws(() => b.call(nd.array([1, 2])), /[Dd]ata-dependent control flow.*cannot be compiled/);
    // The error names the block whose forward read the values, inside a parent too.
    assert.throws(() => b.call(nd.array([1, 2])), /item: a symbol has no values while a hybridized block is traced \(in block 'Branchy'\)\./);
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.Dense(2, { inUnits: 2 }), new Branchy());
    net.initialize();
    net.hybridize();
    assert.throws(() => net.call(nd.ones([1, 2])), /\(in block 'HybridSequential\/1'\)/);
  });
});

describe('Parameter.setData with another parameter\'s data', () => {
  it('copies it, as MXNet\'s set_data does: gradients through the first parameter stay its own (eager tape)', () => {
    const a = new gluon.nn.Dense(2, { inUnits: 3, useBias: false });
    const b = new gluon.nn.Dense(2, { inUnits: 3, useBias: false });
    a.initialize(new init.Uniform(0.5));
    b.initialize();
    b.weight.setData(a.weight.data());
    assert.deepEqual(Array.from(b.weight.data().data() as Float32Array), Array.from(a.weight.data().data() as Float32Array));
    const xs = [[1, 2, 3], [-1, 0.5, 4]];
    autograd.record(() => nd.sum(a.call(nd.array(xs)) as nd.NDArray).backward());
    // d/dW Σ x Wᵀ = Σ_n x_n for every row of W.
    const col = [0, 1, 2].map((k) => xs[0]![k]! + xs[1]![k]!);
    assert.deepEqual(Array.from(a.weight.grad().data() as Float32Array), [...col, ...col]);
    assert.deepEqual(Array.from(b.weight.grad().data() as Float32Array), [0, 0, 0, 0, 0, 0]);
  });
});

describe('hybridized prediction bakes parameters', () => {
  it('a parameter change is seen by the next call, and frequent changes fall back to feeding parameters', () => {
    const deepEqual: typeof assert.deepEqual = assert.deepEqual;
    const equal: typeof assert.equal = assert.equal;
    const d = new gluon.nn.Dense(2, { inUnits: 2 });
    d.initialize();
    d.hybridize();
    const x = nd.array([[1, 2]]);
    const set = (w: number[][], b: number[]) => {
      d.weight.setData(nd.array(w));
      d.bias!.setData(nd.array(b));
    };
    set([[1, 0], [0, 1]], [0, 0]);
    deepEqual(d.call(x).toArray(), [[1, 2]]);
    deepEqual(d.call(x).toArray(), [[1, 2]]);
    set([[2, 0], [0, 2]], [1, 1]);
    deepEqual(d.call(x).toArray(), [[3, 5]]);
    profiler.reset();
    for (let i = 0; i < 6; i++) {
      set([[i, 0], [0, i]], [0, 0]);
      deepEqual(d.call(x).toArray(), [[i, 2 * i]]);
    }
    // After a few rebuilds the signature feeds parameters: no more sessions.
    const c = profiler.counters();
    equal(c.sessionRuns, 6);
    equal(c.sessionsCreated <= 3, true, `sessions created: ${c.sessionsCreated}`);
  });
});

describe('hybridForward\'s parameter object (MXNet 1.x passes parameters as keyword arguments named by attribute)', () => {
  /** MXNet 1.x: `self.w = self.params.get('weight', ...)`; hybrid_forward(self, F, x, w) gets it as `w`. */
  class Renamed extends gluon.HybridBlock {
    readonly w;
    constructor() {
      super();
      this.w = this.params.get('weight', { shape: [2, 3], init: new init.One() });
    }
    override hybridForward(F: gluon.F, x: gluon.Tensor, p: Record<string, gluon.Tensor>) {
      assert.equal(p.w, p.weight, 'the attribute name and the parameter name give the same array');
      return F.FullyConnected(x, p.w!, undefined, { numHidden: 2, noBias: true });
    }
  }
  for (const hybrid of [false, true]) {
    it(`gives each parameter under its name and under the attribute holding it (${hybrid ? 'hybridized' : 'eager'})`, () => {
      const b = new Renamed();
      b.initialize();
      if (hybrid) b.hybridize();
      assert.deepEqual((b.call(nd.array([[1, 2, 3]])) as nd.NDArray).toArray(), [[6, 6]]);
      assert.deepEqual(b.collectParams().keys(), ['weight'], 'the saved name is still the parameter\'s');
    });
  }
});
