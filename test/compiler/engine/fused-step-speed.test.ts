/**
 * What the fused training step does for speed keeps Gluon's results:
 * gradients and call outputs left out of the step's outputs are computed
 * when read, update
 * scalars shared between parameters follow lrMult/wdMult and their changes,
 * SGD without weight decay leaves the decay terms out, and the session's
 * thread setting changes nothing but time.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, profiler, random } from 'gluonc';
import { fusedRunners, setStepThreads, stepThreadCount } from '../../../compiler/engine/program.js';
import { assertClose } from '../../helpers/compare.js';

const data = () => {
  random.seed(11);
  return { x: nd.random.uniform(-1, 1, [12, 5]), y: nd.array(Array.from({ length: 12 }, (_v, i) => i % 4)) };
};

function build(dropout = false) {
  random.seed(5);
  const net = new gluon.nn.HybridSequential();
  net.add(new gluon.nn.Dense(7, { activation: 'relu' }));
  if (dropout) net.add(new gluon.nn.Dropout(0.3));
  net.add(new gluon.nn.Dense(4));
  net.initialize(new init.Xavier());
  return net;
}

type Net = ReturnType<typeof build>;
const flat = (net: Net, what: 'data' | 'grad') => net.collectParams().values().map((p) => Array.from(p[what]().data() as Float32Array));

/** The data, a fresh net, its loss (both hybridized or not) and a Trainer. */
function setup(hybrid: boolean, optimizer: string, opts: Record<string, unknown>) {
  const { x, y } = data();
  const net = build();
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  if (hybrid) {
    net.hybridize();
    loss.hybridize();
  }
  return { x, y, net, loss, trainer: new gluon.Trainer(net.collectParams(), optimizer, opts) };
}

/** Trains `steps` steps; `between(i, net, trainer)` runs after each step. */
function train(hybrid: boolean, optimizer: string, opts: Record<string, unknown>, steps: number, between?: (i: number, net: Net, trainer: gluon.Trainer) => void) {
  const { x, y, net, loss, trainer } = setup(hybrid, optimizer, opts);
  for (let i = 0; i < steps; i++) {
    autograd.record(() => loss.call(net.call(x), y)).backward();
    trainer.step(12);
    between?.(i, net, trainer);
  }
  return { net, trainer };
}

describe('fused training step: outputs, shared scalars, threads', () => {
  it('gradients read after the step equal the eager ones; later steps output them (one run per step)', () => {
    const opts = { learningRate: 0.1, momentum: 0.9 };
    const eagerGrads: number[][][] = [];
    train(false, 'sgd', opts, 4, (_i, net) => eagerGrads.push(flat(net, 'grad')));
    profiler.reset();
    const runs: number[] = [];
    train(true, 'sgd', opts, 4, (i, net) => {
      const before = profiler.counters().sessionRuns;
      if (i >= 1) flat(net, 'grad').forEach((g, k) => assertClose(g, eagerGrads[i]![k]!, `step ${i} gradient ${k}`, 1e-4, 1e-6));
      runs.push(profiler.counters().sessionRuns - before);
    });
    // Step 1: the gradients were not outputs, reading them ran the program once more; from step 2 on they are outputs.
    assert.deepEqual(runs, [0, 1, 0, 0]);
  });

  it('a network output the loss reads is not a step output; read after the step it equals the eager one; later steps output it', () => {
    const opts = { learningRate: 0.1, momentum: 0.9 };
    const run = (hybrid: boolean, read: (i: number) => boolean) => {
      const { x, y, net, loss, trainer } = setup(hybrid, 'sgd', opts);
      const outs: (number[] | null)[] = [];
      const losses: number[][] = [];
      const runs: number[] = [];
      const stepOutputs: string[][] = [];
      for (let i = 0; i < 4; i++) {
        let out: nd.NDArray | null = null;
        const l = autograd.record(() => loss.call((out = net.call(x) as nd.NDArray), y)) as nd.NDArray;
        l.backward();
        trainer.step(12);
        if (hybrid) stepOutputs.push(fusedRunners().at(-1)!.session.outputs.map((o) => o.name));
        const before = profiler.counters().sessionRuns;
        losses.push(Array.from(l.data() as Float32Array));
        outs.push(read(i) ? Array.from(out!.data() as Float32Array) : null);
        runs.push(profiler.counters().sessionRuns - before);
      }
      return { outs, losses, runs, stepOutputs };
    };
    const eager = run(false, () => true);
    profiler.reset();
    const fused = run(true, (i) => i >= 1);
    for (let i = 1; i < 4; i++) assertClose(fused.outs[i]!, eager.outs[i]!, `step ${i} network output`, 1e-4, 1e-6);
    for (let i = 0; i < 4; i++) assertClose(fused.losses[i]!, eager.losses[i]!, `step ${i} loss`, 1e-4, 1e-6);
    // Steps 0-1 output the loss (out1_0) and not the network's output; reading it at step 1 ran the program
    // once more (before the update: it equals the eager output), and from step 2 on it is an output again.
    assert.ok(!fused.stepOutputs[0]!.includes('out0_0') && fused.stepOutputs[0]!.includes('out1_0'), fused.stepOutputs[0]!.join());
    assert.ok(fused.stepOutputs[2]!.includes('out0_0'), fused.stepOutputs[2]!.join());
    assert.deepEqual(fused.runs, [0, 1, 0, 0]);
  });

  it('with Dropout the gradients stay outputs (a second run would draw another mask)', () => {
    const { x, y } = data();
    const net = build(true);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    net.hybridize();
    loss.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 });
    autograd.record(() => loss.call(net.call(x), y)).backward();
    trainer.step(12);
    const before = profiler.counters().sessionRuns;
    flat(net, 'grad');
    assert.equal(profiler.counters().sessionRuns, before, 'reading gradients ran nothing');
  });

  for (const [name, opts] of [
    ['sgd', { learningRate: 0.1, momentum: 0.9 }],
    ['sgd', { learningRate: 0.1, momentum: 0.9, nesterov: true, wd: 0.01 }],
    ['sgd', { learningRate: 0.1, wd: 0.02 }],
    ['sgd', { learningRate: 0.1, momentum: 0.5, clipGradient: 0.05 }],
    ['adam', { learningRate: 0.01, wd: 0.01 }],
  ] as [string, Record<string, unknown>][]) {
    it(`${name} ${JSON.stringify(opts)}: lrMult/wdMult set and changed mid-training, wd turned on, equal eager`, () => {
      const change = (i: number, net: Net, trainer: gluon.Trainer) => {
        const ps = net.collectParams().values();
        if (i === 0) {
          ps[0]!.lrMult = 0.5;
          ps[1]!.wdMult = 0;
        }
        if (i === 2) ps[2]!.lrMult = 2;
        if (i === 3) trainer.setLearningRate(0.03);
      };
      const eager = train(false, name, opts, 6, change);
      const fused = train(true, name, opts, 6, change);
      assertClose(flat(fused.net, 'data').flat(), flat(eager.net, 'data').flat(), 'weights after 6 steps', 1e-4, 1e-6);
    });
  }

  it('SGD: weight decay turned on after the step was compiled without it', () => {
    const change = (i: number, _net: Net, trainer: gluon.Trainer) => {
      if (i === 1) trainer.optimizer.wd = 0.05;
    };
    const eager = train(false, 'sgd', { learningRate: 0.1, momentum: 0.9 }, 4, change);
    const fused = train(true, 'sgd', { learningRate: 0.1, momentum: 0.9 }, 4, change);
    assertClose(flat(fused.net, 'data').flat(), flat(eager.net, 'data').flat(), 'weights after 4 steps', 1e-4, 1e-6);
  });

  it('setStepThreads: 0 (all cores) and 1 train alike; a bad count is an error naming it', () => {
    const was = stepThreadCount();
    try {
      const results = [0, 1].map((n) => {
        setStepThreads(n);
        return flat(train(true, 'sgd', { learningRate: 0.1, momentum: 0.9 }, 3).net, 'data').flat();
      });
      assertClose(results[0]!, results[1]!, 'weights with 0 and 1 threads', 1e-5, 1e-7);
      assert.throws(() => setStepThreads(-1), /setStepThreads: expected a non-negative integer or 'auto', got -1/);
    } finally {
      setStepThreads(was);
    }
  });
});
