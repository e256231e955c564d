/**
 * The fused step's thread policy and its per-step path: under 'auto' a step
 * probes one and several threads from its fifth run, keeps one session and
 * closes the other; a fixed count opens one session; whichever session runs
 * a step, the weights follow a float64 reference of SGD with momentum
 * (MXNet's sgd_mom_update: m = μm − lr·g/N, w = w + m) on the mean softmax
 * cross-entropy, step after step (the per-step feed plan and reused scalar
 * feeds must not change a value).
 */
import assert from 'node:assert/strict';
import { autograd, context, gluon, init, nd, profiler, random } from 'gluonc';
import { fusedRunners } from '../../../compiler/engine/program.js';
import { probeThreads } from '../../../compiler/engine/step-threads.js';
import { assertClose } from '../../helpers/compare.js';

const N = 6;
const IN = 5;
const HID = 7;
const OUT = 4;
const LR = 0.2;
const MOM = 0.9;

function setup() {
  random.seed(3);
  const net = new gluon.nn.HybridSequential();
  net.add(new gluon.nn.Dense(HID, { activation: 'relu' }), new gluon.nn.Dense(OUT));
  net.initialize(new init.Xavier());
  // Inputs with a ReLU kink (a pre-activation of exactly 0 is not possible to force, so
  // inputs of 0 rows give pre-activations equal to the bias) and a tie in the labels' logits.
  const xs = Array.from({ length: N * IN }, (_v, i) => (i < IN ? 0 : Math.sin(i * 1.3)));
  const ys = Array.from({ length: N }, (_v, i) => i % OUT);
  return { net, x: nd.array(xs, { shape: [N, IN] }), y: nd.array(ys), xs, ys };
}

/** One SGD-momentum step of the MLP in float64: params [W1 (HID×IN), b1, W2 (OUT×HID), b2]. */
function referenceStep(p: number[][], m: number[][], xs: number[], ys: number[]): void {
  const [W1, b1, W2, b2] = p as [number[], number[], number[], number[]];
  const g = p.map((a) => new Array(a.length).fill(0));
  for (let n = 0; n < N; n++) {
    const x = xs.slice(n * IN, (n + 1) * IN);
    const z = Array.from({ length: HID }, (_v, j) => b1[j]! + x.reduce((s, xi, i) => s + W1[j * IN + i]! * xi, 0));
    const h = z.map((v) => Math.max(v, 0));
    const o = Array.from({ length: OUT }, (_v, k) => b2[k]! + h.reduce((s, hj, j) => s + W2[k * HID + j]! * hj, 0));
    const mx = Math.max(...o);
    const e = o.map((v) => Math.exp(v - mx));
    const se = e.reduce((a, b) => a + b, 0);
    const dO = e.map((v, k) => (v / se - (k === ys[n] ? 1 : 0)) / N);
    const dH = h.map((_v, j) => dO.reduce((s, d, k) => s + d * W2[k * HID + j]!, 0));
    for (let k = 0; k < OUT; k++) {
      g[3]![k] += dO[k]!;
      for (let j = 0; j < HID; j++) g[2]![k * HID + j] += dO[k]! * h[j]!;
    }
    for (let j = 0; j < HID; j++) {
      const dz = z[j]! > 0 ? dH[j]! : 0;
      g[1]![j] += dz;
      for (let i = 0; i < IN; i++) g[0]![j * IN + i] += dz * x[i]!;
    }
  }
  p.forEach((w, a) =>
    w.forEach((_v, i) => {
      m[a]![i] = MOM * m[a]![i]! - LR * g[a]![i]!;
      w[i] = w[i]! + m[a]![i]!;
    }),
  );
}

function trainAndCompare(steps: number): { sessions: number } {
  const { net, x, y, xs, ys } = setup();
  net.inferShape(x);
  const ref = net.collectParams().values().map((p) => Array.from(p.data().data() as Float32Array));
  const mom = ref.map((a) => a.map(() => 0));
  net.hybridize();
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  loss.hybridize();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: LR, momentum: MOM });
  profiler.reset();
  for (let s = 0; s < steps; s++) {
    autograd.record(() => loss.call(net.call(x), y)).backward();
    trainer.step(N);
    referenceStep(ref, mom, xs, ys);
    net.collectParams().values().forEach((p, i) => assertClose(Array.from(p.data().data() as Float32Array), ref[i]!, `parameter ${i} after step ${s + 1}`, 1e-4, 1e-5));
  }
  return { sessions: profiler.counters().sessionsCreated };
}

describe('fused step threads (auto probe, fixed counts)', () => {
  afterEach(() => context.setStepThreads('auto'));

  it("'auto': the weights follow a float64 reference through the probe; one session is kept, the other closed", function () {
    this.timeout(60_000);
    context.setStepThreads('auto');
    const { sessions } = trainAndCompare(28);
    const run = fusedRunners().slice(-1)[0]!;
    if (probeThreads() > 1) {
      assert.equal(sessions, 2, 'one- and several-thread sessions of the step');
      assert.equal(run.threadChoice.decided, true);
      assert.ok([1, probeThreads()].includes(run.threadChoice.threads), `kept ${run.threadChoice.threads} threads`);
      assert.deepEqual(Object.keys(run.threadChoice.measured).map(Number).sort(), [1, probeThreads()].sort());
      assert.equal(run.threadChoice.threads === 1, !(run.threadChoice.ratio < 0.9), `ratio ${run.threadChoice.ratio} and the kept count agree`);
      assert.equal(run.session.open, true);
    } else {
      assert.equal(sessions, 1);
      assert.equal(run.threadChoice.threads, 1);
    }
  });

  it("'auto': a step run four times never opens a second session", () => {
    context.setStepThreads('auto');
    assert.equal(trainAndCompare(4).sessions, 1);
    assert.equal(fusedRunners().slice(-1)[0]!.threadChoice.decided, probeThreads() <= 1);
  });

  it('a fixed count opens one session and keeps it; the setting reads back; a bad one is an error naming it', () => {
    context.setStepThreads(1);
    assert.equal(context.stepThreads(), 1);
    assert.equal(trainAndCompare(28).sessions, 1);
    assert.deepEqual(fusedRunners().slice(-1)[0]!.threadChoice, { threads: 1, measured: {}, ratio: NaN, decided: true });
    assert.throws(() => context.setStepThreads(1.5), /setStepThreads: expected a non-negative integer or 'auto', got 1.5/);
    assert.throws(() => context.setStepThreads('many' as never), /setStepThreads: expected a non-negative integer or 'auto', got "many"/);
  });
});
