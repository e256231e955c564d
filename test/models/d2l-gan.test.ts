/**
 * d2l's DCGAN (MXNet edition, 20.1–20.2) in models/d2l/gan.ts, tiny (width 2,
 * two blocks, 16×16 images): the book's printed shapes, then two iterations
 * of `update_D`/`update_G` with two Adam trainers (beta1 0.5) against PyTorch
 * in float64 with the same initial weights, images and noise — BatchNorm in
 * training mode (batch mean, biased variance, eps 1e-5), SigmoidBCELoss of a
 * `[N, 1, 1, 1]` prediction against `[N]` labels, and MXNet's Adam written
 * out (`lr_t = lr·sqrt(1−β2^t)/(1−β1^t)`, `w −= lr_t·m/(sqrt(v)+ε)`, the
 * gradient rescaled by 1/batch; python/mxnet/optimizer/optimizer.py's
 * Adam). Also the discriminator's gradient left by `update_G` and
 * `net_D.collect_params().zero_grad()`.
 */
import assert from 'node:assert/strict';
import { gluon, init, np, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import { dcgan, updateD, updateG } from '../../models/d2l/gan.js';

const flat = (x: NDArray) => tensorToNumbers(x._host);
const arr = (x: NDArray) => ({ shape: x.shape as number[], data: flat(x) });
const trainable = (b: gluon.Block) => [...b.collectParams().entries()].filter(([, p]) => p.gradReq !== 'null');

const TORCH = String.raw`
import torch, torch.nn.functional as Fn
torch.set_default_dtype(torch.float64)
T = lambda v: torch.tensor(v["data"], dtype=torch.float64).reshape(v["shape"])
PG = {k: T(v).requires_grad_() for k, v in attrs["G"].items()}
PD = {k: T(v).requires_grad_() for k, v in attrs["D"].items()}
B, blocks, lr, b1, b2, eps = attrs["B"], attrs["blocks"], attrs["lr"], 0.5, 0.999, 1e-8
def bn(x, g, b):
    m = x.mean((0, 2, 3), keepdim=True); v = ((x - m) ** 2).mean((0, 2, 3), keepdim=True)
    return (x - m) / torch.sqrt(v + 1e-5) * g[None, :, None, None] + b[None, :, None, None]
def G(z):
    x = z
    for k in range(blocks):
        s, p = (1, 0) if k == 0 else (2, 1)
        x = torch.relu(bn(Fn.conv_transpose2d(x, PG[f"{k}.conv2dTrans.weight"], stride=s, padding=p), PG[f"{k}.batchNorm.gamma"], PG[f"{k}.batchNorm.beta"]))
    return torch.tanh(Fn.conv_transpose2d(x, PG[f"{blocks}.weight"], stride=2, padding=1))
def D(x):
    for k in range(blocks):
        x = Fn.leaky_relu(bn(Fn.conv2d(x, PD[f"{k}.conv2d.weight"], stride=2, padding=1), PD[f"{k}.batchNorm.gamma"], PD[f"{k}.batchNorm.beta"]), 0.2)
    return Fn.conv2d(x, PD[f"{blocks}.weight"])
def bce(pred, label):
    label = label.reshape(pred.shape)
    return (torch.relu(pred) - pred * label + torch.log1p(torch.exp(-pred.abs()))).mean((1, 2, 3))
state = {}
def adam(P, t, tag):
    with torch.no_grad():
        for k, w in P.items():
            g = w.grad / B
            m, v = state.get((tag, k), (torch.zeros_like(w), torch.zeros_like(w)))
            m = b1 * m + (1 - b1) * g; v = b2 * v + (1 - b2) * g * g
            state[(tag, k)] = (m, v)
            w -= lr * (1 - b2 ** t) ** 0.5 / (1 - b1 ** t) * m / (torch.sqrt(v) + eps)
            w.grad = None
losses = []
for t, (X, Z) in enumerate(zip(attrs["X"], attrs["Z"]), 1):
    X, Z = T(X), T(Z)
    loss_D = (bce(D(X), torch.ones(B)) + bce(D(G(Z).detach()), torch.zeros(B))) / 2
    for w in PD.values(): w.grad = None
    loss_D.sum().backward(); adam(PD, t, 'D')
    for w in PG.values(): w.grad = None
    loss_G = bce(D(G(Z)), torch.ones(B))
    loss_G.sum().backward(); adam(PG, t, 'G')
    losses += [loss_D.sum().item(), loss_G.sum().item()]
out = [torch.tensor(losses)] + [PG[k].detach() for k in attrs["G"]] + [PD[k].detach() for k in attrs["D"]]
`;

describe('models/d2l: DCGAN', () => {
  before(() => random.seed(202));

  it("the book's generator/discriminator shapes (64 wide, 4 blocks: [N, 3, 64, 64] and [N, 1, 1, 1])", () => {
    const { netG, netD } = dcgan(4, 4, 4);
    netG.initialize(new init.Normal(0.02));
    netD.initialize(new init.Normal(0.02));
    const x = netG.call(np.zeros([1, 100, 1, 1])) as NDArray;
    assert.deepEqual(x.shape, [1, 3, 64, 64]);
    assert.deepEqual((netD.call(x) as NDArray).shape, [1, 1, 1, 1]);
  });

  it('two update_D/update_G iterations with two Adam trainers give PyTorch\'s losses and weights (float64 reference)', () => {
    const [B, blocks, latent, lr] = [4, 2, 3, 0.005];
    const { netG, netD } = dcgan(2, 2, blocks);
    netD.initialize(new init.Normal(0.02), { forceReinit: true });
    netG.initialize(new init.Normal(0.02), { forceReinit: true });
    netD.call(netG.call(np.zeros([1, latent, 1, 1])));   // the deferred shapes, in predicting mode (no running statistics moved)
    const loss = new gluon.loss.SigmoidBCELoss();
    const trainerHp = { learningRate: lr, beta1: 0.5 };
    const trainerD = new gluon.Trainer(netD.collectParams(), 'adam', trainerHp);
    const trainerG = new gluon.Trainer(netG.collectParams(), 'adam', trainerHp);
    const [G0, D0] = [trainable(netG), trainable(netD)];
    const attrs = {
      B, blocks, lr,
      G: Object.fromEntries(G0.map(([k, p]) => [k, arr(p.data())])),
      D: Object.fromEntries(D0.map(([k, p]) => [k, arr(p.data())])),
      X: [0, 1].map(() => arr(np.random.uniform(-1, 1, [B, 3, 16, 16]))),
      Z: [0, 1].map(() => arr(np.random.normal(0, 1, [B, latent, 1, 1]))),
    };
    const losses: number[] = [];
    for (let t = 0; t < 2; t++) {
      const X = np.array(attrs.X[t]!.data, { shape: attrs.X[t]!.shape } as never);
      const Z = np.array(attrs.Z[t]!.data, { shape: attrs.Z[t]!.shape } as never);
      losses.push(updateD(X, Z, netD, netG, loss, trainerD));
      // fake_X.detach(): update_D's backward reaches no generator parameter
      if (t === 0) assert.ok(G0.every(([, p]) => flat(p.grad()).every((v) => v === 0)), 'net_G gradients after the first update_D');
      losses.push(updateG(Z, netD, netG, loss, trainerG));
    }
    const [r] = numpyRefs([{ code: TORCH, inputs: [], attrs }]);
    assert.ok(!r!.error, r!.error);
    const [wantLosses, ...wantParams] = r!.outs.map((o) => o.data as number[]);
    assertClose(losses, wantLosses!, 'losses (D, G, D, G)', 1e-4, 1e-5);
    [...G0, ...D0].forEach(([k, p], i) => assertClose(flat(p.data()), wantParams[i]!, `${i < G0.length ? 'net_G' : 'net_D'} ${k}`, 1e-3, 1e-5));
    // update_G's backward left gradients in net_D (its trainer did not step); zero_grad clears them
    const dGrad = netD.collectParams().get('0.conv2d.weight');
    assert.ok(flat(dGrad.grad()).some((v) => v !== 0));
    netD.collectParams().zeroGrad();
    assert.ok(flat(dGrad.grad()).every((v) => v === 0));
  });
});
