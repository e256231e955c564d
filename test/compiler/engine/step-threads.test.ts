/**
 * The fused step's thread policy and its per-step path: under 'auto' a step
 * probes one and several threads once its one-thread runs have settled
 * (synthetic run sequences: a slow, page-faulting plateau then a cliff is
 * not settled; flat fault-free runs are), keeps one session and closes the
 * other, within its run cap; a fixed count opens one session; whichever session runs
 * a step, the weights follow a float64 reference of SGD with momentum
 * (MXNet's sgd_mom_update: m = μm − lr·g/N, w = w + m) on the mean softmax
 * cross-entropy, step after step (the per-step feed plan and reused scalar
 * feeds must not change a value).
 */
import assert from 'node:assert/strict';
import { autograd, context, gluon, init, nd, profiler, random } from 'gluonc';
import { fusedRunners } from '../../../compiler/engine/program.js';
import { decidePairs, PROBE, probeThreads, settled, type ProbeRun } from '../../../compiler/engine/step-threads.js';
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

/** Trains `steps` steps (or, with `untilDecided`, until the newest step's probe has decided, at most `steps`). */
function trainAndCompare(steps: number, untilDecided = false): { sessions: number; steps: number } {
  const { net, x, y, xs, ys } = setup();
  net.inferShape(x);
  const ref = net.collectParams().values().map((p) => Array.from(p.data().data() as Float32Array));
  const mom = ref.map((a) => a.map(() => 0));
  net.hybridize();
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  loss.hybridize();
  const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: LR, momentum: MOM });
  profiler.reset();
  let s = 0;
  for (; s < steps; s++) {
    if (untilDecided && s > 0 && fusedRunners().slice(-1)[0]!.threadChoice.decided) break;
    autograd.record(() => loss.call(net.call(x), y)).backward();
    trainer.step(N);
    referenceStep(ref, mom, xs, ys);
    net.collectParams().values().forEach((p, i) => assertClose(Array.from(p.data().data() as Float32Array), ref[i]!, `parameter ${i} after step ${s + 1}`, 1e-4, 1e-5));
  }
  return { sessions: profiler.counters().sessionsCreated, steps: s };
}

const run = (seconds: number, faults = 0): ProbeRun => ({ seconds, faults });
/** The probe's bound on the runs of a step before it decides (see PROBE). */
const PROBE_BOUND = PROBE.settleCap + 2 * (PROBE.warmup + PROBE.pairCap);

describe('fused step threads (auto probe, fixed counts)', () => {
  afterEach(() => context.setStepThreads('auto'));

  it('settled: a page-faulting plateau, a falling window or too few runs are not; flat fault-free runs are', () => {
    const w = PROBE.window;
    const cold = Array.from({ length: 2 * w }, () => run(7e-3, 460));
    assert.equal(settled(cold), false, 'a slow plateau that page-faults (the cold phase) is not settled');
    // The cold phase ends with a cliff: fault-free runs, but the window before was slower.
    const cliff = [...cold.slice(0, w), ...Array.from({ length: w }, () => run(0.85e-3))];
    assert.equal(settled(cliff), false, 'the window right after the cliff is still falling');
    const steady = Array.from({ length: 2 * w }, (_v, i) => run(i % 2 ? 0.86e-3 : 0.84e-3));
    assert.equal(settled([...cliff, ...steady]), true);
    assert.equal(settled(steady.slice(1)), false, 'fewer than two windows of runs');
    // Exactly at the 5% bound: median 0.95 of the window before is settled, just below it is not.
    const prev = Array.from({ length: w }, () => run(1e-3));
    assert.equal(settled([...prev, ...Array.from({ length: w }, () => run(0.95e-3))]), true);
    assert.equal(settled([...prev, ...Array.from({ length: w }, () => run(0.949e-3))]), false);
    // One run of the last window over the fault limit (at the limit is fine).
    const atLimit = [...steady.slice(0, -1), run(0.85e-3, PROBE.faultPages)];
    assert.equal(settled(atLimit), true);
    assert.equal(settled([...steady.slice(0, -1), run(0.85e-3, PROBE.faultPages + 1)]), false);
  });

  it('decidePairs: faulting pairs do not count; the median ratio decides at the 0.9 margin', () => {
    const pair = (one: number, many: number, faults = 0): [ProbeRun, ProbeRun] => [run(one), run(many, faults)];
    // Three clean pairs at ratio 0.5 and two faulting ones at ratio 10: the clean ones decide.
    const d = decidePairs([pair(2, 1), pair(2, 1), pair(1, 10, 400), pair(2, 1), pair(1, 10, 400)]);
    assert.deepEqual({ keepMany: d.keepMany, ratio: d.ratio, counted: d.counted, one: d.one, many: d.many }, { keepMany: true, ratio: 0.5, counted: 3, one: 2, many: 1 });
    // The margin: a ratio of exactly 0.9 keeps one thread; below it keeps several.
    assert.equal(decidePairs([pair(1, 0.9)]).keepMany, false);
    assert.equal(decidePairs([pair(1, 0.89)]).keepMany, true);
    // Only faulting pairs: they decide (none counts).
    const all = decidePairs([pair(1, 2, 100), pair(1, 2, 100)]);
    assert.equal(all.counted, 0);
    assert.equal(all.ratio, 2);
    assert.equal(all.keepMany, false);
  });

  it("'auto': the weights follow a float64 reference through the probe; one session is kept, the other closed", function () {
    this.timeout(120_000);
    context.setStepThreads('auto');
    const { sessions, steps } = trainAndCompare(PROBE_BOUND + 1, true);
    const run = fusedRunners().slice(-1)[0]!;
    if (probeThreads() > 1) {
      // One thread kept: its session and the probe's (closed). Several: a fresh arena session replaces the probe's.
      assert.equal(sessions, run.threadChoice.threads === 1 ? 2 : 3, 'one- and several-thread sessions of the step');
      assert.equal(run.threadChoice.decided, true, `decided within ${PROBE_BOUND} runs`);
      const c = run.threadChoice;
      assert.ok(c.settleRuns >= 2 * PROBE.window && c.settleRuns <= PROBE.settleCap, `settled after ${c.settleRuns} runs`);
      assert.ok(c.pairs.timed <= PROBE.pairCap && (c.pairs.counted === PROBE.pairs || c.pairs.timed === PROBE.pairCap), `pairs ${JSON.stringify(c.pairs)}`);
      assert.equal(steps, c.settleRuns + 2 * (PROBE.warmup + c.pairs.timed), 'every run went to one session: settle runs, warm-up pairs, timed pairs');
      assert.ok([1, probeThreads()].includes(run.threadChoice.threads), `kept ${run.threadChoice.threads} threads`);
      assert.deepEqual(Object.keys(run.threadChoice.measured).map(Number).sort(), [1, probeThreads()].sort());
      assert.equal(run.threadChoice.threads === 1, !(run.threadChoice.ratio < 0.9), `ratio ${run.threadChoice.ratio} and the kept count agree`);
      assert.equal(run.session.open, true);
    } else {
      assert.equal(sessions, 1);
      assert.equal(run.threadChoice.threads, 1);
    }
  });

  it("'auto': a step run fewer than two windows of runs (it cannot have settled) never opens a second session", () => {
    context.setStepThreads('auto');
    assert.equal(trainAndCompare(4).sessions, 1);
    assert.equal(trainAndCompare(2 * PROBE.window - 1).sessions, 1);
    assert.equal(fusedRunners().slice(-1)[0]!.threadChoice.decided, probeThreads() <= 1);
  });

  it('a fixed count opens one session and keeps it; the setting reads back; a bad one is an error naming it', () => {
    context.setStepThreads(1);
    assert.equal(context.stepThreads(), 1);
    assert.equal(trainAndCompare(28).sessions, 1);
    assert.deepEqual(fusedRunners().slice(-1)[0]!.threadChoice, { threads: 1, measured: {}, ratio: NaN, decided: true, settleRuns: 0, pairs: { counted: 0, timed: 0 } });
    assert.throws(() => context.setStepThreads(1.5), /setStepThreads: expected a non-negative integer or 'auto', got 1.5/);
    assert.throws(() => context.setStepThreads('many' as never), /setStepThreads: expected a non-negative integer or 'auto', got "many"/);
  });
});
