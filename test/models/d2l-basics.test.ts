/**
 * d2l's builders' guide (parameter management, initialization, tied
 * parameters, file I/O) and concise weight decay (MXNet edition), ported as
 * literally as TypeScript allows: each against d2l's printed shapes and
 * names, closed forms (an SGD step with weight decay, from MXNet's
 * `w -= lr * (grad * rescale_grad + wd * w)`) or numpy.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, init, np, npx, random } from 'gluonc';
import type { NDArray } from '../../compiler/engine/ndarray.js';
import { tensorToNumbers } from '../../runtime/tensor.js';
import { assertClose } from '../helpers/compare.js';
import { numpyRefs } from '../helpers/numpy.js';
import { MyInit, trainConcise } from '../../models/d2l/basics.js';

const { nn } = gluon;
const flat = (x: NDArray) => tensorToNumbers(x._host);
const f64 = (x: NDArray) => ({ shape: x.shape as number[], dtype: 'float64', data: flat(x) });
type Layer = gluon.Block & { weight: gluon.Parameter; bias: gluon.Parameter };

function mlp(): gluon.nn.Sequential {
  const net = new nn.Sequential();
  net.add(new nn.Dense(8, { activation: 'relu' }));
  net.add(new nn.Dense(1));
  return net;
}

describe("models/d2l: the builders' guide and weight decay", () => {
  before(() => random.seed(41));

  it('parameter access: net[1].params, collect_params(".*weight"), nested blocks, force_reinit, explicit and custom initializers', () => {
    const net = mlp();
    net.initialize();
    const X = np.random.uniform({ size: [2, 4] });
    assert.deepEqual((net.call(X) as NDArray).shape, [2, 1]);
    const out = net.get(1) as Layer;
    assert.equal(String(out.bias), 'Parameter bias (shape=[1], dtype=float32)');
    assert.deepEqual(flat(out.bias.data()), [0]);
    assert.deepEqual(net.collectParams('.*weight').keys(), ['0.weight', '1.weight']);
    assert.match(String(out.collectParams()), /^ParameterDict \(\n {2}weight: Parameter weight \(shape=\[1, 8\], dtype=float32\)\n {2}bias: /);
    // force_reinit with Normal(sigma=0.01), Constant(1), then one weight by Xavier, one layer by Constant(42)
    net.initialize(new init.Normal({ sigma: 0.01 }), { forceReinit: true });
    assert.ok(flat((net.get(0) as Layer).weight.data()).every((v) => Math.abs(v) < 0.05));
    net.initialize(new init.Constant(1), { forceReinit: true });
    assert.deepEqual(flat((net.get(0) as Layer).weight.data()), new Array(32).fill(1));
    (net.get(0) as Layer).weight.initialize(new init.Xavier(), { forceReinit: true });
    const bound = Math.sqrt(3 / ((4 + 8) / 2));
    assert.ok(flat((net.get(0) as Layer).weight.data()).every((v) => Math.abs(v) <= bound && v !== 1));
    net.get(1).initialize(new init.Constant(42), { forceReinit: true });
    assert.deepEqual(flat(out.weight.data()), new Array(8).fill(42));
    const my = new MyInit();
    net.initialize(my, { forceReinit: true });
    assert.deepEqual(my.seen, [['weight', [8, 4]], ['weight', [1, 8]]]);
    assert.ok(flat((net.get(0) as Layer).weight.data()).every((v) => v === 0 || (Math.abs(v) >= 5 && Math.abs(v) < 10)));
    // Nested blocks: rgnet[0][1][0].bias
    const block1 = () => { const b = new nn.Sequential(); b.add(new nn.Dense(32, { activation: 'relu' }), new nn.Dense(16, { activation: 'relu' })); return b; };
    const block2 = () => { const b = new nn.Sequential(); for (let i = 0; i < 4; i++) b.add(block1()); return b; };
    const rgnet = new nn.Sequential();
    rgnet.add(block2(), new nn.Dense(10));
    rgnet.initialize();
    assert.deepEqual((rgnet.call(X) as NDArray).shape, [2, 10]);
    assert.deepEqual(((rgnet.get(0) as gluon.nn.Sequential).get(1) as gluon.nn.Sequential).get(0).collectParams().get('bias').shape, [32]);
  });

  it("deferred initialization: shapes unknown (0) until the first call, MyInit runs then; a known in_units initializes at once", () => {
    const net = new nn.Sequential();
    net.add(new nn.Dense(256, { activation: 'relu' }), new nn.Dense(10));
    assert.deepEqual(net.collectParams().values().map((p) => p.shape), [[256, 0], [256], [10, 0], [10]]);
    const my = new MyInit();
    net.initialize(my);
    assert.deepEqual(my.seen, [], 'nothing drawn before the first forward');
    assert.throws(() => (net.get(0) as Layer).weight.data(), /has not been initialized yet/);
    net.call(np.random.uniform({ size: [2, 20] }));
    assert.deepEqual(my.seen, [['weight', [256, 20]], ['weight', [10, 256]]]);
    const eager = new nn.Dense(8, { inUnits: 4 });
    const my2 = new MyInit();
    eager.initialize(my2);
    assert.deepEqual(my2.seen, [['weight', [8, 4]]]);
  });

  it("tied parameters: the shared layer's weight is one array, and a change is seen by both", () => {
    const shared = new nn.Dense(8, { activation: 'relu' });
    const net = new nn.Sequential();
    net.add(new nn.Dense(8, { activation: 'relu' }), shared, new nn.Dense(8, { activation: 'relu' }).shareParameters(shared.collectParams()), new nn.Dense(10));
    net.initialize();
    net.call(np.random.uniform({ size: [2, 20] }));
    const [w1, w2] = [(net.get(1) as Layer).weight, (net.get(2) as Layer).weight];
    assert.deepEqual(flat(w1.data().at(0)), flat(w2.data().at(0)));
    w1.setData(w1.data().add(100));
    assert.deepEqual(flat(w1.data().at(0)), flat(w2.data().at(0)));
  });

  it('file I/O: npx.save of an array, a list and a dict; save_parameters / load_parameters give the same outputs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2l-io-'));
    const file = (n: string) => path.join(dir, n);
    const x = np.arange(4);
    npx.save(file('x-file'), x);
    assert.deepEqual(flat(npx.load(file('x-file')) as NDArray), [0, 1, 2, 3]);
    const y = np.zeros(4);
    npx.save(file('x-files'), [x, y]);
    const [x2, y2] = npx.load(file('x-files')) as NDArray[];
    assert.deepEqual([flat(x2!), flat(y2!)], [[0, 1, 2, 3], [0, 0, 0, 0]]);
    npx.save(file('mydict'), { x, y });
    assert.deepEqual(Object.keys(npx.load(file('mydict'))), ['x', 'y']);
    class MLP extends nn.Block {
      hidden = new nn.Dense(256, { activation: 'relu' });
      output = new nn.Dense(10);
      override forward(v: NDArray) {
        return this.output.call(this.hidden.call(v));
      }
    }
    const net = new MLP();
    net.initialize();
    const X = np.random.uniform({ size: [2, 20] });
    const Y = net.call(X) as NDArray;
    net.saveParameters(file('mlp.params'));
    const clone = new MLP();
    clone.loadParameters(file('mlp.params'));
    assert.deepEqual(flat(np.equal(clone.call(X) as NDArray, Y).astype('float32')), new Array(20).fill(1));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("linear regression from scratch: d2l's sgd (param[:] = param - lr * param.grad / batch_size, as copyto) against numpy", () => {
    const X = np.random.normal(0, 1, [40, 2]);
    const y = np.dot(X, np.array([2, -3.4])).add(4.2).reshape(-1, 1);
    const w = np.random.normal(0, 0.01, [2, 1]);
    const b = np.zeros(1);
    const [w0, b0] = [w.copy(), b.copy()];
    w.attachGrad();
    b.attachGrad();
    const linreg = (Xb: NDArray) => np.dot(Xb, w).add(b);
    const squaredLoss = (yHat: NDArray, yb: NDArray) => yHat.sub(yb.reshape(yHat.shape)).square().div(2);
    const sgd = (params: NDArray[], lr: number, batchSize: number) => {
      for (const param of params) param.sub(param.grad.mul(lr).div(batchSize)).copyto(param);
    };
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let i = 0; i < 40; i += 10) {
        const [Xb, yb] = [X.slice({ begin: [i], end: [i + 10] }), y.slice({ begin: [i], end: [i + 10] })];
        autograd.record(() => squaredLoss(linreg(Xb), yb)).backward();
        sgd([w, b], 0.03, 10);
      }
    }
    const [r] = numpyRefs([{
      code: `
w, bb = c.copy(), d.copy()
for epoch in range(2):
    for i in range(0, 40, 10):
        Xb, yb = a[i:i + 10], b[i:i + 10]
        err = Xb @ w + bb - yb
        w, bb = w - 0.03 * (Xb.T @ err) / 10, bb - 0.03 * err.sum(axis=0) / 10
out = [w, bb]`,
      inputs: [X, y, w0, b0].map(f64),
    }]);
    assert.ok(!r!.error, r!.error);
    assertClose(flat(w), r!.outs[0]!.data as number[], 'w after 2 epochs', 1e-4, 1e-5);
    assertClose(flat(b), r!.outs[1]!.data as number[], 'b after 2 epochs', 1e-4, 1e-5);
  });

  it("concise weight decay: one step is MXNet's SGD with wd on the weight and none on the bias (wd_mult 0); a larger wd gives a smaller weight", () => {
    const X = np.random.normal(0, 1, [8, 20]);
    const y = np.random.normal(0, 1, [8, 1]);
    random.seed(7);
    const untrained = trainConcise(3, X, y, 0).net;
    untrained.call(X); // the deferred weight is drawn at the first forward, as in the training run
    const before = untrained.get(0) as Layer;
    random.seed(7);
    const after = trainConcise(3, X, y, 1).net.get(0) as Layer;
    const [r] = numpyRefs([{
      code: `
err = a @ c.T + d - b                     # L2Loss = (yhat - y)^2 / 2 per sample
gw = err.T @ a / a.shape[0]
gb = err.sum(axis=0) / a.shape[0]
out = [c - 0.003 * (gw + 3 * c), d - 0.003 * gb]`,
      inputs: [X, y, before.weight.data(), before.bias.data()].map(f64),
    }]);
    assert.ok(!r!.error, r!.error);
    assertClose(flat(after.weight.data()), r!.outs[0]!.data as number[], 'weight after one step', 1e-5, 1e-6);
    assertClose(flat(after.bias.data()), r!.outs[1]!.data as number[], 'bias after one step (no decay)', 1e-5, 1e-6);
    const norm = (wd: number) => {
      random.seed(7);
      const w = flat((trainConcise(wd, X, y, 40, 0.05).net.get(0) as Layer).weight.data());
      return Math.hypot(...w);
    };
    assert.ok(norm(3) < norm(0) * 0.5, `weight norm with wd 3: ${norm(3)}, without: ${norm(0)}`);
  });
});
