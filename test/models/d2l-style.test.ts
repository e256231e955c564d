/**
 * d2l's neural style transfer (MXNet edition, 14.12) in
 * models/d2l/style-transfer.ts at a tiny size: a conv/relu/pool feature net,
 * a 3×8×8 image, four epochs of Adam on the image (the rate decayed by 0.8
 * after two) against PyTorch in float64 with the same weights: the image is
 * `gen_img()` read once before training, so the trainer must update the
 * parameter's array in place (MXNet's `weight.data()` is that array).
 */
import assert from 'node:assert/strict';
import { autograd, gluon, init, np, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import { extractFeatures, gram, SynthesizedImage, train } from '../../models/d2l/style-transfer.js';

const { nn } = gluon;
const flat = (x: NDArray) => tensorToNumbers(x._host);
const arr = (x: NDArray) => ({ shape: x.shape as number[], data: flat(x) });

const TORCH = String.raw`
import torch, torch.nn.functional as Fn
torch.set_default_dtype(torch.float64)
T = lambda v: torch.tensor(v["data"], dtype=torch.float64).reshape(v["shape"])
P = {k: T(v) for k, v in attrs["P"].items()}
def net_layers():
    return [lambda x: Fn.conv2d(x, P["0.weight"], P["0.bias"], padding=1), torch.relu, lambda x: Fn.max_pool2d(x, 2),
            lambda x: Fn.conv2d(x, P["3.weight"], P["3.bias"], padding=1), torch.relu]
def extract(X, content_layers, style_layers):
    contents, styles = [], []
    for i, f in enumerate(net_layers()):
        X = f(X)
        if i in style_layers: styles.append(X)
        if i in content_layers: contents.append(X)
    return contents, styles
def gram(X):
    c, n = X.shape[1], X.numel() // X.shape[1]
    X = X.reshape(c, n)
    return X @ X.T / (c * n)
def tv(Y):
    return 0.5 * ((Y[:, :, 1:, :] - Y[:, :, :-1, :]).abs().mean() + (Y[:, :, :, 1:] - Y[:, :, :, :-1]).abs().mean())
CL, SL = attrs["content"], attrs["style"]
contents_Y, _ = extract(T(attrs["C"]), CL, SL)
_, styles_Y = extract(T(attrs["S"]), CL, SL)
styles_gram = [gram(Y) for Y in styles_Y]
X = T(attrs["C"]).clone().requires_grad_()
lr, b1, b2, eps = attrs["lr"], 0.9, 0.999, 1e-8
m = torch.zeros_like(X); v = torch.zeros_like(X)
losses = []
for epoch in range(4):
    c_hat, s_hat = extract(X, CL, SL)
    contents_l = [((a - b) ** 2).mean() * 1 for a, b in zip(c_hat, contents_Y)]
    styles_l = [((gram(a) - g) ** 2).mean() * 1e3 for a, g in zip(s_hat, styles_gram)]
    l = sum(10 * styles_l + contents_l + [tv(X) * 10])
    X.grad = None
    l.backward()
    with torch.no_grad():
        t = epoch + 1; g = X.grad
        m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g * g
        X -= lr * (1 - b2 ** t) ** 0.5 / (1 - b1 ** t) * m / (torch.sqrt(v) + eps)
    losses.append(l.item())
    if (epoch + 1) % attrs["dec"] == 0: lr *= 0.8
out = [torch.tensor(losses), X.detach()]
`;

describe('models/d2l: neural style transfer', () => {
  before(() => random.seed(1412));

  it('four Adam epochs on the synthesized image give PyTorch\'s losses and image (lr decayed by setLearningRate)', () => {
    const net = new nn.HybridSequential();
    net.add(new nn.Conv2D(4, 3, { padding: 1, inChannels: 3 }), new nn.Activation('relu'), new nn.MaxPool2D(2), new nn.Conv2D(4, 3, { padding: 1, inChannels: 4 }), new nn.Activation('relu'));
    net.initialize(new init.Xavier());
    const [contentLayers, styleLayers] = [[3], [0, 4]];
    const contentX = np.random.uniform(-1, 1, [1, 3, 8, 8]);
    const styleX = np.random.uniform(-1, 1, [1, 3, 8, 8]);
    const [contentsY] = extractFeatures(net, contentX, contentLayers, styleLayers);
    const [, stylesY] = extractFeatures(net, styleX, contentLayers, styleLayers);
    assert.deepEqual(gram(stylesY[0]!).shape, [4, 4]);
    const lr = 0.1;
    const [img, losses] = train(net, contentX, contentsY, stylesY, lr, 4, 2, contentLayers, styleLayers);
    const attrs = {
      P: Object.fromEntries([...net.collectParams().entries()].map(([k, p]) => [k, arr(p.data())])),
      C: arr(contentX), S: arr(styleX), lr, content: contentLayers, style: styleLayers, dec: 2,
    };
    const [r] = numpyRefs([{ code: TORCH, inputs: [], attrs }]);
    assert.ok(!r!.error, r!.error);
    assertClose(losses, r!.outs[0]!.data as number[], 'losses', 1e-4, 1e-6);
    assertClose(flat(img), r!.outs[1]!.data as number[], 'image', 1e-4, 1e-5);
    assert.ok(losses[3]! < losses[0]!);
  });

  it("an array read by p.data() before Trainer.step sees the step (MXNet's in-place update): eager, hybridized (fused step), loadParameters-style setData", () => {
    for (const hybrid of [false, true]) {
      const net = new nn.Dense(2, { inUnits: 3 });
      net.initialize();
      if (hybrid) net.hybridize();
      const w = net.weight.data();
      const before = flat(w);
      const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { learningRate: 0.5 });
      const X = np.random.uniform(0, 1, [4, 3]);
      for (let t = 0; t < 2; t++) {
        const l = autograd.record(() => (net.call(X) as NDArray).sum());
        l.backward();
        trainer.step(4);
      }
      assert.notDeepEqual(flat(net.weight.data()), before);
      assert.deepEqual(flat(w), flat(net.weight.data()), hybrid ? 'hybridized' : 'eager');
      assert.equal(w, net.weight.data());
      net.weight.setData(np.ones([2, 3]));
      assert.deepEqual(flat(w), [1, 1, 1, 1, 1, 1]);
    }
  });

  it('SynthesizedImage: forward() returns the weight itself, initialized by init.Constant(X)', () => {
    const X = np.random.uniform(0, 1, [1, 3, 2, 2]);
    const gen = new SynthesizedImage(X.shape as number[]);
    gen.initialize(new init.Constant(X));
    assert.deepEqual(flat(gen.call() as NDArray), flat(X));
  });
});
