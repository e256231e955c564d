/**
 * The optimized training-step graph against an independent reference: two
 * fused steps (hybridized MNIST MLP 784-256-128-10, batch 64, softmax
 * cross-entropy; record, backward, trainer.step) of SGD with momentum and
 * of Adam, each with and without weight decay, compared with the same two steps
 * computed by numpy in float64 from the same weights and data — forward,
 * the backward derived by hand and MXNet's update formulas (sgd_mom_update,
 * adam_update). The step graph goes through every pass (fuse-gemm's Gemm
 * accumulation, the softmax cross-entropy simplification), so this pins
 * them to the math, not to the unoptimized graph.
 * Fixed kinks and ties: hidden unit 0 has weights and bias exactly 0 (a
 * relu input exactly 0 in every row: gradient 0), example 0 is all zeros
 * (its pre-activations are the biases, several exactly 0), and the labels
 * include class 0 and the last class.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, random } from 'gluonc';
import build from '../../../models/mlp.js';
import { fusedRunners } from '../../../compiler/engine/program.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const B = 64;

/** Two steps of MXNet's update in float64 from the inputs a (x), b (labels), c..h (W1, b1, W2, b2, W3, b3). */
const REFERENCE = String.raw`
opt = attrs["optimizer"]; lr = attrs["lr"]; wd = attrs.get("wd", 0.0)
ps = [c, d, e, f, g, h]
state = [[np.zeros_like(p) for p in ps] for _ in range(2)]
def grads(ps):
    W1, b1, W2, b2, W3, b3 = ps
    z1 = a @ W1.T + b1; h1 = np.maximum(z1, 0)
    z2 = h1 @ W2.T + b2; h2 = np.maximum(z2, 0)
    z3 = h2 @ W3.T + b3
    z = z3 - z3.max(axis=1, keepdims=True)
    sm = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    onehot = np.zeros_like(sm); onehot[np.arange(len(b)), b.astype(int)] = 1
    d3 = sm - onehot                      # gradient of the summed loss (rescale 1/B applies it as a mean)
    d2 = (d3 @ W3) * (z2 > 0)
    d1 = (d2 @ W2) * (z1 > 0)
    return [d1.T @ a, d1.sum(0), d2.T @ h1, d2.sum(0), d3.T @ h2, d3.sum(0)]
for t in (1, 2):
    gs = grads(ps)
    new = []
    for i, (w, gr) in enumerate(zip(ps, gs)):
        gg = gr / len(b) + wd * w
        if opt == "sgd":
            m = attrs["momentum"] * state[0][i] - lr * gg
            state[0][i] = m
            new.append(w + m)
        else:
            b1_, b2_, eps = 0.9, 0.999, 1e-8
            m = b1_ * state[0][i] + (1 - b1_) * gg
            v = b2_ * state[1][i] + (1 - b2_) * gg * gg
            state[0][i], state[1][i] = m, v
            lr_t = lr * math.sqrt(1 - b2_ ** t) / (1 - b1_ ** t)
            new.append(w - lr_t * m / (np.sqrt(v) + eps))
    ps = new
out = ps
`;

function data(): { x: Float32Array; y: Float32Array } {
  let s = 12345;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const x = Float32Array.from({ length: B * 784 }, next);
  x.fill(0, 0, 784); // example 0: all zeros
  const y = Float32Array.from({ length: B }, () => Math.floor(next() * 10));
  y[1] = 0;
  y[2] = 9;
  y[0] = 9;
  return { x, y };
}

function trainTwo(optimizer: string, options: Record<string, number>): { before: number[][]; after: number[][]; fused: number } {
  random.seed(5);
  const net = build();
  net.initialize(new init.Xavier());
  const { x, y } = data();
  const xs = nd.array(x, { shape: [B, 784] });
  const ys = nd.array(y);
  net.call(xs);
  const params = net.collectParams().values();
  // Hidden unit 0: weights and bias exactly 0; biases 1..4 of layer 1 exactly 0 (example 0 sees them).
  const w1 = Float32Array.from(params[0]!.data().data() as Float32Array).fill(0, 0, 784);
  params[0]!.setData(nd.array(w1, { shape: [256, 784] }));
  const b1 = Float32Array.from(params[1]!.data().data() as Float32Array, (v, i) => (i < 5 ? 0 : v === 0 ? 0.01 : v + 0.01));
  params[1]!.setData(nd.array(b1));
  const before = params.map((p) => Array.from(p.data().data() as Float32Array));
  net.hybridize();
  const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
  loss.hybridize();
  const trainer = new gluon.Trainer(net.collectParams(), optimizer, options);
  const runners = new Set(fusedRunners());
  for (let i = 0; i < 2; i++) {
    const l = autograd.record(() => loss.call(net.call(xs), ys)) as nd.NDArray;
    l.backward();
    trainer.step(B);
    l.mean().item();
  }
  const fused = fusedRunners().filter((r) => !runners.has(r)).length;
  return { before, after: params.map((p) => Array.from(p.data().data() as Float32Array)), fused };
}

const SHAPES = [[256, 784], [256], [128, 256], [128], [10, 128], [10]];

describe('training step graph against a float64 reference (MLP, two fused steps)', function () {
  this.timeout(60000);
  const cases: [string, string, Record<string, number>, Record<string, unknown>][] = [
    ['SGD with momentum', 'sgd', { learningRate: 0.1, momentum: 0.9 }, { optimizer: 'sgd', lr: 0.1, momentum: 0.9 }],
    ['SGD with momentum and weight decay', 'sgd', { learningRate: 0.1, momentum: 0.9, wd: 0.01 }, { optimizer: 'sgd', lr: 0.1, momentum: 0.9, wd: 0.01 }],
    ['Adam', 'adam', { learningRate: 0.01 }, { optimizer: 'adam', lr: 0.01 }],
    ['Adam with weight decay', 'adam', { learningRate: 0.01, wd: 0.01 }, { optimizer: 'adam', lr: 0.01, wd: 0.01 }],
  ];
  for (const [label, optimizer, options, attrs] of cases) {
    it(`${label}: the new weights equal numpy's float64 step`, () => {
      const { before, after, fused } = trainTwo(optimizer, options);
      assert.ok(fused >= 1, 'the steps ran as a fused step');
      const { x, y } = data();
      const [ref] = numpyRefs([{
        code: REFERENCE,
        inputs: [
          { shape: [B, 784], dtype: 'float64', data: Array.from(x) },
          { shape: [B], dtype: 'float64', data: Array.from(y) },
          ...before.map((v, i) => ({ shape: SHAPES[i]!, dtype: 'float64', data: v })),
        ],
        attrs,
      }]);
      assert.ok(!ref!.error, ref!.error);
      if (optimizer === 'adam') {
        // Adam divides by |g|: where a float32 gradient sum nearly cancels (|g| ~ 1e-7) its relative
        // error shows in the step (eager float32 gives the same), so the steps compare within lr/100.
        ref!.outs.forEach((o, i) => {
          const step = after[i]!.map((v, k) => v - before[i]![k]!);
          const want = (o.data as number[]).map((v, k) => v - before[i]![k]!);
          assertClose(step, want, `${label}: step of parameter ${i}`, 1e-3, (options['learningRate'] as number) / 100);
        });
      } else ref!.outs.forEach((o, i) => assertClose(after[i]!, o.data as number[], `${label}: parameter ${i}`, 1e-4, 2e-6));
      // The kink: hidden unit 0 (relu input exactly 0 everywhere) gets no gradient, so its weights stay 0.
      assert.ok(after[0]!.slice(0, 784).every((v) => v === 0), 'weights of the unit at the relu kink stay 0');
    });
  }
});
