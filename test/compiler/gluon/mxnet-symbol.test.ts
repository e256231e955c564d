import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nd, gluon, autograd } from 'gluonc';
import { loadModel } from 'gluonc/runtime';
import { parseMxnetAttr } from '../../../compiler/formats/mxnet-symbol-file.js';
import { gluonc } from '../../helpers/cli.js';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

const { nn } = gluon;

/** Written by test/fixtures/mxnet/make.py from the formats' specification; the reference output is PyTorch's (float64). */
const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/mxnet');
const fixture = (name: string) => path.join(FIXTURES, name);
const REF = JSON.parse(fs.readFileSync(fixture('convnet-reference.json'), 'utf8')) as { x: { shape: number[]; data: number[] }; output: { shape: number[]; data: number[] } };
const x = () => nd.array(REF.x.data, { shape: REF.x.shape });
const flat = (a: nd.NDArray) => Array.from(a.data() as Float32Array, Number);

/** The fixture's network written as a gluonc block (other parameter names, same structure). */
class ConvNet extends gluon.HybridBlock {
  readonly conv = new nn.Conv2D(4, 3, { padding: 1, inChannels: 1 });
  readonly bn = new nn.BatchNorm({ inChannels: 4 });
  readonly dense0 = new nn.Dense(8, { inUnits: 36, activation: 'tanh' });
  readonly dense1: gluon.HybridBlock;
  constructor(lastUnits = 3) {
    super();
    this.dense1 = new nn.Dense(lastUnits, { inUnits: 8 });
  }
  override hybridForward(F: gluon.F, v: gluon.Tensor): gluon.Tensor {
    const h = F.relu(this.bn.call(this.conv.call(v)) as gluon.Tensor);
    const d = this.dense0.call(F.flatten(F.Pooling(h, { kernel: [2, 2], stride: [2, 2], poolType: 'max' }))) as gluon.Tensor;
    return this.dense1.call(F.add(d, F.mul(d, 0.5))) as gluon.Tensor;
  }
}

describe('MXNet export format (symbol JSON + .params)', function () {
  this.timeout(60000);
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gluonc-mxsym-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads MXNet attribute strings (fixed samples)', () => {
    assert.deepEqual(parseMxnetAttr('(3, 3)'), [3, 3]);
    assert.deepEqual(parseMxnetAttr('(2,)'), [2]);
    assert.deepEqual(parseMxnetAttr('()'), []);
    assert.deepEqual(parseMxnetAttr('[1,2]'), [1, 2]);
    assert.equal(parseMxnetAttr('True'), true);
    assert.equal(parseMxnetAttr('False'), false);
    assert.equal(parseMxnetAttr('1e-05'), 1e-5);
    assert.equal(parseMxnetAttr('-0.5'), -0.5);
    assert.equal(parseMxnetAttr('None'), undefined);
    assert.equal(parseMxnetAttr('relu'), 'relu');
    assert.equal(parseMxnetAttr('NCHW'), 'NCHW');
  });

  for (const params of ['convnet-0000.params', 'convnet-checkpoint.params']) {
    it(`SymbolBlock.imports('convnet-symbol.json', ['data'], '${params}') runs eagerly and hybridized as PyTorch computes it`, () => {
      const net = gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['data'], fixture(params));
      // MXNet's imports takes one input's name as a string too.
      assert.deepEqual(flat(gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), 'data', fixture(params)).call(x()) as nd.NDArray), flat(net.call(x()) as nd.NDArray));
      // MXNet's keyword names: imports(symbol_file=..., input_names=..., param_file=...).
      const byName = gluon.SymbolBlock.imports({ symbolFile: fixture('convnet-symbol.json'), inputNames: ['data'], paramFile: fixture(params) });
      assert.deepEqual(flat(byName.call(x()) as nd.NDArray), flat(net.call(x()) as nd.NDArray));
      const mixed = gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), { inputNames: 'data', paramFile: fixture(params) });
      assert.deepEqual(flat(mixed.call(x()) as nd.NDArray), flat(net.call(x()) as nd.NDArray));
      assert.throws(() => gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['data'], { inputNames: ['data'] } as never), /^Error: SymbolBlock.imports: got multiple values for argument 'inputNames'/);
      assert.throws(() => gluon.SymbolBlock.imports({ inputNames: ['data'] } as never), /^Error: SymbolBlock.imports: missing required argument 'symbolFile'/);
      assert.deepEqual(net.collectParams().keys(), [
        'conv0_weight', 'conv0_bias', 'batchnorm0_gamma', 'batchnorm0_beta', 'batchnorm0_running_mean', 'batchnorm0_running_var',
        'dense0_weight', 'dense0_bias', 'dense1_weight', 'dense1_bias',
      ]);
      assert.equal(net.collectParams().get('batchnorm0_running_mean').differentiable, false);
      const eager = net.call(x()) as nd.NDArray;
      assert.deepEqual(eager.shape, REF.output.shape);
      assertClose(flat(eager), REF.output.data, 'eager vs PyTorch', 1e-4, 1e-5);
      net.hybridize();
      assertClose(flat(net.call(x()) as nd.NDArray), REF.output.data, 'hybridized vs PyTorch', 1e-4, 1e-5);
    });
  }

  it('exports to ONNX, which onnxruntime runs to the same numbers', async () => {
    const net = gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['data'], fixture('convnet-0000.params'));
    net.hybridize();
    net.call(x());
    const file = path.join(dir, 'convnet.onnx');
    net.export(file, { inputs: { data: { shape: ['N', 1, 6, 6] } } });
    const model = await loadModel(file);
    try {
      const input = x();
      const out = await model.run({ [model.inputs[0]!.name]: { data: input.data() as Float32Array, shape: input.shape } });
      const y = Object.values(out)[0]!;
      assert.deepEqual(y.shape, REF.output.shape);
      assertClose(Array.from(y.data as Float32Array, Number), REF.output.data, 'ONNX artifact vs PyTorch', 1e-4, 1e-5);
    } finally {
      await model.close();
    }
  });

  it('gluonc compile turns a model file made of MXNet\'s export into an artifact with the same numbers', async () => {
    const file = path.join(dir, 'cli-convnet.onnx');
    const r = gluonc(['compile', fixture('convnet-model.ts'), '-o', file]);
    assert.equal(r.status, 0, r.stderr);
    const model = await loadModel(file);
    try {
      assert.deepEqual(model.inputs, [{ name: 'data', dtype: 'float32', shape: ['N', 1, 6, 6] }]);
      const input = x();
      const out = await model.run({ data: { data: input.data() as Float32Array, shape: input.shape } });
      assertClose(Array.from(Object.values(out)[0]!.data as Float32Array, Number), REF.output.data, 'compiled artifact vs PyTorch', 1e-4, 1e-5);
    } finally {
      await model.close();
    }
  });

  it('trains: gradients reach the weights, not the moving statistics, and training mode updates them', () => {
    const net = gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['data'], fixture('convnet-0000.params'));
    const before = flat(net.collectParams().get('batchnorm0_running_mean').data());
    const loss = autograd.record(() => (net.call(x()) as nd.NDArray).square().sum());
    loss.backward();
    const ps = net.collectParams();
    assert.ok(flat(ps.get('conv0_weight').grad()).some((v) => v !== 0), 'conv0_weight has a gradient');
    assert.equal(ps.get('batchnorm0_running_mean').gradReq, 'null');
    assert.notDeepEqual(flat(ps.get('batchnorm0_running_mean').data()), before, 'MXNet updates the moving mean in training mode');
    // Hybridized, the same update comes back from the compiled graph.
    const hyb = gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['data'], fixture('convnet-0000.params'));
    hyb.hybridize();
    autograd.record(() => (hyb.call(x()) as nd.NDArray).square().sum()).backward();
    // (The moving statistics come before the Dropout node, whose masks differ between the two runs.)
    for (const k of ['batchnorm0_running_mean', 'batchnorm0_running_var']) {
      assertClose(flat(hyb.collectParams().get(k).data()), flat(net.collectParams().get(k).data()), `hybridized vs eager ${k}`, 1e-4, 1e-5);
    }
    assert.ok(flat(hyb.collectParams().get('conv0_weight').grad()).some((v) => v !== 0), 'hybridized: conv0_weight has a gradient');
  });

  for (const params of ['convnet-0000.params', 'convnet-checkpoint.params']) {
    it(`loadParameters('${params}') into an equivalent gluonc block places MXNet's names by structural order`, () => {
      const net = new ConvNet();
      net.loadParameters(fixture(params));
      assertClose(flat(net.call(x()) as nd.NDArray), REF.output.data, 'equivalent block vs PyTorch', 1e-4, 1e-5);
      // The moving statistics came from the aux: entries.
      const sym = gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['data'], fixture(params));
      assert.deepEqual(flat(net.bn.runningVar.data()), flat(sym.collectParams().get('batchnorm0_running_var').data()));
    });
  }

  it('loadParameters says which parameter it could not place', () => {
    assert.throws(() => new ConvNet(5).loadParameters(fixture('convnet-0000.params')),
      /Parameter 'dense1\.weight' \(shape \[5, 8\]\) could not be placed: its name is not in file '.*convnet-0000\.params', and by structural order it meets 'arg:dense1_weight' of shape \[3, 8\]/);
    const small = new nn.HybridSequential();
    small.add(new nn.Conv2D(4, 3, { inChannels: 1 }));
    assert.throws(() => small.loadParameters(fixture('convnet-0000.params')), /Entry 'arg:batchnorm0_gamma' in file '.*convnet-0000\.params' could not be placed: no parameter of the block is left for it by structural order/);
  });

  it("reads and writes softmax with use_length (GluonNLP's attention) as numpy computes it, eagerly and hybridized", () => {
    // MXNet's SoftmaxWithLength (softmax-inl.h): a row's softmax over its first `length` entries, 0 after; length 0: all 0.
    const nodes = [
      { op: 'null', name: 'data', inputs: [] },
      { op: 'null', name: 'valid_length', inputs: [] },
      { op: 'softmax', name: 'att', attrs: { axis: '-1', use_length: 'True' }, inputs: [[0, 0, 0], [1, 0, 0]] },
    ];
    const file = path.join(dir, 'softmax-length-symbol.json');
    fs.writeFileSync(file, JSON.stringify({ nodes, arg_nodes: [0, 1], node_row_ptr: [0, 1, 2, 3], heads: [[2, 0, 0]] }));
    const x = nd.array([[[1, 2, 3, 4], [4, 3, 2, 1]], [[0, -1, 1, 2], [7, 7, 7, 7]]]);
    const len = nd.array([[2, 4], [0, 9]], { dtype: 'int32' });
    const [r] = numpyRefs([{
      inputs: [{ shape: x.shape, dtype: 'float64', data: flat(x) }, { shape: len.shape, dtype: 'float64', data: flat(len) }],
      code: `
L = np.clip(b, 0, a.shape[-1])[..., None]
keep = np.arange(a.shape[-1]) < L
e = np.where(keep, np.exp(a - np.where(keep, a, -np.inf).max(-1, keepdims=True, initial=-np.inf).clip(-1e300)), 0)
s = e.sum(-1, keepdims=True)
out = e / np.where(s == 0, 1, s)`,
    }]);
    const net = gluon.SymbolBlock.imports(file, ['data', 'valid_length']);
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      assertClose(flat(net.call(x, len) as nd.NDArray), r!.outs[0]!.data, `use_length, ${hybrid ? 'hybridized' : 'eager'}`, 1e-6, 1e-7);
    }
    const [written] = net.export(path.join(dir, 'softmax-length'), { format: 'mxnet' }).paths;
    const att = (JSON.parse(fs.readFileSync(written!, 'utf8')) as { nodes: { op: string; attrs?: Record<string, string> }[] }).nodes.find((n) => n.op === 'softmax');
    assert.equal(att?.attrs?.['use_length'], 'True', 'written back with use_length');
    // Without a length, softmax is written as MXNet before 1.6 reads it (no use_length attribute).
    class Soft extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, a: gluon.Tensor) {
        return F.softmax(a, { axis: -1 });
      }
    }
    const soft = new Soft();
    soft.hybridize();
    soft.call(x);
    const [plainFile] = soft.export(path.join(dir, 'softmax-plain'), { format: 'mxnet' }).paths;
    const node = (JSON.parse(fs.readFileSync(plainFile!, 'utf8')) as { nodes: { op: string; attrs?: Record<string, string> }[] }).nodes.find((n) => n.op === 'softmax');
    assert.ok(node && !('use_length' in (node.attrs ?? {})), `softmax written without use_length: ${JSON.stringify(node)}`);
  });

  it('runs MXNet\'s scalar, elementwise, shape and head operators as numpy computes them (two heads, a second output)', () => {
    const nodes: unknown[] = [];
    const node = (op: string, name: string, inputs: [number, number][] = [], attrs?: Record<string, string>) => {
      nodes.push({ op, name, inputs: inputs.map(([i, o]) => [i, o, 0]), ...(attrs ? { attrs } : {}) });
      return nodes.length - 1;
    };
    const data = node('null', 'data');
    const a = node('_plus_scalar', 'a', [[data, 0]], { scalar: '1.5' });
    const b = node('_rminus_scalar', 'b', [[data, 0]], { scalar: '2' });
    const c = node('elemwise_mul', 'c', [[a, 0], [b, 0]]);
    const d = node('add_n', 'd', [[c, 0], [data, 0], [a, 0]], { num_args: '3' });
    const e = node('Reshape', 'e', [[d, 0]], { shape: '(0, -1)' });
    const g = node('Concat', 'g', [[e, 0], [e, 0]], { dim: '1', num_args: '2' });
    const h = node('slice_axis', 'h', [[g, 0]], { axis: '1', begin: '2', end: 'None' });
    const i = node('SliceChannel', 'i', [[h, 0]], { num_outputs: '2', axis: '1' });
    const j = node('elemwise_add', 'j', [[i, 0], [i, 1]]);
    const t = node('softmax', 't', [[j, 0]], { axis: '-1', use_length: 'False' });
    const label = node('null', 'softmax_label');
    const k = node('SoftmaxOutput', 'k', [[t, 0], [label, 0]], { grad_scale: '1', normalization: 'null' });
    const file = path.join(dir, 'ops-symbol.json');
    fs.writeFileSync(file, JSON.stringify({ nodes, arg_nodes: [data, label], heads: [[k, 0, 0], [i, 1, 0]] }));
    const net = gluon.SymbolBlock.imports(file, ['data']);
    assert.equal(net.collectParams().size, 0, 'the label is neither a parameter nor an input');
    const input = nd.random.uniform(-1, 1, [2, 3, 4]);
    const [r] = numpyRefs([{
      inputs: [{ shape: input.shape, dtype: 'float64', data: flat(input) }],
      code: `
x = a
p = x + 1.5
d = (p * (2 - x) + x + p).reshape(2, -1)
h = np.concatenate([d, d], axis=1)[:, 2:]
i0, i1 = np.split(h, 2, axis=1)
j = i0 + i1
sm = lambda v: np.exp(v - v.max(axis=-1, keepdims=True)) / np.exp(v - v.max(axis=-1, keepdims=True)).sum(axis=-1, keepdims=True)
out = [sm(sm(j)), i1]`,
    }]);
    assert.equal(r!.error, undefined, r!.error);
    for (const hybrid of [false, true]) {
      if (hybrid) net.hybridize();
      const [y, second] = net.call(input) as nd.NDArray[];
      assert.deepEqual([y!.shape, second!.shape], [[2, 11], [2, 11]]);
      assertClose(flat(y!), r!.outs[0]!.data, `first head${hybrid ? ' (hybridized)' : ''}`, 1e-5, 1e-6);
      assertClose(flat(second!), r!.outs[1]!.data, `second head${hybrid ? ' (hybridized)' : ''}`, 1e-5, 1e-6);
    }
  });

  it('reads older symbol files as MXNet does: \'param\' merged with \'attr\' (0.9), BatchNorm\'s moving statistics implicit (0.8)', () => {
    // nnvm's JSON loader (src/core/pass/saveload_json.cc, JSONNode::Load) reads 'attrs' or 'attr' and adds 'param';
    // MXNet's LoadLegacyJSON (src/nnvm/legacy_json_util.cc, UpgradeJSON_000800_000900) gives a node of a file before
    // 0.9 the inputs it lacks as variables named '<node>_<input>' (BatchNorm's 'bn1_moving_mean', 'bn1_moving_var').
    const stats = { bn1_gamma: [0.5, 2, -1.5], bn1_beta: [0.1, -0.2, 0.3], bn1_moving_mean: [0.3, -0.1, 0.2], bn1_moving_var: [0.8, 1.5, 2.5] };
    const paramFile = path.join(dir, 'bn1.safetensors');
    nd.save(paramFile, Object.fromEntries(Object.entries(stats).map(([k, v]) => [k, nd.array(v)])));
    const input = nd.random.uniform(-1, 1, [2, 3, 2]);
    const [r] = numpyRefs([{
      inputs: [{ shape: input.shape, dtype: 'float64', data: flat(input) }, ...Object.values(stats).map((v) => ({ shape: [1, 3, 1], dtype: 'float32', data: v }))],
      code: 'out = (a - d) / np.sqrt(e.astype(np.float64) + 1e-5) * b + c',
    }]);
    assert.equal(r!.error, undefined, r!.error);
    const bnNode = (inputs: number[][]) => ({ op: 'BatchNorm', name: 'bn1', inputs, param: { fix_gamma: 'False', eps: '1e-05' }, attr: { lr_mult: '1' }, backward_source_id: -1 });
    const v09 = {
      nodes: [...['data', 'bn1_gamma', 'bn1_beta', 'bn1_moving_mean', 'bn1_moving_var'].map((name) => ({ op: 'null', param: {}, name, inputs: [], backward_source_id: -1 })),
        bnNode([[0, 0], [1, 0], [2, 0], [3, 0], [4, 0]])],
      arg_nodes: [0, 1, 2, 3, 4], heads: [[5, 0]], attrs: { mxnet_version: ['int', 900] },
    };
    const v08 = {
      nodes: [...['data', 'bn1_gamma', 'bn1_beta'].map((name) => ({ op: 'null', param: {}, name, inputs: [], backward_source_id: -1 })), bnNode([[0, 0], [1, 0], [2, 0]])],
      arg_nodes: [0, 1, 2], heads: [[3, 0]],
    };
    for (const [name, graph] of [['v09', v09], ['v08', v08]] as const) {
      const file = path.join(dir, `${name}-symbol.json`);
      fs.writeFileSync(file, JSON.stringify(graph));
      const net = gluon.SymbolBlock.imports(file, ['data'], paramFile);
      assert.deepEqual(net.collectParams().keys().sort(), Object.keys(stats).sort(), name);
      assert.equal(net.collectParams().get('bn1_moving_var').gradReq, 'null', `${name}: the moving variance is an auxiliary state`);
      assertClose(flat(net.call(input) as nd.NDArray), r!.outs[0]!.data, `${name}: BatchNorm with fix_gamma False, eps 1e-5`, 1e-5, 1e-6);
    }
  });

  it('reads flags written as 1 and 0 (dmlc parameters accept them: SliceChannel(squeeze_axis=1) in MXNet\'s own examples)', () => {
    const nodes = [
      { op: 'null', name: 'data', inputs: [] },
      { op: 'SliceChannel', name: 'split', inputs: [[0, 0, 0]], attrs: { num_outputs: '2', axis: '1', squeeze_axis: '1' } },
      { op: 'Pooling', name: 'pool', inputs: [[0, 0, 0]], attrs: { kernel: '(1,)', global_pool: '1', pool_type: 'avg' } },
      { op: 'sum', name: 'sum', inputs: [[0, 0, 0]], attrs: { axis: '1', keepdims: '0', exclude: 'TRUE' } },
    ];
    const file = path.join(dir, 'flags-symbol.json');
    fs.writeFileSync(file, JSON.stringify({ nodes, arg_nodes: [0], heads: [[1, 1, 0], [2, 0, 0], [3, 0, 0]], attrs: { mxnet_version: ['int', 10901] } }));
    const input = nd.array([[[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]]]);
    const [second, pooled, summed] = gluon.SymbolBlock.imports(file, ['data']).call(input) as nd.NDArray[];
    assert.deepEqual(second!.toArray(), [[4, 5, 6], [10, 11, 12]], 'squeeze_axis 1 drops the split axis');
    assert.deepEqual(pooled!.toArray(), [[[2], [5]], [[8], [11]]], 'global_pool 1 averages the whole width');
    assert.deepEqual(summed!.toArray(), [30, 48], 'keepdims 0, exclude TRUE: the sum over every axis but 1');
  });

  it('BlockGrad and stop_gradient pass values and stop gradients, eagerly and hybridized (MXNet\'s backward writes zeros)', () => {
    // out = FC(x; w1) * BlockGrad(FC(x; w2)): w2 gets no gradient, w1 gets the product's.
    const nodes = [
      { op: 'null', name: 'data', inputs: [] },
      { op: 'null', name: 'fc1_weight', inputs: [] },
      { op: 'FullyConnected', name: 'fc1', inputs: [[0, 0, 0], [1, 0, 0]], attrs: { num_hidden: '2', no_bias: 'True' } },
      { op: 'null', name: 'fc2_weight', inputs: [] },
      { op: 'FullyConnected', name: 'fc2', inputs: [[0, 0, 0], [3, 0, 0]], attrs: { num_hidden: '2', no_bias: 'True' } },
      { op: 'BlockGrad', name: 'stop', inputs: [[4, 0, 0]] },
      { op: 'stop_gradient', name: 'stop2', inputs: [[5, 0, 0]] },
      { op: 'elemwise_mul', name: 'out', inputs: [[2, 0, 0], [6, 0, 0]] },
    ];
    const file = path.join(dir, 'blockgrad-symbol.json');
    fs.writeFileSync(file, JSON.stringify({ nodes, arg_nodes: [0, 1, 3], heads: [[7, 0, 0]], attrs: { mxnet_version: ['int', 10901] } }));
    const input = nd.array([[1, 2, 3], [-1, 0.5, 2]]);
    const w1 = [[0.5, -1, 2], [1, 0, -0.5]];
    const w2 = [[1, 1, 0], [0, -2, 1]];
    const h2 = [[3, -1], [-0.5, 1]];  // x · w2ᵀ
    const weights = path.join(dir, 'blockgrad.safetensors');
    nd.save(weights, { fc1_weight: nd.array(w1), fc2_weight: nd.array(w2) });
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(file, ['data'], weights);
      if (hybrid) net.hybridize();
      const [y, total] = autograd.record(() => {
        const out = net.call(input) as nd.NDArray;
        return [out, out.sum()];
      });
      assert.deepEqual(y.toArray(), [[13.5, 0.5], [-1.5, -2]], 'the forward values pass');
      total.backward();
      // d/dw1[j] = sum_n h2[n][j] * x[n]
      const xs = input.toArray() as number[][];
      const g1 = [0, 1].map((j) => [0, 1, 2].map((k) => h2[0]![j]! * xs[0]![k]! + h2[1]![j]! * xs[1]![k]!));
      assertClose(flat(net.collectParams().get('fc1_weight').grad()), g1.flat(), `${hybrid ? 'hybridized' : 'eager'}: fc1_weight`, 1e-6, 1e-6);
      assert.deepEqual(flat(net.collectParams().get('fc2_weight').grad()), [0, 0, 0, 0, 0, 0], `${hybrid ? 'hybridized' : 'eager'}: no gradient through BlockGrad`);
    }
    // The operator itself, for ported code: F.stopGradient (MXNet's stop_gradient) and F.BlockGrad.
    const v = nd.array([1, -2]);
    v.attachGrad();
    autograd.record(() => nd.add(nd.mul(nd.stopGradient(v), v), nd.BlockGrad(v)).sum()).backward();
    assert.deepEqual(v.grad!.toArray(), [1, -2], 'd/dv of stop(v)·v + stop(v) is stop(v)');
  });

  it('runs Module checkpoints\' regression heads as their inference outputs (MXNet\'s regression_output-inl.h: the data, its sigmoid)', () => {
    const heads = ['LinearRegressionOutput', 'LogisticRegressionOutput', 'MAERegressionOutput', 'SVMOutput', 'MakeLoss'];
    const nodes: unknown[] = [{ op: 'null', name: 'data', inputs: [] }];
    const outputs: number[][] = [];
    for (const op of heads) {
      if (op !== 'MakeLoss') nodes.push({ op: 'null', name: `${op}_label`, inputs: [] });
      nodes.push({ op, name: op, inputs: [[0, 0, 0], ...(op === 'MakeLoss' ? [] : [[nodes.length - 1, 0, 0]])], attrs: { grad_scale: '1' } });
      outputs.push([nodes.length - 1, 0, 0]);
    }
    const file = path.join(dir, 'regression-symbol.json');
    fs.writeFileSync(file, JSON.stringify({ nodes, arg_nodes: [0], heads: outputs, attrs: { mxnet_version: ['int', 10901] } }));
    const net = gluon.SymbolBlock.imports(file, ['data']);
    assert.equal(net.collectParams().size, 0, 'the labels are not parameters');
    const input = nd.array([[-2, 0, 0.5], [3, -0.25, 1]]);
    const [r] = numpyRefs([{ inputs: [{ shape: input.shape, dtype: 'float64', data: flat(input) }], code: 'out = [a, 1 / (1 + np.exp(-a)), a, a, a]' }]);
    const outs = net.call(input) as nd.NDArray[];
    heads.forEach((h, k) => assertClose(flat(outs[k]!), r!.outs[k]!.data, h, 1e-6, 1e-7));
  });

  it('runs MXNet 2\'s numpy operators (_npi_*, _npx_*: export in numpy mode) as numpy computes them', () => {
    const nodes: unknown[] = [{ op: 'null', name: 'data', inputs: [] }];
    const node = (op: string, inputs: number[], attrs?: Record<string, string>) => {
      nodes.push({ op, name: `${op}${nodes.length}`, inputs: inputs.map((i) => [i, 0, 0]), ...(attrs ? { attrs } : {}) });
      return nodes.length - 1;
    };
    const a = node('_npi_add_scalar', [0], { scalar: '1.5', is_int: 'False' });
    const b = node('_npi_rsubtract_scalar', [0], { scalar: '2', is_int: 'True' });
    const c = node('_npi_multiply', [a, b]);
    const d = node('_npi_true_divide', [c, node('_npx_sigmoid', [0])]);
    const e = node('_npi_subtract', [node('_npi_exp', [node('_npi_tanh', [d])]), node('_npx_relu', [0])]);
    const f = node('_npi_rtrue_divide_scalar', [node('_npi_add', [node('_npi_square', [e]), node('_npi_absolute', [0])])], { scalar: '3', is_int: 'True' });
    const g = node('_npi_maximum', [node('_npi_multiply_scalar', [f], { scalar: '0.5', is_int: 'False' }), node('_npi_negative', [0])]);
    const file = path.join(dir, 'npi-symbol.json');
    fs.writeFileSync(file, JSON.stringify({ nodes, arg_nodes: [0], heads: [[g, 0, 0]], attrs: { mxnet_version: ['int', 20000] } }));
    const input = nd.array([[-2, -0.5, 0], [0.25, 1, 3]]);
    const [r] = numpyRefs([{
      inputs: [{ shape: input.shape, dtype: 'float64', data: flat(input) }],
      code: `
x = a
d = (x + 1.5) * (2 - x) / (1 / (1 + np.exp(-x)))
e = np.exp(np.tanh(d)) - np.maximum(x, 0)
out = np.maximum(3 / (e ** 2 + np.abs(x)) * 0.5, -x)`,
    }]);
    assert.equal(r!.error, undefined, r!.error);
    const net = gluon.SymbolBlock.imports(file, 'data');
    assertClose(flat(net.call(input) as nd.NDArray), r!.outs[0]!.data, 'eager', 1e-5, 1e-6);
    net.hybridize();
    assertClose(flat(net.call(input) as nd.NDArray), r!.outs[0]!.data, 'hybridized', 1e-5, 1e-6);
  });

  it('imports without a parameter file, then initialize(): the first call infers the parameters\' shapes, as MXNet\'s deferred initialization does', () => {
    const withFile = gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['data'], fixture('convnet-0000.params'));
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['data']);
      net.initialize();
      if (hybrid) net.hybridize();
      assert.deepEqual((net.call(x()) as nd.NDArray).shape, REF.output.shape, hybrid ? 'hybridized' : 'eager');
      assert.deepEqual(net.collectParams().entries().map(([k, p]) => [k, p.shape]), withFile.collectParams().entries().map(([k, p]) => [k, p.shape]));
      // BatchNorm's own initial values (gamma 1, moving variance 1), as MXNet initializes them by name.
      assert.deepEqual(flat(net.collectParams().get('batchnorm0_running_var').data()), [1, 1, 1, 1]);
      assert.deepEqual(flat(net.collectParams().get('dense1_bias').data()), [0, 0, 0]);
    }
  });

  it('refuses what it cannot run, naming the file, the node and the operator or attribute', () => {
    const graph = JSON.parse(fs.readFileSync(fixture('convnet-symbol.json'), 'utf8')) as { nodes: { op: string; name: string; attrs?: Record<string, string> }[] };
    const write = (name: string, g: unknown) => {
      const f = path.join(dir, name);
      fs.writeFileSync(f, typeof g === 'string' ? g : JSON.stringify(g));
      return f;
    };
    const unknownOp = structuredClone(graph);
    unknownOp.nodes.find((n) => n.name === 'relu0_fwd')!.op = 'Correlation';
    assert.throws(() => gluon.SymbolBlock.imports(write('op-symbol.json', unknownOp), ['data']), /op-symbol\.json: node 'relu0_fwd' \(MXNet operator 'Correlation'\): gluonc has no such operator/);
    const unknownAttr = structuredClone(graph);
    unknownAttr.nodes.find((n) => n.name === 'conv0_fwd')!.attrs!.adj = '(1, 1)';
    assert.throws(() => gluon.SymbolBlock.imports(write('attr-symbol.json', unknownAttr), ['data']), /attr-symbol\.json: node 'conv0_fwd' \(MXNet operator 'Convolution'\): attribute 'adj' = '\(1, 1\)' is not one gluonc's Convolution takes/);
    assert.throws(() => gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['input']), /input 'input' is not a variable of the graph \(its variables: data, conv0_weight/);
    assert.throws(() => gluon.SymbolBlock.imports(write('bad-symbol.json', '{"nodes": ['), ['data']), /bad-symbol\.json: not an MXNet symbol file: invalid JSON/);
    assert.throws(() => gluon.SymbolBlock.imports(write('order-symbol.json', { nodes: [{ op: 'relu', name: 'r', inputs: [[1, 0, 0]] }, { op: 'null', name: 'data', inputs: [] }], heads: [[0, 0, 0]] }), ['data']),
      /order-symbol\.json: not an MXNet symbol file: an input of node 0 \('r'\) refers to node 1, which does not come before it/);
    assert.throws(() => gluon.SymbolBlock.imports(fixture('convnet-symbol.json')), /needs the input names/);
    // Parameters whose shapes do not fit the graph: the error names the file, the node, its inputs and the shapes.
    const wrong = path.join(dir, 'wrong.safetensors');
    const params = gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['data'], fixture('convnet-0000.params')).collectParams();
    nd.save(wrong, Object.fromEntries(params.entries().map(([k, p]) => [k, k === 'dense1_weight' ? nd.zeros([3, 7]) : p.data()])));
    assert.throws(() => gluon.SymbolBlock.imports(fixture('convnet-symbol.json'), ['data'], wrong).call(x()),
      /convnet-symbol\.json: node 'dense1_fwd' \(MXNet operator 'FullyConnected', inputs dropout0_fwd, dense1_weight, dense1_bias\): FullyConnected: weight shape \[3, 7\] does not match data shape \[2, 8\]/);
    assert.throws(() => gluon.SymbolBlock.imports(path.join(dir, 'missing-symbol.json'), ['data']), /cannot read '.*missing-symbol\.json'/);
  });
});
