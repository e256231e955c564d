/**
 * models/examples/learning-rate-manipulation.ts (MXNet's
 * learning_rate_manipulation.py) against numpy float64: the script's loop
 * over an unshuffled NDArrayIter (a last batch of 5 of 45 samples included)
 * equals plain SGD on the L2 loss with the learning rate 0.1, 0.1, 0.1,
 * then × 0.9 per epoch; the schedule printed; the script from the command line.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { gluon, init, io, nd, random } from 'gluonc';
import { fit, train } from '../../../models/examples/learning-rate-manipulation.js';
import { pythonJson } from '../../helpers/python-json.js';

describe('models/examples/learning-rate-manipulation (MXNet learning_rate_manipulation.py)', function () {
  this.timeout(60_000);

  it("the loop's parameters and learning rates equal numpy float64 SGD with the decayed rate", () => {
    random.seed(2);
    const X = nd.random.normal(0, 1, [45, 2]);
    const Y = nd.random.normal(0, 3, [45]);
    const net = new gluon.nn.Sequential();
    net.add(new gluon.nn.Dense(1, { inUnits: 2 }));
    net.initialize(new init.Xavier({ magnitude: 2.24 }));
    const [w0, b0] = net.collectParams().values().map((p) => p.data().toArray());
    const trainer = new gluon.Trainer(net.collectParams(), 'sgd', { optimizerParams: { learningRate: 0.1 } });
    const it = new io.NDArrayIter(X, Y, { batchSize: 10, shuffle: false, lastBatchHandle: 'discard' });
    const lrs = fit(net, trainer, new gluon.loss.L2Loss(), it, 5, () => {});
    const ref = pythonJson(String.raw`
import json, sys, numpy as np
j = json.load(sys.stdin)
X = np.array(j['X']); Y = np.array(j['Y']); w = np.array(j['w0']); b = np.array(j['b0'])
lr, lrs = 0.1, []
for epoch in range(5):
    for s in range(0, 40, 10):                     # 'discard': the last 5 samples are dropped
        x, y = X[s:s + 10], Y[s:s + 10, None]
        r = x @ w.T + b - y                         # L2Loss = (out - y)^2 / 2 per sample; step(10) averages
        w = w - lr * (r.T @ x) / 10; b = b - lr * r.sum(0) / 10
    if epoch > 1: lr *= 0.9
    lrs.append(lr)
print(json.dumps({'w': w.reshape(-1).tolist(), 'b': b.tolist(), 'lrs': lrs}))`, { X: X.toArray(), Y: Y.toArray(), w0, b0 });
    lrs.forEach((v, i) => assert.ok(Math.abs(v - ref.lrs[i]) < 1e-12, `lr ${i}: ${v} vs ${ref.lrs[i]}`));
    const [w, b] = net.collectParams().values().map((p) => Array.from(p.data().data() as Float32Array));
    [...w!, ...b!].forEach((v, i) => assert.ok(Math.abs(v - [...ref.w, ...ref.b][i]) < 1e-4, `param ${i}: ${v} vs ${[...ref.w, ...ref.b][i]}`));
  });

  it('recovers y = 2 x0 - 3.4 x1 + 4.2 and runs from the command line; a bad flag is one line and exit code 1', () => {
    const lines: string[] = [];
    const { lrs } = train({ samples: 500, epochs: 4, log: (m) => void lines.push(m) });
    assert.deepEqual(lines.slice(0, 4).map((l) => l.replace(/[\d.]+$/, 'R')), [0, 1, 2, 3].map((e) => `Epoch: ${e} Learning rate: R`));
    assert.deepEqual(lrs.map((v) => Number(v.toFixed(12))), [0.1, 0.1, 0.09, 0.081]);
    const w = JSON.parse(lines[4]!.split(' ')[1]!) as number[];
    assert.ok(Math.abs(w[0]! - 2) < 0.01 && Math.abs(w[1]! + 3.4) < 0.01, lines[4]);
    const run = (...args: string[]) => spawnSync(process.execPath, ['--conditions=gluonc-source', '--import', 'tsx', 'models/examples/learning-rate-manipulation.ts', ...args], { encoding: 'utf8' });
    const ok = run('--samples', '200', '--epochs', '3');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^Epoch: 2 Learning rate: 0\.09000000000000001$/m);
    assert.match(ok.stdout, /^0\.bias 4\.\d+$/m);
    const bad = run('--shuffle', 'no');
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr.trim(), "learning-rate-manipulation: --shuffle must be true or false, got 'no'");
  });
});
