/**
 * `exportTrainingStep` from code (the graph `gluonc compile --train` writes):
 * one step of Dense + L2Loss + SGD (no momentum) against the float64 formulas
 * L = mean_i ½(o_i - y_i)², o = x·Wᵀ + b, dL/dW = mean_i (o_i - y_i)·x_i,
 * W' = W - lr·dL/dW (MXNet's L2Loss: weight ½, mean over the non-batch axes).
 */
import assert from 'node:assert/strict';
import { exportTrainingStep, gluon, init, optimizer } from 'gluonc';
import { Session, tensorFromNumbers, tensorToNumbers } from 'gluonc/runtime';

describe('exportTrainingStep', () => {
  it('one SGD step of Dense + L2Loss matches the float64 formulas', () => {
    const d = new gluon.nn.Dense(1, { inUnits: 2 });
    d.initialize(new init.Constant(0.5));
    const { bytes, manifest } = exportTrainingStep(d, {
      inputs: { x: { shape: ['N', 2] } },
      loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
      optimizer: optimizer.create('sgd', { learningRate: 0.1 }),
    });
    assert.deepEqual(manifest.outputs.map((o) => o.name), ['loss', 'output', 'weight.new', 'bias.new']);
    const X = [[1, 2], [-3, 0.5], [0, 4]];
    const Y = [1, -2, 0.25];
    const W = [0.5, 0.5];
    const B = 0.5;
    const lr = 0.1;
    const s = Session.create(bytes);
    const f32 = (shape: number[], v: number[]) => tensorFromNumbers('float32', shape, v);
    const r = s.runSync({ x: f32([3, 2], X.flat()), label: f32([3, 1], Y), lr: f32([], [lr]), t: f32([], [1]), weight: f32([1, 2], W), bias: f32([1], [B]) });
    s.close();
    const o = X.map((x) => x[0]! * W[0]! + x[1]! * W[1]! + B);
    const n = X.length;
    const loss = o.reduce((acc, oi, i) => acc + 0.5 * (oi - Y[i]!) ** 2, 0) / n;
    const gW = [0, 1].map((k) => o.reduce((acc, oi, i) => acc + (oi - Y[i]!) * X[i]![k]!, 0) / n);
    const gB = o.reduce((acc, oi, i) => acc + (oi - Y[i]!), 0) / n;
    const close = (a: number[], b: number[]) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5, `${a} vs ${b}`));
    close(tensorToNumbers(r['loss']!), [loss]);
    close(tensorToNumbers(r['output']!), o);
    close(tensorToNumbers(r['weight.new']!), W.map((w, k) => w - lr * gW[k]!));
    close(tensorToNumbers(r['bias.new']!), [B - lr * gB]);
  });

  it('differentiates a concat of two pieces of symbolic size (T and T-1) and runs at any (N, T), as the float64 formulas say', () => {
    // y = concat(h, h[:, 1:], axis 1), h = x * w (w over the last axis); L2Loss; one SGD step.
    class Shifted extends gluon.HybridBlock {
      w = this.params.get('w', { shape: [2] });
      override hybridForward(F: gluon.F, x: gluon.Tensor, p: { w: gluon.Tensor }) {
        const h = F.broadcastMul(x, p.w);
        return F.concat(h, F.sliceAxis(h, { axis: 1, begin: 1, end: null }), { dim: 1 });
      }
    }
    const net = new Shifted();
    net.initialize(new init.Constant(0.5));
    const { bytes } = exportTrainingStep(net, {
      inputs: { x: { shape: ['N', 'T', 2] } },
      loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
      optimizer: optimizer.create('sgd', { learningRate: 0.1 }),
    });
    const s = Session.create(bytes);
    const W = [0.5, -1.25];
    const lr = 0.1;
    for (const [N, T] of [[2, 3], [3, 1], [1, 5]] as const) {
      const x = Array.from({ length: N * T * 2 }, (_v, i) => Math.round(Math.sin(i * 1.7 + N) * 8) / 4);
      const len = 2 * T - 1;
      const label = Array.from({ length: N * len * 2 }, (_v, i) => Math.round(Math.cos(i * 0.9 + T) * 8) / 4);
      const f32 = (shape: number[], v: number[]) => tensorFromNumbers('float32', shape, v);
      const r = s.runSync({ x: f32([N, T, 2], x), label: f32([N, len, 2], label), lr: f32([], [lr]), t: f32([], [1]), w: f32([2], W) });
      // Row j of y is row j of h for j < T, else row j - T + 1; dL/dy = (y - label) / (N · len · 2).
      const gW = [0, 0];
      for (let n = 0; n < N; n++) {
        for (let j = 0; j < len; j++) {
          const t = j < T ? j : j - T + 1;
          for (let k = 0; k < 2; k++) {
            const xv = x[(n * T + t) * 2 + k]!;
            gW[k]! += ((xv * W[k]! - label[(n * len + j) * 2 + k]!) / (N * len * 2)) * xv;
          }
        }
      }
      tensorToNumbers(r['w.new']!).forEach((v, k) => assert.ok(Math.abs(v - (W[k]! - lr * gW[k]!)) < 1e-6, `N=${N}, T=${T}: w[${k}] ${v} vs ${W[k]! - lr * gW[k]!}`));
    }
    s.close();
  });

  it("an input named as the step's own inputs or outputs (label, lr, t, loss, output) is an Error naming it, not a duplicate graph name", () => {
    const net = new gluon.nn.Dense(2, { inUnits: 3 });
    net.initialize();
    for (const name of ['t', 'lr', 'label', 'loss', 'output']) {
      assert.throws(
        () => exportTrainingStep(net, { inputs: { [name]: { shape: ['N', 3] } }, loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }), optimizer: optimizer.create('sgd', { learningRate: 1 }) }),
        new RegExp(`^Error: exportTrainingStep: input '${name}' has the name of the training step's own ${name === 'loss' || name === 'output' ? 'output' : 'input'} '${name}' \\(its inputs label, lr, t; its outputs loss, output\\); rename the input$`),
        name,
      );
    }
  });

  it("differentiates a slice up to a fixed end of a symbolic axis (BERT's pooler: x[:, 0:1], and x[:, 1:3]) at any (N, T), as the float64 formulas say", () => {
    // y = concat(h[:, 0:1], h[:, 1:3], axis 1) with h = x * w; GluonNLP's pooler slices begin (0, 0, 0), end (None, 1, None).
    class Pooled extends gluon.HybridBlock {
      w = this.params.get('w', { shape: [2] });
      override hybridForward(F: gluon.F, x: gluon.Tensor, p: { w: gluon.Tensor }) {
        const h = F.broadcastMul(x, p.w);
        return F.concat(F.slice(h, { begin: [0, 0, 0], end: [null, 1, null] }), F.sliceAxis(h, { axis: 1, begin: 1, end: 3 }), { dim: 1 });
      }
    }
    const net = new Pooled();
    net.initialize(new init.Constant(0.5));
    const { bytes } = exportTrainingStep(net, {
      inputs: { x: { shape: ['N', 'T', 2] } },
      loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
      optimizer: optimizer.create('sgd', { learningRate: 0.1 }),
    });
    const s = Session.create(bytes);
    const W = [0.5, -1.25];
    const lr = 0.1;
    for (const [N, T] of [[2, 3], [3, 5], [1, 4]] as const) {
      const x = Array.from({ length: N * T * 2 }, (_v, i) => Math.round(Math.sin(i * 1.7 + N) * 8) / 4);
      const len = 3;
      const label = Array.from({ length: N * len * 2 }, (_v, i) => Math.round(Math.cos(i * 0.9 + T) * 8) / 4);
      const f32 = (shape: number[], v: number[]) => tensorFromNumbers('float32', shape, v);
      const r = s.runSync({ x: f32([N, T, 2], x), label: f32([N, len, 2], label), lr: f32([], [lr]), t: f32([], [1]), w: f32([2], W) });
      // Rows 0, 1, 2 of y are rows 0, 1, 2 of h; dL/dy = (y - label) / (N · 3 · 2); rows 3.. of h get no gradient.
      const gW = [0, 0];
      for (let n = 0; n < N; n++) {
        for (let j = 0; j < len; j++) {
          for (let k = 0; k < 2; k++) {
            const xv = x[(n * T + j) * 2 + k]!;
            gW[k]! += ((xv * W[k]! - label[(n * len + j) * 2 + k]!) / (N * len * 2)) * xv;
          }
        }
      }
      tensorToNumbers(r['w.new']!).forEach((v, k) => assert.ok(Math.abs(v - (W[k]! - lr * gW[k]!)) < 1e-6, `N=${N}, T=${T}: w[${k}] ${v} vs ${W[k]! - lr * gW[k]!}`));
    }
    s.close();
  });

  it('differentiates a slice up to fixed ends of two symbolic axes (x[0:1, 1:3]) at any (N, T)', () => {
    class Corner extends gluon.HybridBlock {
      w = this.params.get('w', { shape: [2] });
      override hybridForward(F: gluon.F, x: gluon.Tensor, p: { w: gluon.Tensor }) {
        return F.slice(F.broadcastMul(x, p.w), { begin: [0, 1, null], end: [1, 3, null] });
      }
    }
    const net = new Corner();
    net.initialize(new init.Constant(0.5));
    const { bytes } = exportTrainingStep(net, {
      inputs: { x: { shape: ['N', 'T', 2] } },
      loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }),
      optimizer: optimizer.create('sgd', { learningRate: 0.1 }),
    });
    const s = Session.create(bytes);
    const W = [0.5, -1.25];
    for (const [N, T] of [[2, 3], [3, 5]] as const) {
      const x = Array.from({ length: N * T * 2 }, (_v, i) => Math.round(Math.sin(i * 1.3 + T) * 8) / 4);
      const label = [0.25, -0.5, 1, 0.75];
      const f32 = (shape: number[], v: number[]) => tensorFromNumbers('float32', shape, v);
      const r = s.runSync({ x: f32([N, T, 2], x), label: f32([1, 2, 2], label), lr: f32([], [0.1]), t: f32([], [1]), w: f32([2], W) });
      // y[0, j, k] = x[0, j + 1, k] * w[k]; L2Loss over the 4 elements: dL/dy = (y - label) / 4 (batch of 1).
      const gW = [0, 0];
      for (let j = 0; j < 2; j++) for (let k = 0; k < 2; k++) {
        const xv = x[((j + 1) * 2) + k]!;
        gW[k]! += ((xv * W[k]! - label[j * 2 + k]!) / 4) * xv;
      }
      tensorToNumbers(r['w.new']!).forEach((v, k) => assert.ok(Math.abs(v - (W[k]! - 0.1 * gW[k]!)) < 1e-6, `N=${N}, T=${T}: w[${k}] ${v} vs ${W[k]! - 0.1 * gW[k]!}`));
    }
    s.close();
  });

  it('a convolution over symbolic image sizes is refused with what to do (concrete sizes train)', () => {
    const conv = () => {
      const net = new gluon.nn.Conv2D(2, 3, { inChannels: 1 });
      net.initialize();
      return net;
    };
    const step = (shape: (string | number)[]) => exportTrainingStep(conv(), { inputs: { x: { shape } }, loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }), optimizer: optimizer.create('sgd') });
    assert.throws(() => step(['N', 1, 'H', 'W']), /Convolution: cannot differentiate the weight with symbolic spatial sizes \[N, 2, \(H-2\), \(W-2\)\]: give the input concrete spatial sizes \(export's `inputs`, or `gluonc compile --input`/);
    assert.ok(step(['N', 1, 8, 8]).bytes.length > 0);
  });

  it("a pooling over symbolic image sizes: the manifest carries its need (H >= 2), as an inference artifact's does; fixed sizes carry none", () => {
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.MaxPool2D({ poolSize: 2 }), new gluon.nn.GlobalAvgPool2D(), new gluon.nn.Dense(2, { inUnits: 1, flatten: true }));
    net.initialize();
    const step = (shape: (string | number)[]) => exportTrainingStep(net, { inputs: { x: { shape } }, loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }), optimizer: optimizer.create('sgd') });
    const { manifest } = step(['N', 1, 'H', 'W']);
    assert.deepEqual(manifest.constraints?.map((c) => [c.dim, c.cmp, c.value, c.message]), [
      ['H', '>=', 2, "Pooling (max) in block 'HybridSequential/0' needs H >= 2: kernel [2, 2] must fit the input along spatial axis 0"],
      ['W', '>=', 2, "Pooling (max) in block 'HybridSequential/0' needs W >= 2: kernel [2, 2] must fit the input along spatial axis 1"],
    ]);
    assert.equal(step(['N', 1, 4, 4]).manifest.constraints, undefined);
  });
});
