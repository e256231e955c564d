/**
 * MXNet 1.x's fine-tuning and feature-extraction recipes on a checkpoint
 * (compiler/gluon/module/checkpoint.ts, node names through the MXNet reader
 * and writer): the checkpoint is written here by python (nnvm's JSON graph
 * as MXNet's symbolic API names it: conv0, bn0, relu0, pool0, flatten0, fc1,
 * softmax; the `.params` by PY_WRITE_MXNET, MXNet's NDArray list), and every
 * number is checked against PY_RUN_MXNET_SYMBOL, a float64 numpy/PyTorch
 * run of MXNet graphs written from MXNet's operator definitions.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gluon, init, io, mod, model, nd, random, sym } from 'gluonc';
import type { NDArray } from '../../../../compiler/engine/ndarray.js';
import { assertClose } from '../../../helpers/compare.js';
import { PY_READ_MXNET, PY_RUN_MXNET_SYMBOL, PY_WRITE_MXNET, python } from '../../../helpers/mxnet-python.js';

const flat = (x: NDArray) => Array.from(x.data() as ArrayLike<number>, Number);
const quiet = { info: () => {} };

type JsonNode = { op: string; name: string; attrs?: Record<string, string>; inputs: [number, number, number][] };

/** nnvm's JSON graph of `nodes` (ops by name, inputs by node name), heads the last node, as `sym.tojson()` writes it. */
function graphJson(spec: [string, string, Record<string, string> | null, string[]][]): unknown {
  const nodes: JsonNode[] = [];
  const at = new Map<string, number>();
  for (const [op, name, attrs, inputs] of spec) {
    nodes.push({ op, name, ...(attrs ? { attrs } : {}), inputs: inputs.map((n) => [at.get(n)!, 0, 0]) });
    at.set(name, nodes.length - 1);
  }
  return {
    nodes,
    arg_nodes: nodes.flatMap((n, i) => (n.op === 'null' ? [i] : [])),
    node_row_ptr: nodes.map((_n, i) => i).concat(nodes.length),
    heads: [[nodes.length - 1, 0, 0]],
    attrs: { mxnet_version: ['int', 10901] },
  };
}

/** The trunk up to flatten0, as MXNet's symbolic API names a resnet's layers. */
const TRUNK: [string, string, Record<string, string> | null, string[]][] = [
  ['null', 'data', null, []],
  ['null', 'conv0_weight', null, []],
  ['null', 'conv0_bias', null, []],
  ['Convolution', 'conv0', { kernel: '(3, 3)', num_filter: '2', pad: '(0, 0)', stride: '(1, 1)', no_bias: 'False' }, ['data', 'conv0_weight', 'conv0_bias']],
  ['null', 'bn0_gamma', null, []],
  ['null', 'bn0_beta', null, []],
  ['null', 'bn0_moving_mean', null, []],
  ['null', 'bn0_moving_var', null, []],
  ['BatchNorm', 'bn0', { eps: '2e-05', fix_gamma: 'False', momentum: '0.9' }, ['conv0', 'bn0_gamma', 'bn0_beta', 'bn0_moving_mean', 'bn0_moving_var']],
  ['Activation', 'relu0', { act_type: 'relu' }, ['bn0']],
  ['Pooling', 'pool0', { kernel: '(2, 2)', pool_type: 'max', stride: '(2, 2)' }, ['relu0']],
  ['Flatten', 'flatten0', null, ['pool0']],
];

function head(hidden: number, out: 'SoftmaxOutput' | 'softmax'): [string, string, Record<string, string> | null, string[]][] {
  return [
    ['null', 'fc1_weight', null, []],
    ['null', 'fc1_bias', null, []],
    ['FullyConnected', 'fc1', { num_hidden: String(hidden) }, ['flatten0', 'fc1_weight', 'fc1_bias']],
    ...(out === 'SoftmaxOutput'
      ? [['null', 'softmax_label', null, []], ['SoftmaxOutput', 'softmax', null, ['fc1', 'softmax_label']]] as [string, string, null, string[]][]
      : [['softmax', 'softmax', { axis: '-1' }, ['fc1']]] as [string, string, Record<string, string>, string[]][]),
  ];
}

describe('getInternals: MXNet\'s fine-tune and feature-extraction recipes on a checkpoint', () => {
  let dir = '';
  before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-internals-'))));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes `json` and `params` (name -> array) as MXNet files; returns the paths. */
  function writeFiles(name: string, json: unknown, params: Record<string, { data: number[]; shape: number[] }>): { symbol: string; params: string } {
    const symbol = path.join(dir, `${name}-symbol.json`);
    fs.writeFileSync(symbol, JSON.stringify(json, null, 2));
    const file = path.join(dir, `${name}-0000.params`);
    python(PY_WRITE_MXNET, { values: params, file });
    return { symbol, params: file };
  }
  const asJob = (d: Record<string, NDArray>, kind: string) => Object.fromEntries(Object.entries(d).map(([k, v]) => [`${kind}:${k}`, { data: flat(v), shape: v.shape }]));
  /** The python float64 run of `spec` with `arg`/`aux` on `x`. */
  function reference(name: string, spec: typeof TRUNK, arg: Record<string, NDArray>, aux: Record<string, NDArray>, x: NDArray): { shape: number[]; data: number[] } {
    const files = writeFiles(name, graphJson(spec), { ...asJob(arg, 'arg'), ...asJob(aux, 'aux') });
    return python(PY_RUN_MXNET_SYMBOL, { symbol: files.symbol, params: files.params, inputs: { data: { shape: x.shape, data: flat(x) } } }).outs[0];
  }

  random.seed(11);
  const rnd = (shape: number[], lo = -1, hi = 1) => nd.random.uniform(lo, hi, shape);
  // The checkpoint's parameters (MXNet's arg:/aux:), every aux: last as save_checkpoint writes them.
  const ckptArg: Record<string, NDArray> = {
    conv0_weight: rnd([2, 1, 3, 3]), conv0_bias: rnd([2]), bn0_gamma: rnd([2], 0.5, 1.5), bn0_beta: rnd([2]),
    fc1_weight: rnd([3, 8]), fc1_bias: rnd([3]),
  };
  const ckptAux: Record<string, NDArray> = { bn0_moving_mean: rnd([2], -0.2, 0.2), bn0_moving_var: rnd([2], 0.5, 2) };
  const x = rnd([16, 1, 6, 6]);
  const y = nd.array(Array.from({ length: 16 }, (_v, i) => i % 2));

  function writeCheckpoint(): string {
    const prefix = path.join(dir, 'resnet-mini');
    const files = writeFiles('resnet-mini', graphJson([...TRUNK, ...head(3, 'SoftmaxOutput')]), { ...asJob(ckptArg, 'arg'), ...asJob(ckptAux, 'aux') });
    assert.equal(python(PY_READ_MXNET, files.params).names.at(-1), 'aux:bn0_moving_var');
    return prefix;
  }

  it('loadCheckpoint keeps MXNet\'s node names: getInternals lists them as the tutorial prints them', () => {
    const [symbol] = model.loadCheckpoint(writeCheckpoint(), 0);
    const s = symbol as sym.Symbol;
    assert.equal(s.name, 'softmax');
    assert.deepEqual(s.listOutputs(), ['softmax_output']);
    const all = s.getInternals();
    assert.deepEqual(all.listOutputs(), [
      'data', 'conv0_weight', 'conv0_bias', 'conv0_output', 'bn0_gamma', 'bn0_beta', 'bn0_moving_mean', 'bn0_moving_var', 'bn0_output',
      'relu0_output', 'pool0_output', 'flatten0_output', 'fc1_weight', 'fc1_bias', 'fc1_output', 'softmax_label', 'softmax_output',
    ]);
    assert.deepEqual(all.get('flatten0_output').listArguments(), ['data', 'conv0_weight', 'conv0_bias', 'bn0_gamma', 'bn0_beta', 'bn0_moving_mean', 'bn0_moving_var']);
  });

  it('fine-tune: cut at flatten0_output, a new fc1 + SoftmaxOutput, Module.fit from the loaded weights; forward equals the float64 reference', () => {
    const [symbol, argParams, auxParams] = model.loadCheckpoint(writeCheckpoint(), 0);
    const allLayers = (symbol as sym.Symbol).getInternals();
    let net = allLayers.get('flatten0_output');
    net = sym.FullyConnected(net, { numHidden: 2, name: 'fc1' });
    net = sym.SoftmaxOutput(net, { name: 'softmax' });
    const newArgs = Object.fromEntries(Object.entries(argParams).filter(([k]) => !k.includes('fc1')));
    assert.deepEqual(net.listArguments(), ['data', 'conv0_weight', 'conv0_bias', 'bn0_gamma', 'bn0_beta', 'bn0_moving_mean', 'bn0_moving_var', 'fc1_weight', 'fc1_bias', 'softmax_label']);
    const xavier = () => new init.Xavier({ rndType: 'gaussian', factorType: 'in', magnitude: 2 });

    // Bound and initialized as fit does it: the trunk from the file, the new fc1 from the initializer.
    const m = new mod.Module(net, { logger: quiet });
    assert.deepEqual(m.outputNames, ['softmax_output']);
    m.bind({ dataShapes: [['data', [4, 1, 6, 6]]], labelShapes: [['softmax_label', [4]]] });
    m.initParams({ initializer: xavier(), argParams: newArgs, auxParams, allowMissing: true });
    let [arg, aux] = m.getParams();
    for (const k of Object.keys(newArgs)) assert.deepEqual(flat(arg[k]!), flat(ckptArg[k]!), k);
    for (const k of Object.keys(ckptAux)) assert.deepEqual(flat(aux[k]!), flat(ckptAux[k]!), k);
    assert.deepEqual(arg.fc1_weight!.shape, [2, 8]);
    const iter = new io.NDArrayIter(x, y, { batchSize: 4 });
    const spec = [...TRUNK, ...head(2, 'softmax')];
    assertClose(flat(m.predict(iter) as NDArray), reference('before', spec, arg, aux, x).data, 'the cut network before training', 1e-4, 1e-5);

    // The tutorial's fit call (kvstore accepted and ignored), a few steps.
    iter.reset();
    const ft = new mod.Module(net, { logger: quiet });
    ft.fit(iter, {
      numEpoch: 2, argParams: newArgs, auxParams, allowMissing: true, kvstore: 'device',
      optimizer: 'sgd', optimizerParams: { learning_rate: 0.01 }, initializer: xavier(), evalMetric: 'acc',
    });
    [arg, aux] = ft.getParams();
    assert.notDeepEqual(flat(arg.conv0_weight!), flat(ckptArg.conv0_weight!), 'the loaded trunk is trained too');
    assert.deepEqual(Object.keys(arg).sort(), ['bn0_beta', 'bn0_gamma', 'conv0_bias', 'conv0_weight', 'fc1_bias', 'fc1_weight']);
    iter.reset();
    const got = ft.predict(iter) as NDArray;
    assert.deepEqual(got.shape, [16, 2]);
    assertClose(flat(got), reference('after', spec, arg, aux, x).data, 'the fine-tuned network', 1e-4, 1e-5);
  });

  it('feature extraction: Module on flatten0_output, labelNames null, setParams with the whole checkpoint', () => {
    const [symbol, argParams, auxParams] = model.loadCheckpoint(writeCheckpoint(), 0);
    const feSym = (symbol as sym.Symbol).getInternals().get('flatten0_output');
    const fe = new mod.Module(feSym, { labelNames: null, logger: quiet });
    fe.bind({ forTraining: false, dataShapes: [['data', [16, 1, 6, 6]]] });
    // fc1_weight / fc1_bias are past the cut: module.py's init_params reads only the module's own names.
    fe.setParams(argParams, auxParams);
    fe.forward({ data: [x] });
    const out = fe.getOutputs()[0] as NDArray;
    assert.deepEqual(out.shape, [16, 8]);
    assertClose(flat(out), reference('features', TRUNK, ckptArg, ckptAux, x).data, 'flatten0_output', 1e-4, 1e-5);
    assert.throws(() => fe.setParams(argParams, auxParams, { allowMissing: true }), /Module.setParams: argParams has 'fc1_weight', which is not in the arguments of the symbol/);
  });

  it('saveCheckpoint writes the given and automatic names; loading them back keeps listOutputs', () => {
    const prefix = path.join(dir, 'named');
    const net = sym.withNameManager(() => {
      const data = sym.var('data', { shape: [4, 1, 6, 6] });
      const conv = sym.Convolution(data, { kernel: [3, 3], numFilter: 2, name: 'conv0' });
      const act = sym.Activation(conv, { actType: 'relu' });
      const fl = sym.Flatten(act);
      return sym.SoftmaxOutput(sym.FullyConnected(fl, { numHidden: 2, name: 'fc1' }), { name: 'softmax' });
    });
    const arg = { conv0_weight: rnd([2, 1, 3, 3]), conv0_bias: rnd([2]), fc1_weight: rnd([2, 32]), fc1_bias: rnd([2]) };
    model.saveCheckpoint(prefix, 0, net, arg, {});
    const json = JSON.parse(fs.readFileSync(`${prefix}-symbol.json`, 'utf8')) as { nodes: JsonNode[] };
    assert.deepEqual(json.nodes.map((n) => n.name), ['data', 'conv0_weight', 'conv0_bias', 'conv0', 'activation0', 'flatten0', 'fc1_weight', 'fc1_bias', 'fc1', 'softmax_label', 'softmax']);
    const [back] = model.loadCheckpoint(prefix, 0);
    assert.deepEqual((back as sym.Symbol).getInternals().listOutputs(), net.getInternals().listOutputs());
    // Convolution's unset stride/pad/dilate are left out, as MXNet writes only the attributes given (its defaults: 1s, no padding).
    assert.deepEqual(json.nodes[3]!.attrs && ['stride', 'pad', 'dilate'].filter((k) => k in json.nodes[3]!.attrs!), []);
    // The file runs in python's reference as MXNet runs it, equal to the loaded symbol and to the symbol that was saved.
    const x4 = x.sliceAxis(0, 0, 4);
    const run = python(PY_RUN_MXNET_SYMBOL, {
      symbol: `${prefix}-symbol.json`, params: `${prefix}-0000.params`, inputs: { data: { shape: [4, 1, 6, 6], data: flat(x4) }, softmax_label: { shape: [4], data: [0, 0, 0, 0] } },
    });
    assert.deepEqual(run.args, ['conv0_bias', 'conv0_weight', 'fc1_bias', 'fc1_weight']);
    const feeds = { ...arg, data: x4, softmax_label: nd.zeros([4]) };
    assertClose(flat((back as sym.Symbol).eval(feeds) as NDArray), run.outs[0].data, 'the loaded symbol', 1e-4, 1e-5);
    assertClose(flat(net.eval(feeds) as NDArray), run.outs[0].data, 'the saved symbol', 1e-4, 1e-5);
  });

  it('SymbolBlock.imports keeps the file\'s node names when exported again in MXNet\'s format', () => {
    const here = path.dirname(new URL(import.meta.url).pathname);
    const fixture = path.join(here, '../../../fixtures/mxnet');
    const net = gluon.SymbolBlock.imports(path.join(fixture, 'convnet-symbol.json'), ['data'], path.join(fixture, 'convnet-0000.params'));
    net.hybridize();
    net.call(nd.ones([2, 1, 6, 6]));
    net.export(path.join(dir, 'again'), { format: 'mxnet' });
    const want = (JSON.parse(fs.readFileSync(path.join(fixture, 'convnet-symbol.json'), 'utf8')) as { nodes: JsonNode[] }).nodes.filter((n) => n.op !== 'null').map((n) => n.name);
    const got = (JSON.parse(fs.readFileSync(path.join(dir, 'again-symbol.json'), 'utf8')) as { nodes: JsonNode[] }).nodes.filter((n) => n.op !== 'null').map((n) => n.name);
    assert.deepEqual(got, want);
  });
});
