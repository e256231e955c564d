/**
 * Increment states (compiler/engine/step-feeds.ts): SGD momentum's state is
 * the weight's last increment, so the fused step and the compiled eager
 * update feed the previous weight instead and output only the new weight.
 * Checked against MXNet's update (sgd_mom_update: m ← μ·m − lr·(g + wd·w);
 * w ← w + m) computed by numpy in float64 — the weights and the states the
 * trainer reports after each step, across a `setData` between steps, a
 * state read between steps and a save/load of the states — and at the
 * rounding kink where the update is below half an ulp of the weight.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, nd } from 'gluonc';
import { fusedRunners } from '../../../compiler/engine/program.js';
import { previousWeight } from '../../../compiler/engine/step-feeds.js';
import { setEagerCompileAfter, eagerCompileAfter } from '../../../compiler/engine/eager-compile.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const B = 8;
const X = Array.from({ length: B * 4 }, (_v, i) => Math.sin(i * 1.3) * 2);
const T = Array.from({ length: B * 3 }, (_v, i) => Math.cos(i * 0.7));
const W0 = Array.from({ length: 12 }, (_v, i) => ((i * 7) % 5) / 10 - 0.2);
const B0 = [0.1, 0, -0.05];
const STEPS = 6;
/** The weights a `setData` before step 3 writes (0-based: after three updates). */
const SET_AT = 3;
const W_SET = W0.map((v) => v * 0.5 + 0.25);

/**
 * MXNet's SGD momentum in float64 on Dense(3) (W [3, 4], b [3]) + L2Loss
 * (0.5·(p − t)² averaged over the 3 outputs, summed over the batch by
 * backward, divided by the batch by the trainer); `attrs.set` replaces W
 * before update SET_AT. Outputs W and b after every step, then the
 * momenta of W and b after every step.
 */
const REFERENCE = String.raw`
lr, mu, wd, B = attrs["lr"], attrs["momentum"], attrs["wd"], a.shape[0]
W, bias = c.copy(), d.copy()
mW, mb = np.zeros_like(W), np.zeros_like(bias)
ws, ms = [], []
for step in range(attrs["steps"]):
    if attrs["set"] and step == attrs["setAt"]:
        W = e.copy()
    p = a @ W.T + bias
    dp = (p - b) / 3
    gW, gb = dp.T @ a / B, dp.sum(0) / B
    mW = mu * mW - lr * (gW + wd * W); W = W + mW
    mb = mu * mb - lr * (gb + wd * bias); bias = bias + mb
    ws += [W.copy(), bias.copy()]; ms += [mW.copy(), mb.copy()]
out = ws + ms
`;

interface Run {
  weights: number[][][];
  states: number[][][];
}

/** Trains STEPS steps (hybridized: the fused step; else the compiled eager update), reading what each step left. */
function train(hybrid: boolean, options: { set?: boolean; readStates?: boolean; reload?: boolean; wd?: number }): Run {
  const net = new gluon.nn.Dense(3, { inUnits: 4 });
  net.initialize();
  const [w, b] = net.collectParams().values();
  w!.setData(nd.array(W0, { shape: [3, 4] }));
  b!.setData(nd.array(B0));
  if (hybrid) net.hybridize();
  const loss = new gluon.loss.L2Loss();
  if (hybrid) loss.hybridize();
  let trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9, wd: options.wd ?? 0 });
  const [x, t] = [nd.array(X, { shape: [B, 4] }), nd.array(T, { shape: [B, 3] })];
  const run: Run = { weights: [], states: [] };
  const dir = mkdtempSync(join(tmpdir(), 'gluonc-increment-'));
  try {
    for (let i = 0; i < STEPS; i++) {
      if (options.set && i === SET_AT) w!.setData(nd.array(W_SET, { shape: [3, 4] }));
      if (options.reload && i === SET_AT) {
        trainer.saveStates(join(dir, 't.states'));
        trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9, wd: options.wd ?? 0 });
        trainer.loadStates(join(dir, 't.states'));
      }
      const l = autograd.record(() => loss.call(net.call(x), t)) as nd.NDArray;
      l.backward();
      trainer.step(B);
      run.weights.push([w!, b!].map((p) => Array.from(p.data().data() as Float32Array)));
      // Reading the states forces the increments (or, with readStates false, only after the last step).
      if (options.readStates || i === STEPS - 1) run.states.push([w!, b!].map((p) => Array.from(trainer.states.get(p as never)![0]!.data() as Float32Array)));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return run;
}

function reference(set: boolean, wd: number): { weights: number[][][]; states: number[][][] } {
  const [r] = numpyRefs([{
    code: REFERENCE,
    inputs: [
      { shape: [B, 4], dtype: 'float64', data: X },
      { shape: [B, 3], dtype: 'float64', data: T },
      { shape: [3, 4], dtype: 'float64', data: Array.from(Float32Array.from(W0)) },
      { shape: [3], dtype: 'float64', data: Array.from(Float32Array.from(B0)) },
      { shape: [3, 4], dtype: 'float64', data: Array.from(Float32Array.from(W_SET)) },
    ],
    attrs: { lr: 0.1, momentum: 0.9, wd, steps: STEPS, set, setAt: SET_AT },
  }]);
  assert.ok(!r!.error, r!.error);
  const outs = r!.outs.map((o) => o.data as number[]);
  const pairs = (k: number) => Array.from({ length: STEPS }, (_v, i) => [outs[k + 2 * i]!, outs[k + 2 * i + 1]!]);
  return { weights: pairs(0), states: pairs(2 * STEPS) };
}

describe('increment states: SGD momentum fed as the previous weight', () => {
  let compileAfter = 2;
  before(() => (compileAfter = eagerCompileAfter()));
  afterEach(() => setEagerCompileAfter(compileAfter));

  it('the fused step of SGD momentum takes the previous weights and outputs no momentum; Adam and Nesterov keep their states', () => {
    const io = (optimizer: string, opts: Record<string, unknown>) => {
      const net = new gluon.nn.Dense(3, { inUnits: 4 });
      net.initialize();
      net.hybridize();
      const loss = new gluon.loss.L2Loss();
      loss.hybridize();
      const trainer = new gluon.Trainer(net.collectParams(), optimizer, opts);
      const before = new Set(fusedRunners());
      const l = autograd.record(() => loss.call(net.call(nd.ones([B, 4])), nd.zeros([B, 3]))) as nd.NDArray;
      l.backward();
      trainer.step(B);
      const s = fusedRunners().filter((r) => !before.has(r))[0]!.session;
      return { inputs: s.inputs.map((i) => i.name), outputs: s.outputs.map((o) => o.name) };
    };
    const sgd = io('sgd', { learningRate: 0.1, momentum: 0.9 });
    assert.deepEqual(sgd.inputs.filter((n) => /^(prev|state)/.test(n)).sort(), ['prev0', 'prev1']);
    assert.deepEqual(sgd.outputs.filter((n) => /state/.test(n)), []);
    assert.deepEqual(sgd.outputs.filter((n) => /^weight/.test(n)).sort(), ['weight0', 'weight1']);
    const adam = io('adam', { learningRate: 0.01 });
    assert.equal(adam.outputs.filter((n) => /^new_state/.test(n)).length, 4);
    assert.ok(!adam.inputs.some((n) => n.startsWith('prev')));
    const nag = io('nag', { learningRate: 0.1, momentum: 0.9 });
    assert.equal(nag.outputs.filter((n) => /^new_state/.test(n)).length, 2);
  });

  for (const hybrid of [true, false]) {
    it(`${hybrid ? 'fused step' : 'compiled eager update'}: the next step is fed the weight before this one as it was (no subtraction in JavaScript)`, () => {
      if (!hybrid) setEagerCompileAfter(1);
      const net = new gluon.nn.Dense(3, { inUnits: 4 });
      net.initialize();
      if (hybrid) net.hybridize();
      const loss = new gluon.loss.L2Loss();
      if (hybrid) loss.hybridize();
      const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
      const [w] = net.collectParams().values();
      for (let i = 0; i < 3; i++) {
        const before = w!.data()._host;
        const l = autograd.record(() => loss.call(net.call(nd.ones([B, 4])), nd.zeros([B, 3]))) as nd.NDArray;
        l.backward();
        trainer.step(B);
        const state = trainer.states.get(w as never)![0]!;
        assert.ok(state._pending, `step ${i + 1}: the state is not computed until read`);
        assert.equal(previousWeight(state, w!.data()._host), before, `step ${i + 1}: the previous weight is the array fed to the step`);
      }
    });

    const path = hybrid ? 'fused step' : 'compiled eager update';
    for (const [label, options] of [
      ['plain', {}],
      ['weight decay', { wd: 0.05 }],
      ['setData between steps (the momentum carries on)', { set: true }],
      ['states read after every step', { readStates: true }],
      ['states saved and loaded by a new trainer between steps', { reload: true }],
    ] as [string, { set?: boolean; readStates?: boolean; reload?: boolean; wd?: number }][]) {
      it(`${path}, ${label}: weights and momenta equal MXNet's update in float64`, () => {
        if (!hybrid) setEagerCompileAfter(1);
        const got = train(hybrid, options);
        const want = reference(options.set === true, options.wd ?? 0);
        got.weights.forEach((ws, i) => ws.forEach((v, k) => assertClose(v, want.weights[i]![k]!, `${label}: parameter ${k} after step ${i + 1}`, 1e-5, 1e-6)));
        const steps = options.readStates ? got.states.map((_s, i) => i) : [STEPS - 1];
        // The state as applied differs from MXNet's by the rounding of w + m: |Δ| ≤ half an ulp of the weight (< 1e-7 here).
        got.states.forEach((ss, j) => ss.forEach((v, k) => assertClose(v, want.states[steps[j]!]![k]!, `${label}: momentum ${k} after step ${steps[j]! + 1}`, 1e-4, 2e-7)));
      });
    }
  }

  it('at the rounding kink (an update below half an ulp of the weight) the state is the increment as applied: 0', () => {
    // w = 1 (ulp 2^-23 ≈ 1.19e-7), gradient 1e-8·B per step: lr·g = 1e-9 rounds away, w stays 1.
    // MXNet's stored momentum would read -1e-9 after one step; the increment as applied is exactly 0.
    const p = new gluon.Parameter('w', { shape: [2] });
    p.initialize();
    p.setData(nd.array([1, 0.5]));
    const trainer = new gluon.Trainer([p], 'sgd', { learningRate: 0.1, momentum: 0.9 });
    setEagerCompileAfter(1);
    for (let i = 0; i < 3; i++) {
      p.setGrad(nd.array([1e-8 * B, 1e-3 * B]));
      trainer.step(B);
    }
    const w = Array.from(p.data().data() as Float32Array);
    const m = Array.from(trainer.states.get(p)![0]!.data() as Float32Array);
    assert.equal(w[0], 1, 'the weight at 1 does not move');
    assert.equal(m[0], 0, 'its increment is 0');
    // The other weight moves: its state is its last increment, MXNet's m3 = -lr·g·(1 + μ + μ²) to half an ulp of 0.5 (2^-25).
    assertClose([m[1]!], [-1e-4 * (1 + 0.9 + 0.81)], 'momentum of the moving weight', 0, 2 ** -25);
  });
});
