/**
 * models/examples/super-resolution.ts (MXNet's super_resolution.py) against
 * PyTorch float64: the ESPCN's output (its convolutions, then
 * `torch.nn.PixelShuffle(3)`) with the example's Orthogonal-initialized
 * weights, and one Adam step (MXNet's update rule, lr·sqrt(1-β2^t)/(1-β1^t)·m/(sqrt(v)+ε))
 * of the L2 loss; the low-resolution inputs against numpy's block means; the
 * script from the command line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { autograd, gluon, init, nd, random } from 'gluonc';
import { SuperResolutionNet, imagePairs, train } from '../../../models/examples/super-resolution.js';
import { pythonJson, assertNear } from '../../helpers/python-json.js';

const near = (a: number, b: number, what: string, tol = 1e-4): void => assertNear(a, b, what, tol);

const flat = (x: nd.NDArray): number[] => Array.from(x.data() as Float32Array);

const TORCH = String.raw`
import json, sys
import numpy as np, torch
torch.set_default_dtype(torch.float64)
j = json.load(sys.stdin)
P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in j['params'].items()}
x = torch.tensor(j['x'], dtype=torch.float64).reshape(j['xshape']); y = torch.tensor(j['y'], dtype=torch.float64).reshape(j['yshape'])
def net(x):
    c = lambda x, k, p: torch.nn.functional.conv2d(x, P[k + '.weight'], P[k + '.bias'], padding=p)
    x = torch.relu(c(x, 'conv1', 2)); x = torch.relu(c(x, 'conv2', 1)); x = torch.relu(c(x, 'conv3', 1)); x = c(x, 'conv4', 1)
    return torch.nn.PixelShuffle(3)(x)
z = net(x)
L = 0.5 * ((z - y) ** 2).reshape(z.shape[0], -1).mean(1)   # gluon's L2Loss per sample
L.sum().backward()
lr, b1, b2, eps, t, n = 0.001, 0.9, 0.999, 1e-8, 1, z.shape[0]
new = {}
for k, p in P.items():
    g = p.grad / n
    m = (1 - b1) * g; v = (1 - b2) * g * g
    new[k] = (p.detach() - lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (v.sqrt() + eps)).reshape(-1).tolist()
pool = torch.nn.functional.avg_pool2d(y, 3)
print(json.dumps({'z': z.detach().reshape(-1).tolist(), 'new': new, 'pool': pool.reshape(-1).tolist()}))
`;

describe('models/examples/super-resolution (MXNet super_resolution.py)', function () {
  this.timeout(60_000);

  it("the ESPCN's output and one Adam step of the L2 loss equal PyTorch float64 (torch.nn.PixelShuffle)", () => {
    random.seed(123);
    const [x, y] = imagePairs(2, 12, 3);
    assert.deepEqual([x.shape, y.shape], [[2, 1, 4, 4], [2, 1, 12, 12]]);
    const net = new SuperResolutionNet(3);
    net.hybridize();
    net.initialize(new init.Orthogonal());
    net.conv4.initialize(new init.Orthogonal({ scale: 1 }), { forceReinit: true });
    net.call(x); // deferred shapes
    const params = Object.fromEntries(net.collectParams().entries().map(([k, p]) => [k, p.data().toArray()]));
    const ref = pythonJson(TORCH, { params, x: flat(x), xshape: x.shape, y: flat(y), yshape: y.shape });
    flat(x).forEach((v, i) => near(v, ref.pool[i], `input [${i}]: the 3x3 block mean of the target`, 1e-6));
    const trainer = new gluon.Trainer(net.collectParams(), 'adam', { learningRate: 0.001 });
    const loss = new gluon.loss.L2Loss();
    const z = autograd.record(() => {
      const out = net.call(x) as nd.NDArray;
      (loss.call(out, y) as nd.NDArray).backward();
      return out;
    });
    flat(z).forEach((v, i) => near(v, ref.z[i], `output [${i}]`, 1e-5));
    trainer.step(x.shape[0]!);
    for (const [k, p] of net.collectParams().entries()) flat(p.data()).forEach((v, i) => near(v, ref.new[k][i], `${k}[${i}] after the Adam step`, 1e-5));
  });

  it('trains (the training MSE falls) and runs from the command line; a bad flag is one line and exit code 1', () => {
    const { mse, psnr } = train({ epochs: 2, log: () => {} });
    assert.ok(mse[1]! < mse[0]!, `mse ${mse}`);
    assert.equal(psnr.length, 2);
    const run = (...args: string[]) => spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', 'models/examples/super-resolution.ts', ...args], { encoding: 'utf8' });
    const ok = run('--epochs', '1');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^training mse at epoch 0: mse=\d+\.\d+\nvalidation avg psnr: \d+\.\d+$/m);
    const bad = run('--lr', 'x');
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), "super-resolution: --lr must be a positive number, got 'x'");
  });
});
