import assert from 'node:assert/strict';
import { nd, sym, gluon, optimizer, profiler, autograd, exportTrainingStep, lrScheduler } from 'gluonc';
import { Session, tensorFromNumbers, tensorToNumbers } from 'gluonc/runtime';
import { evalSymbols } from '../../../compiler/compile.js';
import { graphOf } from '../../../compiler/trace/symbol.js';
import { assertClose } from '../../helpers/compare.js';

type NDArray = nd.NDArray;
type Vec = number[];
/** Scalars of one update, as the Trainer computes them. */
interface Sc { lr: number; wd: number; t: number; r: number }
/** A float64 reference of one update of one element: new weight and states. */
type Ref = (w: number, g: number, s: Vec, k: Sc) => [number, Vec];

/** MXNet's Python optimizers pass clip_gradient / clip_weights to their kernels only when truthy (`if self.clip_gradient:`): 0 does not clip. */
const clipTo = (c: number | undefined) => (x: number) => (!c ? x : Math.min(Math.max(x, -c), c));

/**
 * Float64 references written from MXNet 1.x's kernels (optimizer_op-inl.h) and
 * Python optimizers, element by element, independently of the F-written rules.
 */
const REFS: Record<string, (o: Record<string, number | boolean>) => { ref: Ref; n: number }> = {
  sgd: (o) => {
    const mu = (o.momentum as number) ?? 0;
    const clip = clipTo(o.clipGradient as number | undefined);
    if (o.nesterov) {
      // NAGMomKernel, literally.
      return {
        n: mu ? 1 : 0,
        ref: (w, g, [m0 = 0], { lr, wd, r }) => {
          const m = mu * m0;
          const d = lr * (clip(r * g) + wd * w);
          return [w - m + (mu + 1) * (m - d), mu ? [m - d] : []];
        },
      };
    }
    if (!mu) return { n: 0, ref: (w, g, _s, { lr, wd, r }) => [(1 - lr * wd) * w - lr * clip(r * g), []] };
    return {
      n: 1,
      ref: (w, g, [m0], { lr, wd, r }) => {
        const m = mu * m0! - lr * wd * w - lr * clip(r * g);
        return [w + m, [m]];
      },
    };
  },
  adam: (o) => {
    const [b1, b2, eps] = [(o.beta1 as number) ?? 0.9, (o.beta2 as number) ?? 0.999, (o.epsilon as number) ?? 1e-8];
    const clip = clipTo(o.clipGradient as number | undefined);
    return {
      n: 2,
      ref: (w, g, [m0, v0], { lr, wd, t, r }) => {
        const gg = clip(g * r + w * wd);
        const m = b1 * m0! + (1 - b1) * gg;
        const v = b2 * v0! + (1 - b2) * gg * gg;
        const lrT = (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        return [w - (lrT * m) / (Math.sqrt(v) + eps), [m, v]];
      },
    };
  },
  adamw: (o) => {
    // MXNet's AdamW (python/mxnet/optimizer/adamW.py, fused_step, its default: adamw_update with lr = 1,
    // eta = the bias-corrected rate; src/operator/contrib/adamw-inl.h AdamWUpdate):
    // w ← w − eta·(lr·m/(sqrt(v) + ε) + wd·w), so the decay is scaled by the bias-corrected rate too.
    // Default epsilon 1e-6 (AdamW's, not Adam's 1e-8).
    const [b1, b2, eps] = [(o.beta1 as number) ?? 0.9, (o.beta2 as number) ?? 0.999, (o.epsilon as number) ?? 1e-6];
    const clip = clipTo(o.clipGradient as number | undefined);
    return {
      n: 2,
      ref: (w, g, [m0, v0], { lr, wd, t, r }) => {
        const gg = clip(g * r);
        const m = b1 * m0! + (1 - b1) * gg;
        const v = b2 * v0! + (1 - b2) * gg * gg;
        // correctBias: false (MXNet 2's correct_bias=False: its fused step passes eta = lr) is GluonNLP's BERTAdam:
        // w ← w − lr·(m/(sqrt(v) + ε) + wd·w) (gluonnlp/optimizer/bert_adam.py).
        const eta = o.correctBias === false ? lr : (lr * Math.sqrt(1 - b2 ** t)) / (1 - b1 ** t);
        return [w - eta * (m / (Math.sqrt(v) + eps) + wd * w), [m, v]];
      },
    };
  },
  bertadam: (o) => REFS.adamw!({ ...o, correctBias: false }),
  rmsprop: (o) => {
    const [g1, g2, eps] = [(o.gamma1 as number) ?? 0.9, (o.gamma2 as number) ?? 0.9, (o.epsilon as number) ?? 1e-8];
    const clip = clipTo(o.clipGradient as number | undefined);
    const clipW = clipTo(o.clipWeights as number | undefined);
    if (o.centered) {
      return {
        n: 3,
        ref: (w, g, [n0, gb0, d0], { lr, wd, r }) => {
          const gg = clip(r * g + wd * w);
          const n = (1 - g1) * gg * gg + g1 * n0!;
          const gb = (1 - g1) * gg + g1 * gb0!;
          const d = g2 * d0! - lr * (gg / Math.sqrt(n - gb * gb + eps));
          return [clipW(w + d), [n, gb, d]];
        },
      };
    }
    return {
      n: 1,
      ref: (w, g, [n0], { lr, wd, r }) => {
        const gg = clip(r * g + wd * w);
        const n = (1 - g1) * gg * gg + g1 * n0!;
        return [clipW(w - lr * (gg / Math.sqrt(n + eps))), [n]];
      },
    };
  },
  adagrad: (o) => {
    const eps = (o.epsilon as number) ?? 1e-7;
    const clip = clipTo(o.clipGradient as number | undefined);
    return {
      n: 1,
      ref: (w, g, [h0], { lr, wd, r }) => {
        const gg = clip(g * r);
        const h = h0! + gg * gg;
        return [w + (gg / Math.sqrt(h + eps) + w * wd) * -lr, [h]];
      },
    };
  },
  adadelta: (o) => {
    // MXNet's AdaDelta (python/mxnet/optimizer/optimizer.py): acc_g = rho·acc_g + (1 − rho)·g²;
    // delta = sqrt(acc_delta + eps) / sqrt(acc_g + eps)·g; acc_delta = rho·acc_delta + (1 − rho)·delta²;
    // weight −= delta + wd·weight (MXNet 1.x: no learning rate, i.e. lr 1; scaled by lr otherwise).
    const [rho, eps] = [(o.rho as number) ?? 0.9, (o.epsilon as number) ?? 1e-5];
    const clip = clipTo(o.clipGradient as number | undefined);
    return {
      n: 2,
      ref: (w, g, [ag0, ad0], { lr, wd, r }) => {
        const gg = clip(g * r);
        const ag = rho * ag0! + (1 - rho) * gg * gg;
        const d = (Math.sqrt(ad0! + eps) / Math.sqrt(ag + eps)) * gg;
        const ad = rho * ad0! + (1 - rho) * d * d;
        return [w - lr * (d + wd * w), [ag, ad]];
      },
    };
  },
};

/** The configurations checked: name, options. */
const CASES: [string, Record<string, number | boolean>][] = [
  ['sgd', { learningRate: 0.1 }],
  ['sgd', { learningRate: 0.1, wd: 0.05, clipGradient: 0.3, rescaleGrad: 2 }],
  ['sgd', { learningRate: 0.1, momentum: 0.9, wd: 0.01 }],
  ['sgd', { learningRate: 0.1, momentum: 0.9, wd: 0.01, clipGradient: 0.2 }],
  ['sgd', { learningRate: 0.1, momentum: 0.9, wd: 0.01, nesterov: true }],
  ['sgd', { learningRate: 0.1, momentum: 0.9, clipGradient: 0 }],
  ['sgd', { learningRate: 0.05, momentum: 0.5, wd: 0.02, nesterov: true, clipGradient: 0.25, rescaleGrad: 3 }],
  ['adam', { learningRate: 0.01 }],
  ['adam', { learningRate: 0.01, wd: 0.1, beta1: 0.8, beta2: 0.99, epsilon: 0.01, clipGradient: 0.2 }],
  ['adam', { learningRate: 0.01, clipGradient: 0 }],
  ['adamw', { learningRate: 0.01, wd: 0.1 }],
  ['adamw', { learningRate: 0.01, wd: 0.1, clipGradient: 0.2, epsilon: 0.01 }],
  ['adamw', { learningRate: 0.05, wd: 0.02, beta1: 0.8, beta2: 0.95, rescaleGrad: 2 }],
  ['adamw', { learningRate: 0.01, wd: 0.1, correctBias: false }],
  ['bertadam', { learningRate: 0.01, wd: 0.01 }],
  ['bertadam', { learningRate: 0.05, wd: 0.02, beta1: 0.8, beta2: 0.95, epsilon: 0.01, clipGradient: 0.2, rescaleGrad: 2 }],
  ['rmsprop', { learningRate: 0.01, wd: 0.01 }],
  ['rmsprop', { learningRate: 0.01, wd: 0.01, gamma1: 0.8, clipGradient: 0.3, clipWeights: 1.05, epsilon: 0.01 }],
  ['rmsprop', { learningRate: 0.01, wd: 0.01, centered: true, gamma2: 0.7, epsilon: 0.01 }],
  ['rmsprop', { learningRate: 0.01, clipGradient: 0, clipWeights: 0 }],
  ['adagrad', { learningRate: 0.1, wd: 0.01 }],
  ['adagrad', { learningRate: 0.1, wd: 0.01, clipGradient: 0.3, epsilon: 0.01 }],
  ['adadelta', { learningRate: 1, rho: 0.9 }],
  ['adadelta', { learningRate: 1, rho: 0.8, wd: 0.01, clipGradient: 0.3, epsilon: 1e-3, rescaleGrad: 2 }],
  ['adadelta', { learningRate: 0.5, wd: 0.02 }],
];

const label = (name: string, o: object) => `${name} ${JSON.stringify(o)}`;
const vals = (x: NDArray) => Array.from(x.data() as ArrayLike<number>, Number);
/** Deterministic test values in about [-1, 1]. */
const wave = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + 0.7 * seed + 0.1) * (0.4 + 0.3 * ((i + seed) % 3)));

describe('optimizers', () => {
  describe('first three Trainer steps against float64 MXNet rules', () => {
    for (const [name, opts] of CASES) {
      it(label(name, opts), () => {
        const a = new gluon.Parameter('a', { shape: [2, 3] });
        const b = new gluon.Parameter('b', { shape: [4], lrMult: 0.5, wdMult: 2 });
        const c = new gluon.Parameter('scales', { shape: [2], differentiable: false });
        a.setData(nd.array(wave(6, 1), { shape: [2, 3] }));
        b.setData(nd.array(wave(4, 2), { shape: [4] }));
        c.setData(nd.array([2, 3]));
        const trainer = new gluon.Trainer(new gluon.ParameterDict([['a', a], ['b', b], ['scales', c]]), name, opts);
        const { ref, n } = REFS[name]!(opts);
        const batch = 4;
        const lr = opts.learningRate as number;
        const wd = (opts.wd as number) ?? 0;
        const r = ((opts.rescaleGrad as number) ?? 1) / batch;
        const expect = new Map<gluon.Parameter, { w: Vec; s: Vec[] }>();
        for (const p of [a, b]) expect.set(p, { w: vals(p.data()), s: Array.from({ length: n }, () => new Array(p.data().size).fill(0)) });
        for (let step = 1; step <= 3; step++) {
          for (const [p, seed] of [[a, 10 * step], [b, 10 * step + 5]] as const) {
            const g = wave(p.data().size, seed).map((x) => x * 1.5);
            p.setGrad(nd.array(g, { shape: p.data().shape }));
            const e = expect.get(p)!;
            const k = { lr: lr * p.lrMult, wd: wd * p.wdMult, t: step, r };
            e.w = e.w.map((w, i) => {
              const [nw, ns] = ref(w, g[i]!, e.s.map((s) => s[i]!), k);
              ns.forEach((v, j) => (e.s[j]![i] = v));
              return nw;
            });
          }
          trainer.step(batch);
          for (const [p, nm] of [[a, 'a'], [b, 'b']] as const) {
            const e = expect.get(p)!;
            assertClose(vals(p.data()), e.w, `${label(name, opts)} step ${step} weight ${nm}`, 1e-5, 1e-6);
            const st = trainer.states.get(p)!;
            assert.equal(st.length, n, `${name}: ${n} states`);
            st.forEach((s, j) => assertClose(vals(s), e.s[j]!, `${label(name, opts)} step ${step} state ${j} of ${nm}`, 1e-5, 1e-6));
          }
          assert.deepEqual(vals(c.data()), [2, 3], 'a gradReq null parameter is not changed');
          assert.equal(trainer.states.has(c), false);
        }
        assert.equal(trainer.stepCount, 3);
        assert.equal(trainer.counts.get(a), 3);
      });
    }
  });

  describe('the same update rule with F = sym', () => {
    for (const [name, opts] of CASES) {
      it(label(name, opts), () => {
        const opt = optimizer.create(name, opts);
        const shape = [2, 3];
        const w0 = nd.array(wave(6, 3), { shape });
        const g0 = nd.array(wave(6, 4).map((x) => 2 * x), { shape });
        // Non-zero states; second moments positive, and for centered RMSProp n > ḡ².
        const st0 = opt.createState(w0).map((_, j) => nd.array(wave(6, 5 + j).map((x) => (j === 0 || name === 'adam' || name === 'adamw' ? x * x + 0.05 : x * 0.1)), { shape }));
        const scal = (v: number) => nd.full([], v);
        const eager = opt.update(nd as unknown as gluon.F, {
          weight: w0, grad: g0, states: st0, lr: scal(0.03), wd: scal(0.02), t: scal(3), rescale: scal(0.5),
        } as never) as unknown as { weight: NDArray; states: NDArray[] };

        const v = (n: string, s: number[] = shape) => sym.var(n, { shape: s });
        const out = opt.update(sym as unknown as gluon.F, {
          weight: v('w'), grad: v('g'), states: st0.map((_, j) => v(`s${j}`)), lr: v('lr', []), wd: v('wd', []), t: v('t', []), rescale: v('r', []),
        } as never) as unknown as { weight: sym.Symbol; states: sym.Symbol[] };
        const all: Record<string, NDArray> = { w: w0, g: g0, lr: scal(0.03), wd: scal(0.02), t: scal(3), r: scal(0.5) };
        st0.forEach((s, j) => (all[`s${j}`] = s));
        const outs = [out.weight, ...out.states];
        const used = new Set(graphOf(...outs).inputs.map((x) => x.name));
        const bindings = Object.fromEntries(Object.entries(all).filter(([k]) => used.has(k)));
        const res = evalSymbols(outs, bindings) as NDArray[];
        assertClose(vals(res[0]!), vals(eager.weight), `${name} symbolic weight`, 1e-5, 1e-6);
        eager.states.forEach((s, j) => assertClose(vals(res[j + 1]!), vals(s), `${name} symbolic state ${j}`, 1e-5, 1e-6));
      });
    }

    it('a compiled update is reused when lr, wd, t and the scale change', () => {
      // A non-zero wd: the update reads the wd input (with the optimizer's wd at 0 the decay term is left out).
      const opt = optimizer.create('adam', { learningRate: 0.01, wd: 0.001 });
      const v = (n: string, s: number[] = [3]) => sym.var(n, { shape: s });
      const out = opt.update(sym as unknown as gluon.F, {
        weight: v('w'), grad: v('g'), states: [v('m'), v('v')], lr: v('lr', []), wd: v('wd', []), t: v('t', []), rescale: v('r', []),
      } as never) as unknown as { weight: sym.Symbol };
      const base = { w: nd.array([1, 2, 3]), g: nd.array([0.1, -0.2, 0.3]), m: nd.zeros([3]), v: nd.zeros([3]) };
      const run = (lr: number, t: number) => vals(out.weight.eval({ ...base, lr: nd.full([], lr), wd: nd.full([], 0), t: nd.full([], t), r: nd.full([], 1) }) as NDArray);
      run(0.1, 1);
      const before = profiler.counters().compiles;
      const second = run(0.2, 2);
      assert.equal(profiler.counters().compiles, before, 'no recompilation');
      // t = 2 from zero states: m = 0.1 g, v = 0.001 g², lr_t = 0.2·sqrt(1−0.999²)/(1−0.81).
      const lrT = (0.2 * Math.sqrt(1 - 0.999 ** 2)) / (1 - 0.9 ** 2);
      assertClose(second, [0.1, -0.2, 0.3].map((g, i) => i + 1 - (lrT * 0.1 * g) / (Math.sqrt(0.001 * g * g) + 1e-8)), 'adam at t=2', 1e-5, 1e-6);
    });
  });

  describe('registry and options', () => {
    it('creates every optimizer by name with MXNet defaults', () => {
      assert.deepEqual(optimizer.names().sort(), ['adadelta', 'adagrad', 'adam', 'adamw', 'bertadam', 'nag', 'rmsprop', 'sgd']);
      assert.deepEqual(optimizer.create('bertadam').hyper, { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, correctBias: false, clipGradient: -1 });
      assert.throws(() => optimizer.create('bertadam', { correctBias: true }), /Optimizer 'bertadam': option correctBias is not taken/);
      assert.throws(() => optimizer.create('adamw', { correctBias: 'no' }), /correctBias/);
      const sgd = optimizer.create('SGD') as InstanceType<typeof optimizer.SGD>;
      assert.equal(sgd.learningRate, 0.01);
      assert.deepEqual(sgd.hyper, { momentum: 0, nesterov: false, clipGradient: -1 });
      assert.equal(optimizer.create('adam').learningRate, 0.001);
      assert.deepEqual(optimizer.create('adam').hyper, { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, clipGradient: -1 });
      assert.deepEqual(optimizer.create('adagrad').hyper, { epsilon: 1e-7, clipGradient: -1 });
      assert.deepEqual([optimizer.create('adadelta', { rho: 0.9 }).learningRate, optimizer.create('adadelta').hyper], [1, { rho: 0.9, epsilon: 1e-5, clipGradient: -1 }]);
      // MXNet's AdamW defaults to epsilon 1e-6 (python/mxnet/optimizer/adamW.py), Adam to 1e-8.
      assert.deepEqual(optimizer.create('adamw').hyper, { beta1: 0.9, beta2: 0.999, epsilon: 1e-6, clipGradient: -1 });
      assert.equal(optimizer.create('adagrad').learningRate, 0.01);
      assert.equal(optimizer.create('rmsprop').learningRate, 0.001);
      assert.equal((optimizer.create('nag', { momentum: 0.9 }) as InstanceType<typeof optimizer.SGD>).nesterov, true);
      assert.equal(optimizer.create('sgd', { momentum: 0.9 }).createState(nd.zeros([2])).length, 1);
      assert.equal(optimizer.create('sgd').createState(nd.zeros([2])).length, 0);
      assert.equal(optimizer.create('rmsprop', { centered: true }).createState(nd.zeros([2])).length, 3);
    });

    it('names what is wrong', () => {
      assert.throws(() => optimizer.create('sdg'), /unknown optimizer "sdg" \(known: .*sgd/);
      assert.throws(() => optimizer.create('sgd', { learning_rate: 0.1 }), /Optimizer 'sgd': unknown option 'learning_rate'/);
      assert.throws(() => optimizer.create('adam', { beta1: 1.5 }), /Optimizer 'adam': option beta1 must be in \[0, 1\), got 1.5/);
      assert.throws(() => optimizer.create('sgd', { momentum: -1 }), /option momentum/);
      assert.throws(() => optimizer.create('sgd', { nesterov: 'yes' }), /option nesterov must be true or false/);
      // NaN and Infinity are named as such (JSON would print null).
      assert.throws(() => optimizer.create('sgd', { learningRate: NaN }), /option learningRate must be a non-negative number, got NaN$/);
      assert.throws(() => optimizer.create('adam', { wd: Infinity }), /option wd must be a finite number, got Infinity$/);
      assert.throws(() => optimizer.create('sgd', { clipGradient: NaN }), /option clipGradient must be a number, got NaN$/);
      assert.throws(() => optimizer.create('rmsprop', { clipWeights: NaN }), /option clipWeights must be a number, got NaN$/);
      assert.throws(() => optimizer.create('sgd', { learningRate: '0.1' }), /got "0.1"$/);
      // nag is SGD with Nesterov momentum: nesterov: false is refused, not ignored.
      assert.throws(() => optimizer.create('nag', { momentum: 0.9, nesterov: false }), /Optimizer 'nag': option nesterov must be true or absent .*got false$/);
      assert.equal((optimizer.create('nag', { nesterov: true }) as InstanceType<typeof optimizer.SGD>).nesterov, true);
    });

    it('registers a custom optimizer written against F', () => {
      class SignSGD extends optimizer.BaseOptimizer {
        constructor(o = {}) {
          super('signsgd', o, [], 0.01);
        }
        get hyper() {
          return this.baseHyper();
        }
        protected get stateCount() {
          return 0;
        }
        update(F: gluon.F, a: { weight: gluon.Tensor; grad: gluon.Tensor; lr: gluon.Tensor }) {
          return { weight: F.sub(a.weight, F.mul(a.lr, F.sign(a.grad))), states: [] };
        }
      }
      optimizer.register('signsgd', (o) => new SignSGD(o));
      const p = new gluon.Parameter('w', { shape: [3] });
      p.setData(nd.array([1, 1, 1]));
      p.setGrad(nd.array([2, -3, 0]));
      new gluon.Trainer([p], 'signsgd', { learningRate: 0.5 }).step(1);
      assert.deepEqual(vals(p.data()), [0.5, 1.5, 1]);
    });
  });
});

/**
 * The three ways a model trains — eager (not hybridized: the tape, then its
 * compiled backward + update), the fused hybridized step, and the
 * `exportTrainingStep` artifact (`gluonc compile --train`) — against the
 * float64 MXNet rules above, on Dense(2) + L2Loss whose gradients are written
 * out in float64: o = x·Wᵀ + b, loss_i = mean_j ½(o_ij − y_ij)², so
 * ∂(Σ_i loss_i)/∂o_ij = (o_ij − y_ij)/2.
 */
describe('training paths against float64 MXNet rules', () => {
  const X = [[0.5, -1, 2], [1.5, 0.25, -0.75], [-2, 1, 0.5], [0.3, -0.6, 0.9]];
  const Y = [[1, -0.5], [0.25, 2], [-1, 0], [0.5, 0.5]];
  const W0 = [0.4, -0.3, 0.2, 0.1, 0.5, -0.6];
  const B0 = [0.05, -0.1];
  const STEPS = 4;
  /** A run's dtype, and the rows of X, Y making the batch of step t (default: all four). */
  interface Cfg { dtype?: 'float32' | 'float64'; rows?: (t: number) => number[] }
  const ALL = (_t: number) => [0, 1, 2, 3];
  /** Gradients of Σ_i loss_i over the batch `rows` by W [2,3] and b [2] (float64). */
  function gradsOf(w: Vec, b: Vec, rows: number[]): [Vec, Vec] {
    const gw = new Array(6).fill(0);
    const gb = [0, 0];
    rows.map((i) => X[i]!).forEach((x, r) => {
      const i = rows[r]!;
      for (let j = 0; j < 2; j++) {
        const o = b[j]! + x.reduce((acc, xk, k) => acc + xk * w[3 * j + k]!, 0);
        const d = (o - Y[i]![j]!) / 2;
        gb[j] += d;
        for (let k = 0; k < 3; k++) gw[3 * j + k] += d * x[k]!;
      }
    });
    return [gw, gb];
  }
  /** The float64 reference: weights after each of STEPS steps (bias: lrMult 0.5, wdMult 2), lr of step k from `lrAt`. */
  function reference(name: string, opts: Record<string, number | boolean>, lrAt: (k: number) => number, rows = ALL): { w: Vec; b: Vec }[] {
    const { ref, n } = REFS[name]!(opts);
    let w = [...W0];
    let b = [...B0];
    const sw: Vec[] = Array.from({ length: n }, () => new Array(6).fill(0));
    const sb: Vec[] = Array.from({ length: n }, () => [0, 0]);
    const wd = (opts.wd as number) ?? 0;
    const out: { w: Vec; b: Vec }[] = [];
    for (let t = 1; t <= STEPS; t++) {
      const batch = rows(t);
      const r = ((opts.rescaleGrad as number) ?? 1) / batch.length;
      const [gw, gb] = gradsOf(w, b, batch);
      const lr = lrAt(t);
      const upd = (x: Vec, g: Vec, s: Vec[], k: Sc) => x.map((v, i) => {
        const [nv, ns] = ref(v, g[i]!, s.map((si) => si[i]!), k);
        ns.forEach((q, j) => (s[j]![i] = q));
        return nv;
      });
      w = upd(w, gw, sw, { lr, wd, t, r });
      b = upd(b, gb, sb, { lr: lr * 0.5, wd: wd * 2, t, r });
      out.push({ w: [...w], b: [...b] });
    }
    return out;
  }

  function dense(dtype: 'float32' | 'float64' = 'float32'): gluon.nn.Dense {
    const d = new gluon.nn.Dense(2, { inUnits: 3, dtype });
    d.initialize();
    d.weight.setData(nd.array(W0, { shape: [2, 3], dtype }));
    d.bias!.setData(nd.array(B0, { dtype }));
    d.bias!.lrMult = 0.5;
    d.bias!.wdMult = 2;
    return d;
  }

  const x = (rows: number[], dtype: Cfg['dtype']) => nd.array(rows.flatMap((i) => X[i]!), { shape: [rows.length, 3], dtype });
  const y = (rows: number[], dtype: Cfg['dtype']) => nd.array(rows.flatMap((i) => Y[i]!), { shape: [rows.length, 2], dtype });

  /** Trains with the Trainer (hybridized: the fused step; else eager) and returns the weights after each step. */
  function trainTrainer(hybrid: boolean, name: string, opts: Record<string, unknown>, { dtype = 'float32', rows = ALL }: Cfg = {}): { w: Vec; b: Vec }[] {
    const d = dense(dtype);
    const loss = new gluon.loss.L2Loss();
    if (hybrid) {
      d.hybridize();
      loss.hybridize();
    }
    const trainer = new gluon.Trainer(d.collectParams(), name, opts);
    const out: { w: Vec; b: Vec }[] = [];
    for (let t = 1; t <= STEPS; t++) {
      const runs = profiler.counters().sessionRuns;
      const batch = rows(t);
      autograd.record(() => loss.call(d.call(x(batch, dtype)), y(batch, dtype))).backward();
      trainer.step(batch.length);
      // From the second step on, forward, backward and update are one session run on both paths.
      if (t > 1 && rows === ALL) assert.equal(profiler.counters().sessionRuns - runs, 1, `${hybrid ? 'fused' : 'eager'} step ${t}: one session run`);
      out.push({ w: vals(d.weight.data()), b: vals(d.bias!.data()) });
    }
    return out;
  }

  /** Runs the artifact of `exportTrainingStep`, feeding its outputs back, lr of step k from `lrAt`. */
  function trainArtifact(name: string, opts: Record<string, unknown>, lrAt: (k: number) => number, { dtype = 'float32', rows = ALL }: Cfg = {}): { w: Vec; b: Vec }[] {
    const d = dense(dtype);
    const opt = optimizer.create(name, opts);
    const { bytes, manifest } = exportTrainingStep(d, {
      inputs: { x: { shape: ['N', 3], dtype } },
      loss: (o) => ({ loss: new gluon.loss.L2Loss(), label: { shape: o, dtype } }),
      optimizer: opt,
    });
    const s = Session.create(bytes);
    const feeds: Record<string, ReturnType<typeof tensorFromNumbers>> = {
      weight: tensorFromNumbers(dtype, [2, 3], W0),
      bias: tensorFromNumbers(dtype, [2], B0),
    };
    const stateNames = manifest.inputs.map((i) => i.name).filter((k) => k.includes('.state'));
    for (const k of stateNames) feeds[k] = tensorFromNumbers(dtype, k.startsWith('weight') ? [2, 3] : [2], new Array(k.startsWith('weight') ? 6 : 2).fill(0));
    const out: { w: Vec; b: Vec }[] = [];
    try {
      for (let t = 1; t <= STEPS; t++) {
        const batch = rows(t);
        feeds.x = tensorFromNumbers(dtype, [batch.length, 3], batch.flatMap((i) => X[i]!));
        feeds.label = tensorFromNumbers(dtype, [batch.length, 2], batch.flatMap((i) => Y[i]!));
        feeds.lr = tensorFromNumbers('float32', [], [lrAt(t)]);
        feeds.t = tensorFromNumbers('float32', [], [t]);
        const r = s.runSync(feeds);
        feeds.weight = r['weight.new']!;
        feeds.bias = r['bias.new']!;
        for (const k of stateNames) feeds[k] = r[`${k}.new`]!;
        out.push({ w: tensorToNumbers(feeds.weight), b: tensorToNumbers(feeds.bias) });
      }
    } finally {
      s.close();
    }
    return out;
  }

  const check = (got: { w: Vec; b: Vec }[], want: { w: Vec; b: Vec }[], what: string, rtol = 1e-4, atol = 1e-6) => {
    want.forEach((e, k) => {
      assertClose(got[k]!.w, e.w, `${what} step ${k + 1} weight`, rtol, atol);
      assertClose(got[k]!.b, e.b, `${what} step ${k + 1} bias`, rtol, atol);
    });
  };

  for (const [name, opts] of CASES) {
    it(label(name, opts), () => {
      const lr = opts.learningRate as number;
      const want = reference(name, opts, () => lr);
      check(trainTrainer(false, name, opts), want, 'eager');
      check(trainTrainer(true, name, opts), want, 'fused');
      check(trainArtifact(name, opts, () => lr), want, 'artifact');
    });
  }

  // Schedules, with the learning rate of update n written out from MXNet 1.x's lr_scheduler.py
  // (the schedule is called with num_update = n, the update being made).
  const SCHEDULED: [string, Record<string, number | boolean>, () => InstanceType<typeof lrScheduler.LRScheduler>, (n: number) => number][] = [
    ['sgd', { learningRate: 0.1, momentum: 0.9, wd: 0.01 }, () => new lrScheduler.FactorScheduler({ step: 2, factor: 0.5 }), (n) => 0.1 * 0.5 ** Math.floor((n - 1) / 2)],
    ['adam', { learningRate: 0.1, wd: 0.01 }, () => new lrScheduler.MultiFactorScheduler({ step: [1, 3], factor: 0.1 }), (n) => 0.1 * 0.1 ** (n > 3 ? 2 : n > 1 ? 1 : 0)],
    ['rmsprop', { learningRate: 0.05, centered: true }, () => new lrScheduler.PolyScheduler({ maxUpdate: 4, pwr: 2, finalLr: 0.01 }), (n) => 0.01 + 0.04 * (1 - n / 4) ** 2],
    ['adamw', { learningRate: 0.1, wd: 0.1 }, () => new lrScheduler.CosineScheduler({ maxUpdate: 5, baseLr: 0.1, finalLr: 0.001, warmupSteps: 2, warmupBeginLr: 0.02 }),
      (n) => (n < 2 ? 0.02 + ((0.1 - 0.02) * n) / 2 : 0.001 + ((0.1 - 0.001) * (1 + Math.cos((Math.PI * (n - 2)) / 3))) / 2)],
  ];
  for (const [name, opts, schedule, lrAt] of SCHEDULED) {
    it(`${label(name, opts)} with ${schedule().constructor.name}`, () => {
      const want = reference(name, opts, lrAt);
      check(trainTrainer(false, name, { ...opts, lrScheduler: schedule() }), want, 'eager');
      check(trainTrainer(true, name, { ...opts, lrScheduler: schedule() }), want, 'fused');
      check(trainArtifact(name, opts, lrAt), want, 'artifact');
    });
  }

  it('batches of 4, 2, 3 and 4 examples: each step scales by its own batch size (a new shape compiles a new step)', () => {
    const rows = (t: number) => [[0, 1, 2, 3], [2, 0], [3, 1, 2], [1, 0, 3, 2]][t - 1]!;
    for (const [name, opts] of [CASES[3]!, CASES[7]!, CASES[13]!]) {
      const lr = opts.learningRate as number;
      const want = reference(name, opts, () => lr, rows);
      check(trainTrainer(false, name, opts, { rows }), want, `${name} eager`);
      check(trainTrainer(true, name, opts, { rows }), want, `${name} fused`);
      check(trainArtifact(name, opts, () => lr, { rows }), want, `${name} artifact`);
    }
  });

  // Adam's epsilon (1e-8) is 0 in float16: a weight whose gradient stayed 0 became 0/0 = NaN. MXNet's
  // half_t arithmetic computes each operation in float32 and stores float16; so do the updates now.
  it('float16 parameters update in float32 arithmetic, stored as float16 (no NaN from epsilon), on every path', () => {
    for (const hybrid of [false, true]) {
      for (const [name, opts] of [['adam', { learningRate: 0.01 }], ['rmsprop', { learningRate: 0.01 }], ['adagrad', { learningRate: 0.1 }]] as const) {
        const net = new gluon.nn.Dense(1, { inUnits: 2 });
        net.initialize();
        net.cast('float16');
        if (hybrid) net.hybridize();
        net.weight.setData(nd.array([[1, 0.5]], { dtype: 'float16' }));
        net.bias!.setData(nd.array([0], { dtype: 'float16' }));
        const trainer = new gluon.Trainer(net.collectParams(), name, opts);
        const x = nd.array([[1, 0]], { dtype: 'float16' });   // the second weight's gradient is 0
        const { ref, n } = REFS[name]!(opts);
        let w = 1;
        let s: Vec = new Array(n).fill(0);
        for (let t = 1; t <= 6; t++) {
          autograd.record(() => (net.call(x) as NDArray).sum()).backward();
          trainer.step(1);
          [w, s] = ref(w, 1, s, { lr: opts.learningRate, wd: 0, t, r: 1 });
          const got = net.weight.data().astype('float64').data() as Float64Array;
          const what = `${name} float16 ${hybrid ? 'hybridized' : 'eager'} step ${t}`;
          assert.equal(net.weight.data().dtype, 'float16', what);
          assert.equal(got[1], 0.5, `${what}: a weight with a zero gradient stays (got ${got[1]})`);
          assert.ok(Math.abs(got[0]! - w) <= 2e-3, `${what}: ${got[0]} vs float64 ${w}`);
        }
      }
    }
  });

  // MXNet's multi_precision: an update below half a float16 ulp of the weight (1 - 1e-4 rounds to 1) is lost
  // in float16; with multiPrecision a float32 master copy accumulates it.
  it('multiPrecision keeps a float32 master copy of float16 weights (updates below float16\'s ulp accumulate), on every path', () => {
    const half = (v: number) => nd.array([v]).astype('float16').astype('float64').item();
    for (const hybrid of [false, true]) {
      for (const multiPrecision of [false, true]) {
        for (const [name, opts] of [['sgd', { learningRate: 1e-4 }], ['sgd', { learningRate: 1e-4, momentum: 0.5 }], ['adam', { learningRate: 1e-4 }]] as const) {
          const net = new gluon.nn.Dense(1, { inUnits: 1, useBias: false });
          net.initialize();
          net.cast('float16');
          if (hybrid) net.hybridize();
          net.weight.setData(nd.array([[1]], { dtype: 'float16' }));
          const trainer = new gluon.Trainer(net.collectParams(), name, { ...opts, multiPrecision });
          const x = nd.array([[1]], { dtype: 'float16' });
          const { ref, n } = REFS[name]!(opts);
          let w = 1;
          let s: Vec = new Array(n).fill(0);
          for (let t = 1; t <= 8; t++) {
            autograd.record(() => (net.call(x) as NDArray).sum()).backward();
            trainer.step(1);
            [w, s] = ref(w, 1, s, { lr: opts.learningRate, wd: 0, t, r: 1 });
          }
          const what = `${name} ${JSON.stringify(opts)} multiPrecision ${multiPrecision} ${hybrid ? 'hybridized' : 'eager'}`;
          const got = net.weight.data().astype('float64').item();
          assert.equal(net.weight.data().dtype, 'float16', what);
          if (!multiPrecision) {
            assert.equal(got, 1, `${what}: each update rounds away in float16`);
            continue;
          }
          assert.equal(got, half(w), `${what}: the float32 master's float16 rounding (float64 ${w})`);
          const states = trainer.stateOf(net.weight);
          assert.deepEqual(states.map((a) => a.dtype), ['float32', ...new Array(n).fill('float32')], what);
          assertClose(states[0]!.astype('float64').data() as Float64Array, [w], `${what}: master copy`, 1e-6, 1e-7);
        }
      }
    }
  });

  it('float64 parameters train in float64 on every path (the artifact\'s lr and t inputs are float32)', () => {
    for (const [name, opts] of [CASES[5]!, CASES[7]!, CASES[10]!, CASES[13]!, CASES[15]!]) {
      const lr = opts.learningRate as number;
      const want = reference(name, opts, () => lr);
      check(trainTrainer(false, name, opts, { dtype: 'float64' }), want, `${name} eager float64`, 1e-12, 1e-14);
      check(trainTrainer(true, name, opts, { dtype: 'float64' }), want, `${name} fused float64`, 1e-12, 1e-14);
      // lr rounded to float32 (relative error up to 6e-8) scales each update.
      check(trainArtifact(name, opts, () => lr, { dtype: 'float64' }), want, `${name} artifact float64`, 1e-7, 1e-8);
    }
  });
});
