/**
 * The Trainer's eager update as one compiled graph (compiler/engine/update-graph.ts):
 * SGD with momentum and weight decay, and Adam, against MXNet 1.x's update
 * formulas in float64 over several steps; a learning-rate change reuses the
 * graph, a change of what shapes it (weight decay switched on, another
 * optimizer, other shapes) compiles another; unequal update counts and a
 * rule that does not build symbolically fall back to the eager update.
 */
import assert from 'node:assert/strict';
import { gluon, nd, optimizer, profiler } from 'gluonc';
import { setEagerCompileAfter } from '../../../compiler/engine/eager-compile.js';
import { clearUpdateCache } from '../../../compiler/engine/update-graph.js';
import { assertClose } from '../../helpers/compare.js';

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
