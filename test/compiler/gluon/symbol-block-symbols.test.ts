/**
 * MXNet 1.x's `gluon.SymbolBlock(outputs, inputs, params)` built from
 * symbols (gluon/block.py: the inputs must be variables; every other
 * argument of the outputs is a parameter, deferred until the first call).
 * It used to be refused. References: numpy in float64 (the forward and the
 * gradients of FC -> relu -> FC written out by hand).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { autograd, gluon, nd, sym } from 'gluonc';
import { assertClose } from '../../helpers/compare.js';
import { numpyRefs } from '../../helpers/numpy.js';

type NDArray = nd.NDArray;
const vals = (x: NDArray): number[] => Array.from(x.data() as ArrayLike<number>, Number);

/** FC(4) -> relu -> FC(2) on variables named as MXNet names them; `dtype` for every variable. */
function mlp(dtype: 'float32' | 'float64' = 'float32') {
  const v = (name: string) => sym.var(name, { dtype });
  const data = v('data');
  const act = sym.relu(sym.FullyConnected(data, v('fc1_weight'), v('fc1_bias'), { numHidden: 4 }));
  const out = sym.FullyConnected(act, v('fc2_weight'), v('fc2_bias'), { numHidden: 2 });
  return { data, act, out };
}

const FORWARD = `
h = np.maximum(x @ w1.T + b1, 0)
out = [h @ w2.T + b2, h]`;
/** The gradients of sum(y * c) for y = relu(x W1' + b1) W2' + b2. */
const BACKWARD = `
z = x @ w1.T + b1
h = np.maximum(z, 0)
gh = cc @ w2
gz = gh * (z > 0)
out = [gz.T @ x, gz.sum(0), cc.T @ h, cc.sum(0), gz @ w1]`;

function ref(code: string, arrays: Record<string, NDArray>) {
  const names = Object.keys(arrays);
  const prelude = names.map((k, i) => `${k} = ${'abcdefghijkl'[i]}.astype(np.float64)`).join('\n');
  const [r] = numpyRefs([{ code: `${prelude}\n${code}`, inputs: names.map((k) => ({ shape: arrays[k]!.shape, dtype: 'float64', data: vals(arrays[k]!) })) }]);
  if (r!.error) throw new Error(r!.error);
  return r!.outs.map((o) => o.data as number[]);
}

describe("SymbolBlock(outputs, inputs, params) from symbols (MXNet 1.x's constructor)", () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'gluonc-symbols-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the free variables are its parameters by name, shapes inferred at the first call, biases 0 (MXNet init by name); a group of outputs matches numpy, eager and hybridized', () => {
    const { data, act, out } = mlp();
    const net = new gluon.SymbolBlock([out, act], data);
    const params = net.collectParams();
    assert.deepEqual([...params.keys()], ['fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias']);
    net.initialize();
    const x = nd.random.uniform(-1, 1, [3, 5]);
    const got = net.call(x) as NDArray[];
    assert.deepEqual([...params.values()].map((p) => p.shape), [[4, 5], [4], [2, 4], [2]]);
    assert.deepEqual(vals(params.get('fc1_bias').data()), [0, 0, 0, 0]);
    const p = (k: string) => params.get(k).data();
    const want = ref(FORWARD, { x, w1: p('fc1_weight'), b1: p('fc1_bias'), w2: p('fc2_weight'), b2: p('fc2_bias') });
    net.hybridize();
    for (const [mode, ys] of [['eager', got], ['hybridized', net.call(x) as NDArray[]]] as const) {
      assert.deepEqual(ys.map((y) => y.shape), [[3, 2], [3, 4]], mode);
      ys.forEach((y, k) => assertClose(vals(y), want[k]!, `${mode} output ${k}`, 1e-5, 1e-6));
    }
  });

  it("collectParams().load of MXNet-named arrays before the first call (as SymbolBlock.imports does), then the numpy forward", () => {
    const { data, out } = mlp();
    const arrays = {
      fc1_weight: nd.random.uniform(-1, 1, [4, 5]), fc1_bias: nd.random.uniform(-1, 1, [4]),
      fc2_weight: nd.random.uniform(-1, 1, [2, 4]), fc2_bias: nd.random.uniform(-1, 1, [2]),
    };
    const file = path.join(dir, 'mlp.params');
    nd.save(file, arrays);
    const net = new gluon.SymbolBlock(out, data);
    net.collectParams().load(file);
    const x = nd.random.uniform(-1, 1, [6, 5]);
    const [want] = ref(FORWARD, { x, w1: arrays.fc1_weight, b1: arrays.fc1_bias, w2: arrays.fc2_weight, b2: arrays.fc2_bias });
    assertClose(vals(net.call(x) as NDArray), want!, 'loaded', 1e-5, 1e-6);
  });

  it('trains: gradients of its parameters and of the input equal numpy in float64, eager and hybridized; a Trainer step moves them', () => {
    for (const hybrid of [false, true]) {
      const { data, out } = mlp('float64');
      const net = new gluon.SymbolBlock(out, data);
      net.initialize();
      if (hybrid) net.hybridize();
      const x = nd.random.uniform(-1, 1, [3, 5], 'float64');
      const c = nd.random.uniform(-1, 1, [3, 2], 'float64');
      x.attachGrad();
      const l = autograd.record(() => (net.call(x) as NDArray).mul(c).sum());
      l.backward();
      const params = net.collectParams();
      const p = (k: string) => params.get(k).data();
      const want = ref(BACKWARD, { x, cc: c, w1: p('fc1_weight'), b1: p('fc1_bias'), w2: p('fc2_weight'), b2: p('fc2_bias') });
      ['fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias'].forEach((k, i) => assertClose(vals(params.get(k).grad()), want[i]!, `${hybrid ? 'hybridized' : 'eager'} d${k}`, 1e-10, 1e-12));
      assertClose(vals(x.grad!), want[4]!, `${hybrid ? 'hybridized' : 'eager'} dx`, 1e-10, 1e-12);
      const before = vals(p('fc2_bias'));
      new gluon.Trainer(params, 'sgd', { learningRate: 0.5 }).step(1);
      assertClose(vals(p('fc2_bias')), before.map((b, i) => b - 0.5 * want[3]![i]!), 'sgd step', 1e-12, 1e-12);
    }
  });

  it('trains in the fused step (hybridized net and L2Loss, Trainer sgd): the new weights equal numpy\'s step in float64', () => {
    const { data, out } = mlp('float64');
    const net = new gluon.SymbolBlock(out, data);
    net.initialize();
    net.hybridize();
    const loss = new gluon.loss.L2Loss();
    loss.hybridize();
    const x = nd.random.uniform(-1, 1, [4, 5], 'float64');
    const t = nd.random.uniform(-1, 1, [4, 2], 'float64');
    net.call(x); // shapes first, so the weights below are the step's
    const params = net.collectParams();
    const names = ['fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias'];
    const before = Object.fromEntries(names.map((k) => [k, params.get(k).data().copy()]));
    const trainer = new gluon.Trainer(params, 'sgd', { learningRate: 0.5 });
    autograd.record(() => loss.call(net.call(x), t)).backward();
    trainer.step(4);
    // L2Loss: mean over the 2 outputs of (y - t)^2 / 2, summed over the batch, the step dividing by 4: dL/dy = (y - t) / 2 / 4.
    const want = ref(`h = np.maximum(x @ w1.T + b1, 0)\ncc = (h @ w2.T + b2 - t) / 8\n${BACKWARD.replace(/^\s*out = /m, 'g = ')}\nout = [w1 - 0.5 * g[0], b1 - 0.5 * g[1], w2 - 0.5 * g[2], b2 - 0.5 * g[3]]`,
      { x, t, w1: before.fc1_weight!, b1: before.fc1_bias!, w2: before.fc2_weight!, b2: before.fc2_bias! });
    names.forEach((k, i) => assertClose(vals(params.get(k).data()), want[i]!, `${k} after the fused step`, 1e-10, 1e-12));
  });

  it('exports: ONNX read back gives the same outputs; MXNet format keeps the variable names', () => {
    const { data, out } = mlp();
    const net = new gluon.SymbolBlock(out, data);
    net.initialize();
    const x = nd.random.uniform(-1, 1, [2, 5]);
    const y = vals(net.call(x) as NDArray);
    const file = path.join(dir, 'sym.onnx');
    net.export(file, { inputs: { data: { shape: ['N', 5] } } });
    assertClose(vals(gluon.SymbolBlock.imports(file).call(x) as NDArray), y, 'ONNX read back', 1e-6, 1e-7);
    net.export(path.join(dir, 'symmx'), { format: 'mxnet' });
    const names = (JSON.parse(readFileSync(path.join(dir, 'symmx-symbol.json'), 'utf8')) as { nodes: { op: string; name: string }[] }).nodes.filter((n) => n.op === 'null').map((n) => n.name);
    assert.deepEqual(names, ['data', 'fc1_weight', 'fc1_bias', 'fc2_weight', 'fc2_bias']);
    const back = gluon.SymbolBlock.imports(path.join(dir, 'symmx-symbol.json'), ['data'], path.join(dir, 'symmx-0000.params'));
    assertClose(vals(back.call(x) as NDArray), y, 'MXNet files read back', 1e-6, 1e-7);
  });

  it("exports name the inputs by their variables (MXNet's export saves the input symbols): ONNX manifest and MXNet files, read back by those names", () => {
    const [a, b] = [sym.var('a'), sym.var('b')];
    const out = sym.add(sym.FullyConnected(a, { numHidden: 2, name: 'fa' }), sym.FullyConnected(b, { numHidden: 2, name: 'fb' }));
    const net = new gluon.SymbolBlock(out, [a, b]);
    net.initialize();
    const [xa, xb] = [nd.random.uniform(-1, 1, [2, 3]), nd.random.uniform(-1, 1, [2, 4])];
    const y = vals(net.call(xa, xb) as NDArray);
    const file = path.join(dir, 'named.onnx');
    net.export(file);
    const onnx = gluon.SymbolBlock.imports(file);
    assert.deepEqual(onnx.inputs.map((i) => i.name), ['a', 'b']);
    assertClose(vals(onnx.call(xa, xb) as NDArray), y, 'ONNX read back', 1e-6, 1e-7);
    net.export(path.join(dir, 'namedmx'), { format: 'mxnet' });
    const names = (JSON.parse(readFileSync(path.join(dir, 'namedmx-symbol.json'), 'utf8')) as { nodes: { op: string; name: string }[] }).nodes.filter((n) => n.op === 'null').map((n) => n.name);
    assert.deepEqual(names, ['a', 'fa_weight', 'fa_bias', 'b', 'fb_weight', 'fb_bias']);
    const back = gluon.SymbolBlock.imports(path.join(dir, 'namedmx-symbol.json'), ['a', 'b'], path.join(dir, 'namedmx-0000.params'));
    assertClose(vals(back.call(xa, xb) as NDArray), y, 'MXNet files read back', 1e-6, 1e-7);
  });

  it("exports keep the symbolic sizes the variables declare (sym.var('data', { shape: ['N', 'T', 3] })), as an artifact read back keeps its own", () => {
    const data = sym.var('data', { shape: ['N', 'T', 3] });
    const net = new gluon.SymbolBlock(sym.FullyConnected(data, { numHidden: 2, name: 'fc', flatten: false }), data);
    net.initialize();
    net.call(nd.ones([2, 4, 3]));
    const file = path.join(dir, 'declared.onnx');
    net.export(file);
    const back = gluon.SymbolBlock.imports(file);
    assert.deepEqual(back.inputs, [{ name: 'data', dtype: 'float32', shape: ['N', 'T', 3] }]);
    assert.deepEqual((back.call(nd.ones([1, 6, 3])) as NDArray).shape, [1, 6, 2]);
    back.call(nd.ones([1, 6, 3]));
    const again = path.join(dir, 'declared-again.onnx');
    back.export(again);
    assert.deepEqual(gluon.SymbolBlock.imports(again).inputs[0]!.shape, ['N', 'T', 3]);
  });

  it("shapes come from each parameter's consumer (convolution, BatchNorm's running statistics not trained, a broadcast operand) or from sym.var's shape", () => {
    const data = sym.var('data');
    const conv = sym.Convolution(data, sym.var('conv_weight'), sym.var('conv_bias'), { kernel: [3, 3], numFilter: 4 });
    const bn = sym.BatchNorm(conv, sym.var('bn_gamma'), sym.var('bn_beta'), sym.var('bn_running_mean'), sym.var('bn_running_var'));
    const scaled = sym.mul(data, sym.var('scale'));
    const fixed = sym.FullyConnected(sym.flatten(data), sym.var('w', { shape: [3, 108] }), { numHidden: 3, noBias: true });
    const net = new gluon.SymbolBlock([bn, scaled, fixed], data);
    net.initialize();
    const ys = net.call(nd.ones([2, 3, 6, 6])) as NDArray[];
    assert.deepEqual(ys.map((y) => y.shape), [[2, 4, 4, 4], [2, 3, 6, 6], [2, 3]]);
    const shapes = Object.fromEntries([...net.collectParams().entries()].map(([k, p]) => [k, [p.shape, p.gradReq]]));
    assert.deepEqual(shapes, {
      conv_weight: [[4, 3, 3, 3], 'write'], conv_bias: [[4], 'write'], bn_gamma: [[4], 'write'], bn_beta: [[4], 'write'],
      bn_running_mean: [[4], 'null'], bn_running_var: [[4], 'null'], scale: [[2, 3, 6, 6], 'write'], w: [[3, 108], 'write'],
    });
    assert.deepEqual(vals(net.collectParams().get('bn_gamma').data()), [1, 1, 1, 1], "gamma starts at 1 (MXNet's init by name)");
  });

  it("BatchNorm's moving statistics move in a training forward, hybridized as eagerly (MXNet's auxiliary states: momentum * moving + (1 - momentum) * batch, biased variance)", () => {
    const xs = [1, 2, 3, 6, -1, 0.5];
    const [want] = numpyRefs([{ code: 'm = a.astype(np.float64)\nout = [0.8 * 0 + 0.2 * m.mean(0), 0.8 * 1 + 0.2 * m.var(0)]', inputs: [{ shape: [3, 2], dtype: 'float32', data: xs }] }]);
    for (const hybrid of [false, true]) {
      const data = sym.var('data');
      const net = new gluon.SymbolBlock(sym.BatchNorm(data, { name: 'bn0', momentum: 0.8 }), data);
      net.initialize();
      if (hybrid) net.hybridize();
      autograd.record(() => net.call(nd.array([[1, 2], [3, 6], [-1, 0.5]])));
      const stat = (k: string) => vals(net.collectParams().get(k).data());
      assertClose(stat('bn0_moving_mean'), want!.outs[0]!.data as number[], `moving mean, hybridized ${hybrid}`, 1e-6, 1e-6);
      assertClose(stat('bn0_moving_var'), want!.outs[1]!.data as number[], `moving var, hybridized ${hybrid}`, 1e-6, 1e-6);
      net.call(nd.array([[1, 2], [3, 6], [-1, 0.5]]));
      assertClose(stat('bn0_moving_mean'), want!.outs[0]!.data as number[], `not moved outside training, hybridized ${hybrid}`, 1e-6, 1e-6);
    }
  });

  it('shares the parameters of the same name in params (MXNet: ParameterDict(prefix, shared))', () => {
    const { data, out } = mlp();
    const a = new gluon.SymbolBlock(out, data);
    a.initialize();
    const x = nd.random.uniform(-1, 1, [2, 5]);
    const ya = vals(a.call(x) as NDArray);
    const b = new gluon.SymbolBlock(out, data, a.collectParams());
    assert.equal(b.collectParams().get('fc1_weight'), a.collectParams().get('fc1_weight'));
    assert.deepEqual(vals(b.call(x) as NDArray), ya);
  });

  it("MXNet's symbol calls create the parameters they leave out (mx.sym.FullyConnected(data, num_hidden=4, name='fc1')): named <name>_<input>, or <operator>N; loaded by name; the numpy forward", () => {
    const data = sym.var('data');
    const fc1 = sym.FullyConnected(data, { numHidden: 4, name: 'fc1' });
    // Every symbolic call takes MXNet's name (typed for the forms that create parameters).
    const act = (sym.Activation as (...a: unknown[]) => sym.Symbol)(fc1, { actType: 'relu', name: 'relu1' });
    const out = sym.FullyConnected(act, { numHidden: 2 });
    const bn = sym.BatchNorm(sym.Convolution(sym.reshape(data, [-1, 1, 1, 5]), { kernel: [1, 3], numFilter: 2, noBias: true, name: 'conv' }), { name: 'bn' });
    assert.deepEqual(out.listArguments().filter((n) => !n.startsWith('fc1') && n !== 'data').length, 2);
    const auto = out.listArguments().slice(3);
    assert.match(auto[0]!, /^fullyconnected\d+_weight$/);
    assert.deepEqual(out.listArguments(), ['data', 'fc1_weight', 'fc1_bias', auto[0], auto[0]!.replace('weight', 'bias')]);
    assert.deepEqual(bn.listArguments(), ['data', 'conv_weight', 'bn_gamma', 'bn_beta', 'bn_moving_mean', 'bn_moving_var']);
    const net = new gluon.SymbolBlock(out, data);
    const arrays: Record<string, NDArray> = {
      fc1_weight: nd.random.uniform(-1, 1, [4, 5]), fc1_bias: nd.random.uniform(-1, 1, [4]),
      [auto[0]!]: nd.random.uniform(-1, 1, [2, 4]), [auto[0]!.replace('weight', 'bias')]: nd.random.uniform(-1, 1, [2]),
    };
    const file = path.join(dir, 'auto.params');
    nd.save(file, arrays);
    net.collectParams().load(file);
    const x = nd.random.uniform(-1, 1, [3, 5]);
    const [want] = ref(FORWARD, { x, w1: arrays.fc1_weight!, b1: arrays.fc1_bias!, w2: arrays[auto[0]!]!, b2: arrays[auto[0]!.replace('weight', 'bias')]! });
    assertClose(vals(net.call(x) as NDArray), want!, 'auto-created parameters', 1e-5, 1e-6);
    const bnNet = new gluon.SymbolBlock(bn, data);
    assert.deepEqual([...bnNet.collectParams().entries()].map(([k, p]) => [k, p.gradReq]), [
      ['conv_weight', 'write'], ['bn_gamma', 'write'], ['bn_beta', 'write'], ['bn_moving_mean', 'null'], ['bn_moving_var', 'null'],
    ]);
    assert.throws(() => (sym.relu as (...a: unknown[]) => unknown)(data, { name: 3 }), /^OpError: relu: option 'name' must be a non-empty string, got 3/);
    // Inside a traced block a left-out parameter stays an error: the block passes its own.
    class Forgot extends gluon.HybridBlock {
      override hybridForward(F: gluon.F, x: gluon.Tensor) {
        return (F.FullyConnected as (...a: unknown[]) => gluon.Tensor)(x, { numHidden: 2 });
      }
    }
    const forgot = new Forgot();
    forgot.hybridize();
    assert.throws(() => forgot.call(x), /FullyConnected: input 'weight' must be a tensor or a number/);
  });

  it('an input no output uses is a warning naming it (MXNet warns: "is not used by any computation")', async () => {
    const got = new Promise<Error>((resolve) => process.once('warning', resolve));
    const data = sym.var('data');
    const net = new gluon.SymbolBlock(sym.relu(data), [data, sym.var('extra')]);
    assert.match((await got).message, /^SymbolBlock: input\(s\) 'extra' are not used by any output$/);
    net.initialize();
    assert.deepEqual(vals(net.call(nd.array([-1, 2]), nd.ones([3])) as NDArray), [0, 2]);
  });

  it("MXNet's spellings sym.Variable and sym.Group([a, b]) build the same block as sym.var and a list", () => {
    const data = sym.Variable('data');
    const fc = sym.FullyConnected(data, { numHidden: 3, name: 'g1' });
    const net = new gluon.SymbolBlock(sym.Group([fc, sym.relu(fc)]), data);
    net.initialize();
    const ys = net.call(nd.array([[1, -2], [0.5, 3]])) as NDArray[];
    assert.deepEqual(ys.map((y) => y.shape), [[2, 3], [2, 3]]);
    assert.deepEqual(vals(ys[1]!), vals(ys[0]!).map((v) => Math.max(v, 0)));
    assert.throws(() => sym.Group([fc, 3 as never]), /sym\.Group: element 1 is not a symbol/);
  });

  it('bad input is an Error naming it', () => {
    const { data, act, out } = mlp();
    const SB = gluon.SymbolBlock as unknown as new (...a: unknown[]) => gluon.SymbolBlock;
    assert.throws(() => new SB(out, act), /^Error: SymbolBlock: input 0 must be a variable \(sym\.var\), but it is the output of operator 'relu'/);
    assert.throws(() => new SB(out, [data, data]), /^Error: SymbolBlock: input 'data' is given twice$/);
    assert.throws(() => new SB(sym.relu(sym.var('w')), data), /^Error: SymbolBlock: output 0 does not depend on any input \('data'\); its variables are 'w'$/);
    assert.throws(() => new SB(sym.add(data, sym.var('data')), data), /^Error: SymbolBlock: two different variables are named 'data'/);
    assert.throws(() => new SB(out), /^Error: SymbolBlock\(outputs, inputs, params\?\): the inputs are missing/);
    assert.throws(() => new SB(out, data, { fc1_weight: 1 }), /^Error: SymbolBlock: params must be a ParameterDict \(net\.collectParams\(\)\)/);
    assert.throws(() => new SB([out, 3], data), /^Error: SymbolBlock: outputs 1 must be a symbol/);
    assert.throws(() => new SB(42), /^Error: SymbolBlock: expected a graph \(SymbolBlock\.imports\(path\) makes one from a file\) or symbols \(SymbolBlock\(outputs, inputs\)\), got 42$/);
    // A parameter whose consumer cannot tell its shape names the variable and the way out.
    const table = new SB(sym.take(sym.var('table'), data), data);
    table.initialize();
    assert.throws(() => table.call(nd.array([1, 2])), /^Error: SymbolBlock \(symbols\): cannot infer the shape of parameter 'table' from operator 'take' \(inputs: float32\[0\], float32\[2\]\); declare it: sym\.var\('table', \{ shape: \[\.\.\.\] \}\)$/);
    // Embedding's weight comes from its inputDim and outputDim.
    const emb = new SB(sym.Embedding(data, sym.var('embed_weight'), { inputDim: 10, outputDim: 4 }), data);
    emb.initialize();
    assert.deepEqual((emb.call(nd.array([1, 2])) as NDArray).shape, [2, 4]);
    assert.deepEqual(emb.collectParams().get('embed_weight').shape, [10, 4]);
  });
});
