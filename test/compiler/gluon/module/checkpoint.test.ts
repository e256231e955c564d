/**
 * model.loadCheckpoint / saveCheckpoint, Module.saveCheckpoint / Module.load
 * (compiler/gluon/module/checkpoint.ts) and the callbacks (callback.ts):
 * the files are MXNet's (names read back by a python reader written from
 * MXNet's C++ layout, not gluonc's), a checkpoint read back predicts what
 * the saved module predicted, and the model-zoo inference recipe runs on a
 * symbol file and parameters written by gluonc's MXNet writer (BatchNorm's
 * moving statistics as aux params), equal to the block that wrote them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, callback, gluon, init, io, mod, model, nd, random, sym } from 'gluonc';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';
import { assertClose } from '../../../helpers/compare.js';
import { PY_READ_MXNET, python } from '../../../helpers/mxnet-python.js';

const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>);
const quiet = { info: () => {} };

function mlp() {
  const data = sym.var('data');
  const fc1 = sym.FullyConnected(data, { numHidden: 6, name: 'fc1' });
  return sym.SoftmaxOutput(sym.FullyConnected(sym.Activation(fc1, { actType: 'tanh' }), { numHidden: 3, name: 'fc2' }), { name: 'softmax' });
}

describe('model checkpoints and mod callbacks', () => {
  let dir = '';
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-ckpt-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  random.seed(5);
  const x = nd.random.uniform(-1, 1, [25, 4]);
  const y = nd.array(Array.from({ length: 25 }, (_v, i) => i % 3));

  it('saveCheckpoint writes MXNet\'s files; Module.load and loadCheckpoint give back the parameters and the predictions', () => {
    const m = new mod.Module(mlp(), { logger: quiet });
    const it = new io.NDArrayIter(x, y, { batchSize: 5 });
    m.fit(it, { optimizerParams: { learning_rate: 0.5, momentum: 0.9 }, numEpoch: 2, initializer: new init.Xavier() });
    const prefix = path.join(dir, 'mlp');
    m.saveCheckpoint(prefix, 2, true);
    assert.ok(fs.existsSync(`${prefix}-0002.states`));
    const file = python(PY_READ_MXNET, `${prefix}-0002.params`);
    assert.deepEqual(file.names, ['arg:fc1_weight', 'arg:fc1_bias', 'arg:fc2_weight', 'arg:fc2_bias']);
    const json = JSON.parse(fs.readFileSync(`${prefix}-symbol.json`, 'utf8')) as { nodes: { op: string; name: string; attrs?: Record<string, string> }[]; heads: number[][] };
    const head = json.nodes[json.heads[0]![0]!]!;
    assert.equal(head.op, 'SoftmaxOutput');
    assert.equal(head.attrs?.normalization, 'null');
    assert.ok(json.nodes.some((n) => n.op === 'null' && n.name === 'softmax_label'));
    const [arg] = m.getParams();
    const [symbol, arg2, aux2] = model.loadCheckpoint(prefix, 2);
    assert.deepEqual((symbol as sym.Symbol).listArguments(), ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias', 'softmax_label']);
    assert.deepEqual(Object.keys(aux2), []);
    for (const k of Object.keys(arg)) assert.deepEqual(flat(arg2[k]!), flat(arg[k]!), k);
    const back = mod.Module.load(prefix, 2, { logger: quiet });
    back.bind({ dataShapes: [['data', [5, 4]]], forTraining: false });
    const want = m.predict(it) as NDArray;
    assertClose(flat(back.predict(it) as NDArray), flat(want), 'predict after load', 1e-6, 1e-7);
    // save_params / load_params: MXNet's arg:/aux: file.
    back.saveParams(path.join(dir, 'p.params'));
    assert.deepEqual(python(PY_READ_MXNET, path.join(dir, 'p.params')).names, ['arg:fc1_weight', 'arg:fc1_bias', 'arg:fc2_weight', 'arg:fc2_bias']);
    const fresh = new mod.Module(mlp(), { logger: quiet });
    fresh.bind({ dataShapes: [['data', [5, 4]]], forTraining: false });
    fresh.loadParams(path.join(dir, 'p.params'));
    assertClose(flat(fresh.predict(it) as NDArray), flat(want), 'predict after loadParams', 1e-6, 1e-7);
    // MXNet's classic recipe on a training checkpoint: label_names=None makes softmax_label a parameter, initialized (allow_missing); the head ignores it.
    const [s3, a3, x3] = model.loadCheckpoint(prefix, 2);
    const rec = new mod.Module(s3, { labelNames: null, logger: quiet });
    rec.bind({ forTraining: false, dataShapes: [['data', [5, 4]]] });
    rec.setParams(a3, x3, { allowMissing: true });
    assertClose(flat(rec.predict(it) as NDArray), flat(want), 'the recipe on a training checkpoint', 1e-6, 1e-7);
    // The loaded symbol trains too: its label is the head's.
    const again = mod.Module.load(prefix, 2, { logger: quiet });
    assert.throws(() => again.fit(it, { optimizerParams: { learning_rate: 0.5 }, numEpoch: 1 }), /Module.fit: the training data gave no batch in epoch 0 \(an exhausted iterator/);
    it.reset();
    again.fit(it, { optimizerParams: { learning_rate: 0.5 }, numEpoch: 1, forceRebind: true });
    assert.notDeepEqual(flat(again.getParams()[0].fc2_weight!), flat(arg.fc2_weight!));
    // With the optimizer states (momentum), training goes on exactly as the saved module's would.
    const resumed = mod.Module.load(prefix, 2, true, { logger: quiet });
    it.reset();
    resumed.fit(it, { optimizerParams: { learning_rate: 0.5, momentum: 0.9 }, numEpoch: 1 });
    it.reset();
    m.fit(it, { optimizerParams: { learning_rate: 0.5, momentum: 0.9 }, numEpoch: 1 });
    for (const [k, v] of Object.entries(m.getParams()[0])) assertClose(flat(resumed.getParams()[0][k]!), flat(v), `${k} resumed with the optimizer states`, 1e-6, 1e-7);
  });

  it('the model-zoo inference recipe on files written by net.export(prefix, { format: \'mxnet\' }), with BatchNorm\'s aux params', () => {
    const net = new gluon.nn.HybridSequential();
    net.add(new gluon.nn.Dense(8, { activation: 'relu' }), new gluon.nn.BatchNorm(), new gluon.nn.Dense(3));
    net.initialize(new init.Xavier());
    net.hybridize();
    // Move the moving statistics away from 0 / 1 with training forwards.
    for (let i = 0; i < 3; i++) autograd.record(() => net.call(x));
    const xb = x.sliceAxis(0, 0, 2);
    const want = net.call(xb) as NDArray;
    const { symbolFile } = net.export(path.join(dir, 'zoo'), { format: 'mxnet', epoch: 0 }) as { symbolFile: string };
    assert.ok(symbolFile.endsWith('zoo-symbol.json'));
    const [symbol, argParams, auxParams] = model.loadCheckpoint(path.join(dir, 'zoo'), 0);
    assert.deepEqual(Object.keys(auxParams).map((k) => k.replace(/^.*batchnorm\d+_/, '')), ['running_mean', 'running_var']);
    const m = new mod.Module(symbol, { context: 'cpu', labelNames: null, logger: quiet });
    m.bind({ forTraining: false, dataShapes: [['data', [2, 4]]] });
    m.setParams(argParams, auxParams, { allowMissing: true });
    m.forward({ data: [xb] });
    const prob = m.getOutputs()[0]!;
    assertClose(flat(prob), flat(want), 'Module forward vs the exporting block', 1e-5, 1e-6);
  });

  it('doCheckpoint saves every period epochs; Speedometer logs MXNet\'s line', () => {
    const lines: string[] = [];
    const prefix = path.join(dir, 'cb');
    const m = new mod.Module(mlp(), { logger: quiet });
    m.fit(new io.NDArrayIter(x, y, { batchSize: 5 }), {
      optimizerParams: { learning_rate: 0.1 }, numEpoch: 3,
      epochEndCallback: callback.doCheckpoint(prefix, 2),
      batchEndCallback: callback.Speedometer(5, 2, true, (s) => lines.push(s)),
    });
    assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('cb-')).sort(), ['cb-0002.params', 'cb-symbol.json']);
    // nbatch 0 starts the clock; 2 and 4 report, each epoch.
    assert.equal(lines.length, 6);
    assert.match(lines[0]!, /^Epoch\[0\] Batch \[0-2\]\tSpeed: (\d+\.\d{2}|inf) samples\/sec\taccuracy=\d\.\d{6}$/);
  });

  it('Errors name the file, the epoch, or the input whose shape is unknown', () => {
    assert.throws(() => model.loadCheckpoint(path.join(dir, 'nothing'), 0), /model.loadCheckpoint: cannot read '.*nothing-symbol.json'/);
    assert.throws(() => model.loadCheckpoint(path.join(dir, 'mlp'), -1), /epoch must be a whole number 0 or more/);
    const data = sym.var('x');
    const net = sym.FullyConnected(data, { numHidden: 2, name: 'fresh' });
    assert.throws(() => model.saveCheckpoint(path.join(dir, 'u'), 0, net, { fresh_weight: nd.ones([2, 3]), fresh_bias: nd.zeros([2]) }), /the shape of input\(s\) 'x' is unknown; bind a Module on this symbol first, or declare it/);
    model.saveCheckpoint(path.join(dir, 'u'), 0, sym.FullyConnected(sym.var('x', { shape: [1, 3] }), { numHidden: 2, name: 'fresh' }), { fresh_weight: nd.ones([2, 3]), fresh_bias: nd.zeros([2]) });
    assert.deepEqual(python(PY_READ_MXNET, path.join(dir, 'u-0000.params')).names, ['arg:fresh_weight', 'arg:fresh_bias']);
  });
});
