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

  it('a model with two outputs is refused by name', () => {
    class Two extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        return [F.relu(x), F.negative(x)];
      }
    }
    assert.throws(
      () => exportTrainingStep(new Two(), { inputs: { x: { shape: [2] } }, loss: (out) => ({ loss: new gluon.loss.L2Loss(), label: { shape: out } }), optimizer: optimizer.create('sgd') }),
      /needs a model with one output, Two has 2/,
    );
  });
});
