/**
 * The fused training step: with the net and the loss hybridized, record +
 * backward + trainer.step run as one compiled session per step, with
 * Gluon's semantics unchanged.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { autograd, gluon, init, nd, profiler, random } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { PROBE } from '../../../compiler/engine/step-threads.js';

const X = () => {
  random.seed(7);
  return { x: nd.random.uniform(-1, 1, [16, 6]), y: nd.array(Array.from({ length: 16 }, (_v, i) => i % 3)) };
};

function build(seed = 3) {
  random.seed(seed);
  const net = new gluon.nn.HybridSequential();
  net.add(new gluon.nn.Dense(8, { activation: 'relu' }), new gluon.nn.Dense(3));
  net.initialize(new init.Xavier());
  return net;
}

function run(hybrid: boolean, optimizer: string, opts: Record<string, unknown>, steps: number, between?: (i: number) => void) {
  const { x, y } = X();
  const net = build();
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  if (hybrid) {
    net.hybridize();
    loss.hybridize();
  }
  const trainer = new gluon.Trainer(net.collectParams(), optimizer, opts);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const l = autograd.record(() => loss.call(net.call(x), y)) as nd.NDArray;
    l.backward();
    between?.(i);
    trainer.step(16);
    losses.push(l.mean().item());
  }
  return { losses, net, trainer };
}

describe('fused training step', () => {
  for (const [name, opts] of [
    ['sgd', { learningRate: 0.1, momentum: 0.9 }],
    ['adam', { learningRate: 0.01 }],
  ] as [string, Record<string, unknown>][]) {
    it(`${name}: hybridized net + loss train exactly like eager, one session run per step`, () => {
      const eager = run(false, name, opts, 6);
      profiler.reset();
      let afterWarmup = profiler.counters();
      const fused = run(true, name, opts, 6, (i) => {
        if (i === 1) afterWarmup = profiler.counters();
      });
      const c = profiler.counters();
      assertClose(fused.losses, eager.losses, 'losses', 1e-4, 1e-6);
      const we = eager.net.collectParams().values().map((p) => Array.from(p.data().data() as Float32Array)).flat();
      const wf = fused.net.collectParams().values().map((p) => Array.from(p.data().data() as Float32Array)).flat();
      assertClose(wf, we, 'weights after 6 steps', 1e-4, 1e-6);
      // The snapshot is taken before step 1's update: steps 1..5 (5 steps) run one session each and create none
      // (the 'auto' thread policy opens its several-thread session only once 2 * PROBE.window runs have settled: step-threads.ts).
      assert.ok(6 < 2 * PROBE.window);
      assert.equal(c.sessionsCreated - afterWarmup.sessionsCreated, 0, 'no session created in steady state');
      assert.equal(c.sessionRuns - afterWarmup.sessionRuns, 5, 'one session run per step');
    });
  }

  it('.grad() is readable after backward, before step, and equals the eager gradient', () => {
    const { x, y } = X();
    const grads: number[][][] = [];
    for (const hybrid of [false, true]) {
      const net = build();
      const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
      if (hybrid) {
        net.hybridize();
        loss.hybridize();
      }
      autograd.record(() => loss.call(net.call(x), y)).backward();
      grads.push(net.collectParams().values().map((p) => Array.from(p.grad().data() as Float32Array)));
    }
    grads[0]!.forEach((g, i) => assertClose(grads[1]![i]!, g, `gradient ${i}`, 1e-4, 1e-6));
  });

  it('reading the loss between backward and step keeps the results', () => {
    const plain = run(false, 'sgd', { learningRate: 0.1, momentum: 0.9 }, 4);
    const { x, y } = X();
    const net = build();
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    net.hybridize();
    loss.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    const losses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const l = autograd.record(() => loss.call(net.call(x), y)) as nd.NDArray;
      l.backward();
      losses.push(l.mean().item()); // forces forward + gradients before the step
      trainer.step(16);
    }
    assertClose(losses, plain.losses, 'losses when read before step');
  });

  it("gradReq 'add' accumulates in the fused step as it does eagerly", () => {
    const results: number[][] = [];
    for (const hybrid of [false, true]) {
      const { x, y } = X();
      const net = build();
      net.collectParams().setattr('gradReq', 'add');
      const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
      if (hybrid) {
        net.hybridize();
        loss.hybridize();
      }
      net.zeroGrad();
      const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.05 });
      for (let i = 0; i < 3; i++) {
        autograd.record(() => loss.call(net.call(x), y)).backward();
        trainer.step(16);
      }
      results.push(net.collectParams().values().map((p) => Array.from(p.data().data() as Float32Array)).flat());
    }
    assertClose(results[1]!, results[0]!, 'weights with accumulated gradients', 1e-4, 1e-6);
  });

  for (const req of ['write', 'add'] as const) {
    it(`two heads recorded together, two backward calls (gradReq '${req}'): each backward writes as it does eagerly`, () => {
      // Dense(1) on 2 inputs: the gradient of out = x·wᵀ + b by w is x, by b is 1.
      const d = new gluon.nn.Dense(1, { inUnits: 2 });
      d.initialize();
      d.weight.setData(nd.array([0.5, -0.5], { shape: [1, 2] }));
      d.bias!.setData(nd.array([0]));
      d.collectParams().setattr('gradReq', req);
      d.collectParams().zeroGrad();
      d.hybridize();
      const trainer = new gluon.Trainer(d.collectParams(), 'sgd', { learningRate: 1 });
      const [l1, l2] = autograd.record(() => [d.call(nd.array([1, 2], { shape: [1, 2] })), d.call(nd.array([10, 20], { shape: [1, 2] }))]);
      l1!.backward();
      l2!.backward();
      // 'write': the last backward's gradient (MXNet overwrites); 'add': the sum of both.
      const [gw, gb] = req === 'write' ? [[10, 20], [1]] : [[11, 22], [2]];
      assert.deepEqual(Array.from(d.weight.grad().data() as Float32Array), gw);
      assert.deepEqual(Array.from(d.bias!.grad().data() as Float32Array), gb);
      trainer.step(1);
      assert.deepEqual(Array.from(d.weight.data().data() as Float32Array), [0.5 - gw[0]!, -0.5 - gw[1]!]);
      assert.deepEqual(Array.from(d.bias!.data().data() as Float32Array), [-gb[0]!]);
      // The outputs are the forward's.
      assert.deepEqual([l1!.item(), l2!.item()], [0.5 - 1, 5 - 10]);
    });
  }

  it("a parameter's gradReq changed between steps takes effect in the next program ('write' → 'add' → 'null' → 'add' → 'write')", () => {
    // Dense(1) on 2 inputs: the gradient of out = x·wᵀ + b by w is x.
    const d = new gluon.nn.Dense(1, { inUnits: 2 });
    d.initialize();
    d.weight.setData(nd.array([0.5, -0.5], { shape: [1, 2] }));
    d.bias!.setData(nd.array([0]));
    d.hybridize();
    const x = nd.array([1, 2], { shape: [1, 2] });
    const grads: (number[] | null)[] = [];
    for (const req of ['write', 'write', 'add', 'add', 'null', 'add', 'write'] as const) {
      d.weight.gradReq = req;
      const l = autograd.record(() => d.call(x));
      l.backward();
      l.item(); // runs forward and backward now (no trainer: the program alone)
      const g = d.weight.gradOrNull();
      grads.push(g ? Array.from(g.data() as Float32Array) : null);
    }
    // 'add' accumulates onto the last gradient, 'null' leaves it as it was, 'write' overwrites it.
    assert.deepEqual(grads, [[1, 2], [1, 2], [2, 4], [3, 6], null, [4, 8], [1, 2]]);
    // The same with the fused step: gradReq 'add' accumulates in the step too.
    const trainer = new gluon.Trainer(d.collectParams(), 'sgd', { learningRate: 0.5 });
    const w0 = Array.from(d.weight.data().data() as Float32Array);
    for (const req of ['write', 'add'] as const) {
      d.weight.gradReq = req;
      autograd.record(() => d.call(x)).backward();
      trainer.step(1);
    }
    // Step 1: g = x; step 2 ('add'): g = x + x.
    assert.deepEqual(Array.from(d.weight.data().data() as Float32Array), [w0[0]! - 0.5 * 3, w0[1]! - 0.5 * 6]);
    assert.throws(() => (d.weight.gradReq = 'Write' as never), /Parameter 'weight': gradReq must be 'write', 'add' or 'null', got "Write"/);
    assert.throws(() => d.collectParams().setattr('gradReq', undefined), /gradReq must be 'write', 'add' or 'null', got undefined/);
  });

  it('resuming from saveParameters + saveStates continues exactly as the uninterrupted run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gluonc-resume-'));
    try {
      const opts = { learningRate: 0.01 };
      const full = run(true, 'adam', opts, 6);
      // First half, then save.
      const first = run(true, 'adam', opts, 3);
      first.net.saveParameters(join(dir, 'net.params'));
      first.trainer.saveStates(join(dir, 'trainer.states'));
      // A fresh net and trainer from the files.
      const { x, y } = X();
      const net = build(99);
      net.loadParameters(join(dir, 'net.params'));
      const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
      net.hybridize();
      loss.hybridize();
      const trainer = new gluon.Trainer(net.collectParams(), 'adam', opts);
      trainer.loadStates(join(dir, 'trainer.states'));
      const rest: number[] = [];
      for (let i = 0; i < 3; i++) {
        const l = autograd.record(() => loss.call(net.call(x), y)) as nd.NDArray;
        l.backward();
        trainer.step(16);
        rest.push(l.mean().item());
      }
      assert.deepEqual([...first.losses, ...rest], full.losses);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
