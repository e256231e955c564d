/**
 * d2l's custom-layer page and its MLP and convolution chapters, written with
 * np/npx in models/d2l/: each layer against d2l's printed values or a numpy
 * float64 reference, eager against hybridized, and a short training run.
 * (That every models/d2l file compiles with `gluonc compile` is checked in
 * test/cli/compile.test.ts.)
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, np, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import buildCentered from '../../models/d2l/centered.js';
import buildCustom, { CenteredLayer, MyDense } from '../../models/d2l/custom-layers.js';
import { corr2d, corr2dMultiIn, corr2dMultiInOut, Conv2D, LeNet, pool2d } from '../../models/d2l/conv.js';
import { dropoutLayer, MLPDropout, MLPScratch } from '../../models/d2l/mlp.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });

function numpy(code: string, inputs: NDArray[], attrs?: Record<string, unknown>): number[] {
  const [r] = numpyRefs([{ code, inputs: inputs.map(f64), attrs }]);
  assert.ok(!r!.error, r!.error);
  return r!.outs[0]!.data as number[];
}

/** Runs `net` eagerly, then hybridized (a fresh compile), and checks both agree. */
function eagerAndHybrid(net: gluon.HybridBlock, x: NDArray): NDArray {
  net.hybridize(false);
  const e = net.call(x) as NDArray;
  net.hybridize();
  const h = net.call(x) as NDArray;
  assert.deepEqual(h.shape, e.shape);
  assertClose(flat(h), flat(e), `${net.constructor.name}: hybridized vs eager`, 1e-5, 1e-6);
  net.hybridize(false);
  return e;
}

describe('models/d2l: custom layers (the seed page)', () => {
  before(() => random.seed(0));

  it('CenteredLayer subtracts the mean; after Dense(128) the mean vanishes', () => {
    assert.deepEqual(new CenteredLayer().call(np.array([1, 2, 3, 4, 5])).toArray(), [-2, -1, 0, 1, 2]);
    const y = buildCentered().call(np.random.uniform(0, 1, [4, 8])) as NDArray;
    assert.deepEqual(y.shape, [4, 128]);
    assert.deepEqual(y.mean().shape, []);
    assert.ok(Math.abs(y.mean().item()) < 1e-6, `mean ${y.mean().item()}`);
  });

  it('MyDense: its parameters, relu(x·W + b) against numpy, eager and hybridized', () => {
    const dense = new MyDense(3, 5);
    assert.deepEqual(dense.collectParams().keys(), ['weight', 'bias']);
    assert.deepEqual(dense.weight.shape, [5, 3]);
    dense.initialize(new init.Uniform(1));
    const x = np.random.uniform(0, 1, [2, 5]);
    const y = eagerAndHybrid(dense, x);
    assertClose(flat(y), numpy('np.maximum(a @ b + c, 0)', [x, dense.weight.data(), dense.bias.data()]), 'MyDense vs numpy');
    const net = buildCustom();
    assert.deepEqual((net.call(np.random.uniform(0, 1, [2, 64])) as NDArray).shape, [2, 1]);
    eagerAndHybrid(net, np.random.uniform(0, 1, [3, 64]));
  });
});

describe('models/d2l: multilayer perceptrons', () => {
  before(() => random.seed(1));

  it('MLP from scratch: N(0, 0.01²) weights, zero biases, output against numpy, hybridized', () => {
    const net = new MLPScratch();
    net.initialize();
    const w1 = flat(net.W1.data());
    const std = Math.sqrt(w1.reduce((s, v) => s + v * v, 0) / w1.length);
    assert.ok(Math.abs(std - 0.01) < 0.001, `W1 std ${std}`);
    assert.ok(flat(net.b1.data()).every((v) => v === 0));
    // Larger weights than the initial ones so the ReLU is exercised.
    net.W1.setData(np.random.uniform(-0.2, 0.2, [784, 256]));
    net.b1.setData(np.random.uniform(-0.2, 0.2, [256]));
    const x = np.random.uniform(0, 1, [3, 1, 28, 28]);
    const y = eagerAndHybrid(net, x);
    assert.deepEqual(y.shape, [3, 10]);
    const ref = numpy('np.maximum(a.reshape(-1, 784) @ b + c, 0) @ d + e', [x, net.W1.data(), net.b1.data(), net.W2.data(), net.b2.data()]);
    assertClose(flat(y), ref, 'MLP from scratch vs numpy', 1e-4, 1e-5);
  });

  it('MLP from scratch trains: a few SGD steps through the compiled graph lower the loss', () => {
    const net = new MLPScratch(20, 3, 16);
    net.initialize();
    net.hybridize();
    const x = np.random.uniform(-1, 1, [32, 20]);
    const label = np.random.randint(0, 3, [32], { dtype: 'float32' });
    const loss = new gluon.loss.SoftmaxCrossEntropyLoss();
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 2 });
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const l = autograd.record(() => loss.call(net.call(x), label));
      l.backward();
      trainer.step(32);
      losses.push(l.mean().item());
    }
    assert.ok(losses[19]! < losses[0]! * 0.9, `loss ${losses[0]} -> ${losses[19]}`);
  });

  it("dropout from scratch: d2l's three cases (0, 0.5, 1), and the kept fraction", () => {
    const X = np.reshape(np.arange(0, 16), [2, 8]);
    assert.deepEqual(dropoutLayer(X, 0).toArray(), X.toArray());
    assert.deepEqual(dropoutLayer(X, 1).toArray(), np.zeros([2, 8]).toArray());
    const half = flat(dropoutLayer(X, 0.5));
    half.forEach((v, i) => assert.ok(v === 0 || v === 2 * i, `element ${i}: ${v}`));
    const big = flat(dropoutLayer(np.ones([100, 100]), 0.3));
    const kept = big.filter((v) => v !== 0).length / big.length;
    assert.ok(Math.abs(kept - 0.7) < 0.03, `kept ${kept}`);
    assert.ok(big.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6));
    assert.throws(() => dropoutLayer(X, 1.5), /dropoutLayer: dropout must be in \[0, 1\], got 1.5/);
  });

  it('dropout net: npx.dropout is the identity when predicting and drops while training', () => {
    const net = new MLPDropout();
    net.initialize();
    const x = np.random.uniform(0, 1, [4, 784]);
    const predict = net.call(x) as NDArray;
    const noDropout = net.output.call(net.hidden2.call(net.hidden1.call(x))) as NDArray;
    assertClose(flat(predict), flat(noDropout), 'predicting: dropout is the identity');
    const h = autograd.record(() => net.call(x) as NDArray);
    assert.ok(flat(h).some((v, i) => Math.abs(v - flat(predict)[i]!) > 1e-6), 'training: some units dropped');
    eagerAndHybrid(net, x);
  });
});

describe('models/d2l: convolutions', () => {
  before(() => random.seed(2));
  const X = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);

  it("corr2d, corr2dMultiIn, corr2dMultiInOut and pool2d give d2l's printed values", () => {
    assert.deepEqual(corr2d(X, np.array([[0, 1], [2, 3]])).toArray(), [[19, 25], [37, 43]]);
    const X2 = np.stack([X, X.add(1)]);
    const K2 = np.array([[[0, 1], [2, 3]], [[1, 2], [3, 4]]]);
    assert.deepEqual(corr2dMultiIn(X2, K2).toArray(), [[56, 72], [104, 120]]);
    const K3 = np.stack([K2, K2.add(1), K2.add(2)]);
    const y3 = corr2dMultiInOut(X2, K3);
    assert.deepEqual(y3.toArray(), [[[56, 72], [104, 120]], [[76, 100], [148, 172]], [[96, 128], [192, 224]]]);
    assert.deepEqual(pool2d(X, [2, 2]).toArray(), [[4, 5], [7, 8]]);
    assert.deepEqual(pool2d(X, [2, 2], 'avg').toArray(), [[2, 3], [5, 6]]);
  });

  it('edge detection: the [1, -1] kernel marks the edges (d2l 6.2.3)', () => {
    const img = np.array(Array.from({ length: 6 }, () => [1, 1, 0, 0, 0, 0, 1, 1]));
    const K = np.array([[1, -1]]);
    const Y = corr2d(img, K);
    assert.deepEqual(Y.toArray(), Array.from({ length: 6 }, () => [0, 1, 0, 0, 0, -1, 0]));
    assert.ok(flat(corr2d(np.transpose(img), K)).every((v) => v === 0), 'the transposed image has no vertical edges');
  });

  it('Conv2D learns the edge kernel from X and Y (d2l 6.2.4: the weight only, lr 3e-2), hybridized', () => {
    const img = np.array(Array.from({ length: 6 }, () => [1, 1, 0, 0, 0, 0, 1, 1]));
    const Y = corr2d(img, np.array([[1, -1]]));
    const conv = new Conv2D([1, 2]);
    conv.initialize();
    eagerAndHybrid(conv, img);
    conv.bias.setData(np.zeros([1]));
    conv.hybridize();
    const trainer = new gluon.Trainer(conv.collectParams('weight'), 'sgd', { learningRate: 3e-2 });
    let last = Infinity;
    for (let i = 0; i < 30; i++) {
      const l = autograd.record(() => (conv.call(img) as NDArray).sub(Y).square().sum());
      l.backward();
      trainer.step(1);
      last = l.item();
    }
    assert.ok(last < 1e-2, `loss after 30 steps ${last}`);
    assertClose(flat(conv.weight.data()), [1, -1], 'learned kernel', 0, 0.05);
  });

  it('LeNet written with npx matches a numpy LeNet, eager and hybridized', () => {
    const net = new LeNet();
    net.initialize(new init.Xavier());
    const x = np.random.uniform(0, 1, [2, 1, 28, 28]);
    const y = eagerAndHybrid(net, x);
    assert.deepEqual(y.shape, [2, 10]);
    const params = net.collectParams().values().map((p) => p.data());
    const all = np.concatenate(params.map((p) => np.reshape(p, [-1])));
    const ref = numpy(`
sizes = [int(np.prod(s)) for s in attrs["shapes"]]
ps = [p.reshape(s) for p, s in zip(np.split(b, np.cumsum(sizes)[:-1]), attrs["shapes"])]
w1, b1, w2, b2, f1, g1, f2, g2, f3, g3 = ps
def conv(x, w, bias, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))
    return np.einsum("nchwij,ocij->nohw", win, w) + bias[None, :, None, None]
def pool(x):
    n, c, h, w = x.shape
    return x.reshape(n, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))
sig = lambda z: 1 / (1 + np.exp(-z))
h = pool(sig(conv(a, w1, b1, 2)))
h = pool(sig(conv(h, w2, b2, 0))).reshape(a.shape[0], -1)
h = sig(h @ f1.T + g1)
h = sig(h @ f2.T + g2)
out = h @ f3.T + g3
`, [x, all], { shapes: params.map((p) => p.shape) });
    assertClose(flat(y), ref, 'LeNet (npx) vs numpy', 1e-4, 1e-5);
  });
});
