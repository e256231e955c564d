import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { nd, gluon, autograd, init, random, optimizer, lrScheduler } from 'gluonc';
import { encodeSafetensors } from '../../../compiler/formats/params-file.js';
import type { MultiFactorSchedulerOptions, PolySchedulerOptions } from '../../../compiler/gluon/lr-scheduler.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';
import { scratchDir } from '../../helpers/scratch-dir.js';

type NDArray = nd.NDArray;
const vals = (x: NDArray) => Array.from(x.data() as ArrayLike<number>, Number);

/** A parameter holding `w`, its gradient `g`. */
function param(name: string, w: number[], g?: number[], opts: gluon.ParameterOptions = {}): gluon.Parameter {
  const p = new gluon.Parameter(name, { shape: [w.length], ...opts });
  p.setData(nd.array(w, { dtype: opts.dtype }));
  if (g) p.setGrad(nd.array(g, { dtype: opts.dtype }));
  return p;
}

class ScaledLayer extends gluon.HybridBlock {
  weights: gluon.Parameter;
  scales: gluon.Parameter;
  constructor(hiddenUnits: number, scales: nd.NDArray) {
    super();
    this.weights = this.params.get('weights', { shape: [hiddenUnits, 0], allowDeferredInit: true });
    this.scales = this.params.get('scales', { shape: scales.shape, init: new init.Constant(scales.toArray()), differentiable: false });
  }
  override hybridForward(F: gluon.F, x: gluon.Tensor, p: { weights: gluon.Tensor; scales: gluon.Tensor }) {
    const normalized = F.broadcastDiv(F.broadcastSub(x, F.min(x)), F.broadcastSub(F.max(x), F.min(x)));
    const weighted = F.FullyConnected(normalized, p.weights, { numHidden: this.weights.shape[0], noBias: true });
    return F.broadcastMul(p.scales, weighted);
  }
}

describe('gluon.Trainer', () => {
  it("trains the seed's network: SGD with momentum, 'scales' untouched", () => {
    random.seed(1);
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.Dense(5), new ScaledLayer(5, nd.array([2])), new gluon.nn.Dense(1));
    net.initialize(new init.Xavier({ magnitude: 2.24 }));
    net.hybridize();
    const input = nd.random.uniform(-10, 10, [5, 2]);
    const label = nd.random.uniform(-1, 1, [5, 1]);
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    const params = net.collectParams().entries();
    const mom = new Map<string, number[]>();
    for (let step = 0; step < 2; step++) {
      // The L2 loss by hand (0.5·(ŷ − y)²), so this test needs no gluon.loss.
      const loss = autograd.record(() => net.call(input).sub(label).square().mul(0.5));
      loss.backward();
      const before = new Map(params.map(([k, p]) => [k, vals(p.data())]));
      const grads = new Map(params.filter(([, p]) => p.gradReq !== 'null').map(([k, p]) => [k, vals(p.grad())]));
      trainer.step(input.shape[0]);
      for (const [k, p] of params) {
        if (k === '1.scales') {
          assert.deepEqual(vals(p.data()), [2], 'scales did not change');
          continue;
        }
        // MXNet's sgd_mom_update: m = 0.9·m − 0.1·g/5; w += m.
        const m = grads.get(k)!.map((g, i) => 0.9 * (mom.get(k)?.[i] ?? 0) - (0.1 * g) / 5);
        mom.set(k, m);
        assertClose(vals(p.data()), before.get(k)!.map((w, i) => w + m[i]!), `step ${step} ${k}`, 1e-5, 1e-6);
        assert.notDeepEqual(vals(p.data()), before.get(k), `${k} changed`);
      }
    }
    assert.deepEqual(trainer.params.map(([k]) => k), ['0.weight', '0.bias', '1.weights', '1.scales', '2.weight', '2.bias']);
    assert.equal(trainer.stepCount, 2);
  });

  it('learning rate: getter, setLearningRate, currentLr', () => {
    const p = param('w', [1, 2], [1, 1]);
    const t = new gluon.Trainer([p], 'sgd', { learningRate: 0.5 });
    assert.equal(t.learningRate, 0.5);
    t.setLearningRate(0.25);
    assert.equal(t.learningRate, 0.25);
    assert.equal(t.currentLr(), 0.25);
    t.step(1);
    assertClose(vals(p.data()), [0.75, 1.75], 'stepped with the new rate');
    assert.throws(() => t.setLearningRate(-1), /non-negative/);
  });

  it('follows an lrScheduler, as MXNet counts updates', () => {
    const sched = new lrScheduler.FactorScheduler({ step: 2, factor: 0.5 });
    const p = param('w', [0], [1]);
    const t = new gluon.Trainer([p], 'sgd', { learningRate: 1, lrScheduler: sched });
    assert.equal(sched.baseLr, 1, 'learningRate becomes the schedule base');
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      const before = vals(p.data())[0]!;
      assert.equal(t.currentLr(), sched.call(i + 1));
      p.setGrad(nd.array([1])); // a fresh gradient each step (a step uses it up)
      t.step(1);
      seen.push(before - vals(p.data())[0]!);
      assert.equal(t.learningRate, sched.call(i + 1));
    }
    // Updates 1, 2 at 1; 3, 4 at 0.5; 5 at 0.25.
    assertClose(seen, [1, 1, 0.5, 0.5, 0.25], 'per-step learning rates');
    assert.throws(() => t.setLearningRate(0.1), /lrScheduler/);
  });

  it("a function as lrScheduler is MXNet's callable schedule (lr_scheduler(num_update)); a schedule giving no learning rate is an Error naming it", () => {
    // MXNet's Optimizer calls any callable: lr = self.lr_scheduler(self.num_update) (python/mxnet/optimizer/optimizer.py, _get_lr)
    const p = param('w', [0], [1]);
    const t = new gluon.Trainer([p], 'sgd', { lrScheduler: (n: number) => 0.5 / n });
    const seen: number[] = [];
    for (let i = 0; i < 3; i++) {
      const before = vals(p.data())[0]!;
      p.setGrad(nd.array([1]));
      t.step(1);
      seen.push(before - vals(p.data())[0]!);
    }
    assertClose(seen, [0.5, 0.25, 0.5 / 3], 'the function at updates 1, 2, 3');
    assert.equal(t.learningRate, 0.5 / 3);
    assert.throws(() => t.setLearningRate(0.1), /lrScheduler/);
    const bad = new gluon.Trainer([param('v', [0], [1])], 'sgd', { lrScheduler: { call: () => Number.NaN } as never });
    assert.throws(() => bad.step(1), /Trainer: the lrScheduler gave NaN at update 1; a learning rate must be a finite number >= 0/);
    assert.throws(() => new gluon.Trainer([p], 'sgd', { lrScheduler: 0.1 as never }), /option lrScheduler must be a scheduler/);
  });

  it('lrMult, wdMult and rescaleGrad / batchSize', () => {
    const a = param('a', [1, -2], [0.4, 0.8], { lrMult: 2, wdMult: 0 });
    const b = param('b', [3], [1.2], { wdMult: 3 });
    const t = new gluon.Trainer([a, b], 'sgd', { learningRate: 0.1, wd: 0.01, rescaleGrad: 3 });
    assert.deepEqual(t.nextScalars(a, 6), { lr: 0.2, wd: 0, t: 1, rescale: 0.5 });
    t.step(6);
    assertClose(vals(a.data()), [1 - 0.2 * 0.2, -2 - 0.2 * 0.4], 'a');
    assertClose(vals(b.data()), [(1 - 0.1 * 0.03) * 3 - 0.1 * 0.6], 'b');
  });

  it('works on float64 parameters', () => {
    const p = param('w', [1, 2], [0.5, -0.5], { dtype: 'float64' });
    new gluon.Trainer([p], 'adam', { learningRate: 0.1 }).step(1);
    assert.equal(p.data().dtype, 'float64');
    // First Adam step from zeros: m = 0.1·g, v = 0.001·g², lr_t = 0.1·sqrt(0.001)/0.1.
    const lrT = (0.1 * Math.sqrt(0.001)) / 0.1;
    const expected = [[1, 0.5], [2, -0.5]].map(([w, g]) => w! - (lrT * 0.1 * g!) / (Math.sqrt(0.001 * g! * g!) + 1e-8));
    assertClose(vals(p.data()), expected, 'adam float64', 1e-13, 1e-13);
  });

  it('stale gradients and uninitialized parameters', () => {
    const fresh = param('fresh', [1], [1]);
    const stale = param('stale', [5]);
    const deferred = new gluon.Parameter('late', { shape: [0], allowDeferredInit: true });
    deferred.initialize();
    const t = new gluon.Trainer([fresh, stale, deferred], 'sgd', { learningRate: 1 });
    assert.throws(() => t.step(1), /Parameter 'stale' has no gradient.*ignoreStaleGrad/);
    assert.deepEqual(vals(fresh.data()), [1], 'a failed step changes nothing');
    t.step(1, { ignoreStaleGrad: true });
    assert.deepEqual(vals(fresh.data()), [0]);
    assert.deepEqual(vals(stale.data()), [5]);
    assert.equal(t.counts.get(stale), undefined);
    const t2 = new gluon.Trainer([deferred], 'sgd');
    assert.throws(() => t2.step(1), /Parameter 'late' has not been initialized/);
  });

  /** Dense(1) on 2 inputs, w = [0.5, -0.5], b = 0: the gradient of Σ out by w for one input row x is x, by b is 1. */
  function dense1(): gluon.nn.Dense {
    const d = new gluon.nn.Dense(1, { inUnits: 2 });
    d.initialize();
    d.weight.setData(nd.array([0.5, -0.5], { shape: [1, 2] }));
    d.bias!.setData(nd.array([0]));
    return d;
  }
  const row = (a: number, b: number) => nd.array([a, b], { shape: [1, 2] });

  for (const hybrid of [false, true]) {
    const how = hybrid ? 'hybridized (fused step)' : 'eager';
    it(`${how}: allreduceGrads() + update() use the gradients of this step's backward`, () => {
      const d = dense1();
      if (hybrid) d.hybridize();
      const t = new gluon.Trainer(d.collectParams(), 'sgd', { learningRate: 1 });
      // Plain SGD, lr 1, batch 1: w ← w − x, b ← b − 1 at every step.
      let w = [0.5, -0.5];
      for (const [a, b] of [[1, 2], [3, -1], [-2, 5]] as const) {
        autograd.record(() => d.call(row(a, b))).backward();
        t.allreduceGrads();
        t.update(1);
        w = [w[0]! - a, w[1]! - b];
        assert.deepEqual(vals(d.weight.data()), w, `after x = [${a}, ${b}]`);
      }
      assert.deepEqual(vals(d.bias!.data()), [-3]);
    });

    it(`${how}: a gradient backward did not write since the last step is stale (MXNet's Trainer._update): an Error, or skipped with ignoreStaleGrad`, () => {
      const a = dense1();
      const b = dense1();
      if (hybrid) {
        a.hybridize();
        b.hybridize();
      }
      const params = new gluon.ParameterDict([['a.weight', a.weight], ['a.bias', a.bias!], ['b.weight', b.weight], ['b.bias', b.bias!]]);
      const t = new gluon.Trainer(params, 'sgd', { learningRate: 1, momentum: 0.5 });
      autograd.record(() => a.call(row(1, 2)).add(b.call(row(1, 2)))).backward();
      t.step(1);
      // Both: m = −x, w = [0.5, −0.5] − [1, 2].
      assert.deepEqual(vals(a.weight.data()), [-0.5, -2.5]);
      assert.deepEqual(vals(b.weight.data()), [-0.5, -2.5]);
      // Only a is used: b's gradient is stale.
      autograd.record(() => a.call(row(3, 1))).backward();
      assert.throws(() => t.step(1), /Parameter 'b.weight'.*not been updated by backward since the last step.*ignoreStaleGrad/);
      assert.deepEqual(vals(b.weight.data()), [-0.5, -2.5], 'a failed step changes nothing');
      t.step(1, { ignoreStaleGrad: true });
      // a: m = 0.5·(−[1, 2]) − [3, 1] = [−3.5, −2]; b skipped (its momentum too), as MXNet skips it.
      assert.deepEqual(vals(a.weight.data()), [-4, -4.5]);
      assert.deepEqual(vals(b.weight.data()), [-0.5, -2.5]);
      assert.deepEqual(vals(t.states.get(b.weight)![0]!), [-1, -2]);
      assert.equal(t.counts.get(b.weight), 1);
      // A second step without any backward: every gradient is stale.
      assert.throws(() => t.step(1), /Parameter 'a.weight'.*not been updated by backward since the last step/);
      t.step(1, { ignoreStaleGrad: true });
      assert.deepEqual(vals(a.weight.data()), [-4, -4.5], 'nothing fresh, nothing updated');
    });
  }

  for (const hybrid of [false, true]) {
    it(`${hybrid ? 'hybridized (fused step)' : 'eager'}: gradReq 'add' accumulates over several recorded backward calls, then one Adam step, zeroGrad`, () => {
      const d = dense1();
      d.collectParams().setattr('gradReq', 'add');
      if (hybrid) d.hybridize();
      const t = new gluon.Trainer(d.collectParams(), 'adam', { learningRate: 0.1 });
      // MXNet's adam_update with rescale 1/3 (three examples), lr_t = lr·sqrt(1 − β2^t)/(1 − β1^t).
      let w = [0.5, -0.5];
      let b = 0;
      const m = [0, 0, 0];
      const v = [0, 0, 0];
      const batches = [[[1, 2], [3, -1], [0.5, 0.5]], [[-2, 1], [1, 1], [4, -3]]];
      batches.forEach((rows, k) => {
        d.collectParams().zeroGrad();
        for (const [a, c] of rows) autograd.record(() => d.call(row(a!, c!))).backward();
        t.step(rows.length);
        const g = [rows.reduce((s, r) => s + r[0]!, 0), rows.reduce((s, r) => s + r[1]!, 0), rows.length].map((x) => x / rows.length);
        const lrT = (0.1 * Math.sqrt(1 - 0.999 ** (k + 1))) / (1 - 0.9 ** (k + 1));
        const next = [w[0]!, w[1]!, b].map((x, i) => {
          m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
          v[i] = 0.999 * v[i]! + 0.001 * g[i]! * g[i]!;
          return x - (lrT * m[i]!) / (Math.sqrt(v[i]!) + 1e-8);
        });
        w = next.slice(0, 2);
        b = next[2]!;
        assertClose(vals(d.weight.data()), w, `weight after step ${k + 1}`, 1e-5, 1e-6);
        assertClose(vals(d.bias!.data()), [b], `bias after step ${k + 1}`, 1e-5, 1e-6);
      });
      // The accumulated gradient stays until zeroGrad (MXNet does not clear it in step).
      assert.deepEqual(vals(d.weight.grad()), [3, -1]);
    });
  }

  for (const hybrid of [false, true]) {
    it(`${hybrid ? 'hybridized (fused step)' : 'eager'}: a parameter frozen (gradReq 'null') for two steps keeps its value and states, and resumes with its own update count`, () => {
      const d = dense1();
      if (hybrid) d.hybridize();
      const t = new gluon.Trainer(d.collectParams(), 'adam', { learningRate: 0.1 });
      // Per parameter: MXNet's Adam reads the parameter's own update count t (_index_update_count).
      const adam = () => {
        let m = 0;
        let v = 0;
        let n = 0;
        return (x: number, g: number) => {
          n++;
          m = 0.9 * m + 0.1 * g;
          v = 0.999 * v + 0.001 * g * g;
          return x - (((0.1 * Math.sqrt(1 - 0.999 ** n)) / (1 - 0.9 ** n)) * m) / (Math.sqrt(v) + 1e-8);
        };
      };
      const [uw0, uw1, ub] = [adam(), adam(), adam()];
      let w = [0.5, -0.5];
      let b = 0;
      const xs = [[1, 2], [3, -1], [-2, 1], [0.5, 4], [1, -1]];
      xs.forEach(([a, c], k) => {
        const frozen = k === 1 || k === 2;
        d.bias!.gradReq = frozen ? 'null' : 'write';
        autograd.record(() => d.call(row(a!, c!))).backward();
        t.step(1);
        w = [uw0(w[0]!, a!), uw1(w[1]!, c!)];
        if (!frozen) b = ub(b, 1);
        assertClose(vals(d.weight.data()), w, `weight after step ${k + 1}`, 1e-5, 1e-6);
        assertClose(vals(d.bias!.data()), [b], `bias after step ${k + 1}`, 1e-5, 1e-6);
      });
      assert.equal(t.counts.get(d.weight), 5);
      assert.equal(t.counts.get(d.bias!), 3);
      assert.equal(t.stepCount, 5);
    });
  }

  for (const hybrid of [false, true]) {
    it(`${hybrid ? 'hybridized (fused step)' : 'eager'}: parameters cast to float64 after a step keep training, their optimizer states cast with them`, () => {
      const d = dense1();
      if (hybrid) d.hybridize();
      const t = new gluon.Trainer(d.collectParams(), 'sgd', { learningRate: 0.5, momentum: 0.9 });
      autograd.record(() => d.call(row(1, 2))).backward();
      t.step(1);
      for (const p of d.collectParams().values()) p.cast('float64');
      // float32 data for float64 parameters: an Error naming the operator and block, nothing changed (not a stale compiled step).
      assert.throws(() => {
        autograd.record(() => d.call(row(3, -1))).backward();
        t.step(1);
      }, /FullyConnected: inputs have different dtypes float32 and float64.*in block 'Dense'/);
      assertClose(vals(d.weight.data()), [0.5 - 0.5, -0.5 - 1], 'weight after the failed step');
      autograd.record(() => d.call(row(3, -1).astype('float64'))).backward();
      t.step(1);
      // m1 = −0.5·x1; m2 = 0.9·m1 − 0.5·x2; w = w0 + m1 + m2.
      const m1 = [-0.5, -1];
      const m2 = [0.9 * m1[0]! - 1.5, 0.9 * m1[1]! + 0.5];
      assert.equal(d.weight.data().dtype, 'float64');
      assert.equal(t.states.get(d.weight)![0]!.dtype, 'float64');
      assertClose(vals(d.weight.data()), [0.5 + m1[0]! + m2[0]!, -0.5 + m1[1]! + m2[1]!], 'weight', 1e-12, 1e-12);
      assertClose(vals(t.states.get(d.weight)![0]!), m2, 'momentum', 1e-12, 1e-12);
    });
  }

  /** numpy, float64: Dense(2) applied twice with one weight and bias (o = (x·Wᵀ + b)·Wᵀ + b), L2Loss, 3 SGD-momentum steps with wd. */
  const SHARED_REF = `
x, y, W, b = a, b, c, d
lr, mu, wd, n = 0.1, 0.9, 0.01, len(x)
mW, mb = np.zeros_like(W), np.zeros_like(b)
for _ in range(3):
    h = x @ W.T + b
    o = h @ W.T + b
    dO = (o - y) / 2
    dH = dO @ W
    gW = dO.T @ h + dH.T @ x
    gb = dO.sum(0) + dH.sum(0)
    mW = mu * mW - lr * wd * W - lr * gW / n
    mb = mu * mb - lr * wd * b - lr * gb / n
    W, b = W + mW, b + mb
out = [W, b]
`;

  for (const hybrid of [false, true]) {
    it(`${hybrid ? 'hybridized (fused step)' : 'eager'}: a parameter shared by two blocks gets the sum of both uses' gradients and one update per step`, () => {
      const X = [[0.5, -1], [2, 0.25], [-0.75, 1.5]];
      const Y = [[1, 0], [-0.5, 0.5], [0.25, -1]];
      const first = new gluon.nn.Dense(2, { inUnits: 2 });
      const second = new gluon.nn.Dense(2, { inUnits: 2 });
      first.initialize();
      first.weight.setData(nd.array([0.6, -0.2, 0.3, 0.8], { shape: [2, 2] }));
      first.bias!.setData(nd.array([0.1, -0.05]));
      second.shareParameters(first.collectParams());
      const net = new gluon.nn.HybridSequential();
      net.add(first, second);
      const loss = new gluon.loss.L2Loss();
      if (hybrid) {
        net.hybridize();
        loss.hybridize();
      }
      const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9, wd: 0.01 });
      assert.equal(trainer.params.length, 2, 'the shared weight and bias, once each');
      const x = nd.array(X.flat(), { shape: [3, 2] });
      const y = nd.array(Y.flat(), { shape: [3, 2] });
      for (let i = 0; i < 3; i++) {
        autograd.record(() => loss.call(net.call(x), y)).backward();
        trainer.step(3);
      }
      const f64 = (v: number[][]) => ({ shape: [v.length, v[0]!.length], dtype: 'float64', data: v.flat() });
      const [ref] = numpyRefs([{
        code: SHARED_REF,
        inputs: [f64(X), f64(Y), f64([[0.6, -0.2], [0.3, 0.8]]), { shape: [2], dtype: 'float64', data: [0.1, -0.05] }],
      }]);
      assert.equal(ref!.error, undefined, ref!.error);
      assertClose(vals(first.weight.data()), ref!.outs[0]!.data as number[], 'shared weight', 1e-5, 1e-6);
      assertClose(vals(first.bias!.data()), ref!.outs[1]!.data as number[], 'shared bias', 1e-5, 1e-6);
      assert.equal(second.weight, first.weight);
      assert.equal(trainer.counts.get(first.weight), 3);
    });
  }

  it('checks its arguments', () => {
    const p = param('w', [1], [1]);
    assert.throws(() => new gluon.Trainer([p], optimizer.create('sgd'), { learningRate: 1 }), /options must be empty/);
    assert.throws(() => new gluon.Trainer([p], 'nope'), /unknown optimizer "nope"/);
    assert.throws(() => new gluon.Trainer([p, 3 as never], 'sgd'), /params\[1\] is not a Parameter/);
    const t = new gluon.Trainer([p], optimizer.create('sgd', { learningRate: 1 }));
    assert.throws(() => t.step(0), /batchSize must be a positive number, got 0/);
    assert.throws(() => t.step(-4), /batchSize must be a positive number, got -4/);
    assert.throws(() => t.step(NaN), /batchSize must be a positive number, got NaN/);
    assert.throws(() => t.step(Infinity), /batchSize must be a positive number, got Infinity/);
    assert.throws(() => t.update(-1), /batchSize must be a positive number, got -1/);
    assert.throws(() => t.setLearningRate(NaN), /expected a non-negative number, got NaN/);
    assert.throws(() => t.setLearningRate(-Infinity), /expected a non-negative number, got -Infinity/);
    assert.throws(() => new lrScheduler.FactorScheduler({ step: 2, baseLr: NaN }), /baseLr must be a non-negative number, got NaN/);
    assert.deepEqual(vals(p.data()), [1], 'nothing changed');
    t.update(2); // Gluon's allreduceGrads + update split
    assert.deepEqual(vals(p.data()), [0.5]);
  });

  it('commitUpdate records an update computed elsewhere (the fused step)', () => {
    const p = param('w', [1, 2], [1, 1]);
    const t = new gluon.Trainer([p], 'sgd', { learningRate: 0.1, momentum: 0.9 });
    assert.equal(t.stateOf(p).length, 1);
    t.commitUpdate(p, nd.array([3, 4]), [nd.array([0.5, 0.5])]);
    assert.deepEqual(vals(p.data()), [3, 4]);
    assert.equal(t.stepCount, 1);
    assert.equal(t.nextScalars(p, 1).t, 2);
    p.setGrad(nd.array([1, 1])); // the committed update used the gradient up
    t.step(1);
    assertClose(vals(p.data()), [3 + 0.45 - 0.1, 4 + 0.45 - 0.1], 'continues from the committed momentum');
  });

  describe('saveStates / loadStates', () => {
    const root = scratchDir('gluonc-trainer-');
    const tmp = (name: string) => path.join(fs.mkdtempSync(path.join(root(), 'case-')), name);
    for (const [name, opts] of [
      ['adam', { learningRate: 0.05, wd: 0.01 }],
      ['sgd', { learningRate: 0.1, momentum: 0.9, nesterov: true }],
      ['rmsprop', { learningRate: 0.01, centered: true }],
      ['sgd', { learningRate: 0.2, lrScheduler: 'cosine' }],
    ] as [string, Record<string, unknown>][]) {
      it(`resumes ${name} ${JSON.stringify(opts)} exactly`, () => {
        const make = () => {
          const ps = [param('a', [1, -1, 0.5]), param('b', [2], undefined, { lrMult: 0.5 })];
          const o = { ...opts };
          if (o.lrScheduler === 'cosine') o.lrScheduler = new lrScheduler.CosineScheduler({ maxUpdate: 6, finalLr: 0.01, warmupSteps: 2 });
          return { ps, t: new gluon.Trainer(new gluon.ParameterDict([['a', ps[0]!], ['b', ps[1]!]]), name, o) };
        };
        const grads = (k: number) => [[0.3 * k, -0.2, 0.1 + 0.05 * k], [1 - 0.3 * k]];
        const run = (m: ReturnType<typeof make>, from: number, to: number) => {
          for (let k = from; k < to; k++) {
            m.ps.forEach((p, i) => p.setGrad(nd.array(grads(k)[i]!)));
            m.t.step(2);
          }
        };
        const whole = make();
        run(whole, 0, 6);

        const first = make();
        run(first, 0, 3);
        const file = tmp('t.states');
        first.t.saveStates(file);
        const second = make();
        second.ps.forEach((p, i) => p.setData(first.ps[i]!.data()));
        second.t.loadStates(file);
        assert.equal(second.t.stepCount, 3);
        run(second, 3, 6);
        second.ps.forEach((p, i) => assert.deepEqual(vals(p.data()), vals(whole.ps[i]!.data()), `parameter ${i} after resuming`));
        for (const [j, p] of second.ps.entries()) {
          const a = second.t.states.get(p)!;
          const b = whole.t.states.get(whole.ps[j]!)!;
          assert.equal(a.length, b.length);
          a.forEach((s, i) => assert.deepEqual(vals(s), vals(b[i]!), `state ${i}`));
        }
      });
    }

    it('restores the learning rate and refuses foreign files', () => {
      const p = param('w', [1], [1]);
      const t = new gluon.Trainer([p], 'adam', { learningRate: 0.1 });
      t.step(1);
      t.setLearningRate(0.02);
      const file = tmp('a.states');
      t.saveStates(file);
      const p2 = param('w', [1]);
      const t2 = new gluon.Trainer([p2], 'adam');
      t2.loadStates(file);
      assert.equal(t2.learningRate, 0.02);
      assert.equal(t2.counts.get(p2), 1);
      assert.throws(() => new gluon.Trainer([param('w', [1])], 'sgd').loadStates(file), /states of optimizer 'adam', but this trainer uses 'sgd'/);
      assert.throws(() => new gluon.Trainer([param('v', [1])], 'adam').loadStates(file), /Parameter 'w', which this trainer does not have/);
      assert.throws(() => new gluon.Trainer([param('w', [1, 2])], 'adam').loadStates(file), /state 0 of Parameter 'w' is float32\[1\], expected float32\[2\]/);
      const other = tmp('net.safetensors');
      fs.writeFileSync(other, encodeSafetensors([['w', nd.array([1])._host]]));
      assert.throws(() => t2.loadStates(other), /not a trainer states file/);
      assert.throws(() => t2.loadStates(tmp('missing')), /cannot read/);
    });
  });
});

describe('lrScheduler', () => {
  /** MXNet 1.x FactorScheduler.__call__, stateful as written there. */
  function mxnetFactor(step: number, factor: number, stop: number, base: number) {
    let count = 0;
    let lr = base;
    return (n: number) => {
      while (n > count + step) {
        count += step;
        lr *= factor;
        if (lr < stop) lr = stop;
      }
      return lr;
    };
  }

  it('FactorScheduler matches MXNet', () => {
    const s = new lrScheduler.FactorScheduler({ step: 3, factor: 0.5, stopFactorLr: 0.01, baseLr: 0.4 });
    const ref = mxnetFactor(3, 0.5, 0.01, 0.4);
    for (let n = 0; n <= 30; n++) assert.equal(s.call(n), ref(n), `update ${n}`);
    assert.throws(() => new lrScheduler.FactorScheduler({ step: 0 }), /step must be an integer >= 1/);
    assert.throws(() => new lrScheduler.FactorScheduler({ step: 2, factor: 2 }), /factor must be in \(0, 1\]/);
  });

  it('CosineScheduler with warm-up matches the formula', () => {
    const s = new lrScheduler.CosineScheduler({ maxUpdate: 20, baseLr: 0.1, finalLr: 0.001, warmupSteps: 5, warmupBeginLr: 0.01 });
    for (let n = 0; n <= 25; n++) {
      const expected = n < 5
        ? 0.01 + ((0.1 - 0.01) * n) / 5
        : n <= 20 ? 0.001 + (0.099 * (1 + Math.cos((Math.PI * (n - 5)) / 15))) / 2 : 0.001;
      assertClose([s.call(n)], [expected], `update ${n}`, 1e-12, 1e-12);
    }
    const c = new lrScheduler.CosineScheduler({ maxUpdate: 4, baseLr: 1, warmupSteps: 2, warmupMode: 'constant', warmupBeginLr: 0.3 });
    assert.equal(c.call(1), 0.3);
    assert.throws(() => new lrScheduler.CosineScheduler({ maxUpdate: 2, warmupSteps: 2 }), /warmupSteps \(2\) must be less than maxUpdate \(2\)/);
    // MXNet's LRScheduler: "Base lr has to be higher than warmup_begin_lr" (python/mxnet/lr_scheduler.py)
    assert.throws(() => new lrScheduler.CosineScheduler({ maxUpdate: 20, baseLr: 0.1, warmupSteps: 5, warmupBeginLr: 0.2 }), /CosineScheduler: warmupBeginLr \(0\.2\) must not exceed baseLr \(0\.1\)/);
    assert.throws(() => new lrScheduler.FactorScheduler(2, { warmupBeginLr: 0.02 }), /FactorScheduler: warmupBeginLr \(0\.02\) must not exceed baseLr \(0\.01\)/);
  });

  /**
   * MXNet 1.9.1's schedulers, transcribed from python/mxnet/lr_scheduler.py
   * (LRScheduler.get_warmup_lr, MultiFactorScheduler.__call__ and
   * PolyScheduler.__call__, stateful as written there) and run by python3
   * over updates 0..N in order.
   */
  const MXNET_SCHEDULERS = String.raw`
class LRScheduler(object):
    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        self.base_lr = base_lr
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        self.warmup_mode = warmup_mode
    def get_warmup_lr(self, num_update):
        assert num_update < self.warmup_steps
        if self.warmup_mode == 'linear':
            increase = (self.warmup_final_lr - self.warmup_begin_lr) * float(num_update) / float(self.warmup_steps)
            return self.warmup_begin_lr + increase
        return self.warmup_begin_lr

class MultiFactorScheduler(LRScheduler):
    def __init__(self, step, factor=1, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.step = step; self.cur_step_ind = 0; self.factor = factor; self.count = 0
    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind <= len(self.step) - 1:
            if num_update > self.step[self.cur_step_ind]:
                self.count = self.step[self.cur_step_ind]
                self.cur_step_ind += 1
                self.base_lr *= self.factor
            else:
                return self.base_lr
        return self.base_lr

class PolyScheduler(LRScheduler):
    def __init__(self, max_update, base_lr=0.01, pwr=2, final_lr=0, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.power = pwr; self.base_lr_orig = self.base_lr; self.max_update = max_update
        self.final_lr = final_lr; self.max_steps = self.max_update - self.warmup_steps
    def __call__(self, num_update):
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * \
                pow(1 - float(num_update - self.warmup_steps) / float(self.max_steps), self.power)
        return self.base_lr

kind, kw, n = args
s = (MultiFactorScheduler if kind == 'multi' else PolyScheduler)(**kw)
out = np.array([s(i) for i in range(n + 1)])
`;

  const mxnetSchedule = (kind: 'multi' | 'poly', kw: Record<string, unknown>, n: number): number[] => {
    const [r] = numpyRefs([{ code: MXNET_SCHEDULERS, inputs: [], args: [kind, kw, n] }]);
    assert.equal(r!.error, undefined, r!.error);
    return r!.outs[0]!.data as number[];
  };

  it('schedules refuse unknown options, a non-object, and an update count that is not one, naming them', () => {
    assert.throws(() => new lrScheduler.FactorScheduler({ step: 3, stopFactorLR: 0.1 } as never), /FactorScheduler: unknown option 'stopFactorLR' \(valid: baseLr, warmupSteps, warmupBeginLr, warmupMode, step, factor, stopFactorLr\)/);
    assert.throws(() => new lrScheduler.PolyScheduler({ max_update: 3 } as never), /PolyScheduler: missing required argument 'maxUpdate' .*which has max_update; did you mean 'maxUpdate' for 'max_update'\?\)$/);
    assert.throws(() => new lrScheduler.CosineScheduler({ maxUpdate: 3, final_lr: 0 } as never), /CosineScheduler: unknown option 'final_lr'/);
    assert.throws(() => new lrScheduler.MultiFactorScheduler({ step: [1], warmup_steps: 2 } as never), /MultiFactorScheduler: unknown option 'warmup_steps'/);
    assert.throws(() => new lrScheduler.FactorScheduler(null as never), /FactorScheduler: step must be an integer >= 1, got null/); // MXNet's FactorScheduler(None): step is None
    const s = new lrScheduler.FactorScheduler({ step: 2, factor: 0.5 });
    for (const bad of [-1, 1.5, NaN]) assert.throws(() => s.call(bad), new RegExp(`FactorScheduler.call: numUpdate must be an integer >= 0 \\(the update count\\), got ${bad}`));
    assert.throws(() => new lrScheduler.CosineScheduler({ maxUpdate: 3, warmupSteps: 1 }).call(-1), /CosineScheduler.call: numUpdate must be an integer >= 0/);
    assert.equal(s.call(0), 0.01, 'update 0 is the base rate');
  });

  it('MultiFactorScheduler matches MXNet 1.9.1 (steps, factor, base LR, linear and constant warm-up)', () => {
    const cases: [Record<string, unknown>, MultiFactorSchedulerOptions][] = [
      [{ step: [3, 7, 12], factor: 0.5, base_lr: 0.4 }, { step: [3, 7, 12], factor: 0.5, baseLr: 0.4 }],
      [{ step: [5, 6], factor: 0.1, base_lr: 1, warmup_steps: 4, warmup_begin_lr: 0.2 }, { step: [5, 6], factor: 0.1, baseLr: 1, warmupSteps: 4, warmupBeginLr: 0.2 }],
      [{ step: [2], factor: 0.3, base_lr: 0.05, warmup_steps: 3, warmup_begin_lr: 0.01, warmup_mode: 'constant' }, { step: [2], factor: 0.3, baseLr: 0.05, warmupSteps: 3, warmupBeginLr: 0.01, warmupMode: 'constant' }],
    ];
    for (const [kw, opts] of cases) {
      const ref = mxnetSchedule('multi', kw, 20);
      const s = new lrScheduler.MultiFactorScheduler(opts as never);
      assertClose(ref.map((_v, n) => s.call(n)), ref, `MultiFactorScheduler ${JSON.stringify(kw)}`, 1e-12, 1e-15);
    }
    // The boundary: the reduction applies after update `step`, not at it.
    const s = new lrScheduler.MultiFactorScheduler({ step: [10], factor: 0.1, baseLr: 1 });
    assert.equal(s.call(10), 1);
    assertClose([s.call(11)], [0.1], 'after the step');
    assert.throws(() => new lrScheduler.MultiFactorScheduler({ step: [] }), /step must be a non-empty list/);
    assert.throws(() => new lrScheduler.MultiFactorScheduler({ step: [5, 5] }), /step must be increasing, but step\[1\] = 5 follows 5/);
    assert.throws(() => new lrScheduler.MultiFactorScheduler({ step: [0] }), /step\[0\] must be an integer >= 1/);
    assert.throws(() => new lrScheduler.MultiFactorScheduler({ step: [3], factor: 1.5 }), /factor must be in \(0, 1\]/);
  });

  it('PolyScheduler matches MXNet 1.9.1 (max update, power, final LR, warm-up)', () => {
    const cases: [Record<string, unknown>, PolySchedulerOptions][] = [
      [{ max_update: 10, base_lr: 0.1 }, { maxUpdate: 10, baseLr: 0.1 }],
      [{ max_update: 12, base_lr: 0.5, pwr: 3, final_lr: 0.01, warmup_steps: 4, warmup_begin_lr: 0.1 }, { maxUpdate: 12, baseLr: 0.5, pwr: 3, finalLr: 0.01, warmupSteps: 4, warmupBeginLr: 0.1 }],
      [{ max_update: 9, base_lr: 1, pwr: 0.5, final_lr: 0.2, warmup_steps: 2, warmup_begin_lr: 0.3, warmup_mode: 'constant' }, { maxUpdate: 9, baseLr: 1, pwr: 0.5, finalLr: 0.2, warmupSteps: 2, warmupBeginLr: 0.3, warmupMode: 'constant' }],
    ];
    for (const [kw, opts] of cases) {
      const ref = mxnetSchedule('poly', kw, 20);
      const s = new lrScheduler.PolyScheduler(opts as never);
      assertClose(ref.map((_v, n) => s.call(n)), ref, `PolyScheduler ${JSON.stringify(kw)}`, 1e-12, 1e-15);
    }
    const p = new lrScheduler.PolyScheduler({ maxUpdate: 100, baseLr: 0.1, finalLr: 0.001 });
    assertClose([p.call(50)], [0.001 + 0.099 * 0.25], 'half way, power 2');
    assert.equal(p.call(100), 0.001);
    assert.equal(p.call(1000), 0.001);
    assert.throws(() => new lrScheduler.PolyScheduler({ maxUpdate: 0 }), /maxUpdate must be an integer >= 1/);
    assert.throws(() => new lrScheduler.PolyScheduler({ maxUpdate: 3, warmupSteps: 3 }), /warmupSteps \(3\) must be less than maxUpdate \(3\)/);
    assert.throws(() => new lrScheduler.PolyScheduler({ maxUpdate: 3, pwr: -1 }), /pwr must be a non-negative number/);
  });

  it('a Trainer follows a MultiFactorScheduler and takes its base rate from learningRate', () => {
    const p = param('w', [0], [1]);
    const sched = new lrScheduler.MultiFactorScheduler({ step: [2, 3], factor: 0.5 });
    const t = new gluon.Trainer([p], 'sgd', { learningRate: 1, lrScheduler: sched });
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = vals(p.data())[0]!;
      p.setGrad(nd.array([1]));
      t.step(1);
      seen.push(before - vals(p.data())[0]!);
    }
    // Updates 1, 2 at 1; 3 at 0.5; 4 at 0.25 (MXNet reduces after update `step`).
    assertClose(seen, [1, 1, 0.5, 0.25], 'per-step learning rates');
  });
});

describe("Trainer and optimizer.create: Gluon's keyword arguments (Trainer(params, optimizer='sgd', optimizer_params={...}))", () => {
  /** w after two SGD steps with gradient g = [0.5, -1] each, from w = [1, 2]. */
  const twoSteps = (make: (p: gluon.Parameter) => gluon.Trainer): number[] => {
    const p = param('w', [1, 2], [0.5, -1]);
    const t = make(p);
    t.step(1);
    p.setGrad(nd.array([0.5, -1]));
    t.step(1);
    return vals(p.data());
  };
  it('every form trains as the positional one: momentum 0.9, lr 0.1 (MXNet: mom = 0.9·mom − lr·g; w += mom)', () => {
    // Reference by hand: step 1 moves -0.1·g, step 2 moves -(0.9·0.1 + 0.1)·g: w - 0.29·g.
    const want = [1 - 0.29 * 0.5, 2 + 0.29];
    const forms: ((p: gluon.Parameter) => gluon.Trainer)[] = [
      (p) => new gluon.Trainer([p], 'sgd', { learningRate: 0.1, momentum: 0.9 }),
      (p) => new gluon.Trainer([p], { optimizer: 'sgd', learningRate: 0.1, momentum: 0.9 }),
      (p) => new gluon.Trainer({ params: [p], optimizer: 'sgd', optimizerParams: { learningRate: 0.1, momentum: 0.9 } }),
      (p) => new gluon.Trainer([p], 'sgd', { optimizerParams: { learningRate: 0.1, momentum: 0.9 } }),
      // An object of Parameters is `params`, not the options object.
      (p) => new gluon.Trainer({ w: p }, { optimizer: 'sgd', learningRate: 0.1, momentum: 0.9 }),
      (p) => new gluon.Trainer([p], optimizer.create({ name: 'sgd', learningRate: 0.1, momentum: 0.9 })),
    ];
    for (const [i, f] of forms.entries()) assertClose(twoSteps(f), want, `form ${i}`, 1e-6, 1e-7);
    // The control: without momentum, w - 0.2·g.
    assertClose(twoSteps((p) => new gluon.Trainer([p], { optimizer: 'sgd', learningRate: 0.1 })), [0.9, 2.2], 'control', 1e-6, 1e-7);
  });
  it('an optimizer written as an object literal is still the optimizer argument', () => {
    const sgd = optimizer.create('sgd', { learningRate: 0.1 });
    const literal = { name: 'lit', learningRate: 0.1, update: sgd.update.bind(sgd), createState: sgd.createState.bind(sgd) } as unknown as optimizer.Optimizer;
    const p = param('w', [1, 2], [0.5, -1]);
    assert.equal(new gluon.Trainer([p], literal).optimizer, literal);
  });
  it('given twice, missing, or the optimizer options two ways: Errors naming them', () => {
    const p = param('w', [1, 2], [0.5, -1]);
    assert.throws(() => new gluon.Trainer([p], 'sgd', { optimizer: 'adam' } as never), /^Error: Trainer: got multiple values for argument 'optimizer' \("sgd" as argument 2 and "adam" in the options object\)/);
    assert.throws(() => new gluon.Trainer({ params: [p] } as never), /^Error: Trainer: missing required argument 'optimizer'/);
    assert.throws(() => new gluon.Trainer({ w: p } as never), /^Error: Trainer: missing required argument 'optimizer'/);
    assert.throws(() => new gluon.Trainer([p], 'sgd', { learningRate: 0.1, optimizerParams: { momentum: 0.9 } }), /^Error: Trainer: the optimizer's options are given both as optimizerParams and as options \(learningRate\)/);
    assert.throws(() => new gluon.Trainer([p], 'sgd', { optimizerParams: 0.1 as never }), /^Error: Trainer: optimizerParams must be an object/);
    assert.throws(() => optimizer.create('sgd', { name: 'adam' } as never), /^Error: optimizer.create: got multiple values for argument 'name'/);
    assert.throws(() => optimizer.create({ learningRate: 0.1 } as never), /^Error: optimizer.create: missing required argument 'name'/);
    assert.equal(optimizer.create({ name: 'adam', learningRate: 0.01 }).learningRate, 0.01);
  });
});

describe("learning-rate schedules: MXNet's first parameter positionally (d2l's optimization chapter)", () => {
  it('CosineScheduler(20, { warmupSteps: 5, ... }) and the others take step / maxUpdate as argument 1, by the closed forms', () => {
    // d2l: lr_scheduler.CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01)
    const c = new lrScheduler.CosineScheduler(20, { warmupSteps: 5, baseLr: 0.3, finalLr: 0.01 });
    const cosine = (n: number) => (n < 5 ? 0.3 * n / 5 : n > 20 ? 0.01 : 0.01 + (0.3 - 0.01) * (1 + Math.cos(Math.PI * (n - 5) / 15)) / 2);
    assertClose([0, 2, 5, 10, 20, 25].map((n) => c.call(n)), [0, 2, 5, 10, 20, 25].map(cosine), 'cosine with warm-up', 1e-12, 1e-15);
    assert.equal(new lrScheduler.CosineScheduler({ maxUpdate: 20, baseLr: 0.3 }).call(10), new lrScheduler.CosineScheduler(20, { baseLr: 0.3 }).call(10));
    // FactorScheduler(step=2, factor=0.9, stop_factor_lr=1e-2, base_lr=2): 2 * 0.9^(ceil(n/2) - 1), at least 0.01
    const f = new lrScheduler.FactorScheduler(2, { factor: 0.9, stopFactorLr: 1e-2, baseLr: 2 });
    assertClose([1, 3, 5, 100].map((n) => f.call(n)), [2, 1.8, 2 * 0.81, Math.max(2 * 0.9 ** 49, 0.01)], 'factor', 1e-12, 1e-15);
    const m = new lrScheduler.MultiFactorScheduler([15, 30], { factor: 0.5, baseLr: 0.5 });
    assert.deepEqual([15, 16, 31].map((n) => m.call(n)), [0.5, 0.25, 0.125]);
    assertClose([new lrScheduler.PolyScheduler(10, { baseLr: 0.1 }).call(5)], [0.1 * 0.25], 'poly', 1e-12, 1e-15);
    assert.throws(() => new lrScheduler.CosineScheduler(20, { maxUpdate: 20 } as never), /CosineScheduler: got multiple values for argument 'maxUpdate'/);
    assert.throws(() => new lrScheduler.CosineScheduler(20, { warmup_steps: 5 } as never), /CosineScheduler: unknown option 'warmup_steps'.*did you mean 'warmupSteps'/);
  });
});
