/**
 * d2l's modern-CNN chapters (MXNet edition) in models/d2l/modern-cnn.ts:
 * batch normalization from scratch, ResNet's residual block and DenseNet's
 * dense block, each against a numpy float64 reference (convolutions by
 * sliding windows, batch statistics over N, H, W) and d2l's printed shapes.
 */
import assert from 'node:assert/strict';
import { autograd, gluon, np, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import { batchNorm, BatchNorm, DenseBlock, Residual } from '../../models/d2l/modern-cnn.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });

function numpy(code: string, inputs: NDArray[], attrs?: Record<string, unknown>): number[][] {
  const [r] = numpyRefs([{ code, inputs: inputs.map(f64), attrs }]);
  assert.ok(!r!.error, r!.error);
  return r!.outs.map((o) => o.data as number[]);
}

/** numpy's batch norm (training: the batch's statistics, biased variance) and a same-padded convolution. */
const NP_DEFS = `
def bn(x, g, b, eps):
    ax = (0,) if x.ndim == 2 else (0, 2, 3)
    m = x.mean(axis=ax, keepdims=True)
    v = ((x - m) ** 2).mean(axis=ax, keepdims=True)
    return g * (x - m) / np.sqrt(v + eps) + b, m, v
def conv(x, w, bias, pad, stride):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(x, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum("nchwij,ocij->nohw", win, w) + bias[None, :, None, None]
`;

describe('models/d2l: modern CNNs (batch norm, ResNet, DenseNet)', () => {
  before(() => random.seed(11));

  it('batchNorm from scratch: training by the batch statistics, the moving ones updated; predicting by the moving ones', () => {
    const X = np.random.normal(1, 2, [4, 3, 2, 2]);
    const gamma = np.random.uniform(0.5, 1.5, [1, 3, 1, 1]);
    const beta = np.random.uniform(-1, 1, [1, 3, 1, 1]);
    const [mm0, mv0] = [np.random.uniform(-1, 1, [1, 3, 1, 1]), np.random.uniform(0.5, 2, [1, 3, 1, 1])];
    const [Y, mm, mv] = autograd.record(() => batchNorm(X, gamma, beta, mm0, mv0, 1e-5, 0.9));
    const [rY, rm, rv] = numpy(`${NP_DEFS}
y, m, v = bn(a, b, c, 1e-5)
out = [y, 0.9 * d + 0.1 * m, 0.9 * e + 0.1 * v]`, [X, gamma, beta, mm0, mv0]);
    assertClose(flat(Y), rY!, 'Y (training)', 1e-4, 1e-5);
    assertClose(flat(mm), rm!, 'moving mean', 1e-5, 1e-6);
    assertClose(flat(mv), rv!, 'moving var', 1e-5, 1e-6);
    const [P] = batchNorm(X, gamma, beta, mm0, mv0, 1e-5, 0.9);
    assertClose(flat(P), numpy('b * (a - d) / np.sqrt(e + 1e-5) + c', [X, gamma, beta, mm0, mv0])[0]!, 'Y (predicting)', 1e-4, 1e-5);
    const X2 = np.random.normal(0, 1, [5, 3]);
    const [Y2] = autograd.record(() => batchNorm(X2, np.ones([1, 3]), np.zeros([1, 3]), np.zeros([1, 3]), np.ones([1, 3]), 1e-5, 0.9));
    assertClose(flat(Y2), numpy(`${NP_DEFS}\nout = bn(a, 1.0, 0.0, 1e-5)[0]`, [X2])[0]!, 'Y of [N, C]', 1e-4, 1e-5);
    assert.throws(() => autograd.record(() => batchNorm(np.ones([2, 3, 4]), np.ones([1]), np.ones([1]), np.ones([1]), np.ones([1]), 1e-5, 0.9)), /batchNorm: X must have 2 or 4 dimensions, got \[2, 3, 4\]/);
  });

  it("the BatchNorm block from scratch trains its moving statistics, as the concise nn.BatchNorm's running mean", () => {
    const scratch = new BatchNorm(3, 4);
    const concise = new gluon.nn.BatchNorm({ inChannels: 3, epsilon: 1e-12 });
    scratch.initialize();
    concise.initialize();
    const X = np.random.normal(0.5, 1, [4, 3, 3, 3]);
    const a = autograd.record(() => scratch.call(X) as NDArray);
    const b = autograd.record(() => concise.call(X) as NDArray);
    assertClose(flat(a), flat(b), 'scratch vs concise, training', 1e-4, 1e-5);
    assertClose(flat(scratch.movingMean), flat(concise.collectParams().get('running_mean').data()), 'moving mean vs running_mean', 1e-5, 1e-6);
    assertClose(flat(scratch.movingMean), numpy('0.1 * a.mean(axis=(0, 2, 3))', [X])[0]!, 'moving mean vs numpy', 1e-5, 1e-6);
  });

  it("Residual: d2l's shapes ([4, 3, 6, 6] kept; [4, 6, 3, 3] with the 1x1 convolution), training output against numpy, hybridized as eager", () => {
    const X = np.random.uniform(0, 1, [4, 3, 6, 6]);
    const same = new Residual(3);
    same.initialize();
    assert.deepEqual((same.call(X) as NDArray).shape, [4, 3, 6, 6]);
    const blk = new Residual(6, true, 2);
    blk.initialize();
    const Y = autograd.record(() => blk.call(X) as NDArray);
    assert.deepEqual(Y.shape, [4, 6, 3, 3]);
    const w = (name: string) => blk.collectParams().get(name).data();
    const ref = numpy(`${NP_DEFS}
y = np.maximum(bn(conv(a, b, c, 1, 2), 1.0, 0.0, 1e-5)[0], 0)
y = bn(conv(y, d, e, 1, 1), 1.0, 0.0, 1e-5)[0]
out = np.maximum(y + conv(a, f, g, 0, 2), 0)`, [X, w('conv1.weight'), w('conv1.bias'), w('conv2.weight'), w('conv2.bias'), w('conv3.weight'), w('conv3.bias')]);
    assertClose(flat(Y), ref[0]!, 'Residual (training) vs numpy', 1e-4, 1e-5);
    const e = blk.call(X) as NDArray;
    blk.hybridize();
    assertClose(flat(blk.call(X) as NDArray), flat(e), 'hybridized vs eager', 1e-5, 1e-6);
  });

  it("DenseBlock: d2l's [4, 23, 8, 8]; the input passes through and each conv block's output is appended", () => {
    const blk = new DenseBlock(2, 10);
    blk.initialize();
    const X = np.random.uniform(0, 1, [4, 3, 8, 8]);
    const Y = blk.call(X) as NDArray;
    assert.deepEqual(Y.shape, [4, 23, 8, 8]);
    assert.deepEqual(flat(Y.slice({ begin: [0, 0], end: [4, 3] })), flat(X));
    const first = blk.net.get(0).call(X) as NDArray;
    assertClose(flat(Y.slice({ begin: [0, 3], end: [4, 13] })), flat(first), 'the first conv block', 1e-6, 1e-7);
  });
});
