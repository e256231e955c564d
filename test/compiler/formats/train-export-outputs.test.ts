/**
 * `exportTrainingStep` of a model with several (nested) outputs: the loss
 * reads one output (`lossOutput`, default the first leaf), the artifact
 * outputs them all under the inference artifact's names (`output0`,
 * `output1`, ...), and gradients flow from the loss's output alone.
 * References: a Dense returning [y, 2y] against the float64 formulas of
 * L2Loss + SGD (L = mean_i ½(o_i - y_i)², dL/dW = mean_i (o_i - y_i)·x_i,
 * W' = W - lr·dL/dW; through 2y the residual is 2o - y and the chain rule
 * doubles it), and an LSTM returning [out, [h, c]] trained three steps,
 * state carried across batches (d2l's truncated BPTT), against the
 * in-process step (autograd.record, backward, Trainer.step); python's
 * onnx.checker passes on both artifacts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, exportTrainingStep, gluon, init, nd, optimizer, random } from 'gluonc';
import { Session, tensorFromNumbers, tensorToNumbers, type HostTensor } from 'gluonc/runtime';
import { assertClose } from '../../helpers/compare.js';
import { checkOnnxFiles } from '../../helpers/onnx-checker.js';

/** A Dense layer returning [y, 2y]. */
class TwoHeads extends gluon.HybridBlock {
  dense = new gluon.nn.Dense(1, { inUnits: 2 });
  override hybridForward(F: gluon.F, x: gluon.Tensor) {
    const y = this.dense.call(x) as gluon.Tensor;
    return [y, F.add(y, y)];
  }
}

/** An LSTM layer called with the states it is given: `[out, [h, c]]`. */
class WithStates extends gluon.HybridBlock {
  lstm = new gluon.rnn.LSTM(5, 2, { inputSize: 3 });
  override hybridForward(_F: gluon.F, x: gluon.Tensor, h: gluon.Tensor, c: gluon.Tensor) {
    return this.lstm.call(x, [h, c]) as [gluon.Tensor, gluon.Tensor[]];
  }
}

const f32 = (shape: number[], v: number[]) => tensorFromNumbers('float32', shape, v);
const nums = (x: nd.NDArray) => Array.from(x.data() as Float32Array);
const l2 = (lossOutput?: number | string) => ({
  loss: (out: (string | number)[]) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
  optimizer: optimizer.create('sgd', { learningRate: 0.1 }),
  ...(lossOutput === undefined ? {} : { lossOutput }),
});

describe('exportTrainingStep: models with several (nested) outputs', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-train-outputs-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const X = [[1, 2], [-3, 0.5], [0, 4]];
  const Y = [1, -2, 0.25];
  const W = [0.5, -0.25];
  const B = 0.5;
  const lr = 0.1;
  /** One float64 step of L2Loss on k·o (k = 1: output0 = y, k = 2: output1 = 2y). */
  const reference = (k: number) => {
    const o = X.map((x) => x[0]! * W[0]! + x[1]! * W[1]! + B);
    const n = X.length;
    const r = o.map((oi, i) => k * oi - Y[i]!);
    const loss = r.reduce((acc, ri) => acc + 0.5 * ri * ri, 0) / n;
    const gW = [0, 1].map((j) => r.reduce((acc, ri, i) => acc + ri * k * X[i]![j]!, 0) / n);
    const gB = r.reduce((acc, ri) => acc + ri * k, 0) / n;
    return { o, loss, w: W.map((w, j) => w - lr * gW[j]!), b: [B - lr * gB] };
  };

  for (const [lossOutput, k] of [[undefined, 1], [0, 1], ['output1', 2], [1, 2], ['1', 2]] as const) {
    it(`Dense returning [y, 2y], lossOutput ${JSON.stringify(lossOutput) ?? 'left out (the first)'}: one SGD step of L2Loss on ${k === 1 ? 'y' : '2y'} matches the float64 formulas; both outputs come out`, () => {
      const net = new TwoHeads();
      net.initialize();
      net.dense.weight.setData(nd.array([W]));
      net.dense.bias!.setData(nd.array([B]));
      const { bytes, manifest } = exportTrainingStep(net, { inputs: { x: { shape: ['N', 2] } }, ...l2(lossOutput) });
      assert.deepEqual(manifest.outputs.map((o) => o.name), ['loss', 'output0', 'output1', 'dense.weight.new', 'dense.bias.new']);
      assert.equal((manifest.compile['train'] as { lossOutput: string }).lossOutput, `output${k - 1}`);
      const s = Session.create(bytes);
      const r = s.runSync({ x: f32([3, 2], X.flat()), label: f32([3, 1], Y), lr: f32([], [lr]), t: f32([], [1]), 'dense.weight': f32([1, 2], W), 'dense.bias': f32([1], [B]) });
      s.close();
      const want = reference(k);
      assertClose(tensorToNumbers(r['loss']!), [want.loss], 'loss', 1e-5, 1e-6);
      assertClose(tensorToNumbers(r['output0']!), want.o, 'output0', 1e-5, 1e-6);
      assertClose(tensorToNumbers(r['output1']!), want.o.map((v) => 2 * v), 'output1', 1e-5, 1e-6);
      assertClose(tensorToNumbers(r['dense.weight.new']!), want.w, 'dense.weight.new', 1e-5, 1e-6);
      assertClose(tensorToNumbers(r['dense.bias.new']!), want.b, 'dense.bias.new', 1e-5, 1e-6);
    });
  }

  it('a parameter that only another output reads is an input without .new or optimizer state: the step leaves it as it is (Trainer.step with ignoreStaleGrad skips it)', () => {
    class Split extends gluon.HybridBlock {
      a = new gluon.nn.Dense(1, { inUnits: 2 });
      b = new gluon.nn.Dense(1, { inUnits: 2 });
      override hybridForward(_F: gluon.F, x: gluon.Tensor) {
        return [this.a.call(x), this.b.call(x)];
      }
    }
    const net = new Split();
    net.initialize();
    const { manifest } = exportTrainingStep(net, { inputs: { x: { shape: ['N', 2] } }, loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }), optimizer: optimizer.create('sgd', { momentum: 0.9, wd: 0.1 }), lossOutput: 1 });
    assert.deepEqual(manifest.inputs.map((i) => i.name), ['x', 'label', 'lr', 't', 'a.weight', 'a.bias', 'b.weight', 'b.bias', 'b.weight.state0', 'b.bias.state0']);
    assert.deepEqual(manifest.outputs.map((o) => o.name), ['loss', 'output0', 'output1', 'b.weight.new', 'b.weight.state0.new', 'b.bias.new', 'b.bias.state0.new']);
  });

  it("the label's declared shape follows the loss's output (here [N, 1] for both; an LSTM's h is [2, N, 5])", () => {
    random.seed(2);
    const net = new WithStates();
    net.initialize(new init.Uniform(0.3));
    const shapes: [string, (string | number)[]][] = [];
    const { manifest } = exportTrainingStep(net, {
      inputs: { x: { shape: ['T', 'N', 3] }, h: { shape: [2, 'N', 5] }, c: { shape: [2, 'N', 5] } },
      loss: (out, name) => (shapes.push([name, out]), { loss: new gluon.loss.L2Loss(), label: { shape: out } }),
      optimizer: optimizer.create('sgd'),
      lossOutput: 'output1',
    });
    assert.deepEqual(shapes, [['output1', [2, 'N', 5]]]);
    assert.deepEqual(manifest.inputs.find((i) => i.name === 'label')!.shape, [2, 'N', 5]);
  });

  it('an LSTM returning [out, [h, c]]: three steps of the artifact, h and c carried from output1 and output2, equal the in-process step (autograd.record, backward, Trainer.step, states detached); onnx.checker passes', () => {
    const [T, N] = [4, 2];
    const build = () => {
      random.seed(7);
      const net = new WithStates();
      net.initialize(new init.Uniform(0.4));
      return net;
    };
    random.seed(11);
    const batches = Array.from({ length: 3 }, () => ({ x: nd.random.uniform(-1, 1, [T, N, 3]), label: nd.random.uniform(-1, 1, [T, N, 5]) }));
    const h0 = nd.random.uniform(-1, 1, [2, N, 5]);
    const c0 = nd.random.uniform(-1, 1, [2, N, 5]);
    const opts = { learningRate: 0.5, momentum: 0.9 };

    // The artifact.
    const net = build();
    const names = [...net.collectParams().keys()];
    const { bytes, manifest } = exportTrainingStep(net, {
      inputs: { x: { shape: ['T', 'N', 3] }, h: { shape: [2, 'N', 5] }, c: { shape: [2, 'N', 5] } },
      loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
      optimizer: optimizer.create('sgd', opts),
    });
    assert.deepEqual(manifest.inputs.slice(0, 6).map((i) => [i.name, i.shape]), [['x', ['T', 'N', 3]], ['h', [2, 'N', 5]], ['c', [2, 'N', 5]], ['label', ['T', 'N', 5]], ['lr', []], ['t', []]]);
    assert.deepEqual(manifest.outputs.slice(0, 4).map((o) => [o.name, o.shape]), [['loss', []], ['output0', ['T', 'N', 5]], ['output1', [2, 'N', 5]], ['output2', [2, 'N', 5]]]);
    const file = path.join(dir, 'lstm.train.onnx');
    writeFileSync(file, bytes);
    assert.deepEqual(checkOnnxFiles([file]), [null]);
    const host = (x: nd.NDArray) => f32(x.shape as number[], nums(x));
    const feeds: Record<string, HostTensor> = { h: host(h0), c: host(c0) };
    for (const k of names) feeds[k] = host(net.collectParams().get(k).data());
    for (const i of manifest.inputs) if (i.name.includes('.state')) feeds[i.name] = f32(i.shape as number[], new Array((i.shape as number[]).reduce((a, b) => a * b, 1)).fill(0));
    const s = Session.create(bytes);
    const got: { loss: number; h: number[]; c: number[]; params: number[][] }[] = [];
    try {
      batches.forEach(({ x, label }, k) => {
        const r = s.runSync({ ...feeds, x: host(x), label: host(label), lr: f32([], [opts.learningRate]), t: f32([], [k + 1]) });
        for (const n of [...names, ...manifest.inputs.map((i) => i.name).filter((i) => i.includes('.state'))]) feeds[n] = r[`${n}.new`]!;
        feeds['h'] = r['output1']!;
        feeds['c'] = r['output2']!;
        got.push({ loss: tensorToNumbers(r['loss']!)[0]!, h: tensorToNumbers(r['output1']!), c: tensorToNumbers(r['output2']!), params: names.map((n) => tensorToNumbers(feeds[n]!)) });
      });
    } finally {
      s.close();
    }

    // The in-process step on the same weights and data.
    const ref = build();
    ref.hybridize();
    const trainer = new gluon.Trainer(ref.collectParams(), 'sgd', opts);
    const lossFn = new gluon.loss.L2Loss();
    let [h, c] = [h0, c0];
    batches.forEach(({ x, label }, k) => {
      let states: nd.NDArray[] = [];
      const l = autograd.record(() => {
        const [y, st] = ref.call(x, h, c) as [nd.NDArray, nd.NDArray[]];
        states = st;
        return lossFn.call(y, label) as nd.NDArray;
      });
      l.backward();
      trainer.step(l.shape[0]!); // the artifact's loss is the mean of the loss vector
      [h, c] = states.map((t) => t.detach()) as [nd.NDArray, nd.NDArray];
      const step = got[k]!;
      assertClose([step.loss], [nums(l).reduce((a, b) => a + b, 0) / l.size], `step ${k + 1} loss`, 1e-4, 1e-6);
      assertClose(step.h, nums(h), `step ${k + 1} output1 (h)`, 1e-4, 1e-5);
      assertClose(step.c, nums(c), `step ${k + 1} output2 (c)`, 1e-4, 1e-5);
      names.forEach((n, j) => assertClose(step.params[j]!, nums(ref.collectParams().get(n).data()), `step ${k + 1} ${n}`, 1e-4, 1e-5));
    });
  });

  it('a lossOutput that names no output, or an index out of range, is an Error listing the outputs', () => {
    const build = (lossOutput: unknown) => () => {
      const net = new TwoHeads();
      net.initialize();
      exportTrainingStep(net, { inputs: { x: { shape: ['N', 2] } }, ...l2(lossOutput as number) });
    };
    const outs = /the model's outputs \(depth first\): 0 output0 float32 \[N, 1\], 1 output1 float32 \[N, 1\]$/;
    for (const [given, msg] of [
      ['out1', /^lossOutput "out1" names no output; /],
      ['output', /^lossOutput "output" names no output; /],
      [2, /^lossOutput 2 is out of range: indices 0 to 1; /],
      ['7', /^lossOutput "7" is out of range: indices 0 to 1; /],
      [-1, /^lossOutput -1 is out of range/],
      [0.5, /^lossOutput 0\.5 is out of range/],
      [{}, /^lossOutput must be an output's index or name, got object; /],
    ] as const) {
      assert.throws(build(given), (e: Error) => (assert.match(e.message, msg), assert.match(e.message, outs), true), JSON.stringify(given));
    }
    // One output: 'output' and 0 name it, as the inference artifact does.
    const d = () => {
      const net = new gluon.nn.Dense(1, { inUnits: 2 });
      net.initialize();
      return net;
    };
    for (const given of ['output', 0]) assert.deepEqual(exportTrainingStep(d(), { inputs: { x: { shape: ['N', 2] } }, ...l2(given) }).manifest.outputs.map((o) => o.name), ['loss', 'output', 'weight.new', 'bias.new']);
    assert.throws(() => exportTrainingStep(d(), { inputs: { x: { shape: ['N', 2] } }, ...l2(1) }), /^Error: lossOutput 1 is out of range: the model has one output, index 0; the model's outputs \(depth first\): 0 output float32 \[N, 1\]$/);
  });
});
