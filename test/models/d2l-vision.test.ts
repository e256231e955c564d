/**
 * d2l's computer-vision chapter (MXNet edition) in models/d2l/vision.ts:
 * fine-tuning a zoo ResNet V2 (its `features` shared, a fresh `output` with
 * `lr_mult` 10: the SGD step against a float64 hand computation and the
 * output layer's gradient against numpy) and the fully convolutional network
 * (`features[:-2]`, a 1×1 convolution, the bilinear 64/16/32 transposed
 * convolution; outputs and gradients of the per-pixel softmax loss against
 * PyTorch's conv2d/conv_transpose2d/cross_entropy in float64). Also the API
 * pieces those chapters need: `HybridSequential.slice` (Python's
 * `net[:-2]`), `init.Constant(ndarray)`, `np.argsort(x, { axis })`, and
 * MXNet's `npx.multiboxPrior` against d2l's np version.
 */
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { autograd, gluon, init, np, npx, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import { BasicBlockV2, ResNetV2, resnet18V2 } from '../../models/zoo/resnet.js';
import { bilinearKernel, fcn, fineTune } from '../../models/d2l/vision.js';
import { multiboxPrior } from '../../models/d2l/ssd.js';

const { nn } = gluon;
const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });

function py(code: string, inputs: NDArray[], attrs?: Record<string, unknown>): number[][] {
  const [r] = numpyRefs([{ code, inputs: inputs.map(f64), attrs }]);
  assert.ok(!r!.error, r!.error);
  return r!.outs.map((o) => o.data as number[]);
}

describe('models/d2l: computer vision (fine-tuning, FCN)', () => {
  before(() => random.seed(14));

  it('HybridSequential.slice is net[start:end]: a new container sharing the children; Sequential too', () => {
    const net = new nn.HybridSequential();
    const layers = [new nn.Dense(3), new nn.Dense(4), new nn.Activation('relu'), new nn.Dense(2)];
    net.add(...layers);
    const head = net.slice(0, -2);
    assert.ok(head instanceof nn.HybridSequential);
    assert.deepEqual([...head], layers.slice(0, 2));
    assert.deepEqual([...net.slice(-2)].length, 2);
    assert.equal(net.slice(1, 1).length, 0);
    assert.equal(net.slice(-10, 10).length, 4);
    assert.equal(net.length, 4);
    net.initialize();
    net.call(np.ones([1, 5]));
    assert.equal(head.collectParams().get('0.weight').data(), layers[0]!.collectParams().get('weight').data());
    const seq = new nn.Sequential().add(new nn.Dense(1), new nn.Dense(2));
    assert.ok(seq.slice(1) instanceof nn.Sequential);
    assert.equal(seq.slice(1).length, 1);
    assert.throws(() => net.slice(0.5), /HybridSequential\.slice: start must be an integer, got 0\.5/);
  });

  it('init.Constant takes an NDArray (d2l: init.Constant(bilinear_kernel(3, 3, 4))), deferred to the first call', () => {
    const W = bilinearKernel(3, 3, 4);
    const [ref] = py(`
factor = (4 + 1) // 2
center = factor - 0.5
og = (np.arange(4).reshape(-1, 1), np.arange(4).reshape(1, -1))
filt = (1 - np.abs(og[0] - center) / factor) * (1 - np.abs(og[1] - center) / factor)
w = np.zeros((3, 3, 4, 4)); w[range(3), range(3), :, :] = filt
out = w`, []);
    assertClose(flat(W), ref!, 'bilinear_kernel(3, 3, 4)', 0, 1e-7);
    const convTrans = new nn.Conv2DTranspose(3, 4, { padding: 1, strides: 2 });
    convTrans.initialize(new init.Constant(W));
    const Y = convTrans.call(np.random.uniform(0, 1, [1, 3, 5, 5])) as NDArray;
    assert.deepEqual(Y.shape, [1, 3, 10, 10]);
    assertClose(flat(convTrans.weight.data()), ref!, 'weight', 0, 1e-7);
    assert.deepEqual(flat(convTrans.collectParams().get('bias').data()), [0, 0, 0]);
    assert.throws(() => new init.Constant([{ a: 1 }] as never), /Constant: value must be a number, nested arrays of numbers or an NDArray, got Object/);
  });

  it('np.argsort and np.sort take numpy\'s axis as an option; npx.multiboxPrior matches d2l\'s np version; npx.multiboxTarget/Detection check shapes', () => {
    const x = np.array([[3, 1, 2], [0, 5, 4]]);
    assert.deepEqual(np.argsort(x, { axis: 0 }).toArray(), [[1, 0, 0], [0, 1, 1]]);
    assert.deepEqual(np.argsort(x, { axis: -1, kind: 'stable' }).toArray(), [[1, 2, 0], [0, 2, 1]]);
    assert.deepEqual(np.sort(x, { axis: 0 }).toArray(), [[0, 1, 2], [3, 5, 4]]);
    assert.throws(() => np.argsort(x, { axis: 0, kinds: 'stable' } as never), /np\.argsort.*kinds/);
    // MXNet's operator and d2l's np version agree where ratios[0] is 1 (MXNet's first anchors always take ratio 1).
    const X = np.ones([1, 3, 4, 5]);
    assertClose(flat(npx.multiboxPrior(X, [0.75, 0.5, 0.25], [1, 2, 0.5])), flat(multiboxPrior(X, [0.75, 0.5, 0.25], [1, 2, 0.5])), 'npx.multiboxPrior vs d2l', 1e-6, 1e-6);
    assert.throws(() => npx.multiboxTarget(np.ones([1, 4, 4]), np.ones([1, 2, 4]), np.ones([1, 2, 4])), /MultiBoxTarget: label must be \[batch, M, 5\+\]/);
    assert.throws(() => npx.multiboxDetection(np.ones([1, 2, 4]), np.ones([1, 8]), np.ones([1, 4, 4])), /MultiBoxDetection: locPred must be \[batch, 4N\] = \[1, 16\]/);
  });

  it("fine-tuning: features shared with the pretrained net, the output layer's SGD step scaled by lr_mult 10 (float64 hand computation)", () => {
    // d2l: resnet18_v2(pretrained=True); gluonc downloads nothing and says how to load the file
    assert.throws(() => resnet18V2({ pretrained: true } as never), /ResNetV2: there is no pretrained download .*loadParameters/);
    assert.throws(() => gluon.model_zoo.vision, /gluon\.modelZoo: the model zoo is models\/zoo\/ of the gluonc repository .*loadParameters.*\(read 'vision'\)/);
    assert.equal(inspect(gluon.modelZoo), '{}');   // printing it stays quiet
    const pretrained = new ResNetV2(BasicBlockV2, [1, 1], [4, 4, 8], { classes: 5, thumbnail: true });
    pretrained.initialize();
    const net = fineTune(new ResNetV2(BasicBlockV2, [1, 1], [4, 4, 8], { classes: 2, thumbnail: true }), pretrained);
    assert.equal(net.features, pretrained.features);
    net.hybridize();
    const params = net.collectParams();
    assert.equal(params.get('output.weight').lrMult, 10);
    assert.equal(params.get('features.1.weight').lrMult, 1);
    const X = np.random.uniform(0, 1, [3, 3, 8, 8]);
    const y = np.array([0, 1, 1]);
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const [lr, wd] = [0.05, 0.001];
    const trainer = new gluon.Trainer(params, 'sgd', { learningRate: lr, wd });
    const names = ['output.weight', 'output.bias', 'features.1.weight'];
    const old = names.map((n) => flat(params.get(n).data()));
    const feats = autograd.record(() => pretrained.features.call(X) as NDArray);
    autograd.record(() => loss.call(net.call(X), y)).backward();
    const grads = names.map((n) => flat(params.get(n).grad()));
    const [gW, gb] = py(`
z = a @ b.T + c
p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
p[np.arange(3), d.astype(int)] -= 1
out = [p.T @ a, p.sum(0)]`, [feats, params.get('output.weight').data(), params.get('output.bias').data(), y]);
    assertClose(grads[0]!, gW!, 'output.weight grad vs numpy', 1e-4, 1e-5);
    assertClose(grads[1]!, gb!, 'output.bias grad vs numpy', 1e-4, 1e-5);
    trainer.step(3);
    names.forEach((n, i) => {
      const mult = n.startsWith('output') ? 10 : 1;
      const want = old[i]!.map((w, j) => w - lr * mult * (grads[i]![j]! / 3 + wd * w));
      assertClose(flat(params.get(n).data()), want, `${n} after one step (lr_mult ${mult})`, 1e-5, 1e-7);
    });
    assert.deepEqual(flat(pretrained.collectParams().get('features.1.weight').data()), flat(params.get('features.1.weight').data()));
  });

  it("FCN: features[:-2] + 1x1 Conv2D + the bilinear Conv2DTranspose(64, padding 16, strides 32); outputs and gradients against PyTorch", () => {
    const pretrained = new ResNetV2(BasicBlockV2, [1, 1, 1, 1], [4, 4, 8, 12, 16], { classes: 3 });
    pretrained.initialize();
    const numClasses = 3;
    const net = fcn(pretrained, numClasses);
    assert.equal(net.length, pretrained.features.length);
    const X = np.random.uniform(0, 1, [2, 3, 32, 32]);
    const body = net.slice(0, -2);
    const F = autograd.record(() => body.call(X) as NDArray);
    assert.deepEqual(F.shape, [2, 16, 1, 1]);
    const Y = np.random.randint(0, numClasses, [2, 32, 32]).astype('float32');
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss({ axis: 1 });
    const [out, l] = autograd.record(() => {
      const o = net.call(X) as NDArray;
      return [o, loss.call(o, Y) as NDArray];
    });
    assert.deepEqual(out.shape, [2, numClasses, 32, 32]);
    assert.deepEqual(l.shape, [2]);
    l.backward();
    const conv = net.get<InstanceType<typeof nn.Conv2D>>(-2);
    const up = net.get<InstanceType<typeof nn.Conv2DTranspose>>(-1);
    const p = (b: gluon.Block, n: string) => b.collectParams().get(n);
    assertClose(flat(p(up, 'weight').data()), flat(bilinearKernel(numClasses, numClasses, 64)), 'transposed conv weight (bilinear)', 0, 1e-7);
    assert.ok(flat(p(up, 'weight').data()).some((v) => v > 0.9));
    const refs = py(`
import torch, torch.nn.functional as Fn
T = lambda v: torch.tensor(v, dtype=torch.float64)
labels = torch.tensor(f).long()
feat, w1, b1, wt, bt = T(a), T(b).requires_grad_(), T(c).requires_grad_(), T(d).requires_grad_(), T(e).requires_grad_()
o = Fn.conv_transpose2d(Fn.conv2d(feat, w1, b1), wt, bt, stride=32, padding=16)
l = Fn.cross_entropy(o, labels, reduction="none").mean((1, 2))
l.sum().backward()
out = [o.detach(), l.detach(), w1.grad, b1.grad, wt.grad, bt.grad]`,
    [F, p(conv, 'weight').data(), p(conv, 'bias').data(), p(up, 'weight').data(), p(up, 'bias').data(), Y]);
    const got = [out, l, p(conv, 'weight').grad(), p(conv, 'bias').grad(), p(up, 'weight').grad(), p(up, 'bias').grad()];
    ['output', 'loss', 'conv weight grad', 'conv bias grad', 'transposed conv weight grad', 'transposed conv bias grad'].forEach((n, i) => {
      assertClose(flat(got[i]!), refs[i]!, n, 1e-4, 1e-5);
    });
    const eager = flat(net.call(X) as NDArray);
    net.hybridize();
    assertClose(flat(net.call(X) as NDArray), eager, 'hybridized vs eager (predicting)', 1e-4, 1e-5);
  });
});
