/**
 * The Trainer's eager update as one compiled graph (compiler/engine/update-graph.ts):
 * SGD with momentum and weight decay, and Adam, against MXNet 1.x's update
 * formulas in float64 over several steps; a learning-rate change reuses the
 * graph, a change of what shapes it (weight decay switched on, another
 * optimizer, other shapes) compiles another; unequal update counts and a
 * rule that does not build symbolically fall back to the eager update.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, nd, optimizer, profiler, random } from 'gluonc';
import { setEagerCompileAfter } from '../../../compiler/engine/eager-compile.js';
import { clearUpdateCache } from '../../../compiler/engine/update-graph.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const vals = (x: nd.NDArray): number[] => Array.from(x.data() as ArrayLike<number>, Number);

function param(name: string, w: number[]): gluon.Parameter {
  const p = new gluon.Parameter(name, { shape: [w.length] });
  p.setData(nd.array(w));
  return p;
}

const W0 = [[0.5, -1.25, 2, 0.75, -0.3], [1.5, 0.25, -0.5]];
const grads = (step: number) => [[0.1 * step - 0.2, 0.4, -0.3, 0.05 * step, 0], [-0.6, 0.2 * step, 0.35]];

function compiles(fn: () => void): number {
  const a = profiler.counters().compiles;
  fn();
  return profiler.counters().compiles - a;
}

describe('update-graph: the Trainer update as one compiled graph', () => {
  let old: number;
  beforeEach(() => {
    // Work an earlier test left deferred (a recorded step waiting for trainer.step) runs now, not inside the counts.
    nd.waitall();
    clearUpdateCache();
    old = setEagerCompileAfter(1);
  });
  afterEach(() => setEagerCompileAfter(old));

  it("SGD with momentum and weight decay follows MXNet's sgd_mom_update in float64; a learning-rate change reuses the graph", () => {
    const ps = W0.map((w, i) => param(`p${i}`, w));
    const trainer = new gluon.Trainer(ps, 'sgd', { learningRate: 0.1, momentum: 0.9, wd: 0.01 });
    const w = W0.map((x) => [...x]);
    const m = W0.map((x) => x.map(() => 0));
    const batch = 4;
    let n = 0;
    for (let step = 1; step <= 4; step++) {
      const lr = step <= 2 ? 0.1 : 0.05;
      if (step === 3) trainer.setLearningRate(0.05);
      ps.forEach((p, i) => p.setGrad(nd.array(grads(step)[i]!)));
      n += compiles(() => trainer.step(batch));
      // mom = μ·mom − lr·wd·w − lr·(rescale·g); w += mom (rescale = 1/batch)
      w.forEach((wi, i) => wi.forEach((x, j) => {
        m[i]![j] = 0.9 * m[i]![j]! - lr * 0.01 * x - lr * (grads(step)[i]![j]! / batch);
        wi[j] = x + m[i]![j]!;
      }));
      ps.forEach((p, i) => {
        assertClose(vals(p.data()), w[i]!, `step ${step} ${p.name}`, 1e-5, 1e-6);
        assertClose(vals(trainer.states.get(p)![0]!), m[i]!, `step ${step} momentum of ${p.name}`, 1e-5, 1e-6);
      });
    }
    assert.equal(n, 1, 'one graph for all parameters and all steps');
    assert.equal(trainer.stepCount, 4);
  });

  it('switching weight decay on compiles the decay terms in (they are left out while wd is 0)', () => {
    const p = param('w', [1, -2, 3]);
    const trainer = new gluon.Trainer([p], 'sgd', { learningRate: 0.5 });
    p.setGrad(nd.array([0, 0, 0]));
    assert.equal(compiles(() => trainer.step(1)), 1);
    assert.deepEqual(vals(p.data()), [1, -2, 3]);
    trainer.optimizer.wd = 0.1;
    p.setGrad(nd.array([0, 0, 0]));
    assert.equal(compiles(() => trainer.step(1)), 1, 'another graph');
    // w ← (1 − lr·wd)·w − lr·g with g = 0
    assertClose(vals(p.data()), [0.95, -1.9, 2.85], 'decayed', 1e-6, 1e-7);
  });

  it("Adam follows MXNet's adam_update (bias correction in the learning rate) in float64; other shapes compile their own graph", () => {
    for (const w0 of [W0, [[0.3, -0.7], [2, 1, -1, 0.5]]]) {
      const ps = w0.map((w, i) => param(`a${i}`, w));
      const trainer = new gluon.Trainer(ps, 'adam', { learningRate: 0.01 });
      const w = w0.map((x) => [...x]);
      const m = w0.map((x) => x.map(() => 0));
      const v = w0.map((x) => x.map(() => 0));
      let n = 0;
      for (let t = 1; t <= 3; t++) {
        const g = w0.map((x, i) => x.map((_y, j) => 0.3 * Math.sin(i + 2 * j + t)));
        ps.forEach((p, i) => p.setGrad(nd.array(g[i]!)));
        n += compiles(() => trainer.step(1));
        const lrT = (0.01 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
        w.forEach((wi, i) => wi.forEach((x, j) => {
          m[i]![j] = 0.9 * m[i]![j]! + 0.1 * g[i]![j]!;
          v[i]![j] = 0.999 * v[i]![j]! + 0.001 * g[i]![j]! ** 2;
          wi[j] = x - (lrT * m[i]![j]!) / (Math.sqrt(v[i]![j]!) + 1e-8);
        }));
        ps.forEach((p, i) => assertClose(vals(p.data()), w[i]!, `t=${t} ${p.name}`, 1e-5, 1e-6));
      }
      assert.equal(n, 1, 'one graph per set of shapes');
    }
  });

  it('parameters with unequal update counts, and a rule that is not symbolic, are updated eagerly with the same result', () => {
    const a = param('a', [1, 2]);
    const b = param('b', [3, 4]);
    const trainer = new gluon.Trainer([a, b], 'sgd', { learningRate: 1 });
    a.setGrad(nd.array([1, 1]));
    trainer.step(1, { ignoreStaleGrad: true }); // b has no gradient yet: only a counts
    b.setGrad(nd.array([1, 1]));
    a.setGrad(nd.array([1, 1]));
    assert.equal(compiles(() => trainer.step(1)), 0, 'counts 2 and 1: eager');
    assert.deepEqual(vals(a.data()), [-1, 0]);
    assert.deepEqual(vals(b.data()), [2, 3]);
    // An update rule reading values (it cannot be traced) still works, eagerly.
    const opt = new optimizer.SGD({ learningRate: 1 });
    const base = opt.update.bind(opt);
    opt.update = (F, args) => {
      if (!(args.grad instanceof nd.NDArray)) throw new Error('needs values');
      return base(F, args);
    };
    const c = param('c', [5]);
    const t2 = new gluon.Trainer([c], opt);
    for (let i = 0; i < 2; i++) {
      c.setGrad(nd.array([2]));
      assert.equal(compiles(() => t2.step(1)), 0);
    }
    assert.deepEqual(vals(c.data()), [1]);
  });
});

// Three SGD-momentum steps of the MLP in float64 (MXNet's sgd_mom_update, rescale 1/batch, softmax
// cross-entropy summed by backward's ones head), and the gradients at the initial weights.
const MLP_TRAIN_REF = `
x, y = a, b.astype(int)
ps = [c, d, e, f, g, h]
lr, mu, n = args[0], args[1], len(y)
def grads(ps):
    w1, b1, w2, b2, w3, b3 = ps
    z1 = x @ w1.T + b1; h1 = np.maximum(z1, 0)
    z2 = h1 @ w2.T + b2; h2 = np.maximum(z2, 0)
    z3 = h2 @ w3.T + b3
    p = np.exp(z3 - z3.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    d3 = p.copy(); d3[np.arange(n), y] -= 1
    d2 = (d3 @ w3) * (z2 > 0); d1 = (d2 @ w2) * (z1 > 0)
    return [d1.T @ x, d1.sum(0), d2.T @ h1, d2.sum(0), d3.T @ h2, d3.sum(0)]
g0 = grads(ps)
ms = [np.zeros_like(p) for p in ps]
for step in range(args[2]):
    gs = grads(ps)
    ms = [mu * m - lr * gi / n for m, gi in zip(ms, gs)]
    ps = [p + m for p, m in zip(ps, ms)]
out = ps + g0
`;

describe('update-graph: backward and update fused into one graph', () => {
  let old: number;
  beforeEach(() => {
    clearUpdateCache();
    old = setEagerCompileAfter(2);
  });
  afterEach(() => setEagerCompileAfter(old));

  function mlp(seed: number) {
    random.seed(seed);
    const net = new gluon.nn.Sequential();
    net.add(new gluon.nn.Dense(16, { activation: 'relu' }), new gluon.nn.Dense(8, { activation: 'relu' }), new gluon.nn.Dense(5));
    net.initialize();
    const x = nd.random.uniform(-1, 1, [6, 12]);
    const y = nd.array([0, 1, 2, 3, 4, 2]);
    net.call(x);
    return { net, x, y, params: [...net.collectParams().values()] };
  }

  it('eager MLP training (4 steps: op by op, then compiled and fused) matches float64 numpy; a step becomes one session run', () => {
    const { net, x, y, params } = mlp(5);
    const np = (a: nd.NDArray) => ({ shape: a.shape, dtype: a.dtype, data: vals(a) });
    const [ref] = numpyRefs([{ code: MLP_TRAIN_REF, inputs: [np(x), np(y), ...params.map((p) => np(p.data()))], args: [0.1, 0.9, 4] }]);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    const runs: number[] = [];
    let firstGrads: number[][] = [];
    for (let step = 0; step < 4; step++) {
      const a = profiler.counters().sessionRuns;
      autograd.record(() => loss.call(net.call(x), y)).backward();
      if (step === 0) firstGrads = params.map((p) => vals(p.grad()));
      trainer.step(6);
      runs.push(profiler.counters().sessionRuns - a);
    }
    params.forEach((p, i) => assertClose(vals(p.data()), ref!.outs[i]!.data, `${p.name} after 4 steps`, 1e-4, 1e-5));
    params.forEach((p, i) => assertClose(firstGrads[i]!, ref!.outs[6 + i]!.data, `${p.name} gradient at step 1`, 1e-4, 1e-5));
    assert.equal(runs[3], 1, `session runs per step ${runs}: forward, backward and update as one`);
  });

  it("gradients read after a fused step are the step's (at the weights before the update); a second step without backward finds them stale, and after setGrad of the same values applies them", () => {
    const { net, x, y, params } = mlp(6);
    const np = (a: nd.NDArray) => ({ shape: a.shape, dtype: a.dtype, data: vals(a) });
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    for (let step = 0; step < 2; step++) {
      autograd.record(() => loss.call(net.call(x), y)).backward();
      trainer.step(6);
    }
    const before = params.map((p) => np(p.data()));
    const [ref] = numpyRefs([{ code: MLP_TRAIN_REF.replace('out = ps + g0', 'out = g0'), inputs: [np(x), np(y), ...before], args: [0.1, 0.9, 0] }]);
    autograd.record(() => loss.call(net.call(x), y)).backward();
    trainer.step(6); // fused: the gradients are not computed outside the step's graph
    params.forEach((p, i) => assertClose(vals(p.grad()), ref!.outs[i]!.data, `${p.name} gradient read after the step`, 1e-4, 1e-5));
    // The step used the gradients up (MXNet's Trainer._update: stale until backward writes them again).
    assert.throws(() => trainer.step(6), /gradient of Parameter '0.weight' has not been updated by backward since the last step/);
    // Set again, the same gradients apply: w += μ·m − lr·g/n.
    for (const p of params) p.setGrad(p.grad());
    const w = params.map((p) => vals(p.data()));
    const m = params.map((p) => vals(trainer.states.get(p)![0]!));
    trainer.step(6);
    params.forEach((p, i) => {
      const g = ref!.outs[i]!.data as number[];
      assertClose(vals(p.data()), w[i]!.map((v, j) => v + 0.9 * m[i]![j]! - (0.1 * g[j]!) / 6), `${p.name} after a second step on the same gradients`, 1e-4, 1e-5);
    });
  });

  it("gradReq 'add', a frozen parameter and Dropout in training take the unfused paths with the same results as op by op", () => {
    const run = (after: number): number[][] => {
      const old2 = setEagerCompileAfter(after);
      try {
        const { net, x, y, params } = mlp(7);
        params[1]!.gradReq = 'add';
        params[4]!.gradReq = 'null';
        const drop = new gluon.nn.Sequential();
        drop.add(net, new gluon.nn.Dropout(0.5));
        const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
        const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
        random.seed(11);
        for (let step = 0; step < 4; step++) {
          autograd.record(() => loss.call((step < 2 ? net : drop).call(x), y)).backward();
          trainer.step(6);
          params[1]!.zeroGrad();
        }
        return params.map((p) => vals(p.data()));
      } finally {
        setEagerCompileAfter(old2);
      }
    };
    const eager = run(Infinity);
    const compiled = run(1);
    compiled.forEach((v, i) => assertClose(v, eager[i]!, `parameter ${i}`, 1e-5, 1e-6));
  });
});
