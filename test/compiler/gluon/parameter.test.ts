import assert from 'node:assert/strict';
import { autograd, gluon, init, nd } from 'gluonc';

describe('ParameterDict.get of an existing name (MXNet\'s ParameterDict.get)', () => {
  it('returns the stored parameter when the options agree, filling unknown (0) dimensions', () => {
    const d = new gluon.ParameterDict();
    const w = d.get('w', { shape: [3, 0], allowDeferredInit: true });
    assert.equal(d.get('w', { shape: [3, 4] }), w);
    assert.deepEqual(w.shape, [3, 4], 'the known dimension fills the stored 0');
    assert.equal(d.get('w', { shape: [0, 4], dtype: 'float32' }), w);
    assert.deepEqual(w.shape, [3, 4]);
    assert.equal(d.get('w'), w);
  });

  it('a shape or dtype that contradicts the stored one is an Error naming the parameter', () => {
    const d = new gluon.ParameterDict();
    d.get('w', { shape: [3, 4] });
    assert.throws(() => d.get('w', { shape: [3, 5] }), /Cannot retrieve Parameter 'w': the desired shape \[3, 5\] does not match the stored shape \[3, 4\]/);
    assert.throws(() => d.get('w', { shape: [3] }), /Cannot retrieve Parameter 'w': the desired shape \[3\] does not match the stored shape \[3, 4\]/);
    assert.throws(() => d.get('w', { dtype: 'float64' }), /Cannot retrieve Parameter 'w': the desired dtype float64 does not match the stored dtype float32/);
  });
});

describe("initializers by MXNet's registered names ('zeros', 'xavier', ...)", () => {
  it('a string init names an initializer, as MXNet\'s init.create does; another value is an Error naming the parameter', () => {
    const d = new gluon.ParameterDict();
    const b = d.get('bias', { shape: [3], init: 'zeros' as never });
    const w = d.get('weight', { shape: [2, 3] });
    d.initialize('ones' as never);
    assert.deepEqual(Array.from(b.data().data() as Float32Array), [0, 0, 0], "the parameter's own 'zeros'");
    assert.deepEqual(Array.from(w.data().data() as Float32Array), [1, 1, 1, 1, 1, 1], "'ones' for the rest");
    const x = new gluon.Parameter('x', { shape: [4, 4] });
    x.initialize('Xavier' as never);
    const limit = Math.sqrt(3 / 4); // MXNet's Xavier: uniform, avg factor (4 + 4) / 2, magnitude 3
    assert.ok(Array.from(x.data().data() as Float32Array).every((v) => Math.abs(v) <= limit && v !== 0));
    assert.throws(() => new gluon.Parameter('y', { shape: [2], init: 'glorot' as never }), /Parameter 'y': unknown initializer 'glorot' \(MXNet's names: zeros, ones, uniform, normal, xavier, msraprelu, lstmbias\)/);
    assert.throws(() => new gluon.Parameter('z', { shape: [2] }).initialize({} as never), /Parameter 'z': init must be an Initializer \(init\.Xavier\(\), \.\.\.\) or one of MXNet's names, got an object/);
    assert.throws(() => new gluon.nn.Dense(2, { inUnits: 2 }).initialize('xavier!' as never), /unknown initializer 'xavier!'/);
  });
});

describe('lrMult and wdMult are numbers', () => {
  it('a value that is not a finite number is an Error naming the parameter (it made the update NaN)', () => {
    assert.throws(() => new gluon.Parameter('w', { shape: [2], lrMult: 'x' as never }), /Parameter 'w': lrMult must be a finite number, got "x"/);
    assert.throws(() => new gluon.Parameter('w', { shape: [2], wdMult: NaN }), /Parameter 'w': wdMult must be a finite number, got NaN/);
    const d = new gluon.ParameterDict();
    const p = d.get('w', { shape: [2] });
    d.setattr('lrMult', 0.5);
    assert.equal(p.lrMult, 0.5);
    assert.throws(() => d.setattr('lrMult', '2' as never), /Parameter 'w': lrMult must be a finite number, got "2"/);
    assert.throws(() => d.setattr('differentiable', 1 as never), /Parameter 'w': differentiable must be true or false, got 1/);
    assert.equal(p.lrMult, 0.5, 'a refused value changes nothing');
    assert.throws(() => (p.wdMult = 'x' as never), /Parameter 'w': wdMult must be a finite number, got "x"/);
    p.wdMult = 2;
    assert.equal(p.wdMult, 2);
  });
});

describe("Parameter: MXNet's Parameter(name, ...) with the name by position or by name", () => {
  it('both forms make the same parameter', () => {
    const make = (p: gluon.Parameter) => {
      p.initialize();
      return [p.name, p.shape, p.dtype, p.gradReq, p.data().toArray()];
    };
    const want = make(new gluon.Parameter('w', { shape: [2, 3], init: new init.Constant(2), gradReq: 'add' }));
    assert.deepEqual(make(new gluon.Parameter({ name: 'w', shape: [2, 3], init: new init.Constant(2), gradReq: 'add' })), want);
    assert.deepEqual(want, ['w', [2, 3], 'float32', 'add', [[2, 2, 2], [2, 2, 2]]]);
  });
  it('given twice or missing: an Error naming it', () => {
    assert.throws(() => new gluon.Parameter('w', { name: 'v' } as never), /^Error: Parameter: got multiple values for argument 'name' \("w" as argument 1 and "v" in the options object\)/);
    assert.throws(() => new gluon.Parameter({ shape: [2] } as never), /^Error: Parameter: missing required argument 'name'/);
  });
});

describe('printing a ParameterDict (d2l prints net[1].params and net.collect_params())', () => {
  it("lists each parameter by its key, as MXNet's ParameterDict repr lists them, and console.log prints the same", async () => {
    const { inspect } = await import('node:util');
    const net = new gluon.nn.Sequential();
    net.add(new gluon.nn.Dense(8, { inUnits: 4 }), new gluon.nn.Dense(1));
    const want = [
      'ParameterDict (',
      '  0.weight: Parameter weight (shape=[8, 4], dtype=float32)',
      '  0.bias: Parameter bias (shape=[8], dtype=float32)',
      '  1.weight: Parameter weight (shape=[1, 0], dtype=float32)',
      '  1.bias: Parameter bias (shape=[1], dtype=float32)',
      ')',
    ].join('\n');
    assert.equal(String(net.collectParams()), want);
    assert.equal(inspect(net.collectParams()), want);
    assert.equal(String(new gluon.ParameterDict()), 'ParameterDict (\n)');
    assert.equal(inspect(net.collectParams().get('0.bias')), 'Parameter bias (shape=[8], dtype=float32)');
  });
});

describe('Parameter.setData writes in place (MXNet\'s set_data)', () => {
  it('the array data() returned sees the new value, and a deferred operator that read the old one keeps it', () => {
    const net = new gluon.nn.Dense(2, { inUnits: 3, useBias: false });
    net.initialize();
    const w = net.weight.data();
    const old = Array.from(w.data() as Float32Array);
    const x = nd.array([[1, 2, 3]]);
    // y = x·wᵀ by hand from the old weights (float64).
    const want = [0, 1].map((o) => [0, 1, 2].reduce((s, i) => s + (i + 1) * old[o * 3 + i]!, 0));
    let y: nd.NDArray | undefined;
    autograd.record(() => {
      y = net.call(x) as nd.NDArray; // deferred under record: it reads the weight when forced
    });
    net.weight.setData(nd.zeros([2, 3]));
    assert.deepEqual(Array.from(w.data() as Float32Array), [0, 0, 0, 0, 0, 0], 'written into the array read before');
    const got = Array.from(y!.data() as Float32Array);
    got.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 1e-6, `y[${i}] = ${v}, want ${want[i]} (the old weights)`));
  });
});

describe("p.data().grad: a parameter's data reads its gradient (MXNet marks the two together)", () => {
  it("is p.grad(); d2l's grad_clipping writes through it (param.grad[:] *= s) and trainer.step uses what it wrote", () => {
    const net = new gluon.nn.Dense(1, { inUnits: 2 });
    net.initialize();
    net.weight.setData(nd.array([[1, 2]]));
    net.bias!.setData(nd.array([0]));
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 1 });
    const x = nd.array([[3, 4]]);
    const want = [[[-0.5, 0]], [[-2, -2]], [[-3.5, -4]], [[-5, -6]]];
    // Four steps: the later ones run as the compiled tape graph, whose gradients are pending until read.
    for (let step = 0; step < 4; step++) {
      autograd.record(() => (net.call(x) as nd.NDArray).sum()).backward();
      const params = [...net.collectParams().values()].map((p) => p.data());
      assert.deepEqual(params[0]!.grad.toArray(), [[3, 4]], `step ${step}: dW`);
      for (const param of params) param.grad.mul(0.5).copyto(param.grad);
      assert.deepEqual(net.weight.grad().toArray(), [[1.5, 2]], `step ${step}: the write is the parameter's gradient`);
      trainer.step(1);
      assert.deepEqual(net.weight.data().toArray(), want[step], `step ${step}: the step used the scaled gradient`);
    }
  });

  it("of a parameter with gradReq 'null' is an Error naming the parameter", () => {
    const net = new gluon.nn.Dense(1, { inUnits: 2 });
    net.initialize();
    net.weight.gradReq = 'null';
    assert.throws(() => net.weight.data().grad, /Parameter 'weight' has no gradient \(gradReq is 'null'\)/);
  });
});
