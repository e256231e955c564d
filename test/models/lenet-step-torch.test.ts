/**
 * One fused training step of models/lenet.ts (hybridized net and loss,
 * record + backward + trainer.step, SGD) against PyTorch in float64 from the
 * same weights and batch: every parameter's gradient, read back from the
 * update. The step graph goes through the lowerings and passes of the
 * convolution and pooling gradients (first-max routing without MaxPool's
 * indices, gate-pool-grad, both weight gradients as one Gemm by the
 * input's columns and the forward convolutions reading the same columns
 * (convColumns, share-conv-columns), MatMul + Col2Im for the data gradient), so this
 * pins them to the math. Ties: the images are zero outside a patch (but a
 * nonzero first pixel, which padding taps must not read) and the
 * convolution biases are positive, so whole pooling windows hold the same
 * positive value (the gradient goes to the first one, PyTorch's and MXNet's
 * rule); one image's patch is constant (ties inside it too).
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, nd, random } from 'gluonc';
import build from '../../models/lenet.js';
import { setStepThreads, stepThreadCount } from '../../compiler/engine/program.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';

const B = 4;
const LR = 0.5;

/** PyTorch float64 LeNet (same layers) with our weights: the gradients of the summed cross-entropy. */
const TORCH = String.raw`
import torch
import torch.nn as nn
torch.set_default_dtype(torch.float64)
net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
ps = list(net.parameters())
with torch.no_grad():
    for p, v in zip(ps, attrs["params"]):
        p.copy_(torch.tensor(v).reshape(p.shape))
loss = nn.functional.cross_entropy(net(torch.tensor(a)), torch.tensor(b).long(), reduction="sum")
loss.backward()
out = [p.grad.numpy() for p in ps]
`;

function images(): Float32Array {
  const x = new Float32Array(B * 28 * 28);
  let s = 12345;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  for (let n = 0; n < B; n++) {
    for (let h = 9; h < 19; h++) {
      for (let w = 7 + n; w < 19 + n; w++) x[n * 784 + h * 28 + w] = n === B - 1 ? 0.5 : rnd();
    }
    // The first pixel is not 0, so reading it in place of the padding (a wrong tap table) shows.
    x[n * 784] = 0.25;
  }
  return x;
}

describe('models/lenet.ts: one fused SGD step against PyTorch (float64 gradients)', function () {
  this.timeout(120000);
  const threads = stepThreadCount();
  after(() => setStepThreads(threads));

  it('every parameter moves by -lr * (its PyTorch gradient) / batch, ties included', () => {
    setStepThreads(1);
    random.seed(3);
    const net = build();
    net.initialize(new init.Xavier());
    net.inferShape(nd.zeros([B, 1, 28, 28]));
    const params = net.collectParams().values();
    // Positive convolution biases: the zero background gives windows of equal positive values.
    for (const p of [params[1]!, params[3]!]) p.setData(nd.full(p.shape, 0.1));
    const before = params.map((p) => Float64Array.from(p.data().data() as Float32Array));
    const x = images();
    const labels = [0, 3, 9, 5];
    const [ref] = numpyRefs([{ code: TORCH, inputs: [{ shape: [B, 1, 28, 28], dtype: 'float64', data: Array.from(x) }, { shape: [B], dtype: 'float64', data: labels }], attrs: { params: before.map((v) => Array.from(v)) } }]);
    assert.ok(ref && !ref.error, `PyTorch reference: ${ref?.error}`);

    net.hybridize();
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    loss.hybridize();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: LR });
    const l = autograd.record(() => loss.call(net.call(nd.array(x, { shape: [B, 1, 28, 28] })), nd.array(labels))) as nd.NDArray;
    l.backward();
    trainer.step(B);
    params.forEach((p, i) => {
      const after = p.data().data() as Float32Array;
      // w1 = w0 - lr * grad / B  =>  grad = (w0 - w1) * B / lr (float32 weights: the difference loses ~1e-7 / lr * B).
      const grad = Array.from(after, (v, k) => ((before[i]![k]! - v) * B) / LR);
      assertClose(grad, ref!.outs[i]!.data as number[], `${p.name} gradient`, 2e-3, 2e-5);
    });
  });
});
