/**
 * d2l's optimization chapter (MXNet edition) in models/d2l/optim.ts, on
 * generated airfoil-style data:
 * - each concise `gluon.Trainer(net.collect_params(), name, {...})` after
 *   eight steps against MXNet's update rules written in numpy (float64):
 *   sgd/sgd_mom_update and rmsprop(alex)_update from
 *   src/operator/optimizer_op-inl.h (SGD: `w ← (1 − lr·wd)·w − lr·clip(rescale·g)`,
 *   momentum `m ← μ·m − lr·wd·w − lr·clip(rescale·g)`; RMSProp: `g ← clip(rescale·g + wd·w)`,
 *   ε inside the square root, `gamma1`/`gamma2`), AdaGrad, AdaDelta and Adam
 *   from python/mxnet/optimizer/optimizer.py (AdaGrad's `float_stable_eps`
 *   1e-7 inside the square root; AdaDelta's ρ and ε 1e-5 in both roots, no
 *   learning rate; Adam's bias correction folded into the learning rate,
 *   ε outside it: `w ← w − lr·sqrt(1−β2^t)/(1−β1^t)·m/(sqrt(v) + ε)`);
 * - the from-scratch updaters (`train_ch11`) against the concise ones with
 *   the same hyper-parameters (d2l's ε 1e-6 given to adagrad/rmsprop), and
 *   adam/yogi against d2l's formulas in numpy (ε inside the corrected term:
 *   not MXNet's Adam);
 * - `lr_scheduler`'s schedules against MXNet's stateful classes
 *   (python/mxnet/lr_scheduler.py, 1.6+: warm-up from `warmup_begin_lr`,
 *   FactorScheduler's `while num_update > count + step`, Cosine/Poly to
 *   `final_lr` at `max_update`) called in order, at every update count
 *   0..max_update+3 (the warm-up boundary, the factor steps' ties, the last
 *   step); the Trainer applying a schedule from update 1; d2l's
 *   SquareRootScheduler through `trainer.set_learning_rate`.
 */
import assert from 'node:assert/strict';
import { gluon, lrScheduler, np, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import * as d2l from '../../models/d2l/optim.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);

/** The concise net's weight and bias, flat. */
function conciseParams(net: gluon.Block): number[] {
  const p = net.collectParams();
  return [...flat(p.get('0.weight').data()), ...flat(p.get('0.bias').data())];
}

const MXNET_RULES = String.raw`
import numpy as np
D = attrs["data"]; w = np.array(attrs["w"], dtype=np.float64).reshape(-1, 1); b = np.array(attrs["b"], dtype=np.float64)
name, hp, epochs = attrs["name"], attrs["hp"], attrs["epochs"]
def clip(g):
    c = hp.get("clipGradient")
    return np.clip(g, -c, c) if c else g
P = [w, b]; S = [dict() for _ in P]; t = 0
for _ in range(epochs):
    for X, y in D:
        X = np.array(X, dtype=np.float64); y = np.array(y, dtype=np.float64).reshape(-1, 1)
        r = X @ P[0] + P[1] - y          # L2Loss: d/dŷ of (ŷ − y)²/2, summed; Trainer.step(B): rescale 1/B
        G = [X.T @ r, r.sum(0)]
        rescale = 1.0 / len(y); t += 1
        for i in range(2):
            wgt, g, s = P[i], G[i], S[i]
            lr, wd = hp.get("learningRate", 0.01), hp.get("wd", 0.0)
            if name == "sgd":
                mu = hp.get("momentum", 0.0)
                if mu == 0:
                    wgt = (1 - lr * wd) * wgt - lr * clip(rescale * g)
                else:
                    m = s.get("m", np.zeros_like(wgt))
                    m = mu * m - lr * wd * wgt - lr * clip(rescale * g); s["m"] = m
                    wgt = wgt + m
            elif name == "adagrad":
                gg = clip(rescale * g)
                h = s.get("h", np.zeros_like(wgt)) + gg * gg; s["h"] = h
                wgt = wgt - lr * (gg / np.sqrt(h + hp.get("epsilon", 1e-7)) + wd * wgt)
            elif name == "rmsprop":
                lr = hp.get("learningRate", 0.001); g1, g2, eps = hp.get("gamma1", 0.9), hp.get("gamma2", 0.9), hp.get("epsilon", 1e-8)
                gg = clip(rescale * g + wd * wgt)
                n = (1 - g1) * gg * gg + g1 * s.get("n", np.zeros_like(wgt)); s["n"] = n
                if not hp.get("centered"):
                    wgt = wgt - lr * gg / np.sqrt(n + eps)
                else:
                    gb = (1 - g1) * gg + g1 * s.get("g", np.zeros_like(wgt)); s["g"] = gb
                    dl = g2 * s.get("d", np.zeros_like(wgt)) - lr * gg / np.sqrt(n - gb * gb + eps); s["d"] = dl
                    wgt = wgt + dl
            elif name == "adadelta":
                rho, eps = hp.get("rho", 0.9), hp.get("epsilon", 1e-5)
                gg = clip(rescale * g)
                ag = rho * s.get("ag", np.zeros_like(wgt)) + (1 - rho) * gg * gg; s["ag"] = ag
                ad = s.get("ad", np.zeros_like(wgt))
                cur = np.sqrt(ad + eps) / np.sqrt(ag + eps) * gg
                s["ad"] = rho * ad + (1 - rho) * cur * cur
                wgt = wgt - (cur + wd * wgt)
            elif name == "adam":
                lr = hp.get("learningRate", 0.001); b1, b2, eps = hp.get("beta1", 0.9), hp.get("beta2", 0.999), hp.get("epsilon", 1e-8)
                gg = clip(rescale * g + wd * wgt)
                m = b1 * s.get("m", np.zeros_like(wgt)) + (1 - b1) * gg; v = b2 * s.get("v", np.zeros_like(wgt)) + (1 - b2) * gg * gg
                s["m"], s["v"] = m, v
                wgt = wgt - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
            P[i] = wgt
out = [np.concatenate([P[0].reshape(-1), P[1].reshape(-1)])]
`;

const D2L_ADAM = String.raw`
import numpy as np
D = attrs["data"]; P = [np.array(attrs["w"], dtype=np.float64).reshape(-1, 1), np.array(attrs["b"], dtype=np.float64)]
lr, yogi = attrs["lr"], attrs["yogi"]
b1, b2, eps = 0.9, 0.999, (1e-3 if yogi else 1e-6)
S = [[np.zeros_like(p), np.zeros_like(p)] for p in P]; t = 1
for X, y in D:
    X = np.array(X, dtype=np.float64); y = np.array(y, dtype=np.float64).reshape(-1, 1)
    r = X @ P[0] + P[1] - y; G = [X.T @ r / len(y), r.mean(0)]   # squared_loss(...).mean()
    for i in range(2):
        v, s = S[i]; g = G[i]
        v = b1 * v + (1 - b1) * g
        s = s + (1 - b2) * np.sign(g * g - s) * g * g if yogi else b2 * s + (1 - b2) * g * g
        S[i] = [v, s]
        P[i] = P[i] - lr * (v / (1 - b1 ** t)) / (np.sqrt(s / (1 - b2 ** t)) + eps)
    t += 1
out = [np.concatenate([P[0].reshape(-1), P[1].reshape(-1)])]
`;

describe('models/d2l: optimization algorithms (train_ch11, train_concise_ch11, lr_scheduler)', function () {
  this.timeout(120000);
  let data: ReturnType<typeof d2l.getDataCh11>;
  let start: d2l.LinregInit;
  let dataJson: number[][][][];
  before(() => {
    data = d2l.getDataCh11(10, 40);
    random.seed(5);
    start = { w: np.random.normal(0, 0.5, [data.featureDim, 1]), b: np.array([0.3]) };
    dataJson = data.dataIter.map(([X, y]) => [X.toArray() as number[][], flat(y) as unknown as number[][]]);
  });

  it('the generated data: 1500×5 standardized features by default, a linear target; batches in order', () => {
    const { dataIter, featureDim } = d2l.getDataCh11();
    assert.equal(featureDim, 5);
    assert.equal(dataIter.length, 150);
    assert.deepEqual(dataIter[0]![0].shape, [10, 5]);
    assert.deepEqual(dataIter[0]![1].shape, [10]);
  });

  const CASES: [string, Record<string, unknown>][] = [
    ['sgd', { learningRate: 0.05 }],
    ['sgd', { learningRate: 0.02, momentum: 0.5, wd: 0.01 }],
    ['sgd', { learningRate: 0.02, momentum: 0.9, clipGradient: 0.5 }],
    ['adagrad', { learningRate: 0.1 }],
    ['adagrad', { learningRate: 0.1, wd: 0.05, clipGradient: 1 }],
    // ε large enough that its placement (inside the square root in MXNet, outside in PyTorch) shows
    ['adagrad', { learningRate: 0.5, epsilon: 0.5 }],
    ['rmsprop', { learningRate: 0.05, epsilon: 0.5 }],
    ['rmsprop', { learningRate: 0.05, epsilon: 0.5, centered: true }],
    ['rmsprop', { learningRate: 0.01, gamma1: 0.9 }],
    ['rmsprop', { learningRate: 0.01, gamma1: 0.8, gamma2: 0.7, centered: true, wd: 0.01 }],
    ['adadelta', { rho: 0.9 }],
    ['adadelta', { rho: 0.5, epsilon: 1e-3, wd: 0.1 }],
    ['adam', { learningRate: 0.01 }],
    ['adam', { learningRate: 0.1, epsilon: 0.5 }],
    ['adam', { learningRate: 0.05, beta1: 0.5, epsilon: 1e-3, wd: 0.01, clipGradient: 0.3 }],
  ];

  it("each concise optimizer's parameters after 8 steps equal MXNet's update rule in numpy (float64)", () => {
    const runs = CASES.map(([name, hp]) => conciseParams(d2l.trainConciseCh11(name, hp, data.dataIter, 2, start).net));
    const refs = numpyRefs(CASES.map(([name, hp]) => ({ code: MXNET_RULES, inputs: [], attrs: { data: dataJson, w: flat(start.w), b: flat(start.b), name, hp, epochs: 2 } })));
    CASES.forEach(([name, hp], i) => {
      assert.ok(!refs[i]!.error, refs[i]!.error);
      assertClose(runs[i]!, refs[i]!.outs[0]!.data as number[], `${name} ${JSON.stringify(hp)}`, 1e-4, 1e-6);
      // the parameters moved (a test of an optimizer that does nothing would pass otherwise)
      assert.ok(runs[i]!.some((v, k) => Math.abs(v - [...flat(start.w), ...flat(start.b)][k]!) > 1e-3), `${name} moved`);
    });
  });

  it('the from-scratch updaters equal the concise Trainer with the same hyper-parameters (sgd, momentum, adagrad, rmsprop, adadelta)', () => {
    const dim = data.featureDim;
    const pairs: [d2l.TrainerFn, () => NDArray[] | NDArray[][], d2l.Hyperparams, string, Record<string, unknown>][] = [
      [d2l.sgd, () => [], { lr: 0.05 }, 'sgd', { learningRate: 0.05 }],
      [d2l.sgdMomentum as d2l.TrainerFn, () => d2l.initMomentumStates(dim), { lr: 0.02, momentum: 0.5 }, 'sgd', { learningRate: 0.02, momentum: 0.5 }],
      [d2l.adagrad as d2l.TrainerFn, () => d2l.initAdagradStates(dim), { lr: 0.1 }, 'adagrad', { learningRate: 0.1, epsilon: 1e-6 }],
      [d2l.rmsprop as d2l.TrainerFn, () => d2l.initRmspropStates(dim), { lr: 0.01, gamma: 0.9 }, 'rmsprop', { learningRate: 0.01, gamma1: 0.9, epsilon: 1e-6 }],
      [d2l.adadelta as d2l.TrainerFn, () => d2l.initAdadeltaStates(dim), { rho: 0.9 }, 'adadelta', { rho: 0.9 }],
    ];
    for (const [fn, states, hp, name, chp] of pairs) {
      const a = d2l.trainCh11(fn, states(), { ...hp }, data.dataIter, dim, 2, start);
      const b = d2l.trainConciseCh11(name, chp, data.dataIter, 2, start);
      assertClose([...flat(a.w), ...flat(a.b)], conciseParams(b.net), `${name} ${JSON.stringify(hp)}: scratch vs concise`, 1e-4, 1e-6);
      assertClose(a.losses, b.losses, `${name}: losses`, 1e-4, 1e-6);
      assert.ok(a.losses[1]! < a.losses[0]!, `${name}: the loss decreases (${a.losses})`);
    }
  });

  it("from-scratch adam and yogi equal d2l's formulas in numpy; adam differs from MXNet's by where ε sits", () => {
    const dim = data.featureDim;
    const refs = numpyRefs([false, true].map((yogi) => ({ code: D2L_ADAM, inputs: [], attrs: { data: dataJson, w: flat(start.w), b: flat(start.b), lr: 0.01, yogi } })));
    for (const [i, fn] of [d2l.adam, d2l.yogi].entries()) {
      const hp = { lr: 0.01, t: 1 };
      const a = d2l.trainCh11(fn as d2l.TrainerFn, d2l.initAdamStates(dim), hp, data.dataIter, dim, 1, start);
      assert.equal(hp.t, 5, 'hyperparams.t counts the steps');
      assertClose([...flat(a.w), ...flat(a.b)], refs[i]!.outs[0]!.data as number[], fn.name, 1e-4, 1e-6);
    }
    const a = d2l.trainCh11(d2l.adam as d2l.TrainerFn, d2l.initAdamStates(dim), { lr: 0.01, t: 1 }, data.dataIter, dim, 1, start);
    const b = d2l.trainConciseCh11('adam', { learningRate: 0.01, epsilon: 1e-6 }, data.dataIter, 1, start);
    assertClose([...flat(a.w), ...flat(a.b)], conciseParams(b.net), 'adam: scratch vs concise (ε placement within 1e-3)', 1e-3, 1e-5);
  });

  const SCHED = String.raw`
from math import cos, pi
class LRScheduler:
    def __init__(self, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        self.base_lr = base_lr; self.warmup_steps = warmup_steps; self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr; self.warmup_mode = warmup_mode
    def get_warmup_lr(self, n):
        if self.warmup_mode == 'linear':
            return self.warmup_begin_lr + (self.warmup_final_lr - self.warmup_begin_lr) * float(n) / float(self.warmup_steps)
        return self.warmup_begin_lr
class FactorScheduler(LRScheduler):
    def __init__(self, step, factor=1, stop_factor_lr=1e-8, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.step, self.factor, self.stop_factor_lr, self.count = step, factor, stop_factor_lr, 0
    def __call__(self, n):
        if n < self.warmup_steps: return self.get_warmup_lr(n)
        while n > self.count + self.step:
            self.count += self.step; self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr: self.base_lr = self.stop_factor_lr
        return self.base_lr
class MultiFactorScheduler(LRScheduler):
    def __init__(self, step, factor=1, base_lr=0.01, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.step, self.cur_step_ind, self.factor = step, 0, factor
    def __call__(self, n):
        if n < self.warmup_steps: return self.get_warmup_lr(n)
        while self.cur_step_ind <= len(self.step) - 1:
            if n > self.step[self.cur_step_ind]:
                self.cur_step_ind += 1; self.base_lr *= self.factor
            else: return self.base_lr
        return self.base_lr
class PolyScheduler(LRScheduler):
    def __init__(self, max_update, base_lr=0.01, pwr=2, final_lr=0, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.base_lr_orig, self.max_update, self.power, self.final_lr = base_lr, max_update, pwr, final_lr
        self.max_steps = max_update - warmup_steps
    def __call__(self, n):
        if n < self.warmup_steps: return self.get_warmup_lr(n)
        if n <= self.max_update:
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * pow(1 - float(n - self.warmup_steps) / float(self.max_steps), self.power)
        return self.base_lr
class CosineScheduler(LRScheduler):
    def __init__(self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear'):
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.base_lr_orig, self.max_update, self.final_lr = base_lr, max_update, final_lr
        self.max_steps = max_update - warmup_steps
    def __call__(self, n):
        if n < self.warmup_steps: return self.get_warmup_lr(n)
        if n <= self.max_update:
            self.base_lr = self.final_lr + (self.base_lr_orig - self.final_lr) * (1 + cos(pi * (n - self.warmup_steps) / self.max_steps)) / 2
        return self.base_lr
s = globals()[attrs["cls"]](*attrs["args"], **attrs["kw"])
out = [np.array([s(n) for n in range(attrs["upto"])])]
`;

  const SCHEDULES: [string, unknown[], Record<string, unknown>, Record<string, unknown>][] = [
    // d2l 12.11's schedules (plotted with scheduler(t) for t in range(num_epochs))
    ['FactorScheduler', [], { step: 2, factor: 0.9, stop_factor_lr: 1e-2, base_lr: 2 }, { step: 2, factor: 0.9, stopFactorLr: 1e-2, baseLr: 2 }],
    ['FactorScheduler', [], { step: 1, factor: 0.5, stop_factor_lr: 0.1, base_lr: 1 }, { step: 1, factor: 0.5, stopFactorLr: 0.1, baseLr: 1 }],
    ['FactorScheduler', [3], { factor: 0.5, base_lr: 1, warmup_steps: 4, warmup_begin_lr: 0.1 }, { factor: 0.5, baseLr: 1, warmupSteps: 4, warmupBeginLr: 0.1 }],
    ['MultiFactorScheduler', [[15, 30]], { factor: 0.5, base_lr: 0.5 }, { factor: 0.5, baseLr: 0.5 }],
    ['MultiFactorScheduler', [[5, 6, 9]], { factor: 0.1, base_lr: 1, warmup_steps: 3, warmup_mode: 'constant', warmup_begin_lr: 0.2 }, { factor: 0.1, baseLr: 1, warmupSteps: 3, warmupMode: 'constant', warmupBeginLr: 0.2 }],
    ['CosineScheduler', [], { max_update: 20, base_lr: 0.3, final_lr: 0.01 }, { maxUpdate: 20, baseLr: 0.3, finalLr: 0.01 }],
    ['CosineScheduler', [20], { warmup_steps: 5, base_lr: 0.3, final_lr: 0.01 }, { warmupSteps: 5, baseLr: 0.3, finalLr: 0.01 }],
    ['PolyScheduler', [12], { base_lr: 0.5, pwr: 2, final_lr: 0.05, warmup_steps: 3 }, { baseLr: 0.5, pwr: 2, finalLr: 0.05, warmupSteps: 3 }],
    ['PolyScheduler', [10], { base_lr: 0.2, pwr: 1 }, { baseLr: 0.2, pwr: 1 }],
  ];

  it("lr_scheduler's schedules equal MXNet's stateful classes at every update count through the warm-up boundary and past max_update", () => {
    const upto = 40;
    const refs = numpyRefs(SCHEDULES.map(([cls, args, kw]) => ({ code: SCHED, inputs: [], attrs: { cls, args, kw, upto } })));
    SCHEDULES.forEach(([cls, args, , opts], i) => {
      assert.ok(!refs[i]!.error, refs[i]!.error);
      const Ctor = (lrScheduler as unknown as Record<string, new (...a: unknown[]) => { call(n: number): number }>)[cls]!;
      const s = new Ctor(...args, opts);
      const ours = Array.from({ length: upto }, (_, n) => s.call(n));
      assertClose(ours, refs[i]!.outs[0]!.data as number[], `${cls}(${JSON.stringify(args)}, ${JSON.stringify(opts)})`, 1e-12, 1e-15);
    });
  });

  it("a Trainer with {lrScheduler} (d2l: gluon.Trainer(params, 'sgd', {'lr_scheduler': scheduler})) updates with the schedule at updates 1, 2, 3, ...", () => {
    const sched = new lrScheduler.CosineScheduler(6, { warmupSteps: 2, baseLr: 0.3, finalLr: 0.01 });
    const lrs = Array.from({ length: 8 }, (_, n) => sched.call(n + 1));
    const { net, trainer } = d2l.trainConciseCh11('sgd', { lrScheduler: sched }, data.dataIter.slice(0, 2), 4, start);
    assert.equal(trainer.stepCount, 8);
    assert.equal(trainer.learningRate, sched.call(8));
    const [r] = numpyRefs([{ code: String.raw`
import numpy as np
P = [np.array(attrs["w"]).reshape(-1, 1), np.array(attrs["b"])]
for lr, (X, y) in zip(attrs["lrs"], attrs["data"] * 4):
    X = np.array(X); y = np.array(y).reshape(-1, 1); r = X @ P[0] + P[1] - y
    P = [P[0] - lr * X.T @ r / len(y), P[1] - lr * r.mean(0)]
out = [np.concatenate([P[0].reshape(-1), P[1]])]`, inputs: [], attrs: { data: dataJson.slice(0, 2), w: flat(start.w), b: flat(start.b), lrs } }]);
    assert.ok(!r!.error, r!.error);
    assertClose(conciseParams(net), r!.outs[0]!.data as number[], 'sgd under CosineScheduler with warm-up', 1e-4, 1e-6);
  });

  it("d2l's SquareRootScheduler through trainer.set_learning_rate(scheduler(epoch)); set_learning_rate with an lr_scheduler is an Error", () => {
    const net = d2l.trainConciseCh11('sgd', { learningRate: 0.1 }, data.dataIter, 0, start).net;
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
    const sched = new d2l.SquareRootScheduler(0.1);
    const lrs = d2l.trainWithScheduler(net, data.dataIter, 4, trainer, sched);
    assertClose(lrs, [0.1, 0.1 / Math.sqrt(1), 0.1 / Math.sqrt(2), 0.1 / Math.sqrt(3)], 'learning rate per epoch', 1e-12, 0);
    assert.equal(trainer.learningRate, 0.05);
    const withSched = new gluon.Trainer(net.collectParams(), 'sgd', { lrScheduler: new lrScheduler.FactorScheduler(2, 0.5) });
    assert.throws(() => withSched.setLearningRate(0.1), /setLearningRate: the optimizer has an lrScheduler/);
    // an lr_scheduler schedule passed to the loop is left to the Trainer
    const fs = new lrScheduler.FactorScheduler(4, 0.5, { baseLr: 0.2 });
    const t2 = new gluon.Trainer(net.collectParams(), 'sgd', { lrScheduler: fs });
    assertClose(d2l.trainWithScheduler(net, data.dataIter, 3, t2, fs), [0.2, 0.2, 0.1], 'FactorScheduler(4, 0.5) per epoch of 4 updates', 1e-12, 0);
  });
});
