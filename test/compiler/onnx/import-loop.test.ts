/**
 * A `Loop` decided at run time (compiler/onnx/read-loop.ts, the `OnnxLoop`
 * operator): models made with onnx.helper by python3 and run by python's
 * onnxruntime (the reference): a trip count fed as an input (two counts on
 * one compiled graph), a while-loop on a condition computed from the data,
 * a loop-carried list that grows, a nested loop; eager and hybridized. The
 * re-exported model keeps the Loop and runs in onnxruntime. Gradients
 * through the loops (carried values, captured parameters, scan outputs, a
 * while-loop, a nested loop) equal torch.autograd's on the same loops
 * written in torch; a body that cannot be differentiated is an Error naming
 * the node. Skipped, with a message, without python3's onnx, onnxruntime
 * and torch.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { autograd, gluon, nd } from 'gluonc';
import { fusedRunners } from '../../../compiler/engine/program.js';
import { emitModel, onnx, readModel } from '../../../compiler/onnx/index.js';
import { readNpy } from '../../../runtime/npy.js';
import { tensorToNumbers, type HostTensor } from '../../../runtime/tensor.js';
import { assertClose } from '../../helpers/compare.js';
import { pythonFixtures } from '../../helpers/python-fixtures.js';

const SCRIPT = String.raw`
import sys, numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as TP, numpy_helper as nh
out = sys.argv[1]
F, I, B = TP.FLOAT, TP.INT64, TP.BOOL
vi = h.make_tensor_value_info
def save(name, g, feeds):
    m = h.make_model(g, opset_imports=[h.make_opsetid('', 17)], ir_version=8)
    onnx.save(m, f'{out}/{name}.onnx')
    s = ort.InferenceSession(m.SerializeToString())
    for k, v in feeds.items(): np.save(f'{out}/{name}_in_{k}.npy', v)
    for i, y in enumerate(s.run(None, feeds)): np.save(f'{out}/{name}_out{i}.npy', y)
rs = np.random.RandomState(0)
x = rs.randn(2, 3).astype(np.float32)

# counted: v = v * 0.5 + iteration * b (b a float initializer captured from the graph), scans v; y = v_final @ W.
body = h.make_graph([
    h.make_node('Cast', ['it'], ['itf'], to=F),
    h.make_node('Mul', ['v', 'half'], ['vh']),
    h.make_node('Mul', ['itf', 'b'], ['ib']),
    h.make_node('Add', ['vh', 'ib'], ['vo']),
    h.make_node('Identity', ['ci'], ['co']),
    h.make_node('Identity', ['vo'], ['so']),
], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [2, 3])], [vi('co', B, []), vi('vo', F, [2, 3]), vi('so', F, [2, 3])],
    [nh.from_array(np.array(0.5, np.float32), 'half')])
g = h.make_graph([h.make_node('Loop', ['m', '', 'x'], ['vf', 'vs'], body=body, name='counted'), h.make_node('MatMul', ['vf', 'W'], ['y'])], 'g',
    [vi('m', I, []), vi('x', F, [2, 3])], [vi('y', F, None), vi('vs', F, None)],
    [nh.from_array(rs.randn(3).astype(np.float32), 'b'), nh.from_array(rs.randn(3, 4).astype(np.float32), 'W')])
save('counted', g, {'m': np.array(4, np.int64), 'x': x})
save('counted2', g, {'m': np.array(1, np.int64), 'x': x})
np.save(f'{out}/r.npy', rs.randn(2, 4).astype(np.float32))

# whiled: while sum(|v|) < 40 (and at most m times): v = v * 1.5 + 0.25; no scan output; y = v * s.
body = h.make_graph([
    h.make_node('Mul', ['v', 'k'], ['vk']), h.make_node('Add', ['vk', 'q'], ['vo']),
    h.make_node('Abs', ['vo'], ['a']), h.make_node('ReduceSum', ['a'], ['sa'], keepdims=0),
    h.make_node('Less', ['sa', 'lim'], ['co']),
], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [2, 3])], [vi('co', B, []), vi('vo', F, [2, 3])],
    [nh.from_array(np.array(1.5, np.float32), 'k'), nh.from_array(np.array(0.25, np.float32), 'q'), nh.from_array(np.array(40, np.float32), 'lim')])
g = h.make_graph([h.make_node('Loop', ['m', 'go', 'x'], ['vf'], body=body, name='whiled'), h.make_node('Mul', ['vf', 's'], ['y'])], 'g',
    [vi('x', F, [2, 3])], [vi('y', F, None)],
    [nh.from_array(np.array(100, np.int64), 'm'), nh.from_array(np.array(True), 'go'), nh.from_array(rs.randn(2, 3).astype(np.float32), 's')])
save('whiled', g, {'x': x})

# growing: a list that grows by one element per iteration (a carried value whose shape changes), m from the input's values.
body = h.make_graph([
    h.make_node('Cast', ['it'], ['itf'], to=F), h.make_node('Unsqueeze', ['itf', 'zero'], ['e']),
    h.make_node('Concat', ['v', 'e'], ['vo'], axis=0), h.make_node('Identity', ['ci'], ['co']),
], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [1])], [vi('co', B, []), vi('vo', F, None)],
    [nh.from_array(np.array([0], np.int64), 'zero')])
g = h.make_graph([
    h.make_node('ReduceSum', ['x'], ['sx'], keepdims=0), h.make_node('Abs', ['sx'], ['ax']), h.make_node('Ceil', ['ax'], ['cx']),
    h.make_node('Cast', ['cx'], ['m'], to=I), h.make_node('Loop', ['m', '', 'init'], ['yf'], body=body, name='growing'),
], 'g', [vi('x', F, [2, 3])], [vi('yf', F, None)], [nh.from_array(np.array([7], np.float32), 'init')])
save('growing', g, {'x': x})

# nested: for i < m: for j < i: v = v + x (x read from the outer graph inside both bodies); scans of the outer loop.
inner = h.make_graph([h.make_node('Add', ['w', 'x'], ['wo']), h.make_node('Identity', ['cj'], ['cjo'])], 'inner',
    [vi('j', I, []), vi('cj', B, []), vi('w', F, [2, 3])], [vi('cjo', B, []), vi('wo', F, [2, 3])])
outer = h.make_graph([h.make_node('Loop', ['i', '', 'v'], ['vo'], body=inner, name='inner'), h.make_node('Identity', ['ci'], ['co']), h.make_node('ReduceSum', ['vo'], ['so'], keepdims=0)], 'outer',
    [vi('i', I, []), vi('ci', B, []), vi('v', F, [2, 3])], [vi('co', B, []), vi('vo', F, [2, 3]), vi('so', F, [])])
g = h.make_graph([h.make_node('Loop', ['m', '', 'x'], ['vf', 'sums'], body=outer, name='outer')], 'g', [vi('m', I, []), vi('x', F, [2, 3])], [vi('vf', F, None), vi('sums', F, None)])
save('nested', g, {'m': np.array(4, np.int64), 'x': x})

# unique: a body reading Unique's values (no gradient): differentiating through it must fail by name.
body = h.make_graph([h.make_node('Unique', ['v'], ['u']), h.make_node('ReduceSum', ['u'], ['su'], keepdims=0), h.make_node('Add', ['v', 'su'], ['vo']), h.make_node('Identity', ['ci'], ['co'])], 'body',
    [vi('it', I, []), vi('ci', B, []), vi('v', F, [2, 3])], [vi('co', B, []), vi('vo', F, [2, 3])])
save('uniq', h.make_graph([h.make_node('Loop', ['m', '', 'x'], ['vf'], body=body, name='uniq')], 'g', [vi('m', I, []), vi('x', F, [2, 3])], [vi('vf', F, None)]), {'m': np.array(2, np.int64), 'x': x})

# prefix: v = v * 0.5 + sum(x[it::-1], axis 0) (a Slice computed at run time, negative step: rows it..0), v0 an initializer.
L = np.iinfo(np.int64)
body = h.make_graph([
    h.make_node('Unsqueeze', ['it', 'zero'], ['st']),
    h.make_node('Slice', ['x', 'st', 'far', 'zero', 'back'], ['xs']),
    h.make_node('ReduceSum', ['xs', 'zero'], ['sx'], keepdims=0),
    h.make_node('Mul', ['v', 'half'], ['vh']), h.make_node('Add', ['vh', 'sx'], ['vo']), h.make_node('Identity', ['ci'], ['co']),
], 'body', [vi('it', I, []), vi('ci', B, []), vi('v', F, [3])], [vi('co', B, []), vi('vo', F, [3])],
    [nh.from_array(np.array([0], np.int64), 'zero'), nh.from_array(np.array([L.min], np.int64), 'far'), nh.from_array(np.array([-1], np.int64), 'back'), nh.from_array(np.array(0.5, np.float32), 'half')])
g = h.make_graph([h.make_node('Loop', ['m', '', 'v0'], ['vf'], body=body, name='prefix')], 'g', [vi('m', I, []), vi('x', F, [4, 3])], [vi('vf', F, None)],
    [nh.from_array(rs.randn(3).astype(np.float32), 'v0')])
x4 = rs.randn(4, 3).astype(np.float32)
save('prefix', g, {'m': np.array(3, np.int64), 'x': x4})

# Gradients by torch.autograd in float64, the loops written out in torch.
import torch
t = lambda a: torch.tensor(np.asarray(a, np.float64), requires_grad=True)
def grads(name, loss, named):
    loss.backward()
    for k, v in named.items(): np.save(f'{out}/{name}_g{k}.npy', v.grad.numpy().astype(np.float32))
rand = lambda *s: rs.randn(*s).astype(np.float32)
init = {i.name: nh.to_array(i) for i in onnx.load(f'{out}/counted.onnx').graph.initializer}
r, r2 = rand(2, 4), rand(4, 2, 3)
np.save(f'{out}/counted_r.npy', r); np.save(f'{out}/counted_r2.npy', r2)
X, Bb, W = t(x), t(init['b']), t(init['W'])
v, vs = X, []
for it in range(4):
    v = v * 0.5 + it * Bb; vs.append(v)
grads('counted', ((v @ W) * torch.tensor(r, dtype=torch.float64)).sum() + (torch.stack(vs) * torch.tensor(r2, dtype=torch.float64)).sum(), {'x': X, 'b': Bb, 'W': W})
Bb, W = t(init['b']), t(init['W'])
v = t(x)
for it in range(4): v = v * 0.5 + it * Bb
grads('countedy', ((v @ W) * torch.tensor(r, dtype=torch.float64)).sum(), {'b': Bb, 'W': W})
init = {i.name: nh.to_array(i) for i in onnx.load(f'{out}/whiled.onnx').graph.initializer}
r = rand(2, 3); np.save(f'{out}/whiled_r.npy', r)
X, S = t(x), t(init['s'])
v = X
for _ in range(100):
    v = v * 1.5 + 0.25
    if not (v.abs().sum() < 40): break
grads('whiled', (v * S * torch.tensor(r, dtype=torch.float64)).sum(), {'x': X, 's': S})
r, r2 = rand(2, 3), rand(4); np.save(f'{out}/nested_r.npy', r); np.save(f'{out}/nested_r2.npy', r2)
X = t(x); v, sums = X, []
for i in range(4):
    for j in range(i): v = v + X
    sums.append(v.sum())
grads('nested', (v * torch.tensor(r, dtype=torch.float64)).sum() + (torch.stack(sums) * torch.tensor(r2, dtype=torch.float64)).sum(), {'x': X})
r = rand(3); np.save(f'{out}/prefix_r.npy', r)
X, V0 = t(x4), t(nh.to_array(onnx.load(f'{out}/prefix.onnx').graph.initializer[0]))
v = V0
for it in range(3): v = v * 0.5 + X[:it + 1].sum(0)
grads('prefix', (v * torch.tensor(r, dtype=torch.float64)).sum(), {'x': X, 'v0': V0})
`;

/** loss = Σ y ⊙ r, hybridized (so a training step is one fused session). */
class WeightedSum extends gluon.HybridBlock {
  override hybridForward(F: gluon.F, y: gluon.Tensor, r: gluon.Tensor) {
    return F.sum(F.mul(y, r));
  }
}

describe('imported Loop decided at run time: an ONNX Loop running the imported body, against onnxruntime', function () {
  this.timeout(120_000);
  const fx = pythonFixtures('loop', ['onnx', 'onnxruntime', 'torch'], SCRIPT);
  const npy = (f: string): HostTensor => readNpy(join(fx.dir, `${f}.npy`));
  const inputsOf = (name: string, keys: string[]) => keys.map((k) => new nd.NDArray(npy(`${name}_in_${k}`)));

  /** Runs the imported model eagerly and hybridized; every output equals onnxruntime's. */
  function sameAsOrt(name: string, keys: string[], outs: number, ref = name): void {
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(join(fx.dir, `${name}.onnx`));
      if (hybrid) net.hybridize();
      const got = net.call(...inputsOf(ref, keys));
      const list = (Array.isArray(got) ? got : [got]) as nd.NDArray[];
      assert.equal(list.length, outs);
      list.forEach((y, i) => {
        const want = npy(`${ref}_out${i}`);
        assert.deepEqual(y.shape, want.shape, `${name} output ${i} shape (${hybrid ? 'hybridized' : 'eager'})`);
        assertClose(tensorToNumbers(y._host), tensorToNumbers(want), `${name} output ${i} (${hybrid ? 'hybridized' : 'eager'})`);
      });
    }
  }

  it('a trip count fed as an input: any count on one graph, the float initializer it reads captured', () => {
    sameAsOrt('counted', ['m', 'x'], 2);
    sameAsOrt('counted', ['m', 'x'], 2, 'counted2');
    const { graph } = readModel(join(fx.dir, 'counted.onnx'));
    const loop = graph.nodes.find((n) => n.op === 'OnnxLoop')!;
    assert.ok(loop, 'one OnnxLoop node');
    assert.deepEqual(loop.inputs.map((v) => v.name), ['m', 'x', 'b'], 'the trip count, the carried value, the captured initializer');
    assert.deepEqual(graph.outputs[1]!.value.type.shape, ['(counted iterations)', 2, 3]);
  });

  it('a while-loop on a condition computed from the data', () => sameAsOrt('whiled', ['x'], 1));
  it('a loop-carried value whose shape grows, the trip count computed from the data; its gradient is an Error naming the node and the value', () => {
    sameAsOrt('growing', ['x'], 1);
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(join(fx.dir, 'growing.onnx'));
      if (hybrid) net.hybridize();
      assert.throws(() => autograd.record(() => nd.sum(net.call(...inputsOf('growing', ['x'])) as nd.NDArray)).backward(), /OnnxLoop: ONNX's Loop \(node 'growing'\): loop-carried value 0 changes shape from one iteration to the next \(float32\[1\] at first, float32\[\(growing:0\.0\)\] in the body\)/);
    }
  });
  it('a Loop inside a Loop body, reading the outer graph', () => sameAsOrt('nested', ['m', 'x'], 2));

  it('re-exports as an ONNX Loop that onnxruntime runs, and reads back as the same node', async () => {
    const { graph } = readModel(join(fx.dir, 'counted.onnx'));
    const bytes = emitModel(graph);
    const m = onnx.ModelProto.decode(bytes);
    assert.deepEqual(m.graph!.node!.filter((n) => n.opType === 'Loop').length, 1, 'one Loop');
    const session = await ort.InferenceSession.create(bytes);
    const [mIn, x] = [npy('counted_in_m'), npy('counted_in_x')];
    const res = await session.run({ m: new ort.Tensor('int64', mIn.data as BigInt64Array, []), x: new ort.Tensor('float32', x.data as Float32Array, x.shape) });
    await session.release();
    assertClose(Array.from(res['y']!.data as Float32Array), tensorToNumbers(npy('counted_out0')), 're-exported y');
    const again = readModel(bytes).graph;
    assert.deepEqual(again.nodes.map((n) => n.op), graph.nodes.map((n) => n.op));
  });

  /** Runs `name` recording, loss = Σ outputs[k] · r_k (the r files given), backward; the gradients of x and of the named parameters equal torch's. */
  function gradsAsTorch(name: string, keys: string[], rs: string[], params: string[]): void {
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(join(fx.dir, `${name}.onnx`));
      if (hybrid) net.hybridize();
      const ins = inputsOf(name, keys);
      const x = ins[keys.indexOf('x')]!;
      x.attachGrad();
      autograd.record(() => {
        const got = net.call(...ins);
        const list = (Array.isArray(got) ? got : [got]) as nd.NDArray[];
        return rs.map((r, k) => nd.sum(nd.mul(list[k]!, new nd.NDArray(npy(r))))).reduce((p, q) => nd.add(p, q));
      }).backward();
      const how = hybrid ? 'hybridized' : 'eager';
      assertClose(tensorToNumbers(x.grad._host), tensorToNumbers(npy(`${name}_gx`)), `${name} dx (${how})`);
      for (const p of params) assertClose(tensorToNumbers(net.collectParams().get(p).grad()._host), tensorToNumbers(npy(`${name}_g${p}`)), `${name} d${p} (${how})`);
    }
  }

  it("differentiates through the loop: the carried value, the captured parameter and the scan output, as torch.autograd", () => gradsAsTorch('counted', ['m', 'x'], ['counted_r', 'counted_r2'], ['b', 'W']));
  it("a training step runs the loop once: the forward Loop keeps each iteration's values for the reverse Loop; SGD's update as torch's gradients", () => {
    const net = gluon.SymbolBlock.imports(join(fx.dir, 'counted.onnx'));
    net.hybridize();
    const params = net.collectParams();
    const old = new Map(['b', 'W'].map((p) => [p, tensorToNumbers(params.get(p).data()._host)]));
    const trainer = new gluon.Trainer(params, 'sgd', { learningRate: 0.1 });
    const before = new Set(fusedRunners());
    const [m, x] = inputsOf('counted', ['m', 'x']);
    const loss = new WeightedSum();
    loss.hybridize();
    const r = new nd.NDArray(npy('counted_r'));
    // The scan output's length is known only at run time, which a hybridized block's input cannot be: the loss reads y.
    const l = autograd.record(() => loss.call((net.call(m!, x!) as nd.NDArray[])[0]!, r) as nd.NDArray);
    l.backward();
    trainer.step(1);
    const fresh = fusedRunners().filter((r) => !before.has(r));
    assert.equal(fresh.length, 1, 'one fused step');
    const loops = onnx.ModelProto.decode(fresh[0]!.bytes).graph!.node!.filter((n) => n.opType === 'Loop');
    assert.equal(loops.length, 2, 'the forward Loop (keeping each iteration) and the reverse-time Loop, no second forward');
    const reverseOps = loops[1]!.attribute![0]!.g!.node!.map((n) => n.opType);
    assert.ok(!reverseOps.includes('Cast'), `the reverse Loop reads the iteration's float number the forward kept, not a Cast of its own (${reverseOps.join(', ')})`);
    for (const p of ['b', 'W']) {
      const want = old.get(p)!.map((w, i) => w - 0.1 * tensorToNumbers(npy(`countedy_g${p}`))[i]!);
      assertClose(tensorToNumbers(params.get(p).data()._host), want, `${p} after one SGD step`);
    }
  });

  it('differentiates through a while-loop on the data', () => gradsAsTorch('whiled', ['x'], ['whiled_r'], ['s']));
  it('differentiates through a Loop inside a Loop body', () => gradsAsTorch('nested', ['m', 'x'], ['nested_r', 'nested_r2'], []));

  it("differentiates through a body whose slice x[it::-1] changes length each iteration (such values are computed again, not kept)", () => {
    sameAsOrt('prefix', ['m', 'x'], 1);
    gradsAsTorch('prefix', ['m', 'x'], ['prefix_r'], ['v0']);
  });

  it('a body that cannot be differentiated is an Error naming the Loop node first, then the body node and the operator; its other layers still train', () => {
    for (const hybrid of [false, true]) {
      const net = gluon.SymbolBlock.imports(join(fx.dir, 'uniq.onnx'));
      if (hybrid) net.hybridize();
      const [m, x] = inputsOf('uniq', ['m', 'x']);
      x!.attachGrad();
      assert.throws(() => autograd.record(() => nd.sum(net.call(m!, x!) as nd.NDArray)).backward(), /^\w*Error: ONNX node 'uniq' \(Loop\)( \(gradient\))?: OnnxLoop: ONNX's Loop \(node 'uniq'\): its body cannot be differentiated: ONNX node 'uniq\/body\/#0' \(Unique\): unique: has no gradient rule/);
    }
    // Outputs as onnxruntime's, without a gradient.
    sameAsOrt('uniq', ['m', 'x'], 1);
  });

  it('refuses a Loop with neither a trip count nor a condition, and a body that does not import, naming the node', () => {
    const src = onnx.ModelProto.decode(readFileSync(join(fx.dir, 'counted.onnx')));
    const loop = src.graph!.node!.find((n) => n.opType === 'Loop')!;
    loop.input = ['', '', 'x'];
    assert.throws(() => readModel(onnx.ModelProto.encode(src).finish()), /'Loop' \(node 'counted'\) has no gluonc equivalent: it has neither a trip count M nor a condition: it would never end/);
    loop.input = ['m', '', 'x'];
    loop.attribute![0]!.g!.node![0]!.opType = 'TfIdfVectorizer';
    assert.throws(() => readModel(onnx.ModelProto.encode(src).finish()), /'Loop' \(node 'counted'\) has no gluonc equivalent: its trip count M \('m'\) is computed at run time, so it runs as an ONNX Loop, but its body does not import: ONNX operator 'TfIdfVectorizer' \(node 'counted\/body\/#0'\)/);
  });
});
