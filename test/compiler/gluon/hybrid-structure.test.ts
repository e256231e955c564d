import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nd, gluon, init, random, autograd, profiler } from 'gluonc';
import { structureEpoch } from '../../../compiler/gluon/structure.js';

const vals = (x: { data(): ArrayLike<number> | BigInt64Array | BigUint64Array }): number[] => Array.from(x.data() as ArrayLike<number>, Number);

/** y = x·Wᵀ + b for plain number matrices (the independent reference of a Dense layer). */
function dense(x: number[][], w: number[][], b: number[]): number[][] {
  return x.map((row) => w.map((wr, j) => wr.reduce((s, v, k) => s + v * row[k]!, b[j]!)));
}

/** A layer with an optional trailing input, written with rest arguments (the parameters come last). */
class MaybeMasked extends gluon.HybridBlock {
  fc = new gluon.nn.Dense(2, { inUnits: 3 });
  override hybridForward(F: gluon.F, x: gluon.Tensor, ...rest: unknown[]) {
    rest.pop(); // own (empty) parameter object
    const [mask] = rest as [gluon.Tensor | undefined];
    const y = this.fc.call(x);
    return mask === undefined ? y : F.broadcastMul(y, mask);
  }
}

describe('HybridBlock calls: a trailing undefined input is omitted (MXNet\'s None)', () => {
  const x = [[1, 2, 3], [-1, 0.5, 2]];
  const w = [[0.5, -1, 2], [1, 1, -0.25]];
  const b = [0.1, -0.2];
  const want = dense(x, w, b).flat();
  const make = () => {
    const m = new MaybeMasked();
    m.initialize();
    m.fc.weight.setData(nd.array(w));
    m.fc.bias!.setData(nd.array(b));
    return m;
  };

  it('eager, hybridized, under record and inside a Sequential', () => {
    const m = make();
    const xs = nd.array(x);
    assert.deepEqual(vals(m.call(xs, undefined)).map((v) => Math.fround(v)), want.map(Math.fround), 'eager');
    assert.deepEqual(vals(m.call(xs, nd.array([[1, 0], [0, 1]]))).map(Math.fround), [want[0]!, 0, 0, want[3]!].map(Math.fround), 'eager with a mask');
    m.hybridize();
    assert.deepEqual(vals(m.call(xs, undefined, undefined)), vals(m.call(xs)), 'hybridized');
    vals(m.call(xs, undefined)).forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `hybridized element ${i}: ${v} vs ${want[i]}`));
    const rec = autograd.record(() => m.call(xs, undefined) as nd.NDArray);
    assert.deepEqual(vals(rec), vals(m.call(xs)), 'recorded');
    const seq = new gluon.nn.HybridSequential();
    seq.add(make());
    seq.hybridize();
    assert.deepEqual(vals(seq.call(xs, undefined)), vals(m.call(xs)), 'HybridSequential');
    const plain = new gluon.nn.Sequential();
    plain.add(make());
    assert.deepEqual(vals(plain.call(xs, undefined)), vals(m.call(xs)), 'Sequential');
    // What is neither an array nor absent is an error naming the input (a hole before a given input is absent-inputs.test.ts's).
    assert.throws(() => m.call(xs, 3), /MaybeMasked: input 1 must be an NDArray, got number/);
  });

  it('MultiHeadAttention: call(q, k, v, undefined) is the call without a mask', () => {
    random.seed(4);
    const att = new gluon.nn.MultiHeadAttention(4, 2);
    att.initialize();
    const q = nd.random.uniform(-1, 1, [1, 3, 4]);
    const ref = vals(att.call(q, q, q));
    assert.deepEqual(vals(att.call(q, q, q, undefined)), ref);
    att.hybridize();
    const hyb = vals(att.call(q, q, q, undefined));
    hyb.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) < 1e-5, `element ${i}: ${v} vs ${ref[i]}`));
  });

  it('optional inputs named in hybridForward (GluonNLP\'s valid_length=None): left out, they are undefined and the parameters still arrive', () => {
    // With parameters of its own, written as a GluonNLP user ports hybrid_forward(F, x, mask=None, **params).
    class Scaled extends gluon.HybridBlock {
      scale = this.params.get('scale', { shape: [1], init: new init.Constant(3) });
      override hybridForward(F: gluon.F, x: gluon.Tensor, mask?: gluon.Tensor, p?: { scale: gluon.Tensor }) {
        const y = F.broadcastMul(x, p!.scale);
        return mask === undefined ? y : F.broadcastMul(y, mask);
      }
    }
    // Without parameters (no p), holding one with them: mask reaches the child as undefined too.
    class Outer extends gluon.HybridBlock {
      inner = new Scaled();
      override hybridForward(_F: gluon.F, x: gluon.Tensor, mask?: gluon.Tensor) {
        return this.inner.call(x, mask);
      }
    }
    const xs = nd.array([[1, -2]]);
    for (const hybrid of [false, true]) {
      const s = new Scaled();
      const o = new Outer();
      s.initialize();
      o.initialize();
      if (hybrid) {
        s.hybridize();
        o.hybridize();
      }
      const what = hybrid ? 'hybridized' : 'eager';
      assert.deepEqual(vals(s.call(xs)), [3, -6], `${what}: Scaled without mask`);
      assert.deepEqual(vals(s.call(xs, nd.array([[0, 1]]))), [0, -6], `${what}: Scaled with mask`);
      assert.deepEqual(vals(o.call(xs)), [3, -6], `${what}: Outer without mask`);
      assert.deepEqual(vals(o.call(xs, nd.array([[1, 0]]))).map((v) => v + 0), [3, 0], `${what}: Outer with mask`);
      assert.deepEqual(vals(autograd.record(() => o.call(xs) as nd.NDArray)), [3, -6], `${what}: recorded`);
    }
  });

  it('an exported artifact imported with SymbolBlock.imports', () => {
    const m = make();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-undef-'));
    const file = path.join(dir, 'm.onnx');
    m.export(file, { inputs: { x: { shape: ['N', 3] } } });
    const sb = gluon.SymbolBlock.imports(file);
    const got = vals(sb.call(nd.array(x), undefined));
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-5, `element ${i}: ${v} vs ${want[i]}`));
    sb.hybridize();
    assert.deepEqual(vals(sb.call(nd.array(x), undefined)), got);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('HybridBlock calls: a trailing null input is absent, as undefined (d2l\'s valid_lens=None)', () => {
  const x = [[1, 2, 3], [-1, 0.5, 2]];
  const w = [[0.5, -1, 2], [1, 1, -0.25]];
  const b = [0.1, -0.2];
  const want = dense(x, w, b).flat();
  const masked = [want[0]!, 0, 0, want[3]!];
  const make = () => {
    const m = new MaybeMasked();
    m.initialize();
    m.fc.weight.setData(nd.array(w));
    m.fc.bias!.setData(nd.array(b));
    return m;
  };
  const close = (got: number[], ref: number[], what: string) => got.forEach((v, i) => assert.ok(Math.abs(v - ref[i]!) < 1e-5, `${what} element ${i}: ${v} vs ${ref[i]}`));
  const mask = () => nd.array([[1, 0], [0, 1]]);

  it('eager and hybridized: a tensor then null compiles two programs, each right', () => {
    const m = make();
    const xs = nd.array(x);
    close(vals(m.call(xs, null)), want, 'eager null');
    close(vals(m.call(xs, mask())), masked, 'eager mask');
    m.hybridize();
    close(vals(m.call(xs, mask())), masked, 'hybridized mask');
    close(vals(m.call(xs, null)), want, 'hybridized null');
    close(vals(m.call(xs, null, undefined)), want, 'hybridized null, undefined');
    assert.equal(m.cacheSize, 2, 'given and absent are two signatures');
    close(vals(m.call(xs, mask())), masked, 'hybridized mask again');
    assert.equal(m.cacheSize, 2);
    // Under record with a gradient: dL/dW of sum(y) is the column sums of x for each row of W.
    const fresh = make();
    fresh.hybridize();
    const y = autograd.record(() => fresh.call(xs, null) as nd.NDArray);
    y.backward();
    const colSums = x[0]!.map((_, k) => x[0]![k]! + x[1]![k]!);
    close(vals(fresh.fc.weight.grad()), [...colSums, ...colSums], 'weight gradient');
  });

  it('a training loop alternating a mask and null (the fused step, two signatures) updates as the eager loop does', () => {
    const run = (hybrid: boolean): number[] => {
      const m = make();
      if (hybrid) m.hybridize();
      const trainer = new gluon.Trainer(m.collectParams(), 'sgd', { learningRate: 0.1 });
      const l2 = new gluon.loss.L2Loss();
      const out: number[] = [];
      for (let i = 0; i < 4; i++) {
        autograd.record(() => l2.call(m.call(nd.array(x), i % 2 ? null : mask()), nd.zeros([2, 2]))).backward();
        trainer.step(2);
        out.push(...vals(m.fc.weight.data()));
      }
      return out;
    };
    close(run(true), run(false), 'weights after each step');
  });

  it('a Gluon 2 forward(x, validLens = null), and nested in a HybridSequential', () => {
    class Gluon2 extends gluon.HybridBlock {
      fc = new gluon.nn.Dense(2, { inUnits: 3 });
      override forward(x: nd.NDArray, validLens: nd.NDArray | null = null) {
        const y = this.fc.call(x) as nd.NDArray;
        return validLens === null ? y : y.broadcastMul(validLens);
      }
    }
    const g = new Gluon2();
    g.initialize();
    g.fc.weight.setData(nd.array(w));
    g.fc.bias!.setData(nd.array(b));
    close(vals(g.call(nd.array(x), null)), want, 'eager');
    g.hybridize();
    close(vals(g.call(nd.array(x), null)), want, 'hybridized');
    close(vals(g.call(nd.array(x), mask())), masked, 'hybridized mask');
    const seq = new gluon.nn.HybridSequential();
    seq.add(make());
    seq.hybridize();
    close(vals(seq.call(nd.array(x), null)), want, 'HybridSequential');
  });

  it('summary, inferShape and export: null is no input', () => {
    const att = new gluon.nn.MultiHeadAttention(4, 2);
    att.initialize();
    const q = nd.ones([1, 3, 4]);
    const log = console.log;
    console.log = () => {};
    let s;
    try {
      s = att.summary(q, q, q, null);
    } finally {
      console.log = log;
    }
    assert.equal(s.rows[0]!.outputShape, '(1, 3, 4), (1, 3, 4), (1, 3, 4)');
    const lazy = new gluon.nn.Dense(2);
    lazy.initialize();
    lazy.inferShape(nd.ones([5, 7]), null as unknown as nd.NDArray);
    assert.deepEqual(lazy.weight.shape, [2, 7]);
    const m = make();
    m.call(nd.array(x), null);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-null-'));
    try {
      // From the last call's signature (the null not in it) and from inputs naming the absent one null.
      for (const [file, opts] of [['a.onnx', {}], ['b.onnx', { inputs: { x: { shape: ['N', 3] }, mask: null } }]] as const) {
        const r = m.export(path.join(dir, file), opts as { inputs?: Record<string, { shape: (number | string)[] } | null> });
        assert.deepEqual(r.manifest.inputs.map((i) => i.name), [file === 'a.onnx' ? 'data' : 'x'], file);
        const sb = gluon.SymbolBlock.imports(path.join(dir, file));
        close(vals(sb.call(nd.array(x), null)), want, `${file} imported`);
        sb.hybridize();
        close(vals(sb.call(nd.array(x), null)), want, `${file} imported, hybridized`);
      }
      // A required input left out: the operator that needs it says so (traced, never run on the parameters' arrays).
      assert.throws(() => m.export(path.join(dir, 'c.onnx'), { inputs: { x: null, mask: { shape: ['N', 2] } } as never }), /FullyConnected: input 'data' must be a tensor or a number, got undefined in block 'MaybeMasked\/fc'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('HybridBlock cache: a structure changed after hybridize() compiles again', () => {
  beforeEach(() => {
    random.seed(5);
    profiler.reset();
  });

  it('a child added to a hybridized HybridSequential takes part in the next call', () => {
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.Dense(2, { inUnits: 2 }));
    net.initialize(new init.One());
    net.hybridize();
    const x = nd.array([[1, 2]]);
    assert.deepEqual(vals(net.call(x)), [3, 3]);
    net.add(new gluon.nn.Dense(1, { inUnits: 2 }));
    net.initialize(new init.One());
    const y = net.call(x);
    assert.deepEqual(y.shape, [1, 1], 'the new layer ran');
    assert.deepEqual(vals(y), [6]);
    // ... under record (the fused training step) too.
    net.add(new gluon.nn.Dense(2, { inUnits: 1 }));
    net.initialize(new init.One());
    const z = autograd.record(() => net.call(x) as nd.NDArray);
    assert.deepEqual(vals(z), [6, 6]);
    // The structure unchanged, the session is reused.
    net.call(x);
    profiler.reset();
    net.call(x);
    net.call(x);
    assert.equal(profiler.counters().compiles, 0);
  });

  it('a child replaced by assignment (fine-tuning a new output layer) is used', () => {
    class Model extends gluon.HybridBlock {
      features = new gluon.nn.Dense(3, { inUnits: 2, activation: 'relu' });
      output: gluon.HybridBlock = new gluon.nn.Dense(2, { inUnits: 3 });
      override hybridForward(_F: gluon.F, x: gluon.Tensor) {
        return this.output.call(this.features.call(x));
      }
    }
    const m = new Model();
    m.initialize(new init.One());
    m.hybridize();
    const x = nd.array([[1, 2]]);
    assert.deepEqual(vals(m.call(x)), [9, 9]);
    m.output = new gluon.nn.Dense(1, { inUnits: 3 });
    m.output.initialize(new init.Constant(2));
    // features: relu(1+2) = 3 per unit (bias 0); the new output: 2·(3+3+3), its bias keeps Dense's Zero initializer.
    assert.deepEqual(vals(m.call(x)), [18], 'the new output layer');
    assert.deepEqual(vals(autograd.record(() => m.call(x) as nd.NDArray)), [18], 'under record');
  });

  it('shareParameters after hybridize feeds the shared parameters', () => {
    const a = new gluon.nn.Dense(1, { inUnits: 2 });
    a.initialize(new init.Constant(3));
    const b = new gluon.nn.Dense(1, { inUnits: 2 });
    b.initialize(new init.One());
    b.hybridize();
    const x = nd.array([[1, 2]]);
    assert.deepEqual(vals(b.call(x)), [3], 'weights 1, bias 0 (Dense keeps its own Zero bias initializer)');
    b.shareParameters(a.collectParams());
    assert.equal(b.weight, a.weight);
    assert.deepEqual(vals(b.call(x)), [9], "a's weights 3, bias 0");
  });
});

describe('hybridized recorded forward: running statistics read before the step runs', () => {
  it('BatchNorm running_mean read after a recorded forward (no backward yet) holds the update, as eagerly', () => {
    random.seed(6);
    const make = () => {
      const net = new gluon.nn.HybridSequential();
      net.add(new gluon.nn.Dense(3, { inUnits: 2 }), new gluon.nn.BatchNorm({ momentum: 0.5 }));
      net.initialize(new init.One());
      return net;
    };
    const x = nd.array([[1, 2], [3, -1], [0, 0.5], [2, 2]]);
    // Independent reference: Dense with weights 1, bias 0 gives per row x0+x1 on every unit; the batch mean of
    // [3, 2, 0.5, 4] is 2.375, and MXNet's update is running = momentum·running + (1 − momentum)·mean.
    const want = 0.5 * 0 + 0.5 * 2.375;
    for (const hybrid of [false, true]) {
      const net = make();
      if (hybrid) net.hybridize();
      autograd.record(() => net.call(x));
      const rm = vals(net.collectParams().get('1.running_mean').data());
      rm.forEach((v) => assert.ok(Math.abs(v - want) < 1e-6, `${hybrid ? 'hybridized' : 'eager'}: running_mean ${v}, expected ${want}`));
      // A prediction right after uses the updated statistics too.
      const pred = vals(net.call(x));
      // running_var = momentum·1 + (1 − momentum)·(the batch's biased variance, MXNet's), read back as stored too.
      const batch = [3, 2, 0.5, 4];
      const wantVar = 0.5 * 1 + 0.5 * (batch.reduce((a, v) => a + (v - 2.375) ** 2, 0) / 4);
      const rv = vals(net.collectParams().get('1.running_var').data());
      rv.forEach((v) => assert.ok(Math.abs(v - wantVar) < 1e-6, `${hybrid ? 'hybridized' : 'eager'}: running_var ${v}, expected ${wantVar}`));
      assert.ok(Math.abs(pred[0]! - (3 - want) / Math.sqrt(wantVar + 1e-5)) < 1e-5, `${hybrid ? 'hybridized' : 'eager'}: prediction ${pred[0]}`);
    }
  });
});

describe('hybridize() again drops the compiled sessions (MXNet clears its cached op)', () => {
  it('a block assigned that existed before the last call is used after hybridize()', () => {
    class Model extends gluon.HybridBlock {
      head: gluon.HybridBlock;
      constructor(head: gluon.HybridBlock) {
        super();
        this.head = head;
      }
      override hybridForward(_F: gluon.F, x: gluon.Tensor) {
        return this.head.call(x);
      }
    }
    const one = new gluon.nn.Dense(1, { inUnits: 2 });
    const three = new gluon.nn.Dense(1, { inUnits: 2 });
    one.initialize(new init.One());
    three.initialize(new init.Constant(3));
    const m = new Model(one);
    m.hybridize();
    const x = nd.array([[1, 2]]);
    assert.deepEqual(vals(m.call(x)), [3]);
    m.head = three;
    m.hybridize();
    assert.equal(m.cacheSize, 0);
    assert.deepEqual(vals(m.call(x)), [9]);
  });
});

describe('blocks held in an array property are not registered (as in MXNet), and that is said', () => {
  it('warns once naming the block and the property; an array of registered children is fine', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(w.message);
    process.on('warning', onWarning);
    class Listy extends gluon.HybridBlock {
      layers = [new gluon.nn.Dense(2, { inUnits: 2 }), new gluon.nn.Dense(2, { inUnits: 2 })];
      override hybridForward(_F: gluon.F, x: gluon.Tensor) {
        return this.layers.reduce((y, l) => l.call(y) as gluon.Tensor, x);
      }
    }
    class Aliased extends gluon.HybridBlock {
      a = new gluon.nn.Dense(2, { inUnits: 2 });
      all = [this.a];
      override hybridForward(_F: gluon.F, x: gluon.Tensor) {
        return this.all[0]!.call(x);
      }
    }
    const l = new Listy();
    assert.deepEqual(l.collectParams().keys(), [], 'not registered');
    l.collectParams();
    const ok = new Aliased();
    assert.deepEqual(ok.collectParams().keys(), ['a.weight', 'a.bias']);
    const seq = new gluon.nn.HybridSequential();
    seq.add(new gluon.nn.Dense(1, { inUnits: 1 }));
    const plain = new gluon.nn.Sequential();
    plain.add(seq);
    assert.deepEqual(plain.collectParams().keys(), ['0.0.weight', '0.0.bias'], 'containers keep their own array');
    await new Promise((r) => setImmediate(r));
    process.off('warning', onWarning);
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /Listy\.layers holds blocks in an array: they are not registered as children \(their parameters are not collected, initialized, saved or trained\); use nn\.Sequential \/ nn\.HybridSequential, or assign each block to a property/);
  });
});

describe('hybridized call with an input that needs a gradient (compiled backward) after a gradReq change', () => {
  it("a parameter frozen ('null') and then trained again ('write') gets its gradient again", () => {
    const n = new gluon.nn.Dense(1, { inUnits: 2 });
    n.initialize(new init.One());
    n.hybridize();
    const x = nd.array([[1, 2]]);
    x.attachGrad();
    n.weight.gradReq = 'null';
    autograd.record(() => (n.call(x) as nd.NDArray).sum()).backward();
    assert.deepEqual(vals(x.grad!), [1, 1], 'dy/dx = w');
    n.weight.gradReq = 'write';
    autograd.record(() => (n.call(x) as nd.NDArray).sum()).backward();
    assert.deepEqual(vals(n.weight.grad()), [1, 2], 'dy/dw = x');
  });
});

describe('the structure epoch stays put in a training loop (a hybridized call then costs one integer comparison)', () => {
  it('recorded steps, trainer updates and predictions announce no structure change', () => {
    random.seed(7);
    for (const hybrid of [true, false]) {
      const net = new gluon.nn.HybridSequential();
      net.add(new gluon.nn.Dense(4, { activation: 'relu' }), new gluon.nn.BatchNorm(), new gluon.nn.Dense(2));
      net.initialize();
      const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
      if (hybrid) {
        net.hybridize();
        loss.hybridize();
      }
      const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.01 });
      const x = nd.random.uniform(-1, 1, [4, 3]);
      const y = nd.array([0, 1, 1, 0]);
      const step = () => {
        autograd.record(() => loss.call(net.call(x), y) as nd.NDArray).backward();
        trainer.step(4);
        net.call(x);
      };
      step();
      const before = structureEpoch();
      for (let i = 0; i < 3; i++) step();
      assert.equal(structureEpoch(), before, hybrid ? 'hybridized' : 'eager');
    }
  });
});
