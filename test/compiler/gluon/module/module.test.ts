/**
 * mod.Module (compiler/gluon/module/module.ts): an MLP trained with `fit`
 * against PyTorch doing the same SGD (float64, from the same initial
 * weights: momentum, weight decay on the weights only, the gradient
 * rescaled by 1 / batch as Module sets rescale_grad), the
 * forward/backward/update loop equal to `fit`, score/predict (padding
 * merged away), a training symbol read by SymbolBlock with its label as an
 * input giving PyTorch's cross-entropy gradients, and the Errors of calls
 * out of order or of names the symbol does not have.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, io, mod, nd, profiler, random, sym } from 'gluonc';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';
import { assertClose } from '../../../helpers/compare.js';
import { numpyRefs } from '../../../helpers/numpy.js';
import { runPython } from '../../../helpers/python-server.js';

const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>);

function mlp() {
  const data = sym.var('data');
  const fc1 = sym.FullyConnected(data, { numHidden: 8, name: 'fc1' });
  const fc2 = sym.FullyConnected(sym.Activation(fc1, { actType: 'relu' }), { numHidden: 3, name: 'fc2' });
  return sym.SoftmaxOutput(fc2, { name: 'softmax' });
}

/** PyTorch's SGD on the same MLP (float64): cross entropy averaged over the batch is MXNet's rescale_grad = 1/batch; weight decay on the weights only. */
const TORCH_SGD = String.raw`
import json, sys, torch
a = json.load(sys.stdin)
t = lambda k: torch.tensor(a['init'][k], dtype=torch.float64).reshape(a['shapes'][k]).requires_grad_(True)
w1, b1, w2, b2 = t('fc1_weight'), t('fc1_bias'), t('fc2_weight'), t('fc2_bias')
X = torch.tensor(a['x'], dtype=torch.float64).reshape(-1, a['in'])
Y = torch.tensor(a['y'], dtype=torch.int64)
opt = torch.optim.SGD([{'params': [w1, w2], 'weight_decay': a['wd']}, {'params': [b1, b2], 'weight_decay': 0.0}], lr=a['lr'], momentum=a['momentum'])
B = a['batch']
for epoch in range(a['epochs']):
    for i in range(0, X.shape[0], B):
        opt.zero_grad()
        h = torch.relu(X[i:i+B] @ w1.T + b1)
        loss = torch.nn.functional.cross_entropy(h @ w2.T + b2, Y[i:i+B], reduction='mean')
        loss.backward(); opt.step()
print(json.dumps({k: v.detach().reshape(-1).tolist() for k, v in [('fc1_weight', w1), ('fc1_bias', b1), ('fc2_weight', w2), ('fc2_bias', b2)]}))
`;

function torch(script: string, input: unknown): Record<string, number[]> {
  const r = runPython(script, { input: JSON.stringify(input) });
  assert.equal(r.status, 0, `python3/torch failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, number[]>;
}

const quiet = { info: () => {} };

describe('mod.Module', () => {
  random.seed(11);
  const x = nd.random.uniform(-1, 1, [40, 5]);
  const y = nd.array(Array.from({ length: 40 }, (_v, i) => (i * 7) % 3));
  const init: Record<string, NDArray> = {
    fc1_weight: nd.random.uniform(-0.5, 0.5, [8, 5]), fc1_bias: nd.random.uniform(-0.1, 0.1, [8]),
    fc2_weight: nd.random.uniform(-0.5, 0.5, [3, 8]), fc2_bias: nd.random.uniform(-0.1, 0.1, [3]),
  };
  const hyper = { learning_rate: 0.1, momentum: 0.9, wd: 0.01 };

  it('fit trains an MLP as PyTorch does the same SGD from the same weights (rescale_grad 1/batch, wd on weights only)', () => {
    const lines: string[] = [];
    const m = new mod.Module(mlp(), { dataNames: ['data'], labelNames: ['softmax_label'], logger: { info: (s) => lines.push(s) } });
    const it = new io.NDArrayIter(x, y, { batchSize: 10 });
    m.fit(it, { optimizer: 'sgd', optimizerParams: hyper, argParams: init, evalMetric: 'acc', numEpoch: 3, kvstore: 'local' });
    const [arg] = m.getParams();
    const ref = torch(TORCH_SGD, {
      init: Object.fromEntries(Object.entries(init).map(([k, v]) => [k, flat(v)])), shapes: Object.fromEntries(Object.entries(init).map(([k, v]) => [k, v.shape])),
      x: flat(x), y: flat(y), in: 5, batch: 10, epochs: 3, lr: 0.1, momentum: 0.9, wd: 0.01,
    });
    for (const k of Object.keys(init)) assertClose(flat(arg[k]!), ref[k]!, `${k} after 3 epochs of fit vs PyTorch`, 1e-4, 1e-5);
    assert.ok(Math.abs(flat(arg.fc1_weight!)[0]! - flat(init.fc1_weight!)[0]!) > 1e-4, 'the weights moved');
    assert.match(lines[0]!, /^Epoch\[0\] Train-accuracy=\d\.\d{6}$/);
    assert.match(lines[1]!, /^Epoch\[0\] Time cost=\d+\.\d{3}$/);
  });

  it('forward/backward/update by hand equals fit; the step runs as one compiled session per batch', () => {
    const a = new mod.Module(mlp(), { logger: quiet });
    a.fit(new io.NDArrayIter(x, y, { batchSize: 10 }), { optimizerParams: hyper, argParams: init, numEpoch: 1 });
    const b = new mod.Module(mlp(), { logger: quiet });
    const it = new io.NDArrayIter(x, y, { batchSize: 10 });
    b.bind({ dataShapes: it.provideData, labelShapes: it.provideLabel });
    b.initParams({ argParams: init });
    b.initOptimizer({ optimizer: 'sgd', optimizerParams: hyper });
    const acc = new gluon.metric.Accuracy();
    let runs = 0;
    let batches = 0;
    for (const batch of it) {
      const before = profiler.counters().sessionRuns;
      b.forward(batch, { isTrain: true });
      b.backward();
      b.update();
      b.updateMetric(acc, batch.label);
      if (batches > 0) runs = Math.max(runs, profiler.counters().sessionRuns - before);
      batches++;
    }
    const [pa] = a.getParams();
    const [pb] = b.getParams();
    for (const k of Object.keys(init)) assertClose(flat(pb[k]!), flat(pa[k]!), `${k}: loop vs fit`, 1e-6, 1e-7);
    assert.equal(batches, 4);
    assert.equal(runs, 1, 'forward, backward and update run as one session');
    assert.ok(acc.get()[1] as number >= 0);
  });

  it('score and predict: inference outputs, the last batch\'s padding merged away', () => {
    const m = new mod.Module(mlp(), { logger: quiet });
    const it = new io.NDArrayIter(x.sliceAxis(0, 0, 35), y.sliceAxis(0, 0, 35), { batchSize: 10 });
    m.bind({ dataShapes: it.provideData, labelShapes: it.provideLabel });
    m.initParams({ argParams: init });
    const p = m.predict(it) as NDArray;
    assert.deepEqual(p.shape, [35, 3]);
    // Reference: softmax(relu(x W1^T + b1) W2^T + b2) in float64 numpy-free arithmetic.
    const X = flat(x);
    const W1 = flat(init.fc1_weight!), B1 = flat(init.fc1_bias!), W2 = flat(init.fc2_weight!), B2 = flat(init.fc2_bias!);
    const expect: number[] = [];
    for (let n = 0; n < 35; n++) {
      const h = Array.from({ length: 8 }, (_v, j) => Math.max(0, B1[j]! + [0, 1, 2, 3, 4].reduce((s, k) => s + X[n * 5 + k]! * W1[j * 5 + k]!, 0)));
      const z = Array.from({ length: 3 }, (_v, c) => B2[c]! + h.reduce((s, v, j) => s + v * W2[c * 8 + j]!, 0));
      const mx = Math.max(...z);
      const e = z.map((v) => Math.exp(v - mx));
      const sum = e.reduce((s, v) => s + v, 0);
      expect.push(...e.map((v) => v / sum));
    }
    assertClose(flat(p), expect, 'predict vs float64 forward', 1e-4, 1e-6);
    const [[name, acc]] = m.score(it, 'acc');
    assert.equal(name, 'accuracy');
    // Padded samples count in score, as in MXNet: 40 predictions (35 + 5 repeated from the start).
    const argmax = (i: number) => [0, 1, 2].reduce((b, c) => (expect[i * 3 + c]! > expect[i * 3 + b]! ? c : b), 0);
    const ys = flat(y);
    const rows = [...Array.from({ length: 35 }, (_v, i) => i), 0, 1, 2, 3, 4];
    assert.equal(acc, rows.filter((i) => argmax(i) === ys[i]).length / 40);
  });

  it('a training symbol read by SymbolBlock with its label as an input gives the cross-entropy gradients (PyTorch)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-module-'));
    const m = new mod.Module(mlp(), { logger: quiet });
    m.bind({ dataShapes: [['data', [10, 5]]], labelShapes: [['softmax_label', [10]]] });
    m.initParams({ argParams: init });
    m.saveCheckpoint(path.join(dir, 'mlp'), 0);
    const net = gluon.SymbolBlock.imports(path.join(dir, 'mlp-symbol.json'), ['data', 'softmax_label'], path.join(dir, 'mlp-0000.params'));
    net.hybridize();
    const xb = x.sliceAxis(0, 0, 10);
    const yb = y.sliceAxis(0, 0, 10);
    autograd.record(() => net.call(xb, yb) as NDArray).backward();
    const grads = torch(String.raw`
import json, sys, torch
a = json.load(sys.stdin)
p = {k: torch.tensor(v, dtype=torch.float64).reshape(a['shapes'][k]).requires_grad_(True) for k, v in a['init'].items()}
X = torch.tensor(a['x'], dtype=torch.float64).reshape(10, 5); Y = torch.tensor(a['y'], dtype=torch.int64)
z = torch.relu(X @ p['fc1_weight'].T + p['fc1_bias']) @ p['fc2_weight'].T + p['fc2_bias']
torch.nn.functional.cross_entropy(z, Y, reduction='sum').backward()
print(json.dumps({k: v.grad.reshape(-1).tolist() for k, v in p.items()}))`, {
      init: Object.fromEntries(Object.entries(init).map(([k, v]) => [k, flat(v)])), shapes: Object.fromEntries(Object.entries(init).map(([k, v]) => [k, v.shape])), x: flat(xb), y: flat(yb),
    });
    const params = net.collectParams();
    for (const k of Object.keys(init)) assertClose(flat(params.get(k).grad()), grads[k]!, `${k} gradient vs PyTorch`, 1e-4, 1e-6);
    // Read without the label as an input, the head is its inference view, as before.
    const inf = gluon.SymbolBlock.imports(path.join(dir, 'mlp-symbol.json'), ['data'], path.join(dir, 'mlp-0000.params'));
    assertClose(flat(inf.call(xb) as NDArray), flat(m.predict(new io.NDArrayIter(xb, yb, { batchSize: 10 })) as NDArray), 'inference view', 1e-6, 1e-7);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('LinearRegressionOutput trains with grad_scale / num_output * (out - label) and rescale 1/batch; MakeLoss without a label (the given label name only warns)', () => {
    const data = sym.var('data');
    const lro = sym.LinearRegressionOutput(sym.FullyConnected(data, { numHidden: 2, name: 'fc' }), { name: 'lro', gradScale: 3 });
    const w = nd.random.uniform(-1, 1, [2, 5]);
    const b = nd.random.uniform(-1, 1, [2]);
    const target = nd.random.uniform(-1, 1, [40, 2]);
    const m = new mod.Module(lro, { labelNames: ['lro_label'], logger: quiet });
    const it = new io.NDArrayIter(x, target, { batchSize: 8, labelName: 'lro_label' });
    m.fit(it, { optimizerParams: { learning_rate: 0.2 }, argParams: { fc_weight: w, fc_bias: b }, evalMetric: 'mse', numEpoch: 1 });
    const [r] = numpyRefs([{
      inputs: [x, target, w, b].map((t) => ({ shape: t.shape, dtype: 'float64', data: flat(t) })),
      code: `
W = c.copy(); B = d.copy()
for i in range(0, 40, 8):
    X = a[i:i+8]; Y = b[i:i+8]
    G = 3.0 / 2 * (X @ W.T + B - Y) / 8
    W = W - 0.2 * G.T @ X; B = B - 0.2 * G.sum(0)
out = [W, B]`,
    }]);
    const [arg] = m.getParams();
    assertClose(flat(arg.fc_weight!), r!.outs[0]!.data as number[], 'fc_weight after one epoch', 1e-4, 1e-6);
    assertClose(flat(arg.fc_bias!), r!.outs[1]!.data as number[], 'fc_bias after one epoch', 1e-4, 1e-6);

    const warnings: string[] = [];
    const onWarn = (w: Error) => warnings.push(w.message);
    process.on('warning', onWarn);
    const loss = sym.MakeLoss(sym.sum(sym.square(sym.FullyConnected(data, { numHidden: 1, name: 'ml' }))));
    const ml = new mod.Module(loss, { logger: quiet });
    ml.fit(new io.NDArrayIter(x, y, { batchSize: 10 }), { optimizerParams: { learning_rate: 0.01 }, evalMetric: 'loss', numEpoch: 1 });
    return new Promise<void>((done) => setImmediate(() => {
      process.off('warning', onWarn);
      assert.ok(warnings.some((m) => /input with name 'softmax_label' is not found in symbol.listArguments\(\); it is not fed/.test(m)), warnings.join('; '));
      done();
    }));
  });

  it('BatchNorm\'s moving statistics are aux params that move in fit; a group of two heads gives two outputs', () => {
    const data = sym.var('data');
    const bn = sym.BatchNorm(sym.FullyConnected(data, { numHidden: 4, name: 'fc' }), { name: 'bn', momentum: 0.5 });
    const net = sym.Group([sym.SoftmaxOutput(bn, { name: 'softmax' }), sym.MakeLoss(sym.sum(sym.square(bn), { axis: 1 }), { gradScale: 0.1 })]);
    const m = new mod.Module(net, { logger: quiet });
    assert.deepEqual(m.auxNames, ['bn_moving_mean', 'bn_moving_var']);
    m.fit(new io.NDArrayIter(x, y, { batchSize: 10 }), { optimizerParams: { learning_rate: 0.1 }, numEpoch: 1 });
    const [arg, aux] = m.getParams();
    assert.deepEqual(Object.keys(arg), ['fc_weight', 'fc_bias', 'bn_gamma', 'bn_beta']);
    assert.deepEqual(Object.keys(aux), ['bn_moving_mean', 'bn_moving_var']);
    assert.ok(flat(aux.bn_moving_mean!).some((v) => v !== 0), 'the moving mean moved');
    assert.ok(flat(aux.bn_moving_var!).some((v) => v !== 1), 'the moving variance moved');
    const outs = m.predict(new io.NDArrayIter(x, y, { batchSize: 10 })) as NDArray[];
    assert.deepEqual(outs.map((o) => o.shape), [[40, 4], [40]]);
    const scalarLoss = new mod.Module(sym.MakeLoss(sym.mean(sym.square(sym.FullyConnected(data, { numHidden: 2, name: 'f' })))), { labelNames: null, logger: quiet });
    scalarLoss.bind({ dataShapes: [['data', [10, 5]]], forTraining: false });
    scalarLoss.initParams();
    assert.throws(() => scalarLoss.predict(new io.NDArrayIter(x, y, { batchSize: 10 })), /Module.predict: output 0 has no batch axis/);
  });

  it('inputsNeedGrad: getInputGrads gives the data gradient; fixedParamNames are not updated', () => {
    const m = new mod.Module(mlp(), { fixedParamNames: ['fc1_weight'], logger: quiet });
    m.bind({ dataShapes: [['data', [10, 5]]], labelShapes: [['softmax_label', [10]]], inputsNeedGrad: true });
    m.initParams({ argParams: init });
    m.initOptimizer({ optimizerParams: { learning_rate: 1 } });
    m.forward({ data: [x.sliceAxis(0, 0, 10)], label: [y.sliceAxis(0, 0, 10)] });
    m.backward();
    m.update();
    const [g] = m.getInputGrads();
    assert.deepEqual(g!.shape, [10, 5]);
    assert.ok(flat(g!).some((v) => v !== 0));
    const [arg] = m.getParams();
    assert.deepEqual(flat(arg.fc1_weight!), flat(init.fc1_weight!), 'the fixed parameter kept its value');
    assert.notDeepEqual(flat(arg.fc2_weight!), flat(init.fc2_weight!));
  });

  it('Errors as module.py raises them: unknown data name, shapes for other names, calls out of order, a missing parameter', () => {
    assert.throws(() => new mod.Module(mlp(), { dataNames: ['x'] }), /input with name 'x' is not found in symbol.listArguments\(\). Did you mean one of:\n\tdata/);
    const m = new mod.Module(mlp(), { logger: quiet });
    assert.throws(() => m.forward({ data: [x] }), /Module.forward: bind and initParams must be called first/);
    assert.throws(() => m.initParams(), /call bind before initializing the parameters/);
    assert.throws(() => m.bind({ dataShapes: [['x', [10, 5]]], labelShapes: [['softmax_label', [10]]] }), /Data provided by dataShapes don't match names specified by dataNames \(\["x"\] vs. \["data"\]\)/);
    assert.throws(() => m.bind({ dataShapes: [['data', [10, 5]]] }), /forTraining needs labelShapes for \["softmax_label"\]/);
    assert.throws(() => m.bind({} as never), /Module.bind: dataShapes must be a list of \[name, shape\] pairs or DataDesc, got undefined/);
    assert.throws(() => m.bind({ dataShapes: [['data', [10, -5]]], labelShapes: [['softmax_label', [10]]] }), /dataShapes\[0\] must be \[name, shape\] with a shape of positive integers/);
    m.bind({ dataShapes: [['data', [10, 5]]], labelShapes: [['softmax_label', [10]]] });
    assert.throws(() => m.initParams({ argParams: { fc1_weight: init.fc1_weight! } }), /Module.initParams: fc1_bias is not presented/);
    // module.py: init_params reads only the module's own names (an extra entry is ignored); set_params with
    // allow_missing copies the dicts to the executor, whose copy_params_from refuses an extra one unless allow_extra.
    assert.throws(() => m.setParams({ ...init, fc3_weight: init.fc1_weight! }, null, { allowMissing: true }), /Module.setParams: argParams has 'fc3_weight', which is not in the arguments of the symbol/);
    assert.throws(() => m.initParams({ argParams: { ...init, fc1_weight: nd.zeros([8, 4]) } }), /argParams\['fc1_weight'\] has shape \[8, 4\], the bound symbol needs \[8, 5\]/);
    m.initParams({ argParams: { fc1_weight: init.fc1_weight! }, allowMissing: true });
    m.setParams({ ...init, fc3_weight: init.fc1_weight! }, null, { allowMissing: true, allowExtra: true });
    m.initParams({ argParams: { ...init, fc3_weight: init.fc1_weight! }, forceInit: true });
    assert.throws(() => m.backward(), /Module.backward: call forward\(batch, \{ isTrain: true \}\) first/);
    assert.throws(() => m.forward({ data: [] }), /Module.forward: the batch has 0 data array\(s\), the module takes 1 \(data\)/);
    m.forward({ data: [x.sliceAxis(0, 0, 10)], label: [y.sliceAxis(0, 0, 10)] });
    m.backward();
    assert.throws(() => m.update(), /Module.update: initOptimizer must be called first/);
    assert.throws(() => m.forward({ data: [x.sliceAxis(0, 0, 10)] }, { isTrain: true }), /training needs the labels \["softmax_label"\], and the batch has none/);
    assert.throws(() => m.fit(new io.NDArrayIter(x, y, { batchSize: 10 }), {} as never), /please specify number of epochs/);
    // A misspelt option is an Error naming it, not a default silently used (one epoch for `numEpochs`).
    assert.throws(() => m.fit(new io.NDArrayIter(x, y, { batchSize: 10 }), { numEpoch: 1, numEpochs: 3 } as never), /Module.fit: unknown option 'numEpochs'.*did you mean 'numEpoch'/);
    assert.throws(() => new mod.Module(mlp(), { dataName: ['data'] } as never), /Module: unknown option 'dataName'/);
    assert.throws(() => m.forward({ data: [x.sliceAxis(0, 0, 10)] }, { is_train: false } as never), /Module.forward: unknown option 'is_train'/);
    assert.throws(() => m.predict(new io.NDArrayIter(x, y, { batchSize: 10 }), { numBatches: 1 } as never), /Module.predict: unknown option 'numBatches'/);
  });
});
