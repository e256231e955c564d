import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { nd, gluon, autograd, init, random, metric, profiler, context } from 'gluonc';
import { scratchDir } from '../../helpers/scratch-dir.js';
import { runPython } from '../../helpers/python-server.js';

const { Estimator, EventHandler, EarlyStoppingHandler, CheckpointHandler, LoggingHandler, MetricHandler, ValidationHandler, GradientUpdateHandler, StoppingHandler, BatchProcessor } = gluon.contrib.estimator;
type EstimatorRef = gluon.contrib.estimator.EstimatorRef;
type NDArray = nd.NDArray;
const vals = (x: NDArray) => Array.from(x.data() as ArrayLike<number>, Number);

/** 24 samples of 6 features, 3 classes, fixed. */
function data(n = 24) {
  random.seed(7);
  const x = nd.random.uniform(-1, 1, [n, 6]);
  const y = nd.array(Array.from({ length: n }, (_v, i) => (i * 7) % 3));
  return { x, y };
}

function mlp(hybridize = true) {
  random.seed(3);
  const net = new gluon.nn.HybridSequential();
  net.add(new gluon.nn.Dense(8, { activation: 'relu', inUnits: 6 }), new gluon.nn.Dense(3, { inUnits: 8 }));
  net.initialize(new init.Xavier());
  if (hybridize) net.hybridize();
  return net;
}

const quiet = () => {
  const lines: string[] = [];
  return { lines, logger: { info: (m: string) => void lines.push(m), warning: (m: string) => void lines.push(`WARN ${m}`) } };
};

function loader(n = 24, batchSize = 8) {
  const { x, y } = data(n);
  return new gluon.data.DataLoader(new gluon.data.ArrayDataset(x, y), { batchSize });
}

describe('gluon.contrib.estimator', () => {
  const root = scratchDir('gluonc-estimator-');
  const tmpDir = () => fs.mkdtempSync(path.join(root(), 'gluonc-estimator-'));
  it('fit equals the same loop written with Trainer: weights and metric values, hybridized, one session run per step', () => {
    const { x, y } = data();
    // By hand.
    const ref = mlp();
    const refLoss = new gluon.loss.SoftmaxCrossEntropyLoss();
    refLoss.hybridize();
    const refTrainer = new gluon.Trainer(ref.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    const acc = new metric.Accuracy();
    const lm = new metric.Loss();
    for (let epoch = 0; epoch < 2; epoch++) {
      acc.reset();
      lm.reset();
      for (const [xb, yb] of new gluon.data.DataLoader(new gluon.data.ArrayDataset(x, y), { batchSize: 8 })) {
        const [out, l] = autograd.record(() => {
          const o = ref.call(xb) as NDArray;
          return [o, refLoss.call(o, yb) as NDArray];
        });
        l.backward();
        refTrainer.step(xb.shape[0]!);
        acc.update([yb], [out]);
        lm.update(0, [l]);
      }
    }
    // With the estimator.
    const net = mlp();
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    loss.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    const { logger } = quiet();
    const est = new Estimator(net, loss, { trainer, logger });
    assert.deepEqual(est.trainMetrics.map((m) => m.name), ['training accuracy', 'training softmaxcrossentropyloss']);
    assert.deepEqual(est.valMetrics.map((m) => m.name), ['validation accuracy', 'validation softmaxcrossentropyloss']);
    est.fit(loader(), { epochs: 1 });
    profiler.reset();
    est.fit(loader(), { epochs: 1 });
    // Three steps in the second fit, each one fused session run (the net's output is already an output of the step).
    assert.equal(profiler.counters().sessionRuns, 3);
    const refParams = [...ref.collectParams().values()];
    [...net.collectParams().values()].forEach((p, i) => assert.deepEqual(vals(p.data()), vals(refParams[i]!.data()), p.name));
    assert.deepEqual(est.trainMetrics[0]!.get(), ['training accuracy', acc.get()[1]]);
    assert.deepEqual(est.trainMetrics[1]!.get(), ['training softmaxcrossentropyloss', lm.get()[1]]);
  });

  it('matches float64 SGD computed here on a linear model with L2Loss (closed-form gradients)', () => {
    // y = w.x + b, L2Loss = (p - y)^2 / 2 per sample, SGD lr 0.05, batch 4: gradients computed here in float64.
    const X = [[1, 2], [0.5, -1], [-2, 0.25], [3, 1], [0, 0], [1, -1], [2, 2], [-1, 0.5]];
    const Y = [1, 0, -1, 2, 0.5, 0, 1, -0.5];
    const net = new gluon.nn.Dense(1, { inUnits: 2 });
    net.initialize(new init.Constant(0.1));
    net.hybridize();
    const est = new Estimator(net, new gluon.loss.L2Loss(), { trainer: new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.05 }), logger: quiet().logger });
    est.fit(new gluon.data.DataLoader(new gluon.data.ArrayDataset(nd.array(X), nd.array(Y.map((v) => [v]))), { batchSize: 4 }), { epochs: 3 });
    let w = [0.1, 0.1];
    let b = 0; // Dense's bias keeps its own initializer (zeros), as in Gluon
    for (let e = 0; e < 3; e++) {
      for (let s = 0; s < 8; s += 4) {
        const gw = [0, 0];
        let gb = 0;
        for (let i = s; i < s + 4; i++) {
          const r = w[0]! * X[i]![0]! + w[1]! * X[i]![1]! + b - Y[i]!;
          gw[0] += r * X[i]![0]!;
          gw[1] += r * X[i]![1]!;
          gb += r;
        }
        w = [w[0]! - (0.05 * gw[0]!) / 4, w[1]! - (0.05 * gw[1]!) / 4];
        b -= (0.05 * gb) / 4;
      }
    }
    const got = [...vals(net.collectParams().get('weight').data()), ...vals(net.collectParams().get('bias').data())];
    [...w, b].forEach((v, i) => assert.ok(Math.abs(got[i]! - v) < 1e-5, `param ${i}: ${got[i]} vs ${v}`));
  });

  it('equals PyTorch float64 SGD with momentum on an MLP with softmax cross-entropy (2 epochs of 2 batches)', () => {
    const { x, y } = data(16);
    const net = mlp();
    const params = [...net.collectParams().values()];
    const init0 = params.map((p) => ({ shape: p.data().shape, v: vals(p.data()) }));
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    loss.hybridize();
    const est = new Estimator(net, loss, { trainer: new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 }), logger: quiet().logger });
    est.fit(new gluon.data.DataLoader(new gluon.data.ArrayDataset(x, y), { batchSize: 8 }), { epochs: 2 });
    const script = String.raw`
import json, sys, torch
d = json.load(sys.stdin)
t = lambda a: torch.tensor(a['v'], dtype=torch.float64).reshape(a['shape'])
w1, b1, w2, b2 = [t(p).requires_grad_() for p in d['params']]
x = torch.tensor(d['x'], dtype=torch.float64).reshape(16, 6); y = torch.tensor(d['y'], dtype=torch.long)
opt = torch.optim.SGD([w1, b1, w2, b2], lr=0.1, momentum=0.9)
for epoch in range(2):
    for s in range(0, 16, 8):
        opt.zero_grad()
        h = torch.relu(x[s:s+8] @ w1.T + b1)
        torch.nn.functional.cross_entropy(h @ w2.T + b2, y[s:s+8]).backward()
        opt.step()
json.dump([p.detach().reshape(-1).tolist() for p in (w1, b1, w2, b2)], sys.stdout)
`;
    const r = runPython(script, { input: JSON.stringify({ params: init0, x: vals(x), y: vals(y) }) });
    assert.equal(r.status, 0, r.stderr);
    const ref = JSON.parse(r.stdout) as number[][];
    params.forEach((p, i) => vals(p.data()).forEach((v, j) => assert.ok(Math.abs(v - ref[i]![j]!) < 1e-5, `${p.name}[${j}]: ${v} vs ${ref[i]![j]}`)));
    // And it moved: the check is not of the initial values.
    assert.ok(params.some((p, i) => vals(p.data()).some((v, j) => Math.abs(v - init0[i]!.v[j]!) > 1e-3)));
  });

  it('calls handlers in priority order with the event sequence of MXNet loop (epochs and batches)', () => {
    const events: string[] = [];
    class Rec extends EventHandler {
      constructor(readonly tag: string, priority?: number) {
        super();
        this.priority = priority;
      }
      trainBegin() { events.push(`${this.tag}:trainBegin`); }
      epochBegin() { events.push(`${this.tag}:epochBegin`); }
      batchBegin() { events.push(`${this.tag}:batchBegin`); }
      batchEnd(est: EstimatorRef) { events.push(`${this.tag}:batchEnd:${est.trainer.stepCount}`); }
      epochEnd() { events.push(`${this.tag}:epochEnd`); }
      trainEnd() { events.push(`${this.tag}:trainEnd`); }
    }
    const net = mlp(false);
    const est = new Estimator(net, new gluon.loss.SoftmaxCrossEntropyLoss(), { trainer: new gluon.Trainer(net.collectParams(), 'sgd'), logger: quiet().logger });
    est.fit(loader(16, 8), { epochs: 1, eventHandlers: [new Rec('b', 5), new Rec('a', -3000)] });
    // 'a' runs before GradientUpdateHandler (-2000), so it sees the count before the step; 'b' after it.
    assert.deepEqual(events, ['a:trainBegin', 'b:trainBegin', 'a:epochBegin', 'b:epochBegin',
      'a:batchBegin', 'b:batchBegin', 'a:batchEnd:0', 'b:batchEnd:1', 'a:batchBegin', 'b:batchBegin', 'a:batchEnd:1', 'b:batchEnd:2',
      'a:epochEnd', 'b:epochEnd', 'a:trainEnd', 'b:trainEnd']);
    events.length = 0;
    // batches: 3 over 2-batch epochs stops in the second epoch after its first batch, then ends that epoch.
    est.fit(loader(16, 8), { batches: 3, eventHandlers: new Rec('r') });
    assert.deepEqual(events.filter((e) => !e.includes('batchBegin')).map((e) => e.replace(/:\d+$/, '')), ['r:trainBegin', 'r:epochBegin', 'r:batchEnd', 'r:batchEnd', 'r:epochEnd', 'r:epochBegin', 'r:batchEnd', 'r:epochEnd', 'r:trainEnd']);
  });

  it('evaluate calls epochBegin, the batches and epochEnd; fit and evaluate take MXNet positional arguments', () => {
    const events: string[] = [];
    const rec = new (class extends EventHandler {
      trainBegin() { events.push('trainBegin'); }
      epochBegin() { events.push('epochBegin'); }
      batchBegin() { events.push('batchBegin'); }
      batchEnd(_e: EstimatorRef, a: gluon.contrib.estimator.BatchEndArgs) { events.push(`batchEnd:${a.pred[0]!.shape.join('x')}:${a.loss[0]!.shape.join('x')}`); }
      epochEnd() { events.push('epochEnd'); }
    })();
    const net = mlp();
    const est = new Estimator({ net, loss: new gluon.loss.SoftmaxCrossEntropyLoss(), trainer: new gluon.Trainer(net.collectParams(), 'sgd'), logger: quiet().logger });
    est.evaluate(loader(12, 8), 0, [rec]);
    assert.deepEqual(events, ['epochBegin', 'batchBegin', 'batchEnd:8x3:8', 'batchBegin', 'batchEnd:4x3:4', 'epochEnd']);
    assert.equal(est.valMetrics[0]!.get()[0], 'validation accuracy');
    events.length = 0;
    est.fit(loader(8, 8), null, 2, rec);
    assert.deepEqual(events.filter((e) => e === 'epochEnd').length, 2);
  });

  it('validates with valData every epoch into the validation metrics (evaluate equals a hand evaluation)', () => {
    const net = mlp();
    const est = new Estimator(net, new gluon.loss.SoftmaxCrossEntropyLoss(), { trainer: new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 }), logger: quiet().logger });
    est.fit(loader(), { valData: loader(12, 5), epochs: 1 });
    const { x, y } = data(12);
    const out = net.call(x) as NDArray;
    const acc = new metric.Accuracy();
    acc.update(y, out);
    assert.equal(est.valMetrics[0]!.get()[1], acc.get()[1]);
    const l = new gluon.loss.SoftmaxCrossEntropyLoss().call(out, y) as NDArray;
    const mean = vals(l).reduce((s, v) => s + v, 0) / 12;
    assert.ok(Math.abs((est.valMetrics[1]!.get()[1] as number) - mean) < 1e-6);
  });

  describe('EarlyStoppingHandler (MXNet rule: improved when value - minDelta > best in max mode, value + minDelta < best in min mode)', () => {
    /** A metric whose value is read from a script, one per epoch. */
    class Scripted extends metric.EvalMetric {
      constructor(name: string, readonly script: number[], public i = 0) { super(name); }
      protected updateOne() {}
      override get(): [string, number] { return [this.name, this.script[Math.min(this.i, this.script.length - 1)]!]; }
    }
    const stopsAt = (script: number[], opts: Record<string, unknown>, name = 'loss') => {
      const m = new Scripted(name, script);
      const h = new EarlyStoppingHandler(m, opts as never);
      const net = mlp(false);
      let epochs = 0;
      const tick = new (class extends EventHandler { override priority = 10; epochEnd() { epochs++; m.i++; } })();
      const est = new Estimator(net, new gluon.loss.L2Loss(), { trainer: new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0 }), logger: quiet().logger });
      const { x } = data(4);
      est.fit(new gluon.data.DataLoader(new gluon.data.ArrayDataset(x, nd.zeros([4, 3])), { batchSize: 4 }), { epochs: 20, eventHandlers: [h, tick] });
      return { epochs, stopped: h.stoppedEpoch };
    };
    it('patience 0 stops at the first epoch that does not improve (min mode for a loss)', () => {
      assert.deepEqual(stopsAt([1, 0.5, 0.5, 0.25], {}), { epochs: 3, stopped: 2 });
    });
    it('a change of exactly minDelta is not an improvement (ties at minDelta)', () => {
      // 1 -> 0.75 improves by 0.25 > 0.125; 0.75 -> 0.625 is exactly 0.125: no improvement.
      assert.deepEqual(stopsAt([1, 0.75, 0.625, 0.5], { minDelta: 0.125 }), { epochs: 3, stopped: 2 });
      assert.deepEqual(stopsAt([0.5, 0.625, 0.75, 0.875, 0.875], { minDelta: 0.125, mode: 'max' }), { epochs: 2, stopped: 1 });
    });
    it('patience counts epochs without improvement, reset by an improvement; auto mode maximizes accuracy', () => {
      assert.deepEqual(stopsAt([0.5, 0.4, 0.6, 0.6, 0.55, 0.7], { patience: 2 }, 'accuracy'), { epochs: 5, stopped: 4 });
      assert.deepEqual(stopsAt([0.5, 0.4, 0.6, 0.6, 0.55, 0.7], { patience: 2, mode: 'min' }, 'accuracy'), { epochs: 4, stopped: 3 });
    });
    it('baseline is the value to beat from the first epoch', () => {
      assert.deepEqual(stopsAt([0.9, 0.8, 0.7], { baseline: 0.5 }), { epochs: 1, stopped: 0 });
      assert.deepEqual(stopsAt([0.4, 0.8, 0.7], { baseline: 0.5, patience: 1 }), { epochs: 2, stopped: 1 });
    });
  });

  it('CheckpointHandler writes MXNet names, keeps maxCheckpoints, saves the best and resumes', () => {
    const dir = tmpDir();
    const net = mlp();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
    const est = new Estimator(net, new gluon.loss.SoftmaxCrossEntropyLoss(), { trainer, logger: quiet().logger });
    const ck = new CheckpointHandler(dir, { modelPrefix: 'm', monitor: est.trainMetrics[1]!, saveBest: true, maxCheckpoints: 2 });
    est.fit(loader(), { epochs: 3, eventHandlers: ck });
    // 3 batches an epoch: epoch E ends after 3(E+1) batches; epoch0batch3 was removed (maxCheckpoints 2).
    assert.deepEqual(fs.readdirSync(dir).sort(), ['m-best.params', 'm-best.states', 'm-epoch1batch6.params', 'm-epoch1batch6.states', 'm-epoch2batch9.params', 'm-epoch2batch9.states']);
    const after3 = [...net.collectParams().values()].map((p) => vals(p.data()));
    // verbose: MXNet's lines.
    const qv = quiet();
    const netv = mlp();
    const estv = new Estimator(netv, new gluon.loss.SoftmaxCrossEntropyLoss(), { trainer: new gluon.Trainer(netv.collectParams(), 'sgd'), logger: qv.logger });
    estv.fit(loader(), { epochs: 1, eventHandlers: [new CheckpointHandler(tmpDir(), { verbose: 1, monitor: estv.trainMetrics[0]!, saveBest: true, mode: 'max' }), new LoggingHandler({ metrics: [] })] });
    assert.match(qv.lines.find((l) => l.includes('saving model'))!, /^\[Epoch 0\] CheckpointHandler: trained total 4 batches, saving model at .*gluonc-estimator-\w+ with prefix: model-epoch0batch3$/);
    assert.match(qv.lines.find((l) => l.includes('improved'))!, /^\[Epoch 0\] CheckpointHandler: training accuracy improved from -inf to \d\.\d{5}, updating best model at .* with prefix: model-best$/);
    // Batch periods: the batch's index.
    const dir2 = tmpDir();
    const net2 = mlp();
    const est2 = new Estimator(net2, new gluon.loss.SoftmaxCrossEntropyLoss(), { trainer: new gluon.Trainer(net2.collectParams(), 'sgd'), logger: quiet().logger });
    est2.fit(loader(), { batches: 5, eventHandlers: new CheckpointHandler(dir2, { batchPeriod: 2, epochPeriod: null }) });
    assert.deepEqual(fs.readdirSync(dir2).filter((f) => f.endsWith('.params')).sort(), ['model-epoch0batch1.params', 'model-epoch1batch3.params']);
    // Resume: a 2-epoch run, then resuming to 3 epochs trains one more and equals the 3-epoch run.
    const dir3 = tmpDir();
    const run = (epochs: number, resume: boolean) => {
      const n = mlp();
      const t = new gluon.Trainer(n.collectParams(), 'sgd', { learningRate: 0.1, momentum: 0.9 });
      const q = quiet();
      const e = new Estimator(n, new gluon.loss.SoftmaxCrossEntropyLoss(), { trainer: t, logger: q.logger });
      e.fit(loader(), { epochs, eventHandlers: new CheckpointHandler(dir3, { resumeFromCheckpoint: resume }) });
      return { n, q };
    };
    run(2, false);
    const { n, q } = run(3, true);
    assert.ok(q.lines.includes('WARN CheckpointHandler: Checkpoint resumed from epoch 1 batch 6, continue to train for 1 epochs '), q.lines.join('\n'));
    assert.ok(fs.existsSync(path.join(dir3, 'model-epoch2batch9.params')));
    // Equal up to the rounding of the momentum state read back (README, "Momentum as the last increment").
    [...n.collectParams().values()].forEach((p, i) => vals(p.data()).forEach((v, j) => assert.ok(Math.abs(v - after3[i]![j]!) < 1e-6, `${p.name}[${j}]`)));
    assert.throws(() => run(3, true), /CheckpointHandler: found a checkpoint of epoch 2, which reached the 3 epochs/);
  });

  it('LoggingHandler writes MXNet lines', () => {
    const net = mlp();
    const q = quiet();
    const est = new Estimator(net, new gluon.loss.SoftmaxCrossEntropyLoss(), { trainer: new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.1 }), logger: q.logger });
    est.fit(loader(), { valData: loader(12, 6), epochs: 1, eventHandlers: new LoggingHandler(2, est.trainMetrics) });
    const t = est.trainMetrics.map((m) => m.get() as [string, number]);
    const v = est.valMetrics.map((m) => m.get() as [string, number]);
    const f = (ms: [string, number][]) => ms.map(([k, x]) => `${k}: ${x.toFixed(4)}`).join(', ');
    const lines = q.lines.map((l) => l.replace(/\d+\.\d{3}s/g, 'T').replace(/total \d+s/, 'total Ns'));
    assert.equal(lines[0], 'Training begin: using optimizer SGD with current learning rate 0.1000 ');
    assert.equal(lines[1], 'Train for 1 epochs.');
    assert.equal(lines[2], '[Epoch 0] Begin, current learning rate: 0.1000');
    assert.match(lines[3]!, /^\[Epoch 0\]\[Batch 0\]\[Samples 8\] time\/interval: T training accuracy: \d\.\d{4}, training softmaxcrossentropyloss: \d\.\d{4}$/);
    assert.match(lines[4]!, /^\[Epoch 0\]\[Batch 2\]\[Samples 24\] time\/interval: T training accuracy/);
    assert.equal(lines[5], 'Validation Begin');
    assert.equal(lines[6], `[Epoch 0] Finished in T, ${f(v)}`);
    assert.equal(lines[7], `[Epoch 0] Finished in T, ${f(t)}`);
    assert.equal(lines[8], `Train finished using total Ns with 1 epochs. ${f(t)}`);
    assert.equal(lines.length, 9);
  });

  it('a BatchProcessor subclass replaces the batch step', () => {
    let calls = 0;
    class Counting extends BatchProcessor {
      override fitBatch(est: EstimatorRef, batch: gluon.contrib.estimator.Batch, axis = 0) {
        calls++;
        return super.fitBatch(est, batch, axis);
      }
    }
    const net = mlp(false);
    new Estimator(net, new gluon.loss.SoftmaxCrossEntropyLoss(), { trainer: new gluon.Trainer(net.collectParams(), 'sgd'), batchProcessor: new Counting(), logger: quiet().logger }).fit(loader(), { epochs: 2 });
    assert.equal(calls, 6);
  });

  it('default trainer is SGD with learning rate 0.001; an uninitialized net is initialized', () => {
    const net = new gluon.nn.Dense(2);
    const est = new Estimator(net, new gluon.loss.L2Loss(), { logger: quiet().logger });
    assert.equal(est.trainer.optimizer.constructor.name, 'SGD');
    assert.equal(est.trainer.learningRate, 0.001);
    assert.ok([...net.collectParams().values()].every((p) => p.initialized || p.deferred));
    assert.deepEqual(est.trainMetrics.map((m) => m.name), ['training l2loss']);
    assert.equal(String(est.context[0]), String(context.cpu()));
  });

  it('bad input is an Error naming the Estimator or handler and what was wrong', () => {
    const net = mlp(false);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const est = new Estimator(net, loss, { trainer: new gluon.Trainer(net.collectParams(), 'sgd'), logger: quiet().logger });
    assert.throws(() => est.fit(loader(), { epochs: 1, batches: 2 }), /Estimator.fit: give exactly one of epochs and batches/);
    assert.throws(() => est.fit(loader()), /Estimator.fit: give exactly one of epochs and batches/);
    assert.throws(() => est.fit(loader(), { epochs: 1.5 }), /Estimator.fit: epochs must be a positive integer, got 1.5/);
    assert.throws(() => est.fit(loader(), { epochs: 1, eventHandlers: [{} as never] }), /Estimator.fit: eventHandlers must be an event handler or a list of them .* got item 0/);
    assert.throws(() => est.fit(loader(), { epochs: 1, eventHandlers: [{ epoch_end() {} } as never] }), /has a method 'epoch_end'.*'epochEnd'/);
    assert.throws(() => est.fit(loader(), { epoch: 1 } as never), /Estimator.fit: unknown option 'epoch'.*did you mean 'epochs'/);
    assert.throws(() => est.fit(42 as never, { epochs: 1 }), /Estimator.fit: trainData must be a DataLoader/);
    assert.throws(() => est.fit([] as never, { batches: 1 }), /trainData yielded no batch/);
    assert.throws(() => new Estimator(net, loss, { trainMetric: new metric.Accuracy() } as never), /Estimator: unknown option 'trainMetric'.*did you mean 'trainMetrics'/);
    assert.throws(() => new Estimator(net, net as never), /Estimator: loss must be a gluon.loss.Loss/);
    assert.throws(() => new Estimator(net, loss, { trainMetrics: ['acc'] as never }), /Estimator: trainMetrics must be a metric or a list of metrics .* item 0/);
    assert.throws(() => new Estimator(net, loss, { trainer: 'sgd' as never }), /Estimator: trainer must be a gluon.Trainer/);
    assert.throws(() => new LoggingHandler({ logInterval: 0 }), /LoggingHandler: logInterval must be a positive integer or 'epoch', got 0/);
    assert.throws(() => new LoggingHandler({ verbose: 1 } as never), /LoggingHandler: unknown option 'verbose'/);
    assert.throws(() => new EarlyStoppingHandler(est.trainMetrics[0]!, { mode: 'maximum' as never }), /EarlyStoppingHandler: mode must be 'auto', 'min' or 'max', got "maximum"/);
    assert.throws(() => new EarlyStoppingHandler(42 as never), /EarlyStoppingHandler: monitor must be a metric/);
    assert.throws(() => new CheckpointHandler(tmpDir(), { saveBest: true }), /CheckpointHandler: saveBest needs a monitor/);
    assert.throws(() => new CheckpointHandler(tmpDir(), { maxCheckpoint: 2 } as never), /CheckpointHandler: unknown option 'maxCheckpoint'.*did you mean 'maxCheckpoints'/);
    assert.throws(() => new ValidationHandler(loader(), 'evaluate' as never), /ValidationHandler: evalFn must be a function/);
    // A user MetricHandler with its own metric mixed with default handlers: MXNet's reference check.
    assert.throws(() => est.fit(loader(), { epochs: 1, eventHandlers: new MetricHandler([new metric.Accuracy()]) }), /Estimator: event handler MetricHandler refers to a metric instance 'accuracy' outside of the known training and validation metrics/);
    assert.throws(() => est.evaluate(loader(), { eventHandlers: 3 as never }), /Estimator.evaluate: eventHandlers must be an event handler/);
    assert.throws(() => new Estimator(net, loss, { context: context.gpu() }), /Estimator: context gpu\(0\) is not available/);
    assert.ok(new GradientUpdateHandler().priority === -2000 && new StoppingHandler(2).maxEpoch === 2);
  });
});
